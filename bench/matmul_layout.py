"""Why generation lays out its kernels as it does (`samplernn.backend.step_weights`): XLA CPU dot speed by layout.

    python bench/matmul_layout.py [--rows 1 32] [--inputs 1024] [--outputs 1024 3072 16384]

A compiled loop applies one (inputs, outputs) affine map per iteration to a (rows, inputs) activation, as a
generation step does, in three forms: `x @ w + b`; `(w^T @ x^T)^T + b` with `w^T` stored; and
`[x, 1] @ [w; b]`, the bias stacked under the kernel, so that nothing is left to add (for one row XLA's CPU
compiler fuses an add into the matrix-vector product, which then runs at half the speed); and, for scale,
`x @ w` without a bias. Prints microseconds per step, and GB/s of kernel read, per shape and form.
(The defaults are the default config's shapes: the MLP's layers, a GRU's projections, tier 0's upsampling.)
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def timed_loop(step, x, iterations, rounds=3):
    """Seconds per iteration of `step` in a compiled loop: the best of `rounds` runs after one that compiles."""
    import tensorflow as tf

    @tf.function(jit_compile=True)
    def loop(x):
        return tf.while_loop(lambda i, x: i < iterations, lambda i, x: (i + 1, step(x)), (0, x))[1]

    loop(x).numpy()  # compile
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        loop(x).numpy()
        best = min(best, time.perf_counter() - start)
    return best / iterations


def forms(w, b):
    """The forms of `x -> x @ w + b` compared, each followed by what feeds the next step its input back."""
    import numpy as np
    import tensorflow as tf

    inputs = w.shape[0]
    plain, transposed = tf.Variable(w), tf.Variable(w.T.copy())
    stacked, bias = tf.Variable(np.concatenate([w, b[None]])), tf.Variable(b)

    def feed_back(y):  # the next step's input, from the first `inputs` outputs (repeated if there are fewer)
        return tf.tanh(tf.tile(y, [1, -(-inputs // y.shape[1])])[:, :inputs])

    return {
        "x @ w + b": lambda x: feed_back(tf.matmul(x, plain) + bias),
        # The bias is added before transposing back: XLA folds transpose(dot(a, b)) into the slow form.
        "(w^T @ x^T)^T + b": lambda x: feed_back(tf.transpose(tf.matmul(transposed, x, transpose_b=True)
                                                              + bias[:, None])),
        "[x, 1] @ [w; b]": lambda x: feed_back(tf.matmul(tf.concat([x, tf.ones_like(x[:, :1])], axis=1), stacked)),
        "x @ w (no bias)": lambda x: feed_back(tf.matmul(x, plain)),
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, nargs="+", default=[1, 32])
    p.add_argument("--inputs", type=int, default=1024)
    p.add_argument("--outputs", type=int, nargs="+", default=[1024, 3072, 16384])
    args = p.parse_args()
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    k = args.inputs
    for n in args.outputs:
        w = rng.normal(0, k ** -0.5, (k, n)).astype(np.float32)
        compared = forms(w, rng.normal(size=n).astype(np.float32))  # the weights, once per shape
        for rows in args.rows:
            x = tf.constant(rng.normal(size=(rows, k)).astype(np.float32))
            iterations = max(64, 2 ** 24 // (rows * n))
            cells = []
            for name, form in compared.items():
                seconds = timed_loop(form, x, iterations)
                cells.append(f"{name} {seconds * 1e6:8.1f} us ({4 * k * n / seconds / 1e9:5.1f} GB/s)")
            print(f"{rows:3d} x {k} x {n:5d}: " + ", ".join(cells), flush=True)


if __name__ == "__main__":
    main()
