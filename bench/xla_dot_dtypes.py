"""Does this CPU read a bfloat16 or int8 kernel faster than a float32 one, one stream's way (1 row) or 32's?

    python bench/xla_dot_dtypes.py [--rows 1] [--steps 64] [--layout plain] [--ops xla]
    XLA_FLAGS=--xla_cpu_use_xnnpack=true python bench/xla_dot_dtypes.py    # and any other XLA flag to try
    python bench/xla_dot_dtypes.py --rows 32 --layout transposed             # generation's layout for many rows
    python bench/xla_dot_dtypes.py --ops onednn                              # TensorFlow's own ops instead

One generated stream multiplies one row by every kernel of the model per sample, so its speed is the rate at
which the kernels are read: half the bytes (bfloat16) or a quarter (int8) could make it up to 2-4x faster, if
the product reads them as they are. This bench runs a loop of `--steps` passes through 16 kernels of 1024 x 3072
and 3072 x 1024 (200 MB in float32, more than the caches hold) at `--rows` rows, in float32, bfloat16 and int8,
and prints the time per product and the kernel bytes read per second, alternating twice.

`--ops xla` (generation's compiler) compiles the loop with XLA; int8 is int8 x int8 -> int32 (the state
quantized per row and call), then scaled back. `--layout transposed` stores every kernel transposed and
multiplies (N, K) @ (K, rows), as generation does for several streams (`samplernn.backend.step_weights`).
`--ops onednn` runs the loop as TensorFlow's own ops, whose matmuls are oneDNN's: bfloat16 kernels stored
transposed (the faster of the two forms there), int8 as oneDNN's weight-only product (bfloat16 x int8 ->
bfloat16); `--layout` does not apply. Equal times in every dtype mean that the product widens the kernel to
float32 as it reads it: generation would gain nothing from smaller kernels (BENCHMARKS.md, issue 27).
"""

import argparse
import os
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

KERNELS = 16
IN, OUT = 1024, 3072


def quantized_rows(h):
    """h (rows, K) float32 -> (int8 rows, each row's scale (rows, 1)): symmetric, per row."""
    import tensorflow as tf

    scale = tf.reduce_max(tf.abs(h), axis=1, keepdims=True) / 127.0 + 1e-12
    return tf.cast(tf.round(h / scale), tf.int8), scale


def xla_product(h, kernel, dtype, layout):
    """h (rows, K) float32 times a kernel (K, N) -> (rows, N) float32, as XLA compiles it. With `layout`
    transposed the kernel is (N, K), with a bias (N, 1) (a pair); an int8 kernel is a pair of the int8 kernel and
    its per-output scale."""
    import tensorflow as tf

    if dtype == "int8":
        (kernel, kernel_scale), (q, scale) = kernel, quantized_rows(h)
        if layout == "plain":
            return tf.cast(tf.raw_ops.BatchMatMulV3(x=q, y=kernel, Tout=tf.int32), tf.float32) * scale * kernel_scale
        product = tf.raw_ops.BatchMatMulV3(x=kernel, y=tf.transpose(q), Tout=tf.int32)  # (N, rows)
        return tf.transpose(tf.cast(product, tf.float32) * kernel_scale) * scale
    if layout == "plain":
        return tf.cast(tf.matmul(tf.cast(h, kernel.dtype), kernel), tf.float32)
    kernel, bias = kernel  # the bias added before transposing back, as `backend.step_affine` does: a transpose
    product = tf.matmul(kernel, tf.transpose(tf.cast(h, kernel.dtype)))  # of the dot itself XLA folds back
    return tf.transpose(tf.cast(product, tf.float32) + bias)


def onednn_product(h, kernel, dtype):
    """The same product as TensorFlow's own ops (oneDNN): float32 (K, N); bfloat16 stored (N, K); int8 (K, N)
    weight-only, times its per-output scale."""
    import tensorflow as tf

    if dtype == "float32":
        return tf.matmul(h, kernel)
    if dtype == "bfloat16":
        return tf.cast(tf.matmul(tf.cast(h, tf.bfloat16), kernel, transpose_b=True), tf.float32)
    kernel, kernel_scale = kernel
    product = tf.raw_ops.BatchMatMulV3(x=tf.cast(h, tf.bfloat16), y=kernel, Tout=tf.bfloat16)
    return tf.cast(product, tf.float32) * kernel_scale


