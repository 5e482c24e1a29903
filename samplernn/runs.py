"""Starting a new run or finding the one to resume, and everything written into a run dir before step 1."""

import dataclasses
import json
import os

from samplernn import checkpoints
from samplernn.config import SampleRNNConfig, load_config, save_config
from samplernn.data import list_training_files, read_split, split_files, write_split
from samplernn.errors import SampleRNNError

SPLIT_FILE = "split.json"
COMMAND_FILE = "command.txt"
OPTIONS_FILE = "train_options.json"


@dataclasses.dataclass
class Run:
    """A run directory with its config, file split and the checkpoint to continue from (None: a fresh run)."""

    run_dir: str
    config: SampleRNNConfig
    train_files: list
    val_files: list
    checkpoint: str = None


def requested_config(config_file, sample_rate=None):
    """The config named on the command line: `--config_file` (or the defaults), `--sample_rate` applied."""
    config = load_config(config_file)
    return config.replace(sample_rate=sample_rate) if sample_rate is not None else config


def _check_same_config(saved, requested, run_dir):
    differing = saved.diff(requested)
    if differing:
        details = ", ".join(f"{k}: {saved.to_dict()[k]!r} in the run vs {requested.to_dict()[k]!r} requested"
                            for k in differing)
        raise SampleRNNError(f"cannot resume '{run_dir}': its config differs in {details}. "
                             "Use the run's config (omit --config_file) or start a new run with --no-resume")


def open_run(*, data_dir, logdir_root, run_id, config_file, sample_rate, val_frac, seed, resume, resume_from,
             writer=True):
    """The `Run` to train: the resumed one if asked for and found, else a new one whose `run_dir` is None
    until `create_run_dir` writes it (so a run that fails on its input leaves nothing behind).

    `writer=False` (a multi-worker process that writes nothing) follows only a run with a complete
    checkpoint: a run dir without one may be the one the chief is writing at this moment.
    """
    if resume_from is not None:
        run_dir, ckpt = checkpoints.resolve_checkpoint(resume_from)
    else:
        run_dir = checkpoints.find_latest_run(logdir_root, run_id) if resume else None
        ckpt = checkpoints.latest_checkpoint(run_dir) if run_dir else None
    if run_dir is not None and (ckpt is not None or writer):
        return _resumed_run(run_dir, ckpt, config_file, sample_rate)
    config = requested_config(config_file, sample_rate)
    train_files, val_files = split_files(list_training_files(data_dir), val_frac, seed)
    return Run(None, config, train_files, val_files)


def create_run_dir(run, logdir_root, run_id, command, options):
    """Creates the new run's directory with its config, split, command line and options."""
    run.run_dir = checkpoints.new_run_dir(logdir_root, run_id)
    save_config(run.config, os.path.join(run.run_dir, checkpoints.CONFIG_FILE))
    write_split(os.path.join(run.run_dir, SPLIT_FILE), run.train_files, run.val_files)
    with open(os.path.join(run.run_dir, COMMAND_FILE), "w") as f:
        f.write(command + "\n")
    with open(os.path.join(run.run_dir, OPTIONS_FILE), "w") as f:
        json.dump(options, f, indent=2)


def _resumed_run(run_dir, ckpt, config_file, sample_rate):
    saved = load_config(os.path.join(run_dir, checkpoints.CONFIG_FILE))
    requested = load_config(config_file) if config_file is not None else saved
    if sample_rate is not None:
        requested = requested.replace(sample_rate=sample_rate)
    _check_same_config(saved, requested, run_dir)
    train_files, val_files = read_split(os.path.join(run_dir, SPLIT_FILE))
    missing = [p for p in train_files + val_files if not os.path.isfile(p)]
    if missing:
        raise SampleRNNError(f"cannot resume '{run_dir}': {len(missing)} file(s) of its split are gone, "
                             f"e.g. '{missing[0]}'")
    return Run(run_dir, saved, train_files, val_files, ckpt)


def load_run_config(path):
    """The config of a run dir or checkpoint (generation needs nothing else)."""
    run_dir, ckpt = checkpoints.resolve_checkpoint(path)
    config_path = os.path.join(run_dir, checkpoints.CONFIG_FILE)
    if not os.path.isfile(config_path):
        raise SampleRNNError(f"run directory '{run_dir}' has no {checkpoints.CONFIG_FILE}")
    return load_config(config_path), ckpt


def load_trained_model(path):
    """(model with the checkpoint's weights, config) from a run dir (its latest checkpoint) or a checkpoint."""
    from samplernn.model import build_model

    config, ckpt = load_run_config(path)
    model = build_model(config)
    checkpoints.load_weights(ckpt, model)
    return model, config, ckpt
