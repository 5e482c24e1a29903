"""Checkpoints: round trip of weights + optimizer + progress, atomic pointers, keep-N."""

import os

import keras
import numpy as np
import pytest

from helpers import tiny_config
from samplernn import checkpoints
from samplernn.errors import SampleRNNError
from samplernn.model import build_model


def saved_run(tmp_path, steps=(1, 2, 3, 4)):
    run_dir = checkpoints.new_run_dir(str(tmp_path), "test")
    model = build_model(tiny_config())
    optimizer = keras.optimizers.Adam()
    optimizer.build(model.trainable_variables)
    paths = [checkpoints.save_checkpoint(run_dir, model, optimizer, {"step": s}) for s in steps]
    return run_dir, model, optimizer, paths


def test_round_trip_restores_weights_and_optimizer(tmp_path):
    run_dir, model, optimizer, _ = saved_run(tmp_path, steps=())
    optimizer.iterations.assign(7)
    optimizer.variables[-1].assign(np.full(optimizer.variables[-1].shape, 0.5))
    ckpt = checkpoints.save_checkpoint(run_dir, model, optimizer, {"step": 9, "progress": {"epochs_done": 2}})
    restored = build_model(tiny_config())
    opt2 = keras.optimizers.Adam()
    checkpoints.load_weights(ckpt, restored)
    checkpoints.load_optimizer(ckpt, opt2, restored.trainable_variables)
    for a, b in zip(model.weights, restored.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert int(opt2.iterations.numpy()) == 7
    np.testing.assert_array_equal(opt2.variables[-1].numpy(), optimizer.variables[-1].numpy())
    assert checkpoints.read_meta(ckpt)["progress"] == {"epochs_done": 2}


def test_latest_points_at_the_newest_and_prune_keeps_best(tmp_path):
    run_dir, _, _, paths = saved_run(tmp_path)
    assert checkpoints.latest_checkpoint(run_dir) == paths[-1]
    checkpoints.mark_best(run_dir, paths[0])
    checkpoints.prune_checkpoints(run_dir, max_checkpoints=2)
    left = sorted(d for d in os.listdir(os.path.join(run_dir, "checkpoints")) if d.startswith("ckpt-"))
    assert left == [os.path.basename(p) for p in (paths[0], paths[2], paths[3])]
    assert checkpoints.find_latest_run(str(tmp_path), "test") == run_dir


def test_a_killed_write_leaves_latest_intact(tmp_path):
    run_dir, _, _, paths = saved_run(tmp_path, steps=(1,))
    half_written = os.path.join(run_dir, "checkpoints", ".tmp-abc")
    os.makedirs(half_written)  # what a kill during save leaves behind
    assert checkpoints.latest_checkpoint(run_dir) == paths[0]
    checkpoints.prune_checkpoints(run_dir, 5)
    assert not os.path.exists(half_written)


def test_resolve_checkpoint_accepts_run_or_checkpoint_dirs(tmp_path):
    run_dir, _, _, paths = saved_run(tmp_path, steps=(1, 2))
    assert checkpoints.resolve_checkpoint(run_dir) == (run_dir, paths[-1])
    assert checkpoints.resolve_checkpoint(paths[0]) == (os.path.abspath(run_dir), paths[0])
    with pytest.raises(SampleRNNError, match="does not exist"):
        checkpoints.resolve_checkpoint(str(tmp_path / "nope"))
    with pytest.raises(SampleRNNError, match="neither"):
        checkpoints.resolve_checkpoint(str(tmp_path))
