"""Muon's orthogonalisation of a config's matrices: Keras' own Newton-Schulz form against ours in Gram space.

    python bench/orthogonalise.py [--config_file configs/small_cpu.json] [--repeats 21]

For every matrix `--optimizer muon` steps (the model of `--config_file`), a random Gaussian momentum of its
shape is orthogonalised by `keras.optimizers.Muon`'s own iteration and by `samplernn.optimizers.GramMuon`'s,
all matrices in one XLA-compiled function per form (as the train step's fused update runs them). Prints per
matrix its shape, the form ours takes, its multiply-adds in each form and its largest deviation from a float64
run of Keras' form (as a share of the largest entry, for both), then the median time of all of them per form.
"""

import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def float64_reference(x, optimizer, steps):
    """Keras' iteration in float64 numpy: (m, n), m <= n, after the same Frobenius normalisation."""
    import numpy as np

    wide = x.T if x.shape[0] > x.shape[1] else x
    wide = wide / (np.linalg.norm(wide) + 1e-7)
    for _ in range(steps):
        gram = wide @ wide.T
        wide = optimizer.muon_a * wide + (optimizer.muon_b * gram + optimizer.muon_c * gram @ gram) @ wide
    return wide.T if x.shape[0] > x.shape[1] else wide


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config_file", default="configs/small_cpu.json")
    p.add_argument("--repeats", type=int, default=21, help="timed calls per form after 2 warm-up calls")
    args = p.parse_args()

    import keras
    import numpy as np
    import tensorflow as tf

    from samplernn.config import load_config
    from samplernn.model import build_model
    from samplernn.optimizers import make_optimizer, newton_schulz_cost, takes_gram_space
    from samplernn.options import TrainOptions

    model = build_model(load_config(args.config_file))
    optimizer = make_optimizer(TrainOptions(optimizer="muon", learning_rate=1e-2))
    optimizer.build(model.trainable_variables)
    steps = optimizer.ns_steps
    matrices = [v for v in model.trainable_variables if not optimizer._should_use_adamw(v)]
    rng = np.random.default_rng(0)
    momenta = [rng.normal(size=v.shape).astype(np.float32) for v in matrices]
    forms = {"keras": lambda x: keras.optimizers.Muon.zeropower_via_newtonschulz5(optimizer, x, steps),
             "ours": lambda x: optimizer.zeropower_via_newtonschulz5(x, steps)}
    compiled = {name: tf.function(lambda xs, f=f: [f(x) for x in xs], jit_compile=True) for name, f in forms.items()}
    inputs = [tf.constant(m) for m in momenta]
    outputs = {name: [o.numpy() for o in fn(inputs)] for name, fn in compiled.items()}
    for i, (var, x) in enumerate(zip(matrices, momenta)):
        m, n = sorted(x.shape)
        plain_flops, gram_flops = newton_schulz_cost(m, n, steps)
        gram = takes_gram_space(x.shape, steps)
        reference = float64_reference(x.astype(np.float64), optimizer, steps)
        off = {name: np.abs(out[i] - reference).max() / np.abs(reference).max() for name, out in outputs.items()}
        print(f"{var.path:48s} {str(tuple(x.shape)):13s} {'gram ' if gram else 'plain'} multiply-adds "
              f"{plain_flops / 1e6:8.1f} M -> {(gram_flops if gram else plain_flops) / 1e6:8.1f} M; "
              f"off float64: keras {off['keras']:.1e}, ours {off['ours']:.1e}")
    for name, fn in compiled.items():
        times = []
        for i in range(args.repeats + 2):
            start = time.perf_counter()
            float(fn(inputs)[0][0, 0])
            if i >= 2:
                times.append(time.perf_counter() - start)
        print(f"{name}: all {len(matrices)} matrices {statistics.median(times) * 1e3:.1f} ms (median of {args.repeats})")


if __name__ == "__main__":
    main()
