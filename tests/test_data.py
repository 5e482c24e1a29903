"""TBPTT windows: overlap, masks for unequal lengths, state resets, random segments, seeded splits."""

import numpy as np
import pytest

from helpers import tiny_config, write_tone
from samplernn.chunking import chunk_files
from samplernn.data import (RandomSegments, TBPTTBatches, list_training_files, load_levels, recording_of, split_files,
                            validation_subset)
from samplernn.errors import SampleRNNError
from samplernn.quantization import quantize, zero_level


def sine_levels(n, config, freq=0.01):
    return quantize(0.8 * np.sin(2 * np.pi * freq * np.arange(n)), config.q_type, config.q_levels)


def test_windows_overlap_by_the_top_frame_and_rebuild_the_file():
    config = tiny_config()  # seq_len 64, top frame 16
    seq = sine_levels(64 * 3, config)
    windows = list(TBPTTBatches([seq], config, batch_size=1).windows(0))
    assert [w.reset for w in windows] == [True, False, False]
    zero = zero_level(config.q_type, config.q_levels)
    assert np.all(windows[0].inputs[0, :16] == zero), "the first window's context is silence"
    for w in windows:
        assert w.inputs.shape == (1, 64 + 16) and w.mask.shape == (1, 64)
    for a, b in zip(windows, windows[1:]):  # each window's context is the previous window's last frame
        np.testing.assert_array_equal(b.inputs[:, :16], a.inputs[:, -16:])
    targets = np.concatenate([w.inputs[0, 16:] for w in windows])
    np.testing.assert_array_equal(targets, seq)


def test_unequal_lengths_are_padded_and_masked():
    config = tiny_config()
    long, short = sine_levels(200, config), sine_levels(70, config, freq=0.02)
    batches = TBPTTBatches([long, short], config, batch_size=2)
    windows = list(batches.windows(0))
    assert len(windows) == batches.num_windows() == 4  # ceil(200 / 64)
    mask = np.concatenate([w.mask for w in windows], axis=1)
    assert mask[0].sum() == 200 and mask[1].sum() == 70
    assert np.all(mask[1, 70:] == 0)


def test_shuffle_is_seeded_and_batches_cover_every_file():
    config = tiny_config()
    seqs = [sine_levels(64 + i, config) for i in range(7)]
    a = TBPTTBatches(seqs, config, 3, shuffle_seed=(0, 1)).file_batches
    b = TBPTTBatches(seqs, config, 3, shuffle_seed=(0, 1)).file_batches
    c = TBPTTBatches(seqs, config, 3, shuffle_seed=(0, 2)).file_batches
    assert [list(x) for x in a] == [list(x) for x in b] != [list(x) for x in c]
    assert sorted(np.concatenate(a)) == list(range(7)) and [len(x) for x in a] == [3, 3, 1]


def _segment_windows(seqs, config, rows, segment_windows, count, seed=0):
    segments = RandomSegments(seqs, config, rows, segment_windows, seed)
    return [segments.next_window() for _ in range(count)]


def test_random_segments_continue_their_file_until_they_restart():
    config = tiny_config()  # seq_len 64, top frame 16
    seqs = [np.arange(1000 + 300 * i) % config.q_levels for i in range(4)]  # levels rise by one per sample
    windows = _segment_windows(seqs, config, rows=5, segment_windows=3, count=40)
    assert all(w.inputs.shape == (5, 64 + 16) and np.all(w.mask == 1.0) for w in windows)
    assert np.all(windows[0].reset), "every row starts from the initial state"
    for a, b in zip(windows, windows[1:]):
        kept = ~b.reset
        # A carried row goes on where it stopped: its context is the previous window's last frame.
        np.testing.assert_array_equal(b.inputs[kept, :16], a.inputs[kept, -16:])
    for w in windows:  # every window is a run of consecutive samples of one file (or silence before it)
        steps = np.diff(w.inputs[:, 16:], axis=1) % config.q_levels
        assert np.all(steps == 1)
    resets = np.array([w.reset for w in windows[1:]])
    runs = [len(r) for row in resets.T for r in "".join("x" if v else "." for v in row).split("x")[1:-1]]
    assert set(runs) == {2}, "a segment is 3 windows: a restart, then 2 carried ones"
    assert len({tuple(np.flatnonzero(r)) for r in resets if r.any()}) > 1, "the rows restart at different steps"


