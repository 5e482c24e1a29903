"""Priming on seed audio (frame tiers only, once, chunked) and what generate.py writes: format, folders,
the settings file with the seed, the seed audio's length, candidates scored from their priming, --config_file."""

import json
import os
import re

import keras
import numpy as np
import pytest
import soundfile as sf
import tensorflow as tf

import generate
from helpers import teacher_forced_bits, tiny_config, untrained_run_dir, write_tone
from samplernn import generation, loop
from samplernn.config import save_config
from samplernn.generation import generate as generate_audio
from samplernn.loop import prime, primed_start
from samplernn.model import build_model
from samplernn.options import DRAW
from samplernn.quantization import dequantize, quantize, zero_level

TOLERANCE = 1e-5  # the same float32 arithmetic, batched differently
VARIANTS = [dict(frame_sizes=(8,)), dict(frame_sizes=(4, 16), rnn_type="lstm", skip_conn=True),
            dict(frame_sizes=(2, 4, 16), amplitude_input=True)]


def seed_levels(config, rows, frames, seed=0):
    shape = (rows, frames * config.big_frame_size)
    return np.random.default_rng(seed).integers(0, config.q_levels, shape).astype(np.int32)


def teacher_forced_states(model, levels):
    """The old priming: the whole teacher-forced pass (sample MLP included) over silence + levels."""
    zero = zero_level(model.q_type, model.q_levels)
    full = np.concatenate([np.full((len(levels), model.big_frame_size), zero, np.int32), levels], axis=1)
    return model(full, training=False)[1]


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: f"{len(v['frame_sizes']) + 1}tier")
def test_chunked_priming_through_the_frame_tiers_gives_the_teacher_forced_states(variant):
    model = build_model(tiny_config(**variant))
    levels = seed_levels(model, 2, 10)
    expected = teacher_forced_states(model, levels)
    ctx, states = prime(model, levels, zero_level(model.q_type, model.q_levels), chunk_frames=3)  # 3+3+3+1
    for got, want in zip(tf.nest.flatten(states), tf.nest.flatten(expected)):
        np.testing.assert_allclose(got.numpy(), want.numpy(), atol=TOLERANCE)
    np.testing.assert_array_equal(ctx.numpy()[:, :model.big_frame_size], levels[:, -model.big_frame_size:])


def test_priming_runs_neither_the_sample_mlp_nor_the_bottom_upsampling(monkeypatch):
    model = build_model(tiny_config())

    def not_needed(*args, **kwargs):
        raise AssertionError("priming ran a layer that only the sample-level predictions need")

    monkeypatch.setattr(model.sample_mlp, "call", not_needed)
    monkeypatch.setattr(model.frame_tiers[0].upsample, "call", not_needed)
    prime(model, seed_levels(model, 1, 4), zero_level(model.q_type, model.q_levels))


def test_a_long_seed_reuses_one_chunk_sized_graph():
    model = build_model(tiny_config())
    prime(model, seed_levels(model, 1, 3 * loop.prime_chunk_frames(model) + 5), 8)
    # One graph per chunk shape (a full chunk, the last one), however long the seed: memory stays bounded.
    assert loop._compiled_priming(model).experimental_get_tracing_count() == 2


def test_generation_primed_once_equals_the_old_per_stream_teacher_forced_priming():
    config = tiny_config()
    model = build_model(config)
    seed_audio = np.sin(np.arange(300) / 7.0) * 0.5
    temps = [1.0, 0.9, 1.1]
    new = generate_audio(model, 80, temps, q_type=config.q_type, seed_audio=seed_audio, seed=11)
    # The old path: the seed tiled to every stream, the full teacher-forced pass, then the same sampler.
    levels = np.tile(loop.seed_to_levels(seed_audio, config.q_type, config.q_levels, 16)[None], (3, 1))
    states = teacher_forced_states(model, levels)
    ctx = np.concatenate([levels[:, -16:], np.zeros((3, 16), np.int32)], axis=1)
    piece = generation._compiled_piece(model, 5, DRAW)
    old = piece(tf.constant(ctx), states, tf.zeros(3), 0, 5, tf.constant(temps), tf.zeros(3), 0.0, 11, 80)[0]
    np.testing.assert_array_equal(new, dequantize(old.numpy()[:, :80], config.q_type, config.q_levels))