def chained(kernels, steps, dtype, ops, layout):
    """A loop of `steps` passes of a (rows, IN) float32 state through `kernels` computed in `dtype`."""
    import tensorflow as tf

    def product(h, kernel):
        return xla_product(h, kernel, dtype, layout) if ops == "xla" else onednn_product(h, kernel, dtype)

    @tf.function(jit_compile=ops == "xla")
    def run(h):
        def body(i, h):
            for kernel in kernels:
                h = product(h, kernel)
            return i + 1, tf.tanh(h)
        return tf.while_loop(lambda i, _: i < steps, body, (0, h))[1]

    return run


def stored_kernels(floats, ops, layout):
    """{dtype: [kernel as `chained` takes it]} for float32 kernels (K, N)."""
    import tensorflow as tf

    transposed = ops == "xla" and layout == "transposed"
    laid = [w.T if transposed else w for w in floats]
    int8 = []
    for w in laid:
        scale = np.abs(w).max(axis=0 if not transposed else 1, keepdims=True) / 127.0  # per output unit
        int8.append((tf.constant(np.round(w / scale).astype(np.int8)), tf.constant(scale.astype(np.float32))))
    if transposed:  # with a bias (N, 1) each (`xla_product`)
        biases = [tf.constant(np.full((w.shape[0], 1), 0.01, np.float32)) for w in laid]
        return {"float32": [(tf.constant(w), b) for w, b in zip(laid, biases)],
                "bfloat16": [(tf.constant(w, tf.bfloat16), b) for w, b in zip(laid, biases)], "int8": int8}
    bf16 = [w.T if ops == "onednn" else w for w in laid]
    return {"float32": [tf.constant(w) for w in laid], "bfloat16": [tf.constant(w, tf.bfloat16) for w in bf16],
            "int8": int8}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1)
    p.add_argument("--steps", type=int, default=64)
    p.add_argument("--layout", choices=["plain", "transposed"], default="plain",
                   help="xla: kernels (K, N) times rows, or stored transposed as generation's several streams")
    p.add_argument("--ops", choices=["xla", "onednn"], default="xla",
                   help="compile the loop with XLA, or run it as TensorFlow's own ops (oneDNN's matmuls)")
    args = p.parse_args()
    import tensorflow as tf

    rng = np.random.default_rng(0)
    shapes = [(IN, OUT) if i % 2 == 0 else (OUT, IN) for i in range(KERNELS)]
    floats = [(rng.standard_normal(shape) / np.sqrt(shape[0])).astype(np.float32) for shape in shapes]
    kernels = stored_kernels(floats, args.ops, args.layout)
    state = tf.constant(rng.standard_normal((args.rows, IN)).astype(np.float32))
    runs = {dtype: chained(ks, args.steps, dtype, args.ops, args.layout) for dtype, ks in kernels.items()}
    how = f"XLA_FLAGS={os.environ.get('XLA_FLAGS', '')!r}, {args.layout} layout" if args.ops == "xla" else (
        "TensorFlow's own ops (oneDNN)")
    print(f"{how}, {args.rows} row(s), {KERNELS} kernels of {IN} x {OUT}")
    for round_ in (1, 2):
        for dtype, run in runs.items():
            run(state).numpy()  # compile (first round), warm the caches
            best = min(_timed(run, state) for _ in range(3))
            per = best / (args.steps * KERNELS)
            size = IN * OUT * {"float32": 4, "bfloat16": 2, "int8": 1}[dtype]
            print(f"  round {round_}: {dtype:8s} {per * 1e6:7.1f} us per product, "
                  f"{size / per / 1e9:5.1f} GB/s of kernel")


def _timed(run, state):
    start = time.perf_counter()
    run(state).numpy()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