def test_random_segments_are_seeded_and_reach_every_file():
    config = tiny_config()
    seqs = [np.full(640, i, np.int32) for i in range(6)]
    a = _segment_windows(seqs, config, rows=4, segment_windows=2, count=30, seed=3)
    b = _segment_windows(seqs, config, rows=4, segment_windows=2, count=30, seed=3)
    c = _segment_windows(seqs, config, rows=4, segment_windows=2, count=30, seed=4)
    assert all(np.array_equal(x.inputs, y.inputs) for x, y in zip(a, b))
    assert not all(np.array_equal(x.inputs, y.inputs) for x, y in zip(a, c))
    assert set(np.concatenate([w.inputs[:, -1] for w in a])) == set(range(6))
    with pytest.raises(SampleRNNError, match="--segment_windows"):
        RandomSegments(seqs, config, 4, 0, seed=0)


class ReadLog:
    """Sequences that record which ones are read; like `CachedLevels`, their lengths need no read."""

    def __init__(self, seqs):
        self.seqs, self.read = seqs, set()
        self.lengths = np.array([len(s) for s in seqs])

    def __len__(self):
        return len(self.seqs)

    def __getitem__(self, i):
        self.read.add(int(i))
        return self.seqs[i]


def test_file_batch_windows_read_only_the_given_rows():
    """A worker's rows (`distribute.local_rows`): the same windows there, silence elsewhere, and every row's mask
    and reset; no other file is read."""
    config = tiny_config()
    zero = zero_level(config.q_type, config.q_levels)
    seqs = [sine_levels(100 + 40 * i, config, freq=0.01 + 0.003 * i) for i in range(7)]
    full = TBPTTBatches(ReadLog(seqs), config, 4, shuffle_seed=(0, 1))
    part = TBPTTBatches(ReadLog(seqs), config, 4, shuffle_seed=(0, 1))
    for b, rows in ((0, [2, 3]), (1, [1, 2]), (1, [])):
        batch, others = part.file_batches[b], np.setdiff1d(np.arange(len(part.file_batches[b])), rows)
        part.sequences.read.clear()
        windows = list(part.windows(b, rows))
        assert part.sequences.read == {int(batch[r]) for r in rows}, "a row of another worker was read"
        expected = list(full.windows(b))
        assert len(windows) == len(expected) > 1
        for w, e in zip(windows, expected):
            np.testing.assert_array_equal(w.inputs[rows], e.inputs[rows])
            assert np.all(w.inputs[others] == zero)
            np.testing.assert_array_equal(w.mask, e.mask)
            assert w.reset == e.reset
    assert full.sequences.read == set(range(7))


def test_random_segments_read_only_the_given_rows_and_draw_the_same_segments():
    config = tiny_config()
    zero = zero_level(config.q_type, config.q_levels)
    seqs = [sine_levels(400 + 100 * i, config, freq=0.01 + 0.003 * i) for i in range(8)]
    full = RandomSegments(ReadLog(seqs), config, 4, 2, seed=5)
    part = RandomSegments(ReadLog(seqs), config, 4, 2, seed=5)
    rows, drawn = [1, 3], set()
    for _ in range(12):
        drawn |= set(part.file[rows].tolist())
        w, e = part.next_window(rows), full.next_window()
        np.testing.assert_array_equal(w.inputs[rows], e.inputs[rows])
        assert np.all(w.inputs[[0, 2]] == zero)
        np.testing.assert_array_equal(w.mask, e.mask)
        np.testing.assert_array_equal(w.reset, e.reset)
    assert part.sequences.read == drawn < full.sequences.read, "a row of another worker was read"
    part.sequences.read.clear()
    w, e = part.next_window(rows=()), full.next_window()
    assert not part.sequences.read and np.all(w.inputs == zero)
    np.testing.assert_array_equal(w.reset, e.reset)
    np.testing.assert_array_equal(part.next_window().inputs, full.next_window().inputs, err_msg="draws differ")


def test_split_is_seeded_and_refuses_empty_sides():
    files = [f"f{i}.wav" for i in range(10)]
    train, val = split_files(files, 0.2, seed=1)
    assert len(val) == 2 and sorted(train + val) == sorted(files)
    assert split_files(files, 0.2, seed=1) == (train, val)
    with pytest.raises(SampleRNNError, match="no validation"):
        split_files(files[:2], 0.1, seed=0)
    with pytest.raises(SampleRNNError, match="no training"):
        split_files(files[:1], 0.9, seed=0)
    with pytest.raises(SampleRNNError, match="--val_frac"):
        split_files(files, 1.5, seed=0)


