"""How far training grew each weight matrix: its Frobenius norm in saved weights against a fresh initialisation.

    python bench/weight_norms.py --config_file bench/configs/issue6_small.json \
        --weights /tmp/q/run_a/model.weights.h5 [/tmp/q/run_b/model.weights.h5 ...]

One row per kernel and embedding: its shape, its norm in a freshly built model of the config, and per weights
file the trained norm and its ratio to the fresh one. A weight-normalised kernel's scale does not change the
model's function, only how far a step of a given size turns it: a kernel grown k-fold turns k times less per
step. A kernel without weight norm (the GRU's) grown k-fold does change the function.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from saved import load_trained  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config_file", required=True)
    p.add_argument("--weights", nargs="+", required=True, help=".weights.h5 files (bench/quality.py --save_weights)")
    return p.parse_args()


def matrix_norms(model):
    """{path below the model: (shape, Frobenius norm)} of every kernel and embedding."""
    import numpy as np

    return {v.path.split("/", 1)[1]: (tuple(v.shape), float(np.linalg.norm(v.numpy())))
            for v in model.trainable_variables if v.path.endswith(("kernel", "embeddings"))}


def main():
    args = parse_args()
    from samplernn.config import load_config
    from samplernn.model import build_model

    fresh = matrix_norms(build_model(load_config(args.config_file)))
    trained = [matrix_norms(load_trained(args.config_file, weights)[1]) for weights in args.weights]
    runs = [os.path.basename(os.path.dirname(os.path.abspath(w))) for w in args.weights]  # the run folders
    print("| variable | shape | fresh | " + " | ".join(f"{run}: norm, ratio" for run in runs) + " |")
    print("| --- | --- | --- | " + " | ".join("---" for _ in args.weights) + " |")
    for path, (shape, norm) in fresh.items():
        cells = " | ".join(f"{norms[path][1]:.1f}, {norms[path][1] / norm:.2f}x" for norms in trained)
        print(f"| {path} | {shape} | {norm:.1f} | {cells} |")


if __name__ == "__main__":
    main()
