"""What differs between Keras backends, and what their CPU compilers need, in one place."""

import keras


def xla(fn):
    """On TensorFlow, `fn` compiled with XLA even inside a graph that is not; JAX compiles everything anyway.

    For the parts TensorFlow's own CPU kernels run slowly op by op: `SampleMLP`'s `frame_size` table
    gathers with their scatter-add gradient (10x faster fused), and the GRU time loop.
    """
    if keras.backend.backend() != "tensorflow":
        return fn
    import tensorflow as tf

    return tf.function(fn, jit_compile=True)  # one trace per shape: the GRU unrolls its static length


def xla_dots_run_in(dtype):
    """Whether XLA's matmuls run in `dtype` itself on this machine (so fusing with `xla` keeps their speed).

    XLA's CPU compiler computes a bfloat16 or float16 dot in float32 (bfloat16 matmuls ran no faster than
    float32 ones, `bench/step_breakdown.py`), where TensorFlow's own MatMul reaches oneDNN's AMX and AVX512-BF16
    kernels; so on a CPU, 16-bit layers keep their matmuls out of XLA. GPUs compute 16-bit dots natively.
    """
    if keras.backend.backend() != "tensorflow" or keras.backend.standardize_dtype(dtype) == "float32":
        return True
    import tensorflow as tf

    return bool(tf.config.list_logical_devices("GPU"))


def step_kernel(kernel, rows):
    """`kernel` (inputs, units) laid out for `step_affine` over `rows` rows (None: unknown, taken as many).

    XLA's CPU dot multiplies (B, K) @ (K, N) for B ~ 32 about 2.5-3x slower than (N, K) @ (K, B) once the
    kernels no longer fit in the cache (`bench/matmul_layout.py`), so for several rows the kernel is kept
    transposed; for one row (a matrix-vector product) `x @ kernel` is the faster form and it stays as it is.
    Returns (the kernel or its transpose, whether transposed).
    """
    return (kernel, False) if rows == 1 else (keras.ops.transpose(kernel), True)


def step_affine(terms, bias):
    """sum of `x @ kernel` over terms [(x (B, inputs), step_kernel(kernel, B))], plus bias (units,) or None.

    With transposed kernels it works on (units, B) until the bias is added: transposing the dot's result
    directly would let XLA fold the transpose back into the slow form.
    """
    ops = keras.ops
    transposed = terms[0][1][1]  # the terms of one call are laid out alike
    if not transposed:
        y = sum(ops.matmul(x, kernel) for x, (kernel, _) in terms)
        return y if bias is None else y + bias
    y = sum(ops.matmul(kernel_t, ops.transpose(x)) for x, (kernel_t, _) in terms)
    return ops.transpose(y if bias is None else y + bias[:, None])
