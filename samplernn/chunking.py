"""Cutting long recordings into equal, optionally overlapping training chunks; silent chunks are dropped.

The library behind chunk_audio.py. Chunks are written as `<input stem>_<n>.wav`, n = 0, 1, 2, ...
counting the chunks written from that input, so the names sort naturally. Nothing is ever overwritten.
"""

import os
import re

import numpy as np

from samplernn.audio import load_audio, write_audio
from samplernn.errors import SampleRNNError
from samplernn.quality import silence_fraction

SILENT_FRACTION = 0.5  # a chunk is silent when more than this fraction of its windows is below the threshold


def chunk_audio(audio, sample_rate, chunk_length_ms, overlap_ms) -> list[np.ndarray]:
    """Cuts (T,) audio into (chunk_length,) chunks that start every chunk_length - overlap samples.

    The last, partial chunk is dropped, so audio shorter than one chunk gives []. Chunks are views
    into `audio`. Raises SampleRNNError naming --chunk_length / --overlap for invalid lengths.
    """
    length, hop = _chunk_samples(sample_rate, chunk_length_ms, overlap_ms)
    if len(audio) < length:
        return []
    windows = np.lib.stride_tricks.sliding_window_view(audio, length)  # (T - length + 1, length)
    return list(windows[::hop])  # (num_chunks, length): rows start at 0, hop, 2 * hop, ...


def _chunk_samples(sample_rate, chunk_length_ms, overlap_ms):
    """(chunk length, hop) in samples, after checking the millisecond lengths."""
    if chunk_length_ms <= 0:
        raise SampleRNNError(f"--chunk_length must be > 0 ms, got {chunk_length_ms}")
    if not 0 <= overlap_ms < chunk_length_ms:
        raise SampleRNNError(f"--overlap must be >= 0 and less than --chunk_length ({chunk_length_ms} ms), "
                             f"got {overlap_ms}")
    length = round(chunk_length_ms * sample_rate / 1000)
    hop = length - round(overlap_ms * sample_rate / 1000)
    if length < 1 or hop < 1:
        raise SampleRNNError(f"--chunk_length {chunk_length_ms} ms with --overlap {overlap_ms} ms is too short "
                             f"at {sample_rate} Hz: a chunk and the step between chunks need >= 1 sample")
    return length, hop


def is_silent(chunk, sample_rate, threshold_db) -> bool:
    """True when more than SILENT_FRACTION of the chunk's SILENCE_WINDOW_MS windows have an RMS level
    below `threshold_db` dBFS (20 * log10(rms): a full-scale square wave is 0 dBFS, a sine -3 dBFS)."""
    return silence_fraction(chunk, sample_rate, threshold_db) > SILENT_FRACTION


def chunk_files(input_paths, output_dir, *, sample_rate, chunk_length_ms, overlap_ms, silence_threshold_db,
                notice=print) -> dict:
    """Cuts each input file into chunks written to `output_dir` as `<stem>_<n>.wav` (16-bit, mono, sample_rate).

    silence_threshold_db: dBFS level for `is_silent`; silent chunks are dropped and counted. None keeps all.
    Inputs with the same stem (e.g. cd1/01.wav and cd2/01.wav) get the stems '01', '01-2', ... with a notice.
    Refuses (SampleRNNError) before decoding anything when `output_dir` already holds chunks of one of the
    stems. Returns counts: {"files": inputs, "chunks": chunks written, "silent": silent chunks dropped,
    "short": inputs shorter than one chunk}.
    """
    _chunk_samples(sample_rate, chunk_length_ms, overlap_ms)  # bad flags fail before any decoding
    stems = _unique_stems(input_paths, notice)
    _refuse_overwrite(output_dir, stems)
    try:
        os.makedirs(output_dir, exist_ok=True)
    except OSError as e:
        raise SampleRNNError(f"cannot create --output_dir '{output_dir}': {e.strerror or e}") from e
    counts = {"files": len(input_paths), "chunks": 0, "silent": 0, "short": 0}
    for done, (path, stem) in enumerate(zip(input_paths, stems)):
        try:
            audio = load_audio(path, sample_rate, notice=notice)
        except SampleRNNError as e:
            if done == 0:
                raise
            raise SampleRNNError(f"{e} (chunks of the {done} file(s) before it are in '{output_dir}')") from e
        chunks = chunk_audio(audio, sample_rate, chunk_length_ms, overlap_ms)
        if not chunks:
            counts["short"] += 1
            notice(f"note: skipped '{path}': shorter than one chunk ({chunk_length_ms} ms)")
        if silence_threshold_db is not None:
            kept = [c for c in chunks if not is_silent(c, sample_rate, silence_threshold_db)]
            counts["silent"] += len(chunks) - len(kept)
            chunks = kept
        for n, chunk in enumerate(chunks):
            write_audio(os.path.join(output_dir, f"{stem}_{n}.wav"), chunk, sample_rate)
        counts["chunks"] += len(chunks)
    return counts


def _unique_stems(paths, notice):
    """The file name without extension of each path, made unique (case-insensitively) with '-2', '-3', ..."""
    stems, taken = [], set()
    for path in paths:
        base = stem = os.path.splitext(os.path.basename(path))[0]
        k = 1
        while stem.casefold() in taken:
            k += 1
            stem = f"{base}-{k}"
        if stem != base:
            notice(f"note: another input is also named '{base}'; chunks of '{path}' are named '{stem}_<n>.wav'")
        taken.add(stem.casefold())
        stems.append(stem)
    return stems


def _refuse_overwrite(output_dir, stems):
    """Raises SampleRNNError if `output_dir` is not a folder or already holds a `<stem>_<n>.wav` of a stem."""
    if not os.path.exists(output_dir):
        return
    if not os.path.isdir(output_dir):
        raise SampleRNNError(f"--output_dir '{output_dir}' exists and is not a folder")
    # Case-insensitive, as file names are on macOS and Windows.
    pattern = re.compile(r"(.*)_\d+\.wav", re.IGNORECASE)
    existing = {}
    for name in os.listdir(output_dir):
        match = pattern.fullmatch(name)
        if match:
            existing.setdefault(match.group(1).casefold(), name)
    for stem in stems:
        if stem.casefold() in existing:
            raise SampleRNNError(f"--output_dir '{output_dir}' already holds chunks of '{stem}' "
                                 f"(e.g. '{existing[stem.casefold()]}'); nothing was written: choose an "
                                 "empty folder or remove the old chunks")
