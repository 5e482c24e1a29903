"""The real scripts end to end, their --help against README.md, and their error exits."""

import json
import os
import re
import subprocess
import sys

import pytest
import soundfile as sf

from helpers import tiny_config, write_tone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS = ["chunk_audio.py", "train.py", "generate.py", "evaluate.py"]


def run_script(script, *args, cwd=None):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, os.path.join(ROOT, script), *map(str, args)], capture_output=True,
                          text=True, env=env, stdin=subprocess.DEVNULL, timeout=600, cwd=cwd)


def readme_flags(script):
    """The flags in the README table under `### <script>`."""
    text = open(os.path.join(ROOT, "README.md")).read()
    section = text.split(f"### {script}\n", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"`(--[a-z_-]+)`", section))


@pytest.mark.parametrize("script", SCRIPTS)
def test_readme_lists_exactly_the_flags_of_help(script):
    help_text = run_script(script, "--help").stdout
    flags = set(re.findall(r"(--[a-z_-]+)", help_text)) - {"--help"}
    assert flags and readme_flags(script) == flags


def test_chunk_train_resume_generate(tmp_path):
    album = tmp_path / "album"
    album.mkdir()
    write_tone(album / "a.wav", 2.0, sample_rate=8000, freq=220)
    write_tone(album / "b.wav", 1.5, sample_rate=16000, freq=330, channels=2)  # resampled, stereo
    data = tmp_path / "data"
    r = run_script("chunk_audio.py", "--input_dir", album, "--output_dir", data, "--chunk_length", 500,
                   "--sample_rate", 8000)
    assert r.returncode == 0, r.stderr
    assert len(list(data.glob("*.wav"))) == 7  # 4 + 3 chunks of 0.5 s

    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(tiny_config().to_dict()))
    logdir = tmp_path / "logdir"
    common = ["--data_dir", data, "--logdir_root", logdir, "--id", "e2e", "--config_file", config,
              "--batch_size", 2, "--val_frac", 0.3, "--output_file_dur", 0.1, "--early_stopping_patience", 0]
    first = run_script("train.py", *common, "--num_epochs", 1)
    assert first.returncode == 0, first.stderr
    assert re.search(r"Epoch: 1/1, Step: \d+/\d+, Loss: [\d.]+ bits, Accuracy: [\d.]+, \([\d.]+ sec/step\)",
                     first.stdout)
    (run_dir,) = (logdir / "e2e").iterdir()
    for name in ("config.json", "command.txt", "split.json", "train_options.json", "checkpoints/latest"):
        assert (run_dir / name).exists(), name
    assert len(list((run_dir / "generated").glob("*.wav"))) == 1
    meta = json.loads((run_dir / "checkpoints" / (run_dir / "checkpoints/latest").read_text() / "meta.json")
                      .read_text())
    assert meta["progress"]["epochs_done"] == 1

    second = run_script("train.py", *common, "--num_epochs", 2)
    assert second.returncode == 0, second.stderr
    assert "Resuming from" in second.stdout and "Epoch: 2/2" in second.stdout and "Epoch: 1/2" not in second.stdout
    assert len(list((logdir / "e2e").iterdir())) == 1, "resume continues the same run dir"
    meta2 = json.loads((run_dir / "checkpoints" / (run_dir / "checkpoints/latest").read_text() / "meta.json")
                       .read_text())
    assert meta2["progress"]["epochs_done"] == 2 and meta2["step"] == 2 * meta["step"]

    out = tmp_path / "out" / "gen.wav"
    out.parent.mkdir()
    gen = run_script("generate.py", "--checkpoint_path", run_dir, "--output_path", out, "--num_seqs", 2,
                     "--dur", 0.25, "--temperature", 0.9, 1.1, "--seed", 5)
    assert gen.returncode == 0, gen.stderr
    for i in range(2):
        audio, rate = sf.read(tmp_path / "out" / f"gen_{i}.wav")
        assert rate == 8000 and len(audio) == 2000
        assert (tmp_path / "out" / f"gen_{i}.png").stat().st_size > 0, "a spectrogram beside every wav"
    assert (run_dir / "learning_curve.png").exists()
    assert [h["epoch"] for h in json.loads((run_dir / "history.json").read_text())] == [1, 2]

    ranked = run_script("generate.py", "--checkpoint_path", run_dir, "--output_path", tmp_path / "out" / "best.wav",
                        "--num_seqs", 1, "--candidates", 3, "--dur", 0.1, "--seed", 5, "--no-spectrogram")
    assert ranked.returncode == 0, ranked.stderr
    bits = [float(b) for b in re.findall(r"candidate \d: ([\d.]+) bits/sample", ranked.stdout)]
    assert len(bits) == 3 and bits == sorted(bits) and ranked.stdout.count("(kept)") == 1
    assert not (tmp_path / "out" / "best_0.png").exists()

    evaluated = run_script("evaluate.py", "--checkpoint_path", run_dir, "--data_dir", data, "--json")
    assert evaluated.returncode == 0, evaluated.stderr
    result = json.loads(evaluated.stdout)
    assert len(result["files"]) == 7 and 0 < result["bits_per_sample"] < 8
    assert result["samples"] == sum(f["samples"] for f in result["files"])

    other = tmp_path / "other.json"
    other.write_text(json.dumps(tiny_config(dim=8).to_dict()))
    refused = run_script("train.py", *common[:-4], "--config_file", other, "--num_epochs", 3)
    assert refused.returncode == 2 and "dim" in refused.stderr and "differs" in refused.stderr


@pytest.mark.parametrize("script, args, words", [
    ("train.py", ["--data_dir", "nowhere"], ["nowhere"]),
    ("train.py", ["--data_dir", ".", "--batch_size", "0"], ["--batch_size"]),
    ("train.py", ["--data_dir", ".", "--num_epochs", "-1"], ["--num_epochs"]),
    ("train.py", ["--data_dir", ".", "--optimizer", "adagrad"], ["--optimizer"]),
    ("generate.py", ["--checkpoint_path", "missing_run", "--output_path", "x.wav"], ["missing_run"]),
    ("generate.py", ["--checkpoint_path", ".", "--output_path", "x.wav", "--num_seqs", "2",
                     "--temperature", "1", "1", "1"], ["--temperature", "--num_seqs"]),
])
def test_bad_input_is_one_clear_error(tmp_path, script, args, words):
    r = run_script(script, *args, cwd=tmp_path)
    assert r.returncode == 2
    assert all(w in r.stderr for w in words), r.stderr
    assert "Traceback" not in r.stderr
    assert os.listdir(tmp_path) == [], "a failed command writes nothing"
