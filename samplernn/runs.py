"""Starting a new run or finding the one to resume, and everything written into a run dir before step 1."""

import dataclasses
import json
import os

from samplernn import checkpoints
from samplernn.config import SampleRNNConfig, load_config, save_config
from samplernn.data import SPLIT_FILE, list_training_files, read_split, split_files, write_split
from samplernn.errors import SampleRNNError
from samplernn.parent import check_architecture, parent_config, read_parent, resolve_parent, write_parent

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
    parent: object = None  # `parent.Parent`: the checkpoint a run started from another's weights was initialised from


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
             val_minutes=None, init_from=None, writer=True, notice=print):
    """The `Run` to train: the resumed one if asked for and found, else a new one whose `run_dir` is None
    until `create_run_dir` writes it (so a run that fails on its input leaves nothing behind).

    `writer=False` (a multi-worker process that writes nothing) follows only a run with a complete
    checkpoint: a run dir without one may be the one the chief is writing at this moment. A run is resumed only
    with the `data_dir`, `val_frac` and `seed` it was started with (anything else would silently train on its
    old split under the new flags), and with its `val_minutes` when given (another validation subset would make
    `best` and early stopping compare losses of different audio).

    `init_from` (a run dir or checkpoint dir) starts a new run from that checkpoint's weights (`parent.Parent`):
    its config is `config_file` or else the parent's, whose architecture it must share. It is refused with
    `resume_from`, and while a run of `run_id` could be resumed (that run continues without --init_from).
    """
    if resume_from is not None:
        if init_from is not None:
            raise SampleRNNError("give --init_from (a new run from another's weights) or --resume_from (continue a "
                                 "run), not both")
        run_dir, ckpt = checkpoints.resolve_checkpoint(resume_from)
    else:
        run_dir = checkpoints.find_latest_run(logdir_root, run_id) if resume else None
        ckpt = checkpoints.latest_checkpoint(run_dir) if run_dir else None
    if run_dir is not None and init_from is not None:
        raise SampleRNNError(f"--init_from starts a new run, but run '{run_dir}' of --id '{run_id}' can be resumed: "
                             "to continue it, leave --init_from out; to start another, add --no-resume or give "
                             "another --id")
    if run_dir is not None and (ckpt is not None or writer):
        flags = {"val_frac": val_frac, "seed": seed, **({} if val_minutes is None else {"val_minutes": val_minutes})}
        return _resumed_run(run_dir, ckpt, config_file, sample_rate, data_dir, flags)
    parent = None if init_from is None else resolve_parent(init_from)
    if parent is not None and config_file is None:
        config = parent_config(parent)
        config = config.replace(sample_rate=sample_rate) if sample_rate is not None else config
    else:
        config = requested_config(config_file, sample_rate)
    if parent is not None:
        check_architecture(parent, parent_config(parent), config)
    train_files, val_files = split_files(list_training_files(data_dir), val_frac, seed, notice=notice)
    return Run(None, config, train_files, val_files, data_dir=os.path.abspath(data_dir), parent=parent)


def create_run_dir(run, logdir_root, run_id, command, options):
    """Creates the new run's directory with its config, split, command line and options."""
    run.run_dir = checkpoints.new_run_dir(logdir_root, run_id)
    save_config(run.config, os.path.join(run.run_dir, checkpoints.CONFIG_FILE))
    write_split(os.path.join(run.run_dir, SPLIT_FILE), run.train_files, run.val_files, run.data_dir)
    with open(os.path.join(run.run_dir, COMMAND_FILE), "w") as f:
        f.write(command + "\n")
    with open(os.path.join(run.run_dir, OPTIONS_FILE), "w") as f:
        json.dump(options, f, indent=2)
    if run.parent is not None:
        write_parent(run.run_dir, run.parent)


def _resumed_run(run_dir, ckpt, config_file, sample_rate, data_dir, flags):
    saved = load_config(os.path.join(run_dir, checkpoints.CONFIG_FILE))
    requested = load_config(config_file) if config_file is not None else saved
    if sample_rate is not None:
        requested = requested.replace(sample_rate=sample_rate)
    _check_same_config(saved, requested, run_dir)
    train_files, val_files, saved_data_dir = read_split(os.path.join(run_dir, SPLIT_FILE))
    run = Run(run_dir, saved, train_files, val_files, ckpt, saved_data_dir, read_parent(run_dir))
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


def load_run_split(path):
    """(config, training files, validation files) of the run of a run dir or checkpoint."""
    config, ckpt = load_run_config(path)
    run_dir, _ = checkpoints.resolve_checkpoint(path)
    train_files, val_files, _ = read_split(os.path.join(run_dir, SPLIT_FILE))
    return config, train_files, val_files


def load_trained_model(path):
    """(model with the checkpoint's weights, config) from a run dir (its latest checkpoint) or a checkpoint."""
    from samplernn.model import build_model

    config, ckpt = load_run_config(path)
    model = build_model(config)
    checkpoints.load_weights(ckpt, model)
    return model, config, ckpt
