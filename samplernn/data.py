"""From a folder of audio to truncated-BPTT batches.

Every file is decoded and quantized once. An epoch groups files (shuffled with a seeded RNG) into
file batches. Each file batch is cut into `seq_len` subsequences with the `big_frame_size` samples of
overlap the model needs in front; the trainer carries the RNN state across the subsequences of one
file batch and resets it at the next. Files of unequal length are padded with silence, and a mask
keeps the padding out of the loss.

`RandomSegments` is the other way to read the same files: every batch row reads a segment of a few
windows from a random file and place, then restarts its state on another segment, the rows staggered
so that each step mixes many files (consecutive batches are far less alike than 32 files read through).
"""

import dataclasses
import json
import os

import numpy as np

from samplernn.audio import find_audio_files, load_audio
from samplernn.errors import SampleRNNError
from samplernn.quantization import quantize, zero_level


@dataclasses.dataclass(frozen=True)
class Window:
    """One TBPTT step. inputs (B, seq_len + overlap) int32 levels, mask (B, seq_len) float32."""

    inputs: np.ndarray
    mask: np.ndarray
    reset: object  # True / (B,) bool: the rows that start from the learned initial state


def split_files(paths, val_frac, seed):
    """Seeded split of a file list into (train, validation). Both must be non-empty."""
    if not 0.0 < val_frac < 1.0:
        raise SampleRNNError(f"--val_frac must be between 0 and 1 (exclusive), got {val_frac}")
    order = np.random.default_rng(seed).permutation(len(paths))
    num_val = int(round(len(paths) * val_frac))
    if num_val == 0 or num_val == len(paths):
        raise SampleRNNError(f"--val_frac {val_frac} with {len(paths)} file(s) leaves "
                             f"{'no validation' if num_val == 0 else 'no training'} files; "
                             "add audio files or change --val_frac")
    val = sorted(order[:num_val])
    train = sorted(order[num_val:])
    return [paths[i] for i in train], [paths[i] for i in val]


def write_split(path, train_files, val_files):
    with open(path, "w") as f:
        json.dump({"train": train_files, "validation": val_files}, f, indent=2)


def read_split(path):
    with open(path) as f:
        split = json.load(f)
    return split["train"], split["validation"]


def list_training_files(data_dir):
    paths = [os.path.abspath(p) for p in find_audio_files(data_dir)]
    if not paths:
        raise SampleRNNError(f"--data_dir '{data_dir}' contains no audio files (.wav, .flac, .ogg, .mp3)")
    return paths


def load_levels(paths, config, min_length, notice=print):
    """Decodes and quantizes each file once. Files shorter than `min_length` samples are skipped with a count."""
    sequences, short = [], []
    for path in paths:
        audio = load_audio(path, config.sample_rate, notice=notice)
        if len(audio) < min_length:
            short.append(path)
            continue
        sequences.append(quantize(audio, config.q_type, config.q_levels))
    if short:
        notice(f"note: skipped {len(short)} file(s) shorter than seq_len ({min_length} samples), "
               f"e.g. '{short[0]}'")
    if not sequences:
        raise SampleRNNError(f"none of the {len(paths)} file(s) is at least seq_len = {min_length} samples long")
    return sequences


class TBPTTBatches:
    """The windows of one pass over `sequences`, in file batches of `batch_size`."""

    def __init__(self, sequences, config, batch_size, shuffle_seed=None):
        self.sequences, self.config, self.batch_size = sequences, config, batch_size
        order = np.arange(len(sequences))
        if shuffle_seed is not None:
            order = np.random.default_rng(shuffle_seed).permutation(len(sequences))
        self.file_batches = [order[i:i + batch_size] for i in range(0, len(order), batch_size)]

    def _num_windows(self, file_batch):
        longest = max(len(self.sequences[i]) for i in file_batch)
        return -(-longest // self.config.seq_len)

    def num_windows(self, start_batch=0):
        """Steps in the pass, counting from file batch `start_batch`."""
        return sum(self._num_windows(b) for b in self.file_batches[start_batch:])

    def windows(self, file_batch_index):
        """Yields the `Window`s of one file batch."""
        cfg = self.config
        batch = self.file_batches[file_batch_index]
        overlap, n = cfg.big_frame_size, self._num_windows(batch)
        # Silence in front: the first samples are predicted from silent context, as at generation start.
        padded = np.full((len(batch), overlap + n * cfg.seq_len), zero_level(cfg.q_type, cfg.q_levels), np.int32)
        mask = np.zeros((len(batch), n * cfg.seq_len), np.float32)
        for row, i in enumerate(batch):
            seq = self.sequences[i]
            padded[row, overlap:overlap + len(seq)] = seq
            mask[row, :len(seq)] = 1.0
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
        lengths = np.array([len(s) for s in sequences], np.float64)
        self.weights = lengths / lengths.sum()
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
        n = min(windows, len(self.sequences[f]) // seq_len)
        self.file[row], self.left[row] = f, n
        self.pos[row] = self.rng.integers(0, len(self.sequences[f]) - n * seq_len + 1)

    def next_window(self):
        cfg = self.config
        overlap = cfg.big_frame_size
        inputs = np.full((self.batch_size, overlap + cfg.seq_len), self.pad, np.int32)
        for row in range(self.batch_size):
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
