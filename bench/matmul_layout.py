"""Why generation multiplies by transposed kernels (`samplernn.backend.step_affine`): XLA CPU dot speed by layout.

    python bench/matmul_layout.py [--rows 1 32 128] [--units 1024]

A compiled loop applies two different (units, units) kernels per iteration to a (rows, units) activation,
as a generation step does, once as `x @ w` and once as `(w^T @ x^T)^T` with `w^T` stored. Prints GFLOP/s of
both and their ratio, per row count.
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def timed_loop(step, x, iterations):
    import tensorflow as tf

    @tf.function(jit_compile=True)
    def loop(x):
        return tf.while_loop(lambda i, x: i < iterations, lambda i, x: (i + 1, step(x)), (0, x))[1]

    loop(x).numpy()  # compile
    start = time.perf_counter()
    loop(x).numpy()
    return (time.perf_counter() - start) / iterations


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, nargs="+", default=[1, 32, 128])
    p.add_argument("--units", type=int, default=1024)
    args = p.parse_args()
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    n = args.units
    w1, w2 = (rng.normal(0, n ** -0.5, (n, n)).astype(np.float32) for _ in range(2))
    plain = [tf.Variable(w) for w in (w1, w2)]
    transposed = [tf.Variable(w.T.copy()) for w in (w1, w2)]
    bias = [tf.Variable(rng.normal(size=n).astype(np.float32)) for _ in range(2)]

    def x_at_w(x):
        return tf.tanh(tf.matmul(tf.nn.relu(tf.matmul(x, plain[0]) + bias[0]), plain[1]) + bias[1])

    def wt_at_xt(x):
        # The bias is added before transposing back: XLA folds transpose(dot(a, b)) into the slow form.
        h = tf.nn.relu(tf.matmul(transposed[0], x, transpose_b=True) + bias[0][:, None])  # (n, rows)
        return tf.tanh(tf.transpose(tf.matmul(transposed[1], h) + bias[1][:, None]))

    for rows in args.rows:
        x = tf.constant(rng.normal(size=(rows, n)).astype(np.float32))
        iterations = max(100, 64000 // rows)
        flops = 2 * 2 * rows * n * n
        a, b = timed_loop(x_at_w, x, iterations), timed_loop(wt_at_xt, x, iterations)
        print(f"rows {rows:4d}: x @ w {flops / a / 1e9:6.1f} GFLOP/s, (w^T @ x^T)^T {flops / b / 1e9:6.1f} GFLOP/s "
              f"-> {a / b:.2f}x", flush=True)


if __name__ == "__main__":
    main()