def test_candidates_are_scored_from_the_priming_they_were_generated_from():
    config = tiny_config()
    model = build_model(config)
    seed_audio = 0.6 * np.sign(np.sin(np.arange(160) / 3.0))
    start = primed_start(model, config.q_type, seed_audio)
    streams = generation.generate_streams(model, 100, [1.0, 1.0], q_type=config.q_type, start_from=start, seed=2)
    audio, primed = streams.audio, streams.bits  # what --candidates ranks by
    # The reference: the teacher-forced pass over silence + seed + continuation, counting the continuation only.
    seed_lv = loop.seed_to_levels(seed_audio, config.q_type, config.q_levels, 16)
    for row, bits in zip(audio, primed):
        x = np.concatenate([np.full(16, 8), seed_lv, quantize(row, config.q_type, config.q_levels)])
        x = np.concatenate([x, np.full(-(len(x) - 16) % 16, 8)]).astype(np.int32)  # whole top frames
        logits = model(x[None], training=False)[0][0, len(seed_lv):len(seed_lv) + 100]
        nll = keras.losses.sparse_categorical_crossentropy(x[16 + len(seed_lv):][:100], logits, from_logits=True)
        assert bits == pytest.approx(float(np.mean(nll)) / np.log(2), rel=1e-4)
    assert not np.allclose(primed, teacher_forced_bits(model, config, audio)), "scores depend on the priming"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run dir with an (untrained) checkpoint of the tiny config."""
    return untrained_run_dir(tmp_path_factory.mktemp("runs"), "gen")


def run_generate(run_dir, output, *args):
    return generate.main(["--checkpoint_path", str(run_dir), "--output_path", str(output), "--dur", "0.3",
                          "--no-spectrogram", *map(str, args)])


@pytest.mark.parametrize("ext, file_format", [(".flac", "FLAC"), (".ogg", "OGG"), (".wav", "WAV")])
def test_the_output_extension_names_the_format_and_missing_folders_are_created(run_dir, tmp_path, ext, file_format):
    output = tmp_path / "out" / "album" / f"x{ext}"  # neither folder exists
    assert run_generate(run_dir, output, "--seed", 1) == 0
    assert sf.info(tmp_path / "out" / "album" / f"x_0{ext}").format == file_format


def test_an_unwritable_extension_is_refused_before_the_model_loads(tmp_path, capsys):
    # The checkpoint does not exist either: the extension is checked first.
    assert run_generate(tmp_path / "no_run", tmp_path / "x.mp3") == 2
    err = capsys.readouterr().err
    assert "x.mp3" in err and ".wav, .flac, .ogg" in err and "no_run" not in err
    assert os.listdir(tmp_path) == []


def test_a_drawn_seed_is_printed_and_saved_and_reproduces_the_audio(run_dir, tmp_path, capsys):
    assert run_generate(run_dir, tmp_path / "a.wav", "--num_seqs", 2, "--temperature", 1.0, 1.2) == 0
    printed = int(re.search(r"--seed (\d+)", capsys.readouterr().out).group(1))
    settings = json.loads((tmp_path / "a.json").read_text())
    assert settings["seed"] == printed and settings["temperature"] == [1.0, 1.2]
    assert run_generate(run_dir, tmp_path / "b.wav", "--num_seqs", 2, "--temperature", 1.0, 1.2,
                        "--seed", settings["seed"]) == 0
    for i in range(2):
        np.testing.assert_array_equal(sf.read(tmp_path / f"a_{i}.wav")[0], sf.read(tmp_path / f"b_{i}.wav")[0])


def test_only_seed_dur_seconds_of_the_seed_audio_prime(run_dir, tmp_path):
    long = write_tone(tmp_path / "long.wav", 2.0, freq=300)  # 16,000 samples
    assert run_generate(run_dir, tmp_path / "a.wav", "--seed", 3, "--seed_audio", tmp_path / "long.wav",
                        "--seed_offset", 800, "--seed_dur", 0.032) == 0
    assert json.loads((tmp_path / "a.json").read_text())["seed_audio_samples"] == 256  # one priming chunk
    sf.write(tmp_path / "cut.wav", long[800:1056], 8000, subtype="PCM_16")  # exactly the segment used
    assert run_generate(run_dir, tmp_path / "b.wav", "--seed", 3, "--seed_audio", tmp_path / "cut.wav") == 0
    np.testing.assert_array_equal(sf.read(tmp_path / "a_0.wav")[0], sf.read(tmp_path / "b_0.wav")[0])


def test_config_file_must_equal_the_runs_config(run_dir, tmp_path, capsys):
    same, other = tmp_path / "same.json", tmp_path / "other.json"
    save_config(tiny_config(), str(same))
    save_config(tiny_config(dim=8, q_levels=32), str(other))
    assert run_generate(run_dir, tmp_path / "out" / "a.wav", "--seed", 1, "--config_file", same) == 0
    assert run_generate(run_dir, tmp_path / "bad" / "b.wav", "--config_file", other) == 2
    err = capsys.readouterr().err
    assert "other.json" in err and "dim: 16 in the run vs 8" in err and "q_levels" in err
    assert not (tmp_path / "bad").exists()
