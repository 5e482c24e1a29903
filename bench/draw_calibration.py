"""Do the two draws of generate.py (--draw) draw exactly from the model's distributions, the rare levels too?

    python bench/draw_calibration.py --config_file configs/small_cpu.json --weights /tmp/q/run/model.weights.h5 \
        --data_dir /tmp/piano [--files 10] [--positions 20000] [--draws 100] [--temperatures 1.0 0.9]

Two exact draws from one distribution make streams that differ only by chance; a draw that is off where the
model is nearly sure (float32 rounding in a prefix sum, a Gumbel noise that never reaches far enough) would
show in the levels it draws rarely. This bench takes the model's next-sample distributions given real audio
(teacher-forced over `--files` training files of bench/quality.py's split, `--positions` samples picked at
random), draws each of them `--draws` times with every draw of `samplernn.generation`, compiled as the sampler
compiles them, and counts the drawn levels by their surprise under the distribution drawn from (-log2 p at
that temperature, in bands: 0-2 bits, 2-4, ..., 28 and above). Next to each count: the count an exact draw
gives on average (the probability mass of that band, summed over the positions, times `--draws`) and how far
the count is from it in standard deviations (Poisson); per draw, a chi-square test over the bands.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from saved import add_saved_model_args, load_trained, quality_split  # noqa: E402
from surprise_by_level import teacher_forced  # noqa: E402

BAND_EDGES = np.array([2, 4, 6, 8, 10, 12, 16, 20, 24, 28], float)  # bits; the last band is open


def band_names():
    lows = np.concatenate([[0], BAND_EDGES])
    return [f"{lo:g}-{hi:g}" for lo, hi in zip(lows, BAND_EDGES)] + [f">= {BAND_EDGES[-1]:g}"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_saved_model_args(p)
    p.add_argument("--data_dir", required=True)
    p.add_argument("--files", type=int, default=10, help="training files the distributions are taken over")
    p.add_argument("--positions", type=int, default=20000, help="samples (distributions) picked from them")
    p.add_argument("--draws", type=int, default=100, help="draws from each distribution, per draw and temperature")
    p.add_argument("--temperatures", type=float, nargs="+", default=[1.0, 0.9])
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    import scipy.stats
    import tensorflow as tf

    from samplernn import generation
    from samplernn.data import load_levels
    from samplernn.options import DRAWS

    config, model = load_trained(args.config_file, args.weights)
    train, _ = quality_split(args.data_dir)
    rng = np.random.default_rng(args.seed)
    picked = [train[i] for i in np.sort(rng.permutation(len(train))[:args.files])]

    @tf.function
    def step(window, states):
        logits, states = model(window, states=states, training=False)
        return tf.cast(logits, tf.float32), states

    logits = np.concatenate([teacher_forced(config, np.asarray(levels), model.initial_states(1), step)
                             for levels in load_levels(picked, config, config.seq_len, notice=lambda *_: None)])
    logits = logits[np.sort(rng.permutation(len(logits))[:args.positions])]
    logits -= logits.max(axis=-1, keepdims=True)  # as the sampler hands them to a draw: the largest is 0
    rows, given = len(logits), tf.constant(logits)
    compiled = {name: tf.function(generation.LEVEL_DRAWS[name], jit_compile=True) for name in DRAWS}
    print(f"{rows:,} distributions from {len(picked)} training files of {args.data_dir}, each drawn {args.draws} "
          f"times per draw and temperature")
    for temperature in args.temperatures:
        scaled = logits.astype(np.float64) / temperature
        log_p = scaled - np.log(np.exp(scaled).sum(axis=-1, keepdims=True))
        band = np.digitize(-log_p / np.log(2.0), BAND_EDGES)  # (rows, q): each level's band
        expected = np.bincount(band.ravel(), np.exp(log_p).ravel(), len(BAND_EDGES) + 1) * args.draws
        temperatures = tf.fill([rows], np.float32(temperature))
        counts = {}
        for name in DRAWS:
            observed = np.zeros(len(BAND_EDGES) + 1)
            for i in range(args.draws):
                drawn = compiled[name](given, temperatures, tf.constant([args.seed, i], tf.int32)).numpy()
                observed += np.bincount(band[np.arange(rows), drawn], minlength=len(observed))
            counts[name] = observed
        print(f"\ntemperature {temperature:g}")
        print("| surprise of the drawn level (bits) | an exact draw, on average | "
              + " | ".join(f"{name}: drawn (SD from exact)" for name in DRAWS) + " |")
        print("| --- | --- |" + " --- |" * len(DRAWS))
        for b, label in enumerate(band_names()):
            sd = np.sqrt(max(expected[b], 1e-9))
            cells = [f"{counts[name][b]:,.0f} ({(counts[name][b] - expected[b]) / sd:+.1f})" for name in DRAWS]
            print(f"| {label} | {expected[b]:,.1f} | " + " | ".join(cells) + " |")
        for name in DRAWS:
            keep = expected >= 5  # chi-square over the bands an exact draw fills at least 5 times
            rest = np.append(counts[name][keep], counts[name][~keep].sum())
            target = np.append(expected[keep], expected[~keep].sum())
            pvalue = scipy.stats.chisquare(rest, target * rest.sum() / target.sum()).pvalue
            print(f"{name}: chi-square over {len(rest)} bands, p = {pvalue:.3f}")


if __name__ == "__main__":
    main()
