"""Every bad input ends in one clear error naming the problem, exit status 2, and nothing written."""

import json
import os

import pytest

import chunk_audio
import generate
import train
from helpers import tiny_config, untrained_run_dir, write_tone


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run dir with an (untrained) checkpoint of the tiny config: enough for generate.py."""
    return untrained_run_dir(tmp_path_factory.mktemp("runs"), "bad")


def files(d):
    return sorted(os.path.relpath(os.path.join(r, f), d) for r, _, fs in os.walk(d) for f in fs)


def setup(tmp_path, case):
    """Builds the inputs a case names; returns the argv with {tmp} replaced."""
    data = tmp_path / "data"
    data.mkdir()
    if case.get("tone"):
        for i in range(case["tone"]):
            write_tone(data / f"tone{i}.wav", 0.1)
    for name, content in case.get("files", {}).items():
        (data / name).write_bytes(content)
    if "config" in case:
        (tmp_path / "cfg.json").write_text(case["config"])
    return [a.replace("{tmp}", str(tmp_path)) for a in case["argv"]]


TRAIN = ["--data_dir", "{tmp}/data", "--logdir_root", "{tmp}/logdir", "--val_frac", "0.25", "--num_epochs", "1"]
TINY = json.dumps(tiny_config().to_dict())
CASES = {
    "empty data dir": dict(script=train, argv=TRAIN, words=["no audio files", "data"]),
    "no audio in dir": dict(script=train, argv=TRAIN, files={"notes.txt": b"hi"}, words=["no audio files"]),
    "missing data dir": dict(script=train, argv=["--data_dir", "{tmp}/nope"], words=["nope", "does not exist"]),
    "corrupt wav": dict(script=train, argv=TRAIN, tone=3, files={"bad.wav": b"RIFF\x10\x00\x00\x00WAVEjunk" * 8},
                        config=TINY, words=["bad.wav", "corrupt"]),
    "zero-length wav": dict(script=train, argv=TRAIN, tone=3, files={"zero.wav": b""}, words=["zero.wav", "empty"]),
    "text named .wav": dict(script=train, argv=TRAIN, tone=3, files={"text.wav": b"hello world\n" * 50},
                            words=["text.wav", "not audio"]),
    "all files shorter than seq_len": dict(script=train, argv=TRAIN + ["--config_file", "{tmp}/cfg.json"], tone=3,
                                           config=json.dumps(tiny_config(seq_len=1600).to_dict()), words=["seq_len"]),
    "unknown config key": dict(script=train, argv=TRAIN + ["--config_file", "{tmp}/cfg.json"], tone=3,
                               config='{"sequence_len": 64}', words=["unknown", "sequence_len", "cfg.json"]),
    "wrong config type": dict(script=train, argv=TRAIN + ["--config_file", "{tmp}/cfg.json"], tone=3,
                              config='{"dim": "wide"}', words=["'dim'", "int"]),
    "config not JSON": dict(script=train, argv=TRAIN + ["--config_file", "{tmp}/cfg.json"], tone=3,
                            config="{dim: 3", words=["cfg.json", "JSON"]),
    "missing config file": dict(script=train, argv=TRAIN + ["--config_file", "{tmp}/none.json"], tone=3,
                                words=["none.json", "does not exist"]),
    "seq_len not a multiple": dict(script=train, argv=TRAIN + ["--config_file", "{tmp}/cfg.json"], tone=3,
                                   config='{"seq_len": 1000}', words=["seq_len", "multiple"]),
    "frame sizes do not divide": dict(script=train, argv=TRAIN + ["--config_file", "{tmp}/cfg.json"], tone=3,
                                      config='{"frame_sizes": [16, 40], "seq_len": 1040}', words=["frame_sizes"]),
    "q_levels invalid for q_type": dict(script=train, argv=TRAIN + ["--config_file", "{tmp}/cfg.json"], tone=3,
                                        config='{"q_type": "a-law", "q_levels": 255}', words=["q_levels", "a-law"]),
    "zero batch size": dict(script=train, argv=TRAIN + ["--batch_size", "0"], words=["--batch_size"]),
    "negative epochs": dict(script=train, argv=TRAIN[:-1] + ["-3"], words=["--num_epochs"]),
    "bad optimizer": dict(script=train, argv=TRAIN + ["--optimizer", "adagrad"], words=["--optimizer"]),
    "val_frac leaves no validation": dict(script=train, argv=TRAIN + ["--val_frac", "0.01"], tone=3,
                                          words=["no validation", "--val_frac"]),
    "val_frac leaves no training": dict(script=train, argv=TRAIN + ["--val_frac", "0.99"], tone=3,
                                        words=["no training", "--val_frac"]),
    "resume_from missing": dict(script=train, argv=TRAIN + ["--resume_from", "{tmp}/gone"], tone=3,
                                words=["gone", "does not exist"]),
    "generate: missing checkpoint": dict(script=generate, argv=["--checkpoint_path", "{tmp}/gone",
                                                                "--output_path", "{tmp}/o.wav"], words=["gone"]),
    "generate: temperature count": dict(script=generate, argv=["--checkpoint_path", "{run}", "--output_path",
                                                               "{tmp}/o.wav", "--num_seqs", "3", "--temperature",
                                                               "1", "0.5"], words=["--temperature", "--num_seqs"]),
    "generate: seed audio missing": dict(script=generate, argv=["--checkpoint_path", "{run}", "--output_path",
                                                                "{tmp}/o.wav", "--seed_audio", "{tmp}/no.wav"],
                                         words=["no.wav"]),
    "generate: seed audio too short": dict(script=generate, argv=["--checkpoint_path", "{run}", "--output_path",
                                                                  "{tmp}/o.wav", "--seed_audio",
                                                                  "{tmp}/data/tone0.wav", "--seed_offset", "790"],
                                           tone=1, words=["--seed_audio", "at least 16"]),
    "generate: unwritable output": dict(script=generate, argv=["--checkpoint_path", "{run}", "--output_path",
                                                               "{tmp}/data/tone0.wav/dir/o.wav"], tone=1,
                                        words=["--output_path", "tone0.wav", "not a writable folder"]),
    "generate: unwritable format": dict(script=generate, argv=["--checkpoint_path", "{run}", "--output_path",
                                                               "{tmp}/o.mp3"], words=["--output_path", ".mp3"]),
    "generate: zero duration": dict(script=generate, argv=["--checkpoint_path", "{run}", "--output_path",
                                                           "{tmp}/o.wav", "--dur", "0"], words=["--dur"]),
    "chunk: missing input": dict(script=chunk_audio, argv=["--input_file", "{tmp}/no.mp3", "--output_dir",
                                                           "{tmp}/out"], words=["no.mp3"]),
    "chunk: overlap >= length": dict(script=chunk_audio, argv=["--input_dir", "{tmp}/data", "--output_dir",
                                                               "{tmp}/out", "--chunk_length", "500", "--overlap",
                                                               "500"], tone=1, words=["--overlap"]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input(name, tmp_path, capsys, run_dir):
    case = CASES[name]
    argv = [a.replace("{run}", run_dir) for a in setup(tmp_path, case)]
    before = files(tmp_path)
    try:
        status = case["script"].main(argv)
    except SystemExit as e:  # argparse rejects bad flag values itself
        status = e.code
    err = capsys.readouterr().err
    assert status == 2
    error_lines = [line for line in err.splitlines() if "error:" in line]
    assert len(error_lines) == 1 and "Traceback" not in err, err
    assert all(w in error_lines[0] for w in case["words"]), error_lines[0]
    assert files(tmp_path) == before, "nothing may be written or overwritten"
