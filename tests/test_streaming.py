"""Streamed generation: pieces put end to end are the one-piece audio, one compiled loop whatever the length,
files appended as pieces arrive, progress, and Ctrl-C or a crash leaving valid files with what was made."""

import json
import os

import numpy as np
import pytest
import soundfile as sf

import generate
from helpers import tiny_config, untrained_run_dir
from samplernn import generation
from samplernn.generation import generate_streams
from samplernn.loop import primed_start
from samplernn.model import build_model
from samplernn.options import DRAW
from samplernn.runs import load_trained_model


@pytest.fixture(scope="module")
def model():
    return build_model(tiny_config())


@pytest.mark.parametrize("target_bits", [None, 2.0])
def test_pieces_end_to_end_are_the_one_piece_audio_whatever_their_length(model, target_bits):
    config = tiny_config()
    kwargs = dict(q_type=config.q_type, seed=9, target_bits=target_bits)
    whole = generate_streams(model, 200, [1.0, 0.8, 1.3], piece_samples=208, **kwargs)  # one piece
    for piece in (16, 48, 160):  # one top frame, three, ten: the last piece is partial each time
        pieces = generate_streams(model, 200, [1.0, 0.8, 1.3], piece_samples=piece, **kwargs)
        np.testing.assert_array_equal(pieces.audio, whole.audio)
        np.testing.assert_allclose(pieces.bits, whole.bits, rtol=1e-5)
        np.testing.assert_allclose(pieces.temperature, whole.temperature, rtol=1e-5)


def test_one_compiled_loop_per_model_and_batch_whatever_the_length():
    config = tiny_config()
    model = build_model(config)
    for seconds in (0.01, 0.05, 0.13):
        generate_streams(model, int(seconds * config.sample_rate), [1.0, 1.0], q_type=config.q_type, seed=1,
                         piece_samples=160)
    compiled = model.__dict__["_compiled_pieces"]
    assert list(compiled) == [(10, DRAW)] and compiled[10, DRAW].experimental_get_tracing_count() == 1


def test_a_piece_after_a_partial_one_is_refused(model):
    config = tiny_config()
    start = primed_start(model, config.q_type)
    sampler = generation.PieceSampler(model, [1.0], q_type=config.q_type, start_from=start, seed=0,
                                      piece_samples=32)
    sampler.next(20)
    with pytest.raises(ValueError, match="part of a top frame"):
        sampler.next(16)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return untrained_run_dir(tmp_path_factory.mktemp("runs"), "stream")


def run_generate(run_dir, output, *args):
    return generate.main(["--checkpoint_path", str(run_dir), "--output_path", str(output), "--dur", "0.3",
                          "--no-dc_removal", *map(str, args)])


def test_generate_py_writes_the_streams_of_the_library_piece_by_piece(run_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(generation, "PIECE_SAMPLES", 256)  # 0.3 s at 8 kHz: ten pieces
    assert run_generate(run_dir, tmp_path / "a.wav", "--seed", 4, "--num_seqs", 2, "--sampling", "plain") == 0
    out = capsys.readouterr().out
    # Away from a terminal, progress lines: the first piece's, then at most one per 10 s, and the last.
    assert "Generated 0.0 of 0.3 s (" in out and "Generated 0.3 of 0.3 s (" in out and " left)" in out
    config = tiny_config()
    model, _, _ = load_trained_model(str(run_dir))
    expected = generate_streams(model, 2400, [1.0, 1.0], q_type=config.q_type, seed=4).audio
    for i in range(2):
        written, rate = sf.read(tmp_path / f"a_{i}.wav", dtype="float32")
        assert rate == 8000 and len(written) == 2400
        np.testing.assert_allclose(written, expected[i], atol=1 / 32768 + 1e-7)  # 16-bit PCM
        assert (tmp_path / f"a_{i}.png").is_file()
    assert sorted(os.listdir(tmp_path)) == ["a.json", "a_0.png", "a_0.wav", "a_1.png", "a_1.wav"]
    assert json.loads((tmp_path / "a.json").read_text())["interrupted"] is False


@pytest.mark.parametrize("error, status", [(KeyboardInterrupt, 130), (MemoryError, None)])
def test_ctrl_c_or_a_crash_mid_generation_leaves_valid_files_of_what_was_made(run_dir, tmp_path, monkeypatch,
                                                                               capsys, error, status):
    monkeypatch.setattr(generation, "PIECE_SAMPLES", 256)
    real_next, calls = generation.PieceSampler.next, []

    def stops_at_the_fourth_piece(self, n):
        calls.append(n)
        if len(calls) == 4:
            raise error()
        return real_next(self, n)

    monkeypatch.setattr(generation.PieceSampler, "next", stops_at_the_fourth_piece)
    if status is None:
        with pytest.raises(error):
            run_generate(run_dir, tmp_path / "a.wav", "--seed", 4, "--num_seqs", 2)
    else:
        assert run_generate(run_dir, tmp_path / "a.wav", "--seed", 4, "--num_seqs", 2) == status
    out = capsys.readouterr().out
    assert "at 0.10 s: the files hold what was generated until then" in out and "Wrote " in out
    for i in range(2):
        assert sf.info(tmp_path / f"a_{i}.wav").frames == 3 * 256
    settings = json.loads((tmp_path / "a.json").read_text())
    assert settings["interrupted"] is True and settings["interrupted_at_seconds"] == 0.096
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".partial.wav")]


