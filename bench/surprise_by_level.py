"""How surprising is audio to the model at each level? Real held-out audio against generated audio, per 0.5 s.

    python bench/surprise_by_level.py --config_file configs/small_cpu.json --weights /tmp/q/run/model.weights.h5 \
        --data_dir /tmp/piano [--num_samples 8] [--seconds 30] [--temperature 1.0]

Adaptive sampling holds every stream at one surprise, the model's mean bits/sample on held-out audio. If the
model finds quiet passages of real audio less surprising than loud ones, a stream held at the mean is pulled
away from both: this bench says whether that is so. It scores each 0.5-s block of the held-out files of
`--data_dir` (bench/quality.py's split: 10 %, seed 0) teacher-forced from the file's start (-log2 p of each
sample, the validation's measure), and the same for `--num_samples` streams generated with adaptive sampling
(seed 1) and scored the same way; then prints, per 5-dB band of block level, the share of the blocks and
their mean bits/sample, real next to generated.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from saved import add_saved_model_args, load_trained, quality_split  # noqa: E402

BLOCK_SECONDS = 0.5
LEVEL_STEP_DB = 5.0


def teacher_forced(config, levels, states, step):
    """(T, ...) what `step(window, states) -> (values (1, seq_len, ...), states)` gives for each sample of one
    sequence of levels, teacher-forced from silence and `states`, one `seq_len` window at a time."""
    from samplernn.quantization import zero_level

    big, length = config.big_frame_size, config.seq_len
    padded = -(-len(levels) // length) * length
    x = np.full(big + padded, zero_level(config.q_type, config.q_levels), np.int32)
    x[big:big + len(levels)] = levels
    values = []
    for start in range(0, padded, length):
        out, states = step(x[None, start:start + length + big], states)
        values.append(out.numpy()[0])
    return np.concatenate(values)[:len(levels)]


def per_sample_bits(model, config, levels, step):
    """(T,) surprise in bits of each sample of one sequence of levels, teacher-forced from silence and h0;
    `step` gives each window's NLL in nats."""
    return teacher_forced(config, levels, model.initial_states(1), step) / np.log(2.0)


def blocks(audio, bits, rate):
    """Per 0.5-s block: (RMS level dBFS, mean bits/sample)."""
    n = int(BLOCK_SECONDS * rate)
    count = len(audio) // n
    a, b = audio[:count * n].reshape(count, n), bits[:count * n].reshape(count, n)
    level = 10.0 * np.log10(np.maximum(np.mean(np.square(a, dtype=np.float64), axis=1), 1e-10))
    return np.stack([level, b.mean(axis=1)], axis=1)


def table(real, generated):
    low = np.floor(min(real[:, 0].min(), generated[:, 0].min()) / LEVEL_STEP_DB) * LEVEL_STEP_DB
    print("| block level (dBFS) | real: share | real: bits/sample | generated: share | generated: bits/sample |")
    print("| --- | --- | --- | --- | --- |")
    for edge in np.arange(low, 0.0, LEVEL_STEP_DB):
        cells = []
        for found in (real, generated):
            inside = found[(found[:, 0] >= edge) & (found[:, 0] < edge + LEVEL_STEP_DB)]
            cells += [f"{len(inside) / len(found):.0%}", f"{inside[:, 1].mean():.2f}" if len(inside) else "–"]
        if cells[0] != "0%" or cells[2] != "0%":
            print(f"| {edge:.0f} to {edge + LEVEL_STEP_DB:.0f} | " + " | ".join(cells) + " |")
    for name, found in (("real", real), ("generated", generated)):
        slope = np.polyfit(found[:, 0], found[:, 1], 1)[0]
        print(f"{name}: mean level {found[:, 0].mean():.1f} dBFS per block, {found[:, 1].mean():.3f} bits/sample, "
              f"{slope * 10:+.2f} bits/sample per 10 dB of level")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_saved_model_args(p)
    p.add_argument("--data_dir", required=True)
    p.add_argument("--num_samples", type=int, default=8)
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--temperature", type=float, default=1.0)
    args = p.parse_args()
    import keras
    import tensorflow as tf

    from samplernn.data import load_levels
    from samplernn.generation import generate_streams
    from samplernn.quantization import dequantize, quantize

    config, model = load_trained(args.config_file, args.weights)

    @tf.function
    def step(window, states):
        logits, states = model(window, states=states, training=False)
        nll = keras.losses.sparse_categorical_crossentropy(window[:, config.big_frame_size:], logits, from_logits=True)
        return nll, states

    rate = config.sample_rate
    held_out = quality_split(args.data_dir)[1]
    real = []
    for levels in load_levels(held_out, config, config.seq_len, notice=lambda *_: None):
        levels = np.asarray(levels)
        bits = per_sample_bits(model, config, levels, step)
        real.append(blocks(dequantize(levels, config.q_type, config.q_levels), bits, rate))
    real = np.concatenate(real)
    target = float(real[:, 1].mean())
    streams = generate_streams(model, int(args.seconds * rate), [args.temperature] * args.num_samples,
                               q_type=config.q_type, seed=1, target_bits=target)
    generated = np.concatenate([blocks(audio, per_sample_bits(model, config, quantize(audio, config.q_type,
                                                                                      config.q_levels), step), rate)
                                for audio in streams.audio])
    print(f"{len(held_out)} held-out files; adaptive sampling held at {target:.3f} bits/sample x "
          f"{args.temperature:g}; {args.num_samples} x {args.seconds:g} s generated (seed 1)")
    table(real, generated)


if __name__ == "__main__":
    main()
