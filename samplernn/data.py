"""From a folder of audio to truncated-BPTT batches.

Every file is decoded and quantized once, into a cache on disk (`cache.py`) that training reads through
memory maps: only the file batch (or, with random segments, the window) being trained is read, and under
several workers only the worker's own rows of it. An epoch groups files (shuffled with a seeded RNG) into
file batches. Each file batch is cut into `seq_len` subsequences with the `big_frame_size` samples of overlap
the model needs in front; the trainer carries the RNN state across the subsequences of one file batch and
resets it at the next. Files of unequal length are padded with silence, and a mask keeps the padding out of
the loss.

`RandomSegments` is the other way to read the same files: every batch row reads a segment of a few
windows from a random file and place, then restarts its state on another segment, the rows staggered
so that each step mixes many files (consecutive batches are far less alike than 32 files read through).
"""

import dataclasses
import json
import os
import re

import numpy as np

from samplernn.audio import find_audio_files
from samplernn.cache import LevelCache, default_cache_dir
from samplernn.errors import SampleRNNError
from samplernn.quantization import zero_level

CHUNK_NAME = re.compile(r"(.+)_\d+")  # chunk_audio.py's <stem>_<n>


@dataclasses.dataclass(frozen=True)
class Window:
    """One TBPTT step. inputs (B, seq_len + overlap) int32 levels, mask (B, seq_len) float32."""

    inputs: np.ndarray
    mask: np.ndarray
    reset: object  # True / (B,) bool: the rows that start from the learned initial state


def recording_of(path):
    """The recording a file belongs to: `chunk_audio.py` names chunks `<stem>_<n>`, so a trailing `_<digits>` is
    stripped (in the file's folder); any other file is a recording of its own."""
    folder, name = os.path.split(path)
    stem = os.path.splitext(name)[0]
    match = CHUNK_NAME.fullmatch(stem)
    return os.path.join(folder, match.group(1) if match else stem)


def split_files(paths, val_frac, seed, notice=print):
    """Seeded split of a file list into (train, validation), whole recordings (`recording_of`) to one side, so
    that overlapping chunks of a recording are never on both: about `val_frac` of the files, as close as whole
    recordings allow, at least one recording on each side. All chunks of a single recording: its last chunks
    are held out. Both sides must be non-empty."""
    if not 0.0 < val_frac < 1.0:
        raise SampleRNNError(f"--val_frac must be between 0 and 1 (exclusive), got {val_frac}")
    num_val = int(round(len(paths) * val_frac))
    if num_val == 0 or num_val == len(paths):
        raise SampleRNNError(f"--val_frac {val_frac} with {len(paths)} file(s) leaves "
                             f"{'no validation' if num_val == 0 else 'no training'} files; "
                             "add audio files or change --val_frac")
    groups = {}
    for i, path in enumerate(paths):
        groups.setdefault(recording_of(path), []).append(i)
    groups = list(groups.values())
    if len(groups) == 1:
        notice(f"note: all {len(paths)} files are chunks of one recording: holding out its last {num_val}")
        return list(paths[:-num_val]), list(paths[-num_val:])
    order = np.random.default_rng(seed).permutation(len(groups))
    held = [order[0]]  # then more recordings while that brings the count closer to num_val
    count = len(groups[order[0]])
    for g in order[1:-1]:
        if abs(count + len(groups[g]) - num_val) >= abs(count - num_val):
            break
        held.append(g)
        count += len(groups[g])
    val = sorted(i for g in held for i in groups[g])
    train = sorted(set(range(len(paths))) - set(val))
    if len(groups) < len(paths):
        notice(f"Split: {len(groups)} recordings; {len(groups) - len(held)} ({len(train)} files) for training, "
               f"{len(held)} ({len(val)} files) held out for validation")
    return [paths[i] for i in train], [paths[i] for i in val]


def write_split(path, train_files, val_files, data_dir):
    with open(path, "w") as f:
        json.dump({"data_dir": os.path.abspath(data_dir), "train": train_files, "validation": val_files}, f,
                  indent=2)


SPLIT_FILE = "split.json"  # in a run dir: the data folder and its training and validation files


def read_split(path):
    """(train files, validation files, the data_dir they came from: None in runs written before it was saved)."""
    with open(path) as f:
        split = json.load(f)
    return split["train"], split["validation"], split.get("data_dir")


def list_training_files(data_dir):
    paths = [os.path.abspath(p) for p in find_audio_files(data_dir)]
    if not paths:
        raise SampleRNNError(f"--data_dir '{data_dir}' contains no audio files (.wav, .flac, .ogg, .mp3)")
    return paths


def load_levels(paths, config, min_length, notice=print, cache_dir=None):
    """The quantized levels of `paths` (`cache.CachedLevels`: memory maps of the cache at `cache_dir`, by default
    `cache.default_cache_dir()`; files are decoded only the first time). Files shorter than `min_length`
    samples are skipped with a count."""
    levels = LevelCache(cache_dir or default_cache_dir(), config, notice).load(paths)
    short = np.flatnonzero(levels.lengths < min_length)
    if len(short):
        notice(f"note: skipped {len(short)} file(s) shorter than seq_len ({min_length} samples), "
               f"e.g. '{levels.paths[short[0]]}'")
    if len(short) == len(levels):
        raise SampleRNNError(f"none of the {len(paths)} file(s) is at least seq_len = {min_length} samples long")
    return levels.subset(np.flatnonzero(levels.lengths >= min_length))


