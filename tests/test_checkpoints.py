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


class Killed(BaseException):
    """A kill of the process, simulated: nothing catches it, nothing cleans up."""


def test_saving_a_step_again_keeps_latest_and_best_complete_whenever_it_is_killed(tmp_path, monkeypatch):
    """Step 5 saved twice (`best` names the first save, `latest` the second), then again, killed before each
    of its file-system changes in turn: both pointers always name a complete checkpoint of step 5."""
    run_dir, model, optimizer, _ = saved_run(tmp_path, steps=())
    checkpoints.mark_best(run_dir, checkpoints.save_checkpoint(run_dir, model, optimizer, {"step": 5, "copy": 0}))
    checkpoints.save_checkpoint(run_dir, model, optimizer, {"step": 5, "copy": 1})
    changes = {"n": 0, "kill_at": None}

    def killable(real):
        def change(*args, **kwargs):
            changes["n"] += 1
            if changes["n"] == changes["kill_at"]:
                raise Killed
            return real(*args, **kwargs)
        return change

    monkeypatch.setattr(os, "rename", killable(os.rename))
    monkeypatch.setattr(os, "replace", killable(os.replace))
    monkeypatch.setattr(checkpoints.shutil, "rmtree", killable(checkpoints.shutil.rmtree))
    checkpoints.save_checkpoint(run_dir, model, optimizer, {"step": 5, "copy": 2})
    num_changes = changes["n"]
    assert num_changes == 3  # rename into place, replace latest, remove the second save
    assert checkpoints.read_meta(checkpoints.latest_checkpoint(run_dir))["copy"] == 2
    assert checkpoints.read_meta(checkpoints.best_checkpoint(run_dir))["copy"] == 0, "best is kept"
    for kill_at in range(1, num_changes + 1):
        changes.update(n=0, kill_at=kill_at)
        with pytest.raises(Killed):
            checkpoints.save_checkpoint(run_dir, model, optimizer, {"step": 5, "copy": 3})
        for pointer in (checkpoints.latest_checkpoint(run_dir), checkpoints.best_checkpoint(run_dir)):
            assert pointer is not None and checkpoints.read_meta(pointer)["step"] == 5
    changes["kill_at"] = None
    latest = checkpoints.save_checkpoint(run_dir, model, optimizer, {"step": 5, "copy": 4})
    checkpoints.prune_checkpoints(run_dir, 1)
    left = {d for d in os.listdir(os.path.join(run_dir, "checkpoints")) if d.startswith(("ckpt-", ".tmp-"))}
    assert left == {os.path.basename(latest), "ckpt-00000005"}, "the killed saves' leftovers are removed"


def test_the_files_and_folders_reach_the_disk_before_the_rename(tmp_path, monkeypatch):
    if not os.path.isdir("/proc/self/fd"):
        pytest.skip("needs /proc to name the file descriptors that are fsynced")
    run_dir, model, optimizer, _ = saved_run(tmp_path, steps=())
    events = []
    real_fsync, real_rename, real_replace = os.fsync, os.rename, os.replace
    monkeypatch.setattr(os, "fsync", lambda fd: (events.append(("fsync", os.readlink(f"/proc/self/fd/{fd}"))),
                                                 real_fsync(fd)))
    monkeypatch.setattr(os, "rename", lambda a, b: (events.append(("rename", a)), real_rename(a, b)))
    monkeypatch.setattr(os, "replace", lambda a, b: (events.append(("replace", a)), real_replace(a, b)))
    ckpt = checkpoints.save_checkpoint(run_dir, model, optimizer, {"step": 1}, {"rng_0": np.zeros(2)})
    root = os.path.dirname(ckpt)
    [(_, tmp)] = [e for e in events if e[0] == "rename"]
    before = {path for kind, path in events[:events.index(("rename", tmp))] if kind == "fsync"}
    assert {os.path.join(tmp, f) for f in os.listdir(ckpt)} | {tmp} <= before
    assert len(os.listdir(ckpt)) == 4
    after = events[events.index(("rename", tmp)):]
    assert ("fsync", root) in after, "the checkpoints folder, with the new name in it"
    [(_, pointer_tmp)] = [e for e in after if e[0] == "replace"]
    assert after.index(("fsync", pointer_tmp)) < after.index(("replace", pointer_tmp)) < len(after) - 1
    assert after[-1] == ("fsync", root)


def test_best_is_the_lowest_validation_loss_saved(tmp_path):
    run_dir, model, optimizer, _ = saved_run(tmp_path, steps=())
    for step, val_bits, marked in [(1, 3.0, True), (2, 3.5, False), (3, 2.0, True), (4, 2.0, False)]:
        ckpt = checkpoints.save_checkpoint(run_dir, model, optimizer, {"step": step, "val_bits": val_bits})
        assert checkpoints.update_best(run_dir, ckpt, val_bits) == marked
    assert checkpoints.best_checkpoint(run_dir).endswith("ckpt-00000003")
    assert checkpoints.best_val_bits(run_dir) == 2.0
