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
FINISH_BLOCK_SECONDS = 10.0  # blocks of the finishing pass: whole 20-ms windows and half-second parts


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
    line, stats) as `write_generated`."""
    info = sf.info(partial)
    mean = _mean(partial) if dc_removal else 0.0
    resampler = None
    if rate != info.samplerate:
        import soxr

        resampler = soxr.ResampleStream(info.samplerate, rate, 1, dtype="float32", quality="HQ")
    columns = None
    if spectrogram:
        from samplernn.plots import SpectrogramColumns

        columns = SpectrogramColumns(int(info.frames * rate / info.samplerate))
    from samplernn.audio import output_format

    blocks, written, block_size = [], 0, int(FINISH_BLOCK_SECONDS * info.samplerate)
    folder, name = os.path.split(os.path.abspath(path))
    temp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")  # replaces `path` when complete
    file_format, subtype = output_format(path)
    try:
        with sf.SoundFile(temp, "w", rate, 1, format=file_format, subtype=subtype) as out:
            for start in range(0, max(info.frames, 1), block_size):
                block, _ = sf.read(partial, frames=block_size, start=start, dtype="float32")
                block = block - np.float32(mean)
                if resampler is not None:
                    block = resampler.resample_chunk(block, last=start + block_size >= info.frames)
                out.write(np.clip(block, -1.0, 1.0))
                blocks.append(block_figures(block, rate, written / rate))
                written += len(block)
                if columns is not None:
                    columns.add(block)
        os.replace(temp, path)
    except WRITE_ERRORS as e:
        raise SampleRNNError(f"cannot write audio file '{path}': {getattr(e, 'strerror', None) or e}") from e
    finally:
        if os.path.exists(temp):  # only after a failure: os.replace has moved it otherwise
            os.remove(temp)
    if columns is not None:
        columns.save(os.path.splitext(path)[0] + ".png", rate, title=os.path.basename(path))
    os.remove(partial)
    stats = combine_blocks(blocks)
    return report_line(path, stats, label), stats


def _mean(partial):
    """The mean sample of a partial file (its DC offset), read block by block."""
    total, count = 0.0, 0
    for block in sf.blocks(partial, blocksize=1 << 20, dtype="float32"):
        total, count = total + float(np.sum(block, dtype=np.float64)), count + len(block)
    return total / max(count, 1)
