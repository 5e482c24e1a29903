"""How predictable a corpus is for simple models, in bits per sample: a scale for the NLL of `bench/quality.py`.

    python bench/corpus_entropy.py --data_dir /tmp/piano [--files 60] [--q_type mu-law] [--q_levels 256]

Quantizes a seeded random subset of the files as training does and prints the entropy of the levels'
marginal distribution, the conditional entropy given the previous sample (a bigram fitted on the same
data, so optimistic), and the entropy of the rounded residual of an order-16 least-squares linear predictor.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def entropy_bits(counts):
    import numpy as np

    p = counts[counts > 0] / counts.sum()
    return float(-(p * np.log2(p)).sum())


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data_dir", required=True)
    p.add_argument("--files", type=int, default=60)
    p.add_argument("--q_type", default="mu-law")
    p.add_argument("--q_levels", type=int, default=256)
    p.add_argument("--sample_rate", type=int, default=16000)
    p.add_argument("--order", type=int, default=16, help="order of the linear predictor")
    args = p.parse_args()
    import numpy as np

    from samplernn.audio import load_audio
    from samplernn.data import list_training_files
    from samplernn.quantization import quantize

    paths = list_training_files(args.data_dir)
    chosen = np.random.default_rng(0).choice(len(paths), min(args.files, len(paths)), replace=False)
    q = np.concatenate([quantize(load_audio(paths[i], args.sample_rate), args.q_type, args.q_levels)
                        for i in sorted(chosen)]).astype(np.int64)
    n = args.q_levels
    joint = np.bincount(q[:-1] * n + q[1:], minlength=n * n).reshape(n, n).astype(np.float64)
    conditional = entropy_bits(joint.ravel()) - entropy_bits(joint.sum(axis=1))  # H(x_t, x_t-1) - H(x_t-1)
    z = q.astype(np.float64)
    past = np.stack([z[args.order - k - 1:len(z) - k - 1] for k in range(args.order)] + [np.ones(len(z) - args.order)],
                    axis=1)
    coef, *_ = np.linalg.lstsq(past, z[args.order:], rcond=None)
    residual = np.rint(z[args.order:] - past @ coef).astype(np.int64)
    print(f"{len(chosen)} files, {len(q):,} samples, {args.q_type} {n} levels:")
    print(f"  marginal: {entropy_bits(np.bincount(q, minlength=n).astype(np.float64)):.2f} bits/sample")
    print(f"  given the previous sample (bigram): {conditional:.2f} bits/sample")
    print(f"  order-{args.order} linear predictor, rounded residual: "
          f"{entropy_bits(np.bincount(residual - residual.min()).astype(np.float64)):.2f} bits/sample")


if __name__ == "__main__":
    main()
