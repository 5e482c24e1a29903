"""Which sampling temperature gives audio at the corpus's level: generated level, silence and flatness per temperature.

    python bench/quality.py ... --save_weights --out /tmp/q/run
    python bench/temperature_sweep.py --config_file configs/small_cpu.json --weights /tmp/q/run/model.weights.h5 \
        --temperatures 0.95 1.0 1.05 1.1 1.15 1.2 [--num_samples 4] [--seconds 10] [--out /tmp/q/run/sweep]

All sequences are generated in one batch (seed 1), `--num_samples` per temperature, from the learned h0. Per
temperature it prints the mean RMS level, the mean and worst silence fraction (20-ms windows below -50 dBFS)
and the mean spectral flatness; with `--out` it also writes each wav with its spectrogram and sweep.json.
A model whose free-running output drifts into silence at temperature 1 shows it here as a silence fraction
that falls as the temperature rises.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from saved import add_saved_model_args, load_trained  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_saved_model_args(p)
    p.add_argument("--temperatures", type=float, nargs="+", required=True)
    p.add_argument("--num_samples", type=int, default=4, help="sequences per temperature")
    p.add_argument("--seconds", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default=None, help="also write the wavs, their spectrograms and sweep.json here")
    return p.parse_args()


def main():
    args = parse_args()
    import numpy as np

    from samplernn.export import write_generated
    from samplernn.generation import generate
    from samplernn.quality import describe

    config, model = load_trained(args.config_file, args.weights)
    temps = [t for t in args.temperatures for _ in range(args.num_samples)]
    audio = generate(model, int(args.seconds * config.sample_rate), temps, q_type=config.q_type, seed=args.seed)
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        stats = [write_generated(os.path.join(args.out, f"t{t:g}_{i % args.num_samples}.wav"), wav,
                                 config.sample_rate)[1] for i, (t, wav) in enumerate(zip(temps, audio))]
    else:
        stats = [describe(wav, config.sample_rate) for wav in audio]
    rows = []
    print("| temperature | RMS dBFS (mean) | silence (mean) | silence (worst) | flatness (mean) |")
    print("| --- | --- | --- | --- | --- |")
    for t in args.temperatures:
        group = [s for s, tt in zip(stats, temps) if tt == t]
        row = {"temperature": t, "rms_db": float(np.mean([s["rms_db"] for s in group])),
               "silence_mean": float(np.mean([s["silence_fraction"] for s in group])),
               "silence_worst": float(np.max([s["silence_fraction"] for s in group])),
               "flatness": float(np.mean([s["flatness"] for s in group]))}
        rows.append(row)
        print(f"| {t:g} | {row['rms_db']:.1f} | {row['silence_mean']:.0%} | {row['silence_worst']:.0%} "
              f"| {row['flatness']:.3f} |", flush=True)
    if args.out:
        with open(os.path.join(args.out, "sweep.json"), "w") as f:
            json.dump({"config": args.config_file, "weights": args.weights, "num_samples": args.num_samples,
                       "seconds": args.seconds, "seed": args.seed, "rows": rows,
                       "samples": [dict(s, temperature=t) for s, t in zip(stats, temps)]}, f, indent=1)


if __name__ == "__main__":
    main()
