"""Run directories and checkpoints.

    <logdir_root>/<id>/<timestamp>/
        config.json  command.txt  train_options.json  split.json
        checkpoints/ckpt-<step>/{model.weights.h5, optimizer.npz, meta.json}
        checkpoints/latest, checkpoints/best     (text: the name of a complete checkpoint)
        generated/   logs/ (TensorBoard)

A checkpoint is written into a temporary directory and renamed into place, and `latest` is replaced
atomically afterwards, so a kill at any moment leaves `latest` naming a complete checkpoint. The
epoch, step and best validation loss live in meta.json, never in file names.
"""

import datetime
import json
import os
import shutil
import tempfile

import numpy as np

from samplernn.errors import SampleRNNError

CHECKPOINTS = "checkpoints"
WEIGHTS_FILE = "model.weights.h5"
OPTIMIZER_FILE = "optimizer.npz"
META_FILE = "meta.json"
CONFIG_FILE = "config.json"


def new_run_dir(logdir_root, run_id):
    """Creates `<logdir_root>/<run_id>/<timestamp>` (unique) and returns it."""
    stamp = datetime.datetime.now().strftime("%Y-%m-%dT%H-%M-%S")
    base = os.path.join(logdir_root, run_id, stamp)
    path, n = base, 1
    while os.path.exists(path):
        path, n = f"{base}_{n}", n + 1
    try:
        os.makedirs(os.path.join(path, CHECKPOINTS))
    except OSError as e:
        raise SampleRNNError(f"cannot create run directory '{path}': {e.strerror}") from None
    return path


def _write_atomic(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _pointer(run_dir, name):
    path = os.path.join(run_dir, CHECKPOINTS, name)
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        ckpt = os.path.join(run_dir, CHECKPOINTS, f.read().strip())
    return ckpt if os.path.isfile(os.path.join(ckpt, META_FILE)) else None


def latest_checkpoint(run_dir):
    """The newest complete checkpoint of a run, or None."""
    return _pointer(run_dir, "latest")


def best_checkpoint(run_dir):
    return _pointer(run_dir, "best")


def find_latest_run(logdir_root, run_id):
    """The newest run dir of `run_id` that holds a complete checkpoint, or None."""
    root = os.path.join(logdir_root, run_id)
    if not os.path.isdir(root):
        return None
    runs = sorted((os.path.join(root, d) for d in os.listdir(root)), reverse=True)
    return next((r for r in runs if latest_checkpoint(r)), None)


def resolve_checkpoint(path):
    """A run dir or a checkpoint dir -> (run_dir, checkpoint_dir). Raises if there is none."""
    if not os.path.exists(path):
        raise SampleRNNError(f"checkpoint path '{path}' does not exist")
    if os.path.isfile(os.path.join(path, META_FILE)):
        return os.path.dirname(os.path.dirname(os.path.abspath(path))), path
    ckpt = latest_checkpoint(path)
    if ckpt is None:
        raise SampleRNNError(f"'{path}' is neither a checkpoint nor a run directory with a complete checkpoint")
    return path, ckpt


def save_checkpoint(run_dir, model, optimizer, meta):
    """Writes checkpoint `ckpt-<step>` atomically, points `latest` at it and returns its path."""
    name = f"ckpt-{meta['step']:08d}"
    ckpt_root = os.path.join(run_dir, CHECKPOINTS)
    final = os.path.join(ckpt_root, name)
    tmp = tempfile.mkdtemp(dir=ckpt_root, prefix=".tmp-")
    try:
        model.save_weights(os.path.join(tmp, WEIGHTS_FILE))
        np.savez(os.path.join(tmp, OPTIMIZER_FILE), *[v.numpy() for v in optimizer.variables])
        with open(os.path.join(tmp, META_FILE), "w") as f:
            json.dump(meta, f, indent=2)
        if os.path.exists(final):
            shutil.rmtree(final)
        os.rename(tmp, final)
        _write_atomic(os.path.join(ckpt_root, "latest"), name)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SampleRNNError(f"could not write checkpoint '{final}': {e.strerror or e}; "
                             "the previous checkpoint is intact") from None
    return final


def mark_best(run_dir, ckpt):
    _write_atomic(os.path.join(run_dir, CHECKPOINTS, "best"), os.path.basename(ckpt))


def prune_checkpoints(run_dir, max_checkpoints):
    """Keeps the newest `max_checkpoints` checkpoints (and always `latest` and `best`)."""
    root = os.path.join(run_dir, CHECKPOINTS)
    keep = {latest_checkpoint(run_dir), best_checkpoint(run_dir)}
    ckpts = sorted(os.path.join(root, d) for d in os.listdir(root) if d.startswith("ckpt-"))
    for old in ckpts[:-max_checkpoints]:
        if old not in keep:
            shutil.rmtree(old, ignore_errors=True)
    for leftover in (os.path.join(root, d) for d in os.listdir(root) if d.startswith(".tmp-")):
        # Written by a save that was killed: never pointed at, safe to remove.
        if os.path.isdir(leftover):
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            os.remove(leftover)


def read_meta(ckpt):
    with open(os.path.join(ckpt, META_FILE)) as f:
        return json.load(f)


def load_weights(ckpt, model):
    try:
        model.load_weights(os.path.join(ckpt, WEIGHTS_FILE))
    except (OSError, ValueError) as e:
        raise SampleRNNError(f"cannot load the weights of checkpoint '{ckpt}': {e}") from None


def load_optimizer(ckpt, optimizer, trainable_variables):
    """Builds the optimizer for the model's variables and restores its state from the checkpoint."""
    optimizer.build(trainable_variables)
    with np.load(os.path.join(ckpt, OPTIMIZER_FILE)) as saved:
        values = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    if len(values) != len(optimizer.variables):
        raise SampleRNNError(f"checkpoint '{ckpt}' holds the state of another optimizer "
                             f"({len(values)} variables, expected {len(optimizer.variables)}); "
                             "resume with the --optimizer it was trained with")
    for var, value in zip(optimizer.variables, values):
        var.assign(value)
