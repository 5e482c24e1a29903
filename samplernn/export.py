"""Writing generated audio: DC removal, the wav, its spectrogram PNG, and a one-line report with warnings.

Streamed generation appends each piece to a `<path>.partial.wav` as it is made (`PartialFiles`), and
`finish_file` then writes the final file from it block by block, so that neither needs the whole sequence in
memory.
"""

import os

import numpy as np
import soundfile as sf

from samplernn.audio import write_audio
from samplernn.errors import SampleRNNError
from samplernn.quality import block_figures, combine_blocks, describe, problems, remove_dc

PARTIAL_SUFFIX = ".partial.wav"
# What a failed write raises (a full disk): soundfile asserts the frame count of a short write.
WRITE_ERRORS = (OSError, sf.SoundFileError, AssertionError)
FINISH_BLOCK_SECONDS = 10.0  # about this long, the blocks of the finishing pass (`quality.figure_block_samples`)


def write_generated(path, audio, sample_rate, *, dc_removal=True, spectrogram=True, label=""):
    """Writes one generated sequence; returns (report line, stats dict). The PNG goes beside the wav."""
    if dc_removal:
        audio = remove_dc(audio)
    write_audio(path, audio, sample_rate)
    if spectrogram:
        from samplernn.plots import save_spectrogram

        save_spectrogram(os.path.splitext(path)[0] + ".png", audio, sample_rate, title=os.path.basename(path))
    stats = describe(audio, sample_rate)
    return report_line(path, stats, label), stats


def report_line(path, stats, label=""):
    line = (f"Wrote {path}{label}: RMS {stats['rms_db']:.1f} dBFS, silence {stats['silence_fraction']:.0%}, "
            f"spectral flatness {stats['flatness']:.3f}")
    for problem in problems(stats):
        line += f"\nwarning: {path}: {problem}"
    return line


class PartialFiles:
    """One `<path>.partial.wav` per stream (float32 at the model's rate) that each piece is appended to as it
    is made. The header is updated with every piece, so each file holds all that was generated, readable, even
    if the process is killed."""

    def __init__(self, paths, sample_rate):
        self.paths = [path + PARTIAL_SUFFIX for path in paths]
        self.files = []
        try:
            for path in self.paths:
                self.files.append(sf.SoundFile(path, "w", sample_rate, 1, format="WAV", subtype="FLOAT"))
        except (OSError, sf.LibsndfileError) as e:
            self.close()
            raise SampleRNNError(f"cannot write '{self.paths[len(self.files)]}': {e}") from None

    def append(self, audio):
        """audio (streams, n) float32: the next piece of every stream."""
        for path, f, row in zip(self.paths, self.files, audio):
            try:
                f.write(row)
                f.flush()
            except WRITE_ERRORS as e:
                raise SampleRNNError(f"cannot write audio file '{path}': {getattr(e, 'strerror', None) or e}") from e

    def close(self):
        for f in self.files:
            f.close()


def finish_file(partial, path, rate, *, dc_removal=True, spectrogram=True, label=""):
    """Writes the final file `path` (its format by its extension, at `rate`) from a partial file, block by
    block: DC removed, resampled, its spectrogram PNG beside it; removes the partial file. Returns (report
    line, stats) as `write_generated`: the same figures, computed block by block."""
    info = sf.info(partial)
    folder, name = os.path.split(os.path.abspath(path))
    temp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")  # replaces `path` when complete
    processed, mean = partial, _mean(partial) if dc_removal else 0.0
    try:
        if rate != info.samplerate:  # resampled into a float copy first; the DC offset goes with it
            processed = os.path.join(folder, f".{name}.{os.getpid()}.processed.wav")
            _process(partial, processed, rate, mean)
            mean = 0.0
        stats = _write_final(processed, temp, path, spectrogram, mean)
        os.replace(temp, path)
    except WRITE_ERRORS as e:
        raise SampleRNNError(f"cannot write audio file '{path}': {getattr(e, 'strerror', None) or e}") from e
    finally:
        for leftover in {temp, processed} - {partial}:
            if os.path.exists(leftover):
                os.remove(leftover)
    os.remove(partial)
    return report_line(path, stats, label), stats


def _process(partial, processed, rate, mean):
    """`partial` less `mean`, resampled to `rate` (soxr, as a stream), into the float wav `processed`."""
    info = sf.info(partial)
    resampler = None
    if rate != info.samplerate:
        import soxr

        resampler = soxr.ResampleStream(info.samplerate, rate, 1, dtype="float32", quality="HQ")
    block = int(FINISH_BLOCK_SECONDS * info.samplerate)
    with sf.SoundFile(processed, "w", rate, 1, format="WAV", subtype="FLOAT") as out:
        for start in range(0, max(info.frames, 1), block):
            audio, _ = sf.read(partial, frames=block, start=start, dtype="float32")
            audio = audio - np.float32(mean)
            if resampler is not None:
                audio = resampler.resample_chunk(audio, last=start + block >= info.frames)
            out.write(audio)


def _write_final(processed, temp, path, spectrogram, mean):
    """The final file (`path`'s format) into `temp` from the float wav `processed` less `mean`, clipped to
    [-1, 1], with the spectrogram PNG beside `path`; returns `describe`'s figures, computed block by block."""
    from samplernn.audio import output_format
    from samplernn.quality import FLATNESS_CONTEXT, figure_block_samples

    info, half = sf.info(processed), FLATNESS_CONTEXT
    rate, total = info.samplerate, info.frames
    block = figure_block_samples(rate, FINISH_BLOCK_SECONDS)
    columns = None
    if spectrogram:
        from samplernn.plots import SpectrogramColumns

        columns = SpectrogramColumns(total)
    blocks, before, offset = [], None, np.float32(mean)
    file_format, subtype = output_format(path)
    with sf.SoundFile(temp, "w", rate, 1, format=file_format, subtype=subtype) as out:
        for start in range(0, max(total, 1), block):
            # The block and the flatness context after it, read at once; the context before is the last block's.
            audio = sf.read(processed, frames=block + half, start=start, dtype="float32")[0] - offset
            audio, after = audio[:block], (audio[block:] if start + block < total else None)
            out.write(np.clip(audio, -1.0, 1.0))
            blocks.append(block_figures(audio, rate, start / rate, before, after))
            before = audio[-half:]
            if columns is not None:
                columns.add(audio)
    if columns is not None:
        columns.save(os.path.splitext(path)[0] + ".png", rate, title=os.path.basename(path))
    return combine_blocks(blocks)


def _mean(partial):
    """The mean sample of a partial file (its DC offset), read block by block."""
    total, count = 0.0, 0
    for block in sf.blocks(partial, blocksize=1 << 20, dtype="float32"):
        total, count = total + float(np.sum(block, dtype=np.float64)), count + len(block)
    return total / max(count, 1)