def test_the_partial_file_is_readable_while_generation_runs(run_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(generation, "PIECE_SAMPLES", 256)
    real_next, seen = generation.PieceSampler.next, []

    def look_at_the_file(self, n):
        if self.done:  # what a kill now would leave: a valid wav of every piece so far
            seen.append(sf.info(str(tmp_path / "a_0.wav.partial.wav")).frames)
        return real_next(self, n)

    monkeypatch.setattr(generation.PieceSampler, "next", look_at_the_file)
    assert run_generate(run_dir, tmp_path / "a.wav", "--seed", 1) == 0
    assert seen == [256 * k for k in range(1, 10)]


def test_candidates_ranked_out_leave_no_file(run_dir, tmp_path, monkeypatch):
    monkeypatch.setattr(generation, "PIECE_SAMPLES", 256)
    assert run_generate(run_dir, tmp_path / "a.wav", "--seed", 2, "--num_seqs", 2, "--candidates", 4) == 0
    assert sorted(os.listdir(tmp_path)) == ["a.json", "a_0.png", "a_0.wav", "a_1.png", "a_1.wav"]
    files = json.loads((tmp_path / "a.json").read_text())["files"]
    assert files[0]["bits_per_sample"] <= files[1]["bits_per_sample"]


@pytest.mark.parametrize("rate", [8000, 16000])
def test_finishing_block_by_block_gives_the_whole_files_audio_and_figures(tmp_path, monkeypatch, rate):
    import librosa

    from samplernn import export
    from samplernn.quality import describe

    t = np.arange(int(17.3 * 8000)) / 8000
    rng = np.random.default_rng(0)
    audio = (0.05 + 0.3 * np.sin(2 * np.pi * 300 * t) * (t < 10.5) + 0.01 * rng.standard_normal(len(t)))
    audio = audio.astype(np.float32)
    sf.write(tmp_path / "a.wav.partial.wav", audio, 8000, subtype="FLOAT")
    monkeypatch.setattr(export, "FINISH_BLOCK_SECONDS", 1.0)  # blocks of 8 s at 8 kHz, 4 s at 16 kHz (the
    # shortest that hold whole flatness hops, level windows and half-second parts), the last one partial
    line, stats = export.finish_file(str(tmp_path / "a.wav.partial.wav"), str(tmp_path / "a.wav"), rate)
    expected = audio - audio.mean()
    if rate != 8000:
        expected = librosa.resample(expected, orig_sr=8000, target_sr=rate, res_type="soxr_hq")
    written, written_rate = sf.read(tmp_path / "a.wav", dtype="float32")
    assert written_rate == rate and abs(len(written) - len(expected)) <= 1
    n = min(len(written), len(expected))
    np.testing.assert_allclose(written[:n], expected[:n], atol=2e-3)
    whole = describe(expected, rate)
    assert stats["rms_db"] == pytest.approx(whole["rms_db"], abs=0.05)
    assert stats["silence_fraction"] == whole["silence_fraction"]
    assert stats["flatness"] == pytest.approx(whole["flatness"], rel=1e-3)
    assert stats["silent_from"] == pytest.approx(whole["silent_from"]) and stats["noise_from"] == whole["noise_from"]
    assert line.startswith(f"Wrote {tmp_path / 'a.wav'}: RMS ") and (tmp_path / "a.png").is_file()
    assert not (tmp_path / "a.wav.partial.wav").exists()