def validation_subset(levels, minutes, sample_rate, seed):
    """A seeded subset of `levels` (`CachedLevels`) of at most `minutes` of audio (at least one file; 0: all),
    chosen from the lengths alone: the same files for the same arguments."""
    if not minutes:
        return levels
    budget, total, chosen = minutes * 60 * sample_rate, 0, []
    for i in np.random.default_rng(seed).permutation(len(levels)):
        if total + levels.lengths[i] <= budget or not chosen:
            chosen.append(i)
            total += levels.lengths[i]
    return levels.subset(sorted(chosen))


def sequence_lengths(sequences):
    """(N,) lengths: a `CachedLevels`' from its index, a list of arrays' from the arrays."""
    lengths = getattr(sequences, "lengths", None)
    return np.asarray(lengths if lengths is not None else [len(s) for s in sequences], np.int64)


class TBPTTBatches:
    """The windows of one pass over `sequences`, in file batches of `batch_size`."""

    def __init__(self, sequences, config, batch_size, shuffle_seed=None):
        self.sequences, self.config, self.batch_size = sequences, config, batch_size
        self.lengths = sequence_lengths(sequences)
        order = np.arange(len(sequences))
        if shuffle_seed is not None:
            order = np.random.default_rng(shuffle_seed).permutation(len(sequences))
        self.file_batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]

    def _num_windows(self, file_batch):
        longest = self.lengths[file_batch].max()
        return int(-(-longest // self.config.seq_len))

    def num_windows(self, start_batch=0):
        """Steps in the pass, counting from file batch `start_batch`."""
        return sum(self._num_windows(b) for b in self.file_batches[start_batch:])

    def padding_fraction(self):
        """The fraction of the pass's window samples that are padding (rows longer files leave short)."""
        padded = sum(self._num_windows(b) * self.config.seq_len * len(b) for b in self.file_batches)
        return 1.0 - self.lengths.sum() / padded

    def windows(self, file_batch_index, rows=None):
        """Yields the `Window`s of one file batch. `rows` (default all): the batch rows to read; the others stay
        silence (under several workers, rows that other workers train: `distribute.local_rows`). The mask
        and reset flags of every row are the same either way (they come from the lengths)."""
        cfg = self.config
        batch = self.file_batches[file_batch_index]
        overlap, n = cfg.big_frame_size, self._num_windows(batch)
        # Silence in front: the first samples are predicted from silent context, as at generation start.
        padded = np.full((len(batch), overlap + n * cfg.seq_len), zero_level(cfg.q_type, cfg.q_levels), np.int32)
        mask = (np.arange(n * cfg.seq_len) < self.lengths[batch][:, None]).astype(np.float32)  # (B, n * seq_len)
        for row in range(len(batch)) if rows is None else rows:
            seq = self.sequences[batch[row]]  # a memory map: only these rows of this file batch are read
            padded[row, overlap:overlap + len(seq)] = seq
        for s in range(n):
            start = s * cfg.seq_len
            yield Window(padded[:, start:start + cfg.seq_len + overlap],  # (B, seq_len + overlap)
                         mask[:, start:start + cfg.seq_len], reset=(s == 0))


class RandomSegments:
    """Endless TBPTT windows where each row reads `segment_windows` windows of a random file from a random
    place, then restarts (its `reset` entry is True) on a new segment. Files are drawn in proportion to
    their length; the rows' first segments are shortened at random so that their restarts are spread
    over the steps. Seeded: the same seed gives the same windows.
    """

    def __init__(self, sequences, config, batch_size, segment_windows, seed):
        if segment_windows < 1:
            raise SampleRNNError(f"--segment_windows must be at least 1, got {segment_windows}")
        self.sequences, self.config, self.batch_size = sequences, config, batch_size
        self.segment_windows = segment_windows
        self.rng = np.random.default_rng(seed)
        self.lengths = sequence_lengths(sequences)
        self.weights = self.lengths / self.lengths.sum()
        self.pad = zero_level(config.q_type, config.q_levels)
        self.file = np.zeros(batch_size, np.int64)
        self.pos = np.zeros(batch_size, np.int64)
        self.left = np.zeros(batch_size, np.int64)  # windows left in each row's segment
        self.reset = np.ones(batch_size, bool)  # the rows that start a segment with the next window
        # The first segments take 1..segment_windows windows, so that the rows' restarts are spread out.
        for row, windows in enumerate(self.rng.integers(1, segment_windows + 1, batch_size)):
            self._restart(row, windows)

    def _restart(self, row, windows):
        seq_len = self.config.seq_len
        f = self.rng.choice(len(self.sequences), p=self.weights)
        n = min(windows, self.lengths[f] // seq_len)
        self.file[row], self.left[row] = f, n
        self.pos[row] = self.rng.integers(0, self.lengths[f] - n * seq_len + 1)

    def next_window(self, rows=None):
        """The next `Window`. `rows` (default all): the rows to read; the others stay silence (under several
        workers, rows that other workers train: `distribute.local_rows`). Every row's segment advances
        either way, so the draws, the mask and the reset flags do not depend on `rows`."""
        cfg = self.config
        overlap = cfg.big_frame_size
        inputs = np.full((self.batch_size, overlap + cfg.seq_len), self.pad, np.int32)
        for row in range(self.batch_size) if rows is None else rows:
            seq, start = self.sequences[self.file[row]], self.pos[row] - overlap
            piece = seq[max(start, 0):self.pos[row] + cfg.seq_len]  # context before the segment when there is some
            inputs[row, inputs.shape[1] - len(piece):] = piece
        reset = self.reset
        self.pos += cfg.seq_len
        self.left -= 1
        self.reset = self.left == 0
        for row in np.flatnonzero(self.reset):
            self._restart(row, self.segment_windows)
        return Window(inputs, np.ones((self.batch_size, cfg.seq_len), np.float32), reset)
