"""Opening a run: resume only onto the same data and split flags; a resumed run reads the decoded-audio cache;
the trainer's validation subset and padding warning."""

import json
import os

import pytest

from helpers import make_run, tiny_config, write_tone
from samplernn import cache, checkpoints, data, training
from samplernn.errors import SampleRNNError
from samplernn.options import TrainOptions
from samplernn.runs import SPLIT_FILE, create_run_dir, describe_resumed, open_run


def options(**changes):
    return TrainOptions(**{**dict(num_epochs=1, batch_size=3, generate=False, early_stopping_patience=0), **changes})


def reopen(tmp_path, data_dir=None, val_frac=0.25, seed=0, val_minutes=None):
    return open_run(data_dir=str(data_dir or tmp_path / "data"), logdir_root=str(tmp_path / "logdir"), run_id="t",
                    config_file=None, sample_rate=None, val_frac=val_frac, seed=seed, resume=True, resume_from=None,
                    val_minutes=val_minutes)


def started_run(tmp_path):
    """A run of `make_run` whose train_options.json holds its val_frac and seed, as train.py writes it, with a
    checkpoint to resume from (its meta.json: opening a run reads nothing else of it)."""
    run = make_run(tmp_path)
    with open(os.path.join(run.run_dir, "train_options.json"), "w") as f:
        json.dump(options(val_frac=0.25, seed=0).to_dict(), f)
    ckpt = os.path.join(run.run_dir, checkpoints.CHECKPOINTS, "ckpt-00000001")
    os.makedirs(ckpt)
    with open(os.path.join(ckpt, checkpoints.META_FILE), "w") as f:
        json.dump({"step": 1}, f)
    with open(os.path.join(run.run_dir, checkpoints.CHECKPOINTS, "latest"), "w") as f:
        f.write("ckpt-00000001")
    return run


def test_resume_refuses_another_data_dir_naming_both_folders(tmp_path):
    run = started_run(tmp_path)
    other = tmp_path / "album_b"
    other.mkdir()
    write_tone(other / "b.wav", 0.05)
    with pytest.raises(SampleRNNError) as e:
        reopen(tmp_path, data_dir=other)
    message = str(e.value)
    assert f"it trained on '{tmp_path / 'data'}', not --data_dir '{other}'" in message
    assert run.run_dir in message and "--no-resume" in message and "--id" in message and "\n" not in message
    assert reopen(tmp_path).run_dir == run.run_dir, "the same folder resumes"


@pytest.mark.parametrize("flags, named", [(dict(val_frac=0.5), "--val_frac 0.25 in the run vs 0.5 requested"),
                                          (dict(seed=3), "--seed 0 in the run vs 3 requested"),
                                          (dict(val_minutes=2.0), "--val_minutes 5.0 in the run vs 2.0 requested")])
def test_resume_refuses_other_split_flags(tmp_path, flags, named):
    run = started_run(tmp_path)
    with pytest.raises(SampleRNNError, match=named):
        reopen(tmp_path, **flags)
    assert reopen(tmp_path, val_minutes=5.0).run_dir == run.run_dir, "the run's own flags resume it"


def test_an_old_run_without_a_saved_data_dir_is_compared_by_its_files_folder(tmp_path):
    run = started_run(tmp_path)
    split_path = os.path.join(run.run_dir, SPLIT_FILE)
    with open(split_path) as f:
        split = json.load(f)
    del split["data_dir"]
    with open(split_path, "w") as f:
        json.dump(split, f)
    assert reopen(tmp_path).run_dir == run.run_dir
    (tmp_path / "other").mkdir()
    with pytest.raises(SampleRNNError, match=f"it trained on '{tmp_path / 'data'}'"):
        reopen(tmp_path, data_dir=tmp_path / "other")


def test_the_resume_line_names_the_run_the_data_and_the_step(tmp_path):
    run = make_run(tmp_path)
    training.Trainer(run, options(), log=lambda *_: None).fit()
    line = describe_resumed(reopen(tmp_path))
    assert line.startswith(f"Resuming run {run.run_dir} at step 7 (ckpt-00000007) on {tmp_path / 'data'}: 3 training")


def test_a_resumed_run_reads_the_cache_instead_of_decoding(tmp_path, monkeypatch):
    training.Trainer(make_run(tmp_path), options(), log=lambda *_: None).fit()

    def no_decoding(path, *args, **kwargs):
        raise AssertionError(f"decoded '{path}' again")

    monkeypatch.setattr(cache, "load_audio", no_decoding)
    resumed = training.Trainer(reopen(tmp_path), options(num_epochs=2), log=lambda *_: None)  # files untouched
    assert resumed.progress.epochs_done == 1
    assert resumed.fit().epochs_done == 2


def test_validation_uses_the_same_bounded_subset_every_epoch(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    folder.mkdir()
    for i in range(12):
        write_tone(folder / f"t{i}.wav", 0.05, freq=200 + 30 * i)  # 400 samples each
    config_file = tmp_path / "tiny.json"
    config_file.write_text(json.dumps(tiny_config().to_dict()))
    run = open_run(data_dir=str(folder), logdir_root=str(tmp_path / "logdir"), run_id="v",
                   config_file=str(config_file), sample_rate=None, val_frac=0.5, seed=0, resume=False,
                   resume_from=None)
    create_run_dir(run, str(tmp_path / "logdir"), "v", "test", {})
    seen, real = [], training.evaluate

    def recording(model, sequences, *args, **kwargs):
        seen.append(list(sequences.paths))
        return real(model, sequences, *args, **kwargs)

    monkeypatch.setattr(training, "evaluate", recording)
    logs = []
    minutes = 1000 / 8000 / 60  # 1000 samples: 2 of the 6 held-out files
    training.Trainer(run, options(num_epochs=2, batch_size=6, val_minutes=minutes), log=logs.append).fit()
    assert len(seen) == 2 and seen[0] == seen[1] and len(seen[0]) == 2
    assert set(seen[0]) <= set(run.val_files)
    assert any(line.startswith("Validation: 2 of the 6 held-out files") for line in logs)


def test_whole_files_of_very_different_lengths_warn_about_padding(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    write_tone(folder / "long.wav", 1.0)
    for i in range(4):
        write_tone(folder / f"short{i}.wav", 0.05, freq=300 + 20 * i)
    run = data_run(tmp_path, folder)
    logs = []
    training.Trainer(run, options(batch_size=4), log=logs.append)
    warnings = [line for line in logs if line.startswith("warning:") and "padding" in line]
    assert len(warnings) == 1 and "chunk_audio.py" in warnings[0] and "--segment_windows" in warnings[0]
    logs.clear()
    training.Trainer(run, options(batch_size=4, segment_windows=2), log=logs.append)
    assert not [line for line in logs if "padding" in line]


def data_run(tmp_path, folder):
    config_file = tmp_path / "tiny.json"
    config_file.write_text(json.dumps(tiny_config().to_dict()))
    return open_run(data_dir=str(folder), logdir_root=str(tmp_path / "logdir"), run_id="p",
                    config_file=str(config_file), sample_rate=None, val_frac=0.2, seed=0, resume=False,
                    resume_from=None, notice=lambda *_: None)


def test_split_json_names_the_data_dir(tmp_path):
    run = make_run(tmp_path)
    assert data.read_split(os.path.join(run.run_dir, SPLIT_FILE))[2] == str(tmp_path / "data")
