"""Does XLA on this CPU read a bfloat16 or int8 kernel faster than a float32 one, one stream's way (1 row)?

    python bench/xla_dot_dtypes.py [--rows 1] [--steps 64]
    XLA_FLAGS=--xla_cpu_use_xnnpack=true python bench/xla_dot_dtypes.py    # and any other XLA flag to try

One generated stream multiplies one row by every kernel of the model per sample, so its speed is the rate at
which the kernels are read: half the bytes (bfloat16) or a quarter (int8) could make it up to 2-4x faster, if
the compiled product reads them as they are. This bench compiles with XLA a loop of `--steps` passes through
16 kernels of 1024 x 3072 and 3072 x 1024 (200 MB in float32, more than the caches hold) at `--rows` rows, in
float32, bfloat16 and int8 (int8 x int8 -> int32, then scaled back), and prints the time per product and the
kernel bytes read per second, alternating twice. Equal times in every dtype mean that XLA converts the kernel
to float32 as it reads it: generation would gain nothing from smaller kernels (BENCHMARKS.md, issue 27).
"""

import argparse
import os
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

KERNELS = 16
IN, OUT = 1024, 3072


def chained(kernels, rows, steps, dtype):
    """A compiled loop of `steps` passes of a (rows, IN) float32 state through `kernels` computed in `dtype`."""
    import tensorflow as tf

    def product(h, kernel):
        if dtype == "int8":  # the state quantized per call, the product accumulated in int32
            q = tf.cast(tf.clip_by_value(tf.round(h * 32.0), -127.0, 127.0), tf.int8)
            return tf.cast(tf.raw_ops.BatchMatMulV3(x=q, y=kernel, Tout=tf.int32), tf.float32) / (32.0 * 127.0)
        return tf.cast(tf.matmul(tf.cast(h, kernel.dtype), kernel), tf.float32)

    @tf.function(jit_compile=True)
    def run(h):
        def body(i, h):
            for kernel in kernels:
                h = product(h, kernel)
            return i + 1, tf.tanh(h)
        return tf.while_loop(lambda i, _: i < steps, body, (0, h))[1]

    return run


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1)
    p.add_argument("--steps", type=int, default=64)
    args = p.parse_args()
    import tensorflow as tf

    rng = np.random.default_rng(0)
    shapes = [(IN, OUT) if i % 2 == 0 else (OUT, IN) for i in range(KERNELS)]
    floats = [(rng.standard_normal(shape) / np.sqrt(shape[0])).astype(np.float32) for shape in shapes]
    kernels = {"float32": [tf.constant(w) for w in floats],
               "bfloat16": [tf.constant(w, tf.bfloat16) for w in floats],
               "int8": [tf.constant(np.round(np.clip(w * 127 * 8, -127, 127)).astype(np.int8)) for w in floats]}
    state = tf.constant(rng.standard_normal((args.rows, IN)).astype(np.float32))
    runs = {dtype: chained(ks, args.rows, args.steps, dtype) for dtype, ks in kernels.items()}
    print(f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}, {args.rows} row(s), {KERNELS} kernels of {IN} x {OUT}")
    for round_ in (1, 2):
        for dtype, run in runs.items():
            run(state).numpy()  # compile (first round), warm the caches
            best = min(_timed(run, state) for _ in range(3))
            per = best / (args.steps * KERNELS)
            size = IN * OUT * kernels[dtype][0].dtype.size
            print(f"  round {round_}: {dtype:8s} {per * 1e6:7.1f} us per product, "
                  f"{size / per / 1e9:5.1f} GB/s of kernel")


def _timed(run, state):
    start = time.perf_counter()
    run(state).numpy()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
