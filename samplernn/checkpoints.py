"""Run directories and checkpoints.

    <logdir_root>/<id>/<timestamp>/
        config.json  command.txt  train_options.json  split.json
        checkpoints/ckpt-<step>/{model.weights.h5, optimizer.npz, meta.json, train_state.npz}
        checkpoints/latest, checkpoints/best     (text: the name of a complete checkpoint)
        generated/   logs/ (TensorBoard)

A checkpoint is written into a temporary directory, its files and the directory are fsynced, and it is
renamed into place; `latest` (and `best`) are then replaced atomically. A step saved again goes beside
the old checkpoint of that step, which is removed only once no pointer names it. So a kill (or a power
loss) at any moment leaves `latest` and `best` naming complete checkpoints. The epoch, step and
validation loss live in meta.json, never in file names.
"""

import datetime
import json
import os
import re
import shutil
import tempfile

import numpy as np

from samplernn.errors import SampleRNNError

CHECKPOINTS = "checkpoints"
WEIGHTS_FILE = "model.weights.h5"
OPTIMIZER_FILE = "optimizer.npz"
META_FILE = "meta.json"
TRAIN_STATE_FILE = "train_state.npz"
# A checkpoint's folder: "ckpt-<step>", or "ckpt-<step>-<n>" for the n-th save of that step after the first.
CHECKPOINT_NAME = re.compile(r"ckpt-(\d+)(?:-(\d+))?")
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


def _fsync_file(path):
    with open(path, "rb") as f:
        os.fsync(f.fileno())


def _fsync_dir(path):
    """Makes the folder's entries (files created or renamed in it) durable."""
    if os.name == "nt":  # Windows cannot open a folder to fsync it
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(os.path.dirname(path))


def _pointer_name(run_dir, name):
    path = os.path.join(run_dir, CHECKPOINTS, name)
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        return f.read().strip()


def _pointer(run_dir, name):
    target = _pointer_name(run_dir, name)
    if target is None:
        return None
    ckpt = os.path.join(run_dir, CHECKPOINTS, target)
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


def _write_files(path, model, optimizer, meta, train_state):
    """The checkpoint's files in folder `path`, each fsynced, then the folder."""
    files = [os.path.join(path, WEIGHTS_FILE), os.path.join(path, OPTIMIZER_FILE), os.path.join(path, META_FILE)]
    model.save_weights(files[0])
    np.savez(files[1], *[v.numpy() for v in optimizer.variables])
    with open(files[2], "w") as f:
        json.dump(meta, f, indent=2)
    if train_state:
        files.append(os.path.join(path, TRAIN_STATE_FILE))
        np.savez(files[-1], **train_state)
    for file in files:
        _fsync_file(file)
    _fsync_dir(path)


def _save_order(name):
    """A checkpoint's folder name -> (step, n): the order of the saves."""
    step, n = CHECKPOINT_NAME.fullmatch(name).groups()
    return int(step), int(n or 0)


def _new_name(same_step, base):
    """`base`, or `base-<n>` numbered after the checkpoints of that step that exist already."""
    return f"{base}-{max(_save_order(d)[1] for d in same_step) + 1}" if same_step else base


def save_checkpoint(run_dir, model, optimizer, meta, train_state=None):
    """Writes checkpoint `ckpt-<step>` (see the module docstring), points `latest` at it and returns its path.

    `train_state`: optional dict of arrays (what an exact resume needs besides weights and optimizer).
    A checkpoint of the same step that existed already is removed afterwards, unless `best` names it.
    """
    base = f"ckpt-{meta['step']:08d}"
    ckpt_root = os.path.join(run_dir, CHECKPOINTS)
    same_step = [d for d in os.listdir(ckpt_root) if CHECKPOINT_NAME.fullmatch(d) and _save_order(d)[0] == meta["step"]]
    final = os.path.join(ckpt_root, _new_name(same_step, base))
    tmp = tempfile.mkdtemp(dir=ckpt_root, prefix=".tmp-")
    try:
        _write_files(tmp, model, optimizer, meta, train_state)
        os.rename(tmp, final)
        _fsync_dir(ckpt_root)
        _write_atomic(os.path.join(ckpt_root, "latest"), os.path.basename(final))
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SampleRNNError(f"could not write checkpoint '{final}': {e.strerror or e}; "
                             "the previous checkpoint is intact") from None
    best = _pointer_name(run_dir, "best")
    for old in same_step:  # replaced: no pointer names it any more (unless best does)
        if old != best:
            shutil.rmtree(os.path.join(ckpt_root, old), ignore_errors=True)
    return final


def mark_best(run_dir, ckpt):
    _write_atomic(os.path.join(run_dir, CHECKPOINTS, "best"), os.path.basename(ckpt))


def best_val_bits(run_dir):
    """The validation loss recorded in the meta.json of the checkpoint `best` names (None: no such checkpoint)."""
    best = best_checkpoint(run_dir)
    return None if best is None else read_meta(best).get("val_bits")


def update_best(run_dir, ckpt, val_bits):
    """Points `best` at `ckpt` (validation loss `val_bits`) if no saved checkpoint has a lower one; returns
    whether it did."""
    best = best_val_bits(run_dir)
    if best is not None and best <= val_bits:
        return False
    mark_best(run_dir, ckpt)
    return True


def prune_checkpoints(run_dir, max_checkpoints):
    """Keeps the newest `max_checkpoints` checkpoints (and always `latest` and `best`)."""
    root = os.path.join(run_dir, CHECKPOINTS)
    keep = {latest_checkpoint(run_dir), best_checkpoint(run_dir)}
    names = sorted((d for d in os.listdir(root) if CHECKPOINT_NAME.fullmatch(d)), key=_save_order)
    # A killed re-save can leave a step saved twice: the older save, unless a pointer names it, is superseded.
    superseded = [a for a, b in zip(names, names[1:]) if _save_order(a)[0] == _save_order(b)[0]]
    ckpts = [os.path.join(root, d) for d in names]
    for old in ckpts[:-max_checkpoints] + [os.path.join(root, d) for d in superseded]:
        if old not in keep and os.path.isdir(old):
            shutil.rmtree(old, ignore_errors=True)
    for leftover in (os.path.join(root, d) for d in os.listdir(root) if d.startswith(".tmp-")):
        # Written by a save that was killed: never pointed at, safe to remove.
        if os.path.isdir(leftover):
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            os.remove(leftover)


def read_train_state(ckpt):
    """The checkpoint's `train_state` dict of arrays ({} when it has none)."""
    path = os.path.join(ckpt, TRAIN_STATE_FILE)
    if not os.path.isfile(path):
        return {}
    with np.load(path) as saved:
        return {k: saved[k] for k in saved.files}


def update_meta(ckpt, **fields):
    """Adds `fields` to a saved checkpoint's meta.json, replacing the file atomically."""
    meta = read_meta(ckpt)
    meta.update(fields)
    _write_atomic(os.path.join(ckpt, META_FILE), json.dumps(meta, indent=2))


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
