"""train.py --init_from: a new run on new audio from another run's weights (its best checkpoint, or a given
checkpoint), the architecture checked key by key, the provenance recorded, and resuming that run, not the parent."""

import json
import os

import numpy as np
import pytest

from helpers import tiny_config, write_tone
from samplernn import checkpoints
from samplernn.commands import train
from samplernn.config import save_config
from samplernn.parent import PARENT_FILE
from samplernn.runs import load_trained_model


def album(folder, base_freq):
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(4):
        write_tone(folder / f"{folder.name}_{i}.wav", 0.05, freq=base_freq + 40 * i)
    return folder


def run_train(tmp_path, data, run_id, *args):
    return train.main(["--data_dir", str(data), "--id", run_id, "--logdir_root", str(tmp_path / "logdir"),
                       "--batch_size", "3", "--val_frac", "0.25", "--no-generate", "--early_stopping_patience", "0",
                       *map(str, args)])


@pytest.fixture(scope="module")
def parent_run(tmp_path_factory):
    """A run of two epochs on one album: its best and its latest checkpoint."""
    tmp_path = tmp_path_factory.mktemp("parent")
    config = tmp_path / "tiny.json"
    save_config(tiny_config(), str(config))
    assert run_train(tmp_path, album(tmp_path / "band_a", 200), "a", "--config_file", config, "--num_epochs", 2) == 0
    root = tmp_path / "logdir" / "a"
    return str(root / os.listdir(root)[0])


def only_run(tmp_path, run_id):
    root = tmp_path / "logdir" / run_id
    runs = os.listdir(root)
    assert len(runs) == 1
    return str(root / runs[0])


@pytest.mark.parametrize("which", ["run", "checkpoint"])
def test_a_new_run_starts_from_the_parents_weights(parent_run, tmp_path, capsys, which, monkeypatch):
    ckpts = sorted(os.listdir(os.path.join(parent_run, "checkpoints")))
    named = {"run": checkpoints.best_checkpoint(parent_run),
             "checkpoint": os.path.join(parent_run, "checkpoints", [c for c in ckpts if c.startswith("ckpt-")][0])}
    source = parent_run if which == "run" else named["checkpoint"]
    expected = named[which]
    loaded = []
    real = checkpoints.load_weights

    def record(ckpt, model):  # the weights the new run starts from, before its first step changes them
        real(ckpt, model)
        loaded.append([w.copy() for w in model.get_weights()])

    monkeypatch.setattr(checkpoints, "load_weights", record)
    data = album(tmp_path / "band_b", 300)
    assert run_train(tmp_path, data, "b", "--init_from", source, "--num_epochs", 1, "--learning_rate", 1e-4) == 0
    assert len(loaded) == 1
    parent_model, _, _ = load_trained_model(expected)
    for got, want in zip(loaded[0], parent_model.get_weights()):
        np.testing.assert_array_equal(got, want)
    out = capsys.readouterr().out
    assert f"Initialised from {os.path.abspath(expected)} (run {parent_run}, step " in out
    run_dir = only_run(tmp_path, "b")
    provenance = json.loads(open(os.path.join(run_dir, PARENT_FILE)).read())
    meta = checkpoints.read_meta(expected)
    assert {k: provenance[k] for k in ("run_dir", "checkpoint", "step", "val_bits")} == {
        "run_dir": parent_run, "checkpoint": os.path.abspath(expected), "step": meta["step"],
        "val_bits": meta["val_bits"]}
    assert provenance["data_dir"].endswith("band_a")
    split = json.loads(open(os.path.join(run_dir, "split.json")).read())
    assert split["data_dir"] == str(data) and all("band_b" in f for f in split["train"] + split["validation"])
    latest = checkpoints.latest_checkpoint(run_dir)
    assert checkpoints.read_meta(latest)["init_from"] == os.path.abspath(expected)
    parent_steps_per_epoch = checkpoints.read_meta(checkpoints.latest_checkpoint(parent_run))["step"] // 2
    assert checkpoints.read_meta(latest)["step"] == parent_steps_per_epoch, "its own step count, from 0"


def test_an_other_architecture_is_refused_naming_each_key(parent_run, tmp_path, capsys):
    other = tmp_path / "other.json"
    save_config(tiny_config(dim=8, q_levels=32, seq_len=32), str(other))
    data = album(tmp_path / "band_b", 300)
    assert run_train(tmp_path, data, "b", "--init_from", parent_run, "--config_file", other) == 2
    err = capsys.readouterr().err
    assert "dim: 16 in the --init_from run vs 8 requested" in err and "q_levels: 16 in the --init_from run vs 32" in err
    assert "seq_len: " not in err, "a training key may change"
    assert not (tmp_path / "logdir").exists()


def test_training_keys_may_change(parent_run, tmp_path):
    shorter = tmp_path / "shorter.json"
    save_config(tiny_config(seq_len=32, rnn_dropout=0.1), str(shorter))
    data = album(tmp_path / "band_b", 300)
    assert run_train(tmp_path, data, "b", "--init_from", parent_run, "--config_file", shorter, "--num_epochs", 1) == 0
    assert json.loads(open(os.path.join(only_run(tmp_path, "b"), "config.json")).read())["seq_len"] == 32


def test_the_new_run_resumes_itself_and_init_from_with_a_resumable_run_is_refused(parent_run, tmp_path, capsys):
    data = album(tmp_path / "band_b", 300)
    assert run_train(tmp_path, data, "b", "--init_from", parent_run, "--num_epochs", 1) == 0
    run_dir = only_run(tmp_path, "b")
    capsys.readouterr()
    # The same command again: a run of --id b could be resumed; --init_from would silently start over.
    assert run_train(tmp_path, data, "b", "--init_from", parent_run, "--num_epochs", 2) == 2
    err = capsys.readouterr().err
    assert run_dir in err and "leave --init_from out" in err and "--no-resume" in err
    step = checkpoints.read_meta(checkpoints.latest_checkpoint(run_dir))["step"]
    assert run_train(tmp_path, data, "b", "--num_epochs", 2) == 0
    out = capsys.readouterr().out
    assert f"Resuming run {run_dir} at step {step}" in out and "Initialised from " in out
    assert only_run(tmp_path, "b") == run_dir
    assert checkpoints.read_meta(checkpoints.latest_checkpoint(run_dir))["progress"]["epochs_done"] == 2
    # --no-resume starts a second run from the parent
    assert run_train(tmp_path, data, "b", "--init_from", parent_run, "--num_epochs", 1, "--no-resume") == 0
    assert len(os.listdir(tmp_path / "logdir" / "b")) == 2


def test_init_from_and_resume_from_together_are_refused(parent_run, tmp_path, capsys):
    data = album(tmp_path / "band_b", 300)
    assert run_train(tmp_path, data, "b", "--init_from", parent_run, "--resume_from", parent_run) == 2
    assert "not both" in capsys.readouterr().err


def test_a_missing_init_from_is_one_clear_error(tmp_path, capsys):
    data = album(tmp_path / "band_b", 300)
    assert run_train(tmp_path, data, "b", "--init_from", tmp_path / "nowhere") == 2
    assert "nowhere' does not exist" in capsys.readouterr().err
