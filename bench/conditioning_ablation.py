"""What a trained model's frame tiers are worth: held-out bits/sample with and without their conditioning.

    python bench/quality.py ... --save_weights --out /tmp/q/run
    python bench/conditioning_ablation.py --data_dir /tmp/piano --config_file configs/small_cpu.json \
        --weights /tmp/q/run/model.weights.h5 [--seconds 2]

On the held-out files of bench/quality.py's split (the first `--seconds` of each, from the learned h0), the
sample-level MLP is scored with the frame tiers' real conditioning, with its mean over all positions (what
the MLP can do from its `frame_size` previous samples alone) and with zero. Then the bits with the real
conditioning by the target's distance from the middle level (for mu-law: how loud the sample is).
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from saved import add_saved_model_args, load_trained, quality_split  # noqa: E402

# Bands of |level - q_levels / 2| for the breakdown (for 256 levels; scaled for others).
BANDS_256 = (0, 16, 48, 80, 129)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data_dir", required=True)
    add_saved_model_args(p)
    p.add_argument("--seconds", type=float, default=2.0, help="seconds scored from the start of each file")
    return p.parse_args()


def main():
    args = parse_args()
    import keras
    import numpy as np
    from keras import ops

    from samplernn.data import load_levels

    config, model = load_trained(args.config_file, args.weights)
    _, val_files = quality_split(args.data_dir, notice=print)
    sequences = load_levels(val_files, config, config.seq_len, notice=lambda *_: None)
    length, big, fs0 = config.seq_len, model.big_frame_size, model.frame_sizes[0]
    windows = int(args.seconds * config.sample_rate) // length
    levels = np.stack([s[:windows * length + big] for s in sequences]).astype("int32")
    mlp = model.sample_mlp

    def bits(h, targets):
        logits = mlp._head(h)
        return keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True).numpy() / np.log(2)

    states = model.initial_states(levels.shape[0])
    scores = {"real": [], "mean": [], "zero": []}
    spread, targets = [], []
    for w in range(windows):
        inputs = levels[:, w * length: w * length + length + big]
        conditioning, states = model.conditioning(inputs, states, training=False)
        samples = mlp.first_layer(inputs[:, big - fs0:-1])
        mean = ops.mean(conditioning, axis=(0, 1), keepdims=True)
        target = inputs[:, big:]
        for name, cond in (("real", conditioning), ("mean", mean), ("zero", 0.0)):
            scores[name].append(bits(samples + cond, target))
        spread.append((float(ops.std(samples)), float(ops.std(conditioning - mean))))
        targets.append(target)
    real, targets = np.concatenate(scores["real"], axis=1), np.concatenate(targets, axis=1)
    report = {f"bits_{name}_conditioning": float(np.mean(v)) for name, v in scores.items()}
    report["std_first_layer_from_samples"], report["std_conditioning"] = np.mean(spread, axis=0).tolist()
    distance = np.abs(targets - config.q_levels // 2)
    bands = [round(b * config.q_levels / 256) for b in BANDS_256]
    report["bits_by_distance_from_middle_level"] = [
        {"from": lo, "to": hi, "share": float(np.mean((distance >= lo) & (distance < hi))),
         "bits": float(np.mean(real[(distance >= lo) & (distance < hi)]))}
        for lo, hi in zip(bands, bands[1:]) if np.any((distance >= lo) & (distance < hi))]
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
