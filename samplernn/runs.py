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
    data_dir: str = None  # the folder the split was drawn from (None: a run written before split.json named it)


def requested_config(config_file, sample_rate=None):
    """The config named on the command line: `--config_file` (or the defaults), `--sample_rate` applied."""
    config = load_config(config_file)
    return config.replace(sample_rate=sample_rate) if sample_rate is not None else config


def _check_same_config(saved, requested, run_dir):
    details = saved.describe_diff(requested, "in the run", "requested")
    if details:
        raise SampleRNNError(f"cannot resume '{run_dir}': its config differs in {details}. "
                             "Use the run's config (omit --config_file) or start a new run with --no-resume")


def open_run(*, data_dir, logdir_root, run_id, config_file, sample_rate, val_frac, seed, resume, resume_from,
             val_minutes=None, writer=True, notice=print):
    """The `Run` to train: the resumed one if asked for and found, else a new one whose `run_dir` is None
    until `create_run_dir` writes it (so a run that fails on its input leaves nothing behind).

    `writer=False` (a multi-worker process that writes nothing) follows only a run with a complete
    checkpoint: a run dir without one may be the one the chief is writing at this moment. A run is resumed only
    with the `data_dir`, `val_frac` and `seed` it was started with (anything else would silently train on its
    old split under the new flags), and with its `val_minutes` when given (another validation subset would make
    `best` and early stopping compare losses of different audio).
    """
    if resume_from is not None:
        run_dir, ckpt = checkpoints.resolve_checkpoint(resume_from)
    else:
        run_dir = checkpoints.find_latest_run(logdir_root, run_id) if resume else None
        ckpt = checkpoints.latest_checkpoint(run_dir) if run_dir else None
    if run_dir is not None and (ckpt is not None or writer):
        flags = {"val_frac": val_frac, "seed": seed, **({} if val_minutes is None else {"val_minutes": val_minutes})}
        return _resumed_run(run_dir, ckpt, config_file, sample_rate, data_dir, flags)
    config = requested_config(config_file, sample_rate)
    train_files, val_files = split_files(list_training_files(data_dir), val_frac, seed, notice=notice)
    return Run(None, config, train_files, val_files, data_dir=os.path.abspath(data_dir))


def create_run_dir(run, logdir_root, run_id, command, options):
    """Creates the new run's directory with its config, split, command line and options."""
    run.run_dir = checkpoints.new_run_dir(logdir_root, run_id)
    save_config(run.config, os.path.join(run.run_dir, checkpoints.CONFIG_FILE))
    write_split(os.path.join(run.run_dir, SPLIT_FILE), run.train_files, run.val_files, run.data_dir)
    with open(os.path.join(run.run_dir, COMMAND_FILE), "w") as f:
        f.write(command + "\n")
    with open(os.path.join(run.run_dir, OPTIONS_FILE), "w") as f:
        json.dump(options, f, indent=2)


def _resumed_run(run_dir, ckpt, config_file, sample_rate, data_dir, flags):
    saved = load_config(os.path.join(run_dir, checkpoints.CONFIG_FILE))
    requested = load_config(config_file) if config_file is not None else saved
    if sample_rate is not None:
        requested = requested.replace(sample_rate=sample_rate)
    _check_same_config(saved, requested, run_dir)
    train_files, val_files, saved_data_dir = read_split(os.path.join(run_dir, SPLIT_FILE))
    run = Run(run_dir, saved, train_files, val_files, ckpt, saved_data_dir)
    _check_same_data(run, data_dir, flags)
    missing = [p for p in train_files + val_files if not os.path.isfile(p)]
    if missing:
        raise SampleRNNError(f"cannot resume '{run_dir}': {len(missing)} file(s) of its split are gone, "
                             f"e.g. '{missing[0]}'")
    return run


def _check_same_data(run, data_dir, flags):
    """Refuses to resume `run` with another --data_dir, or other `flags` ({name: value}) than it was started with."""
    requested = os.path.abspath(data_dir)
    if run.data_dir is not None:
        same_dir = run.data_dir == requested
    else:  # a run from before split.json named its folder: where its files are
        same_dir = all(f.startswith(requested + os.sep) for f in run.train_files + run.val_files)
    options_path = os.path.join(run.run_dir, OPTIONS_FILE)
    saved = {}
    if os.path.isfile(options_path):
        with open(options_path) as f:
            saved = json.load(f)
    differing = [f"--{k} {saved[k]} in the run vs {v} requested" for k, v in flags.items()
                 if k in saved and saved[k] != v]
    if same_dir and not differing:
        return
    what = [] if same_dir else [f"it trained on '{_data_folder(run)}', not --data_dir '{requested}'"]
    raise SampleRNNError(f"cannot resume '{run.run_dir}': {'; '.join(what + differing)}. Start a new run with "
                         "--no-resume or another --id, or repeat the run's own flags to continue it")


def _data_folder(run):
    """The run's --data_dir, or for an old run that did not save it, the folder that holds its files."""
    if run.data_dir is not None:
        return run.data_dir
    return os.path.commonpath([os.path.dirname(f) for f in run.train_files + run.val_files])


def describe_resumed(run):
    """One line: the run being continued, its data and the step it continues from."""
    step = checkpoints.read_meta(run.checkpoint)["step"] if run.checkpoint else 0
    where = os.path.basename(run.checkpoint) if run.checkpoint else "no checkpoint yet"
    return (f"Resuming run {run.run_dir} at step {step} ({where}) on {_data_folder(run)}: "
            f"{len(run.train_files)} training / {len(run.val_files)} validation files")


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
