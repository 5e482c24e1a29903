"""Adaptive sampling: each stream's temperature steered so that its samples stay as surprising to the model as
the target (the validation bits/sample, times the stream's temperature); plain sampling at fixed temperatures."""

import json
import re

import keras
import numpy as np
import pytest
import scipy.stats
import soundfile as sf
import tensorflow as tf

import generate
from helpers import teacher_forced_bits, tiny_config, untrained_run_dir
from samplernn import generation
from samplernn.generation import generate_streams
from samplernn.model import build_model
from samplernn.options import DRAWS


@pytest.fixture(scope="module")
def model():
    # Weights of a fixed draw: how far the untrained model's draws cool between temperatures 0.6 and 1.0,
    # which the adaptive test below steers within, depends on them (some draws leave the warmest stream no
    # room below temperature 1).
    keras.utils.set_random_seed(0)
    return build_model(tiny_config())


@pytest.mark.parametrize("draw", DRAWS)
def test_plain_sampling_reports_the_models_own_score_of_what_it_drew(model, draw):
    config = tiny_config()
    streams = generate_streams(model, 640, [1.0, 0.5], q_type=config.q_type, seed=4, draw=draw)
    np.testing.assert_allclose(streams.bits, teacher_forced_bits(model, config, streams.audio), rtol=1e-4)
    np.testing.assert_allclose(streams.temperature, [1.0, 0.5], rtol=1e-6)  # fixed: never steered


@pytest.mark.parametrize("draw", DRAWS)
def test_adaptive_sampling_holds_each_stream_at_its_target_surprise(model, draw):
    config = tiny_config()
    # What the (untrained) model's draws score at fixed temperatures 0.6 and 1.0 (~3.1 and ~3.5 of 4 bits):
    # a target between them is in reach, by cooling.
    cool, plain = (generate_streams(model, 4000, [t], q_type=config.q_type, seed=1, draw=draw).bits[0]
                   for t in (0.6, 1.0))
    target = (cool + plain) / 2
    temps = [1.0, 0.97, 1.03]  # the targets: target times each
    streams = generate_streams(model, 4000, temps, q_type=config.q_type, seed=1, target_bits=target, draw=draw)
    # The mean over the whole stream, its first few dozen samples of settling included.
    np.testing.assert_allclose(streams.bits, np.array(temps) * target, atol=0.03)
    assert np.all((0.6 < streams.temperature) & (streams.temperature < 1.0)), streams.temperature
    assert streams.temperature[1] < streams.temperature[0] < streams.temperature[2]
    np.testing.assert_allclose(streams.bits, teacher_forced_bits(model, config, streams.audio), rtol=1e-4)


def test_the_temperature_is_steered_only_within_its_range(model):
    config = tiny_config()
    # Unreachable targets: far above what the model can give (its plain surprise is ~3.4 of 4 bits) and
    # next to nothing.
    streams = generate_streams(model, 2000, [20.0, 0.01], q_type=config.q_type, seed=2, target_bits=1.0)
    low, high = generation.TEMPERATURE_RANGE
    assert low <= streams.temperature.min() and streams.temperature.max() <= high
    np.testing.assert_allclose(streams.temperature, [high, low], rtol=0.1)  # pinned at the bounds


def test_without_gain_adaptive_sampling_is_plain_sampling_at_temperature_one(model):
    config = tiny_config()
    plain = generate_streams(model, 320, [1.0, 1.0], q_type=config.q_type, seed=5)
    adaptive = generate_streams(model, 320, [1.0, 1.0], q_type=config.q_type, seed=5, target_bits=2.0, gain=0.0)
    np.testing.assert_array_equal(adaptive.audio, plain.audio)
    steered = generate_streams(model, 320, [1.0, 1.0], q_type=config.q_type, seed=5, target_bits=2.0)
    assert not np.array_equal(steered.audio, plain.audio)  # the default gain steers


@pytest.mark.parametrize("draw, q_levels, temperature", [(d, q, t) for d in DRAWS for q, t in [(256, 1.0), (100, 0.7)]])
def test_both_draws_follow_the_tempered_softmax_and_never_draw_an_impossible_level(draw, q_levels, temperature):
    rows = 200_000  # one row per draw: each row takes its own random numbers from the one key
    logits = np.random.default_rng(q_levels).normal(scale=2.0, size=q_levels).astype(np.float32)
    impossible = [0, 17, 18, 19, q_levels - 1]  # the first and last level, and a run inside one of the blocks
    logits[impossible] = -1e4  # their weight underflows to exactly 0
    logits -= logits.max()  # as the sampler gives them: the largest is 0 (100 levels: the last block is padded)
    levels = generation.LEVEL_DRAWS[draw]

    def drawn():
        return levels(tf.constant(np.tile(logits, (rows, 1))), tf.fill([rows], temperature), tf.constant([7, 11]))

    draws = drawn().numpy()
    assert draws.min() >= 0 and draws.max() < q_levels
    counts = np.bincount(draws, minlength=q_levels)
    assert counts[impossible].sum() == 0
    # Chi-square goodness of fit to the tempered softmax, the levels expected fewer than 5 times pooled.
    weights = np.exp(logits.astype(np.float64) / temperature)
    expected = rows * weights / weights.sum()
    few = expected < 5
    observed, expected = (np.append(x[~few], x[few].sum()) for x in (counts, expected))
    assert scipy.stats.chisquare(observed, expected).pvalue > 1e-3
    np.testing.assert_array_equal(drawn().numpy(), draws)  # a function of the key: no state of its own


def run_generate(run_dir, output, *args):
    return generate.main(["--checkpoint_path", str(run_dir), "--output_path", str(output), "--dur", "0.3",
                          "--no-spectrogram", "--seed", "3", *map(str, args)])


