"""Tiny configs and audio shared by the tests."""

import json
import os

import numpy as np
import soundfile as sf

from samplernn.config import SampleRNNConfig


def tiny_config(**changes):
    """A 3-tier model small enough to train in seconds on a CPU."""
    base = dict(seq_len=64, frame_sizes=(4, 16), dim=16, num_rnn_layers=2, q_levels=16, emb_size=8,
                sample_rate=8000)
    return SampleRNNConfig(**{**base, **changes})


def write_tone(path, seconds, sample_rate=8000, freq=220.0, channels=1):
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    audio = 0.5 * np.sin(2 * np.pi * freq * t) * (1 + 0.3 * np.sin(2 * np.pi * 3 * t))
    data = np.stack([audio] * channels, axis=1) if channels > 1 else audio
    sf.write(path, data, sample_rate, subtype="PCM_16")
    return audio


def make_run(tmp_path, resume=True, **config_changes):
    """A run of the tiny config (with `config_changes`) over four short tones (one of them held out), its run
    dir created."""
    from samplernn.runs import create_run_dir, open_run

    data = tmp_path / "data"
    data.mkdir(parents=True, exist_ok=True)
    for i in range(4):
        write_tone(data / f"t{i}.wav", 0.05, freq=200 + 50 * i)
    config_file = tmp_path / "tiny.json"
    config_file.write_text(json.dumps(tiny_config(**config_changes).to_dict()))
    run = open_run(data_dir=str(data), logdir_root=str(tmp_path / "logdir"), run_id="t",
                   config_file=str(config_file), sample_rate=None, val_frac=0.25, seed=0, resume=resume,
                   resume_from=None)
    if run.run_dir is None:
        create_run_dir(run, str(tmp_path / "logdir"), "t", "test", {})
    return run


def random_windows(config, rows, count=2, seed=0):
    """`count` consecutive TBPTT windows of random levels, each (rows, seq_len + big_frame_size) int32."""
    rng = np.random.default_rng(seed)
    shape = (rows, config.seq_len + config.big_frame_size)
    return [rng.integers(0, config.q_levels, shape).astype(np.int32) for _ in range(count)]


def run_steps(step, windows, mask):
    """A train step over consecutive windows, the state carried from one to the next; asserts every step
    was finite and returns [(per-row sums as arrays, new states)] per window."""
    results, states = [], None
    for window in windows:
        sums, states, finite = step(window, mask, states)
        assert bool(finite)
        results.append(([np.asarray(x) for x in sums], states))
    return results


def untrained_run_dir(root, run_id, val_bits=None):
    """A run dir under `root` with an untrained checkpoint of the tiny config: enough for generate.py. With
    `val_bits` the checkpoint records that validation loss, as one saved after a validation does."""
    import keras

    from samplernn import checkpoints
    from samplernn.config import save_config
    from samplernn.model import build_model

    path = checkpoints.new_run_dir(str(root), run_id)
    save_config(tiny_config(), os.path.join(path, "config.json"))
    model = build_model(tiny_config())
    optimizer = keras.optimizers.Adam()
    optimizer.build(model.trainable_variables)
    checkpoints.save_checkpoint(path, model, optimizer, {"step": 0, **({"val_bits": val_bits} if val_bits else {})})
    return path


def teacher_forced_bits(model, config, audio):
    """Bits/sample of each generated sequence (N, T) under the model by a teacher-forced pass from silence
    and h0 (`evaluation.evaluate`): the reference the sampler's own tally is checked against."""
    from samplernn.evaluation import evaluate
    from samplernn.quantization import quantize

    _, per_sequence = evaluate(model, [quantize(row, config.q_type, config.q_levels) for row in audio], config, 32)
    return [avg.bits for avg in per_sequence]
