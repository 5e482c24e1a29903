"""A run started from another run's weights (train.py --init_from): which checkpoint, whether the architectures
match, and the provenance the new run records."""

import dataclasses
import json
import os

from samplernn import checkpoints
from samplernn.config import ARCHITECTURE_KEYS, load_config
from samplernn.data import SPLIT_FILE, read_split
from samplernn.errors import SampleRNNError

PARENT_FILE = "init_from.json"  # in the run dir of a run started from another's weights


@dataclasses.dataclass(frozen=True)
class Parent:
    """The checkpoint a new run takes its initial weights from, and what the new run records of it."""

    run_dir: str
    checkpoint: str
    step: int
    val_bits: float  # None: saved without a validation
    data_dir: str  # what it was trained on (None: unknown)

    def describe(self):
        bits = "not validated" if self.val_bits is None else f"validation {self.val_bits:.3f} bits/sample"
        return (f"Initialised from {self.checkpoint} (run {self.run_dir}, step {self.step}, {bits}"
                + (f", trained on {self.data_dir})" if self.data_dir else ")"))


def resolve_parent(path):
    """The `Parent` that `--init_from path` names: a checkpoint dir, or a run dir's best checkpoint (its latest
    when it has none)."""
    run_dir, ckpt = checkpoints.resolve_checkpoint(path)
    if not os.path.isfile(os.path.join(path, checkpoints.META_FILE)):
        ckpt = checkpoints.best_checkpoint(run_dir) or ckpt
    meta = checkpoints.read_meta(ckpt)
    split = os.path.join(run_dir, SPLIT_FILE)
    data_dir = read_split(split)[2] if os.path.isfile(split) else None
    return Parent(os.path.abspath(run_dir), os.path.abspath(ckpt), meta.get("step", 0), meta.get("val_bits"),
                  data_dir)


def parent_config(parent):
    """The config the parent's weights were trained with."""
    path = os.path.join(parent.run_dir, checkpoints.CONFIG_FILE)
    if not os.path.isfile(path):
        raise SampleRNNError(f"--init_from: run directory '{parent.run_dir}' has no {checkpoints.CONFIG_FILE}")
    return load_config(path)


def check_architecture(parent, saved, requested):
    """Refuses a new run whose config differs from the parent's (`saved`) in an architecture key, naming each."""
    details = saved.describe_diff(requested, "in the --init_from run", "requested", keys=ARCHITECTURE_KEYS)
    if details:
        raise SampleRNNError(f"cannot initialise from '{parent.checkpoint}': the architecture differs in {details}. "
                             "The weights fit only the same architecture: leave --config_file out to use the "
                             "run's own config, or change only its training keys (seq_len, rnn_dropout)")


def write_parent(run_dir, parent):
    with open(os.path.join(run_dir, PARENT_FILE), "w") as f:
        json.dump(dataclasses.asdict(parent), f, indent=2)


def read_parent(run_dir):
    """The `Parent` a run was initialised from, or None."""
    path = os.path.join(run_dir, PARENT_FILE)
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        return Parent(**json.load(f))