def settings(output):
    with open(output.with_suffix(".json")) as f:
        return json.load(f)


def test_the_draws_give_other_audio_for_one_seed_and_the_settings_say_which(tmp_path):
    run_dir = untrained_run_dir(tmp_path / "runs", "validated", val_bits=3.0)
    for name, draw in [("a", "inverse"), ("b", "gumbel"), ("c", "inverse")]:
        assert run_generate(run_dir, tmp_path / f"{name}.wav", "--draw", draw) == 0
        assert settings(tmp_path / f"{name}.wav")["draw"] == draw
    a, b, c = (sf.read(tmp_path / f"{name}_0.wav")[0] for name in "abc")
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, c)
    assert run_generate(run_dir, tmp_path / "d.wav") == 0  # the default: the inverse draw
    assert settings(tmp_path / "d.wav")["draw"] == "inverse"
    np.testing.assert_array_equal(sf.read(tmp_path / "d_0.wav")[0], a)


def test_generate_holds_the_checkpoints_validation_bits_by_default(tmp_path, capsys):
    run_dir = untrained_run_dir(tmp_path / "runs", "validated", val_bits=3.0)
    assert run_generate(run_dir, tmp_path / "a.wav", "--num_seqs", 2, "--temperature", 1.0, 0.9) == 0
    out = capsys.readouterr().out
    assert re.search(r"temperature 1, adaptive: [\d.]+ bits/sample for a target of 3\.00", out)
    assert re.search(r"temperature 0\.9, adaptive: [\d.]+ bits/sample for a target of 2\.70", out)
    assert settings(tmp_path / "a.wav")["sampling"] == "adaptive" and settings(tmp_path / "a.wav")["target_bits"] == 3.0
    assert settings(tmp_path / "a.wav")["target_from"] == "validation"
    assert run_generate(run_dir, tmp_path / "b.wav", "--target_bits", 2.5) == 0
    assert "target of 2.50" in capsys.readouterr().out and settings(tmp_path / "b.wav")["target_bits"] == 2.5
    assert run_generate(run_dir, tmp_path / "c.wav", "--sampling", "plain") == 0
    assert re.search(r"\(temperature 1; [\d.]+ bits/sample\)", capsys.readouterr().out)
    assert settings(tmp_path / "c.wav")["sampling"] == "plain" and settings(tmp_path / "c.wav")["target_bits"] is None


def test_a_run_never_validated_samples_plain_and_says_so(tmp_path, capsys):
    run_dir = untrained_run_dir(tmp_path / "runs", "unvalidated")
    assert run_generate(run_dir, tmp_path / "a.wav") == 0
    out = capsys.readouterr().out
    assert "Sampling plain at --temperature" in out and "no validation bits/sample" in out
    assert settings(tmp_path / "a.wav")["sampling"] == "plain"


def test_a_run_stopped_before_its_first_validation_holds_its_recent_training_loss(tmp_path, capsys, monkeypatch):
    from helpers import make_run
    from samplernn import checkpoints, training
    from samplernn.options import TrainOptions

    run = make_run(tmp_path)
    trainer = training.Trainer(run, TrainOptions(num_epochs=1, batch_size=3, generate=False), log=lambda *_: None)

    def ctrl_c(*args):  # Ctrl-C as the first epoch ends, before its validation
        raise KeyboardInterrupt

    monkeypatch.setattr(trainer, "_end_epoch", ctrl_c)
    with pytest.raises(KeyboardInterrupt):
        trainer.fit()
    meta = checkpoints.read_meta(checkpoints.latest_checkpoint(run.run_dir))
    assert meta["val_bits"] is None and meta["train_bits"] > 0
    assert run_generate(run.run_dir, tmp_path / "a.wav") == 0
    out = capsys.readouterr().out
    assert f"holds the training loss of the checkpoint's last steps, {meta['train_bits']:.3f} bits/sample" in out
    assert f"a target of {meta['train_bits']:.2f}" in out
    assert settings(tmp_path / "a.wav")["target_bits"] == meta["train_bits"]
    assert settings(tmp_path / "a.wav")["target_from"] == "training loss"


@pytest.mark.parametrize("flag, value", [("--sampling", "hot"), ("--target_bits", "0"), ("--target_bits", "x"),
                                         ("--draw", "fast")])
def test_bad_sampling_flags_are_refused(tmp_path, capsys, flag, value):
    with pytest.raises(SystemExit) as e:
        run_generate(tmp_path, tmp_path / "a.wav", flag, value)
    assert e.value.code == 2 and flag in capsys.readouterr().err


@pytest.mark.parametrize("sampling", ["adaptive", "plain"])
def test_train_generates_held_at_the_epochs_validation_bits(tmp_path, sampling):
    from helpers import make_run
    from samplernn import training
    from samplernn.options import TrainOptions

    lines = []
    options = TrainOptions(num_epochs=1, batch_size=3, early_stopping_patience=0, output_file_dur=0.3,
                           temperature=(1.0, 1.2), max_generate_per_epoch=2, sampling=sampling)
    trainer = training.Trainer(make_run(tmp_path), options, log=lines.append)
    trainer.fit()
    val_bits = trainer.progress.best_val_bits  # the one epoch's validation
    wrote = [line for line in lines if line.startswith("Wrote ")]
    assert len(wrote) == 2
    if sampling == "adaptive":
        assert "(temperature 1, adaptive: " in wrote[0] and f"a target of {val_bits:.2f}," in wrote[0]
        assert "(temperature 1.2, adaptive: " in wrote[1] and f"a target of {1.2 * val_bits:.2f}," in wrote[1]
    else:
        assert all(re.search(r"\(temperature [\d.]+; [\d.]+ bits/sample\)", line) for line in wrote)
