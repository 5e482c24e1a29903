"""TBPTT windows: overlap, masks for unequal lengths, state resets, random segments, seeded splits."""

import numpy as np
import pytest

from helpers import tiny_config, write_tone
from samplernn.data import RandomSegments, TBPTTBatches, list_training_files, load_levels, split_files
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