def test_split_keeps_the_overlapping_chunks_of_a_recording_on_one_side(tmp_path):
    """The README's recipe: chunks cut with overlap. No recording may have chunks on both sides."""
    for i, seconds in enumerate((1.0, 1.2, 0.9)):
        write_tone(tmp_path / f"rec{i}.wav", seconds, freq=200 + 100 * i)
    chunk_files([str(tmp_path / f"rec{i}.wav") for i in range(3)], str(tmp_path / "chunks"), sample_rate=8000,
                chunk_length_ms=200, overlap_ms=50, silence_threshold_db=None, notice=lambda *_: None)
    paths = list_training_files(str(tmp_path / "chunks"))
    assert len(paths) == 6 + 7 + 5
    for seed in range(5):
        notes = []
        train, val = split_files(paths, 0.34, seed, notice=notes.append)
        assert sorted(train + val) == sorted(paths)
        assert not {recording_of(p) for p in train} & {recording_of(p) for p in val}, "a recording on both sides"
        assert len({recording_of(p) for p in val}) == 1
        assert notes[-1].startswith("Split: 3 recordings; 2 (") and "1 (" in notes[-1]


def test_recordings_are_the_chunk_stems_and_other_files_stand_alone():
    assert recording_of("/d/song_12.wav") == recording_of("/d/song_3.wav") == "/d/song"
    assert recording_of("/d/take_2_7.flac") == "/d/take_2"
    assert recording_of("/d/song.wav") == "/d/song" != recording_of("/e/song_1.wav")
    assert recording_of("/d/intro_a.wav") == "/d/intro_a"


def test_split_of_a_single_recording_holds_out_its_last_chunks():
    paths = [f"/d/long_{n}.wav" for n in range(10)]
    notes = []
    train, val = split_files(paths, 0.2, seed=0, notice=notes.append)
    assert train == paths[:8] and val == paths[8:]
    assert "one recording" in notes[0]


def test_validation_subset_is_seeded_bounded_and_the_same_each_time(tmp_path):
    config = tiny_config()  # 8 kHz
    for i in range(12):
        write_tone(tmp_path / f"v{i}.wav", 0.05 * (1 + i % 3), freq=200 + 20 * i)  # 400, 800 or 1200 samples
    levels = load_levels(list_training_files(str(tmp_path)), config, 1, notice=lambda *_: None)
    budget = 3000 / 8000 / 60  # minutes: 3000 samples
    a = validation_subset(levels, budget, config.sample_rate, seed=0)
    b = validation_subset(levels, budget, config.sample_rate, seed=0)
    assert a.paths == b.paths and 1 < len(a) < len(levels)
    assert a.lengths.sum() <= 3000
    assert validation_subset(levels, budget, config.sample_rate, seed=1).paths != a.paths
    assert len(validation_subset(levels, 1e-9, config.sample_rate, seed=0)) == 1, "at least one file"
    assert validation_subset(levels, 0, config.sample_rate, seed=0) is levels, "0: all of them"


def test_padding_fraction_of_whole_file_batches():
    config = tiny_config()  # seq_len 64
    seqs = [np.zeros(64 * 10, np.int32)] + [np.zeros(64, np.int32)] * 3
    assert TBPTTBatches(seqs, config, batch_size=4).padding_fraction() == pytest.approx(1 - 13 / 40)
    assert TBPTTBatches(seqs[1:], config, batch_size=3).padding_fraction() == 0.0


def test_loading_skips_short_files_with_a_count(tmp_path):
    config = tiny_config()
    write_tone(tmp_path / "a.wav", 0.05)
    write_tone(tmp_path / "b.wav", 0.005)  # 40 samples < seq_len 64
    notes = []
    seqs = load_levels(list_training_files(str(tmp_path)), config, config.seq_len, notice=notes.append)
    assert len(seqs) == 1 and len(seqs[0]) == 400
    assert any("skipped 1 file" in n for n in notes)
    with pytest.raises(SampleRNNError, match="seq_len"):
        load_levels([str(tmp_path / "b.wav")], config, config.seq_len, notice=notes.append)


def test_folder_without_audio_is_an_error(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(SampleRNNError, match="no audio files"):
        list_training_files(str(tmp_path))
