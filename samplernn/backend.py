"""What differs between Keras backends, and what their CPU compilers need, in one place."""

from typing import NamedTuple

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


class StepWeights(NamedTuple):
    """An affine map `sum_i x_i @ kernels[i] + bias` laid out for `step_affine` over some rows (`step_weights`)."""
    stacked: object  # one row: every term's kernel, then the bias (zeros if none): (sum_i inputs_i + 1, units)
    transposed: list  # several rows: each term's kernel transposed, (units, inputs_i)
    bias: object  # several rows: (units,) or None


def step_weights(kernels, bias, rows):
    """The map `sum_i x_i @ kernels[i] + bias` (bias (units,) or None) laid out for `step_affine` over `rows`
    rows (None: unknown, taken as many). Computed once per generation call, not per step.

    One row: the kernels and the bias stacked into one matrix, so that one matrix-vector product with the
    inputs and a trailing 1 computes the whole map. XLA's CPU compiler fuses an add into the matrix-vector
    product whose result it takes ("output fusion": the bias, or a second term), and the fused product ran at
    half the speed of a plain one (1 x 1024 x 3072: 443 against 267 us, 1 x 1024 x 16384: 2.47 against 1.24 ms;
    `bench/matmul_layout.py`); with nothing to add, there is nothing to fuse.
    Several rows: XLA's CPU dot multiplies (B, K) @ (K, N) for B ~ 32 about 2.5-3x slower than (N, K) @ (K, B)
    once the kernels no longer fit in the cache (`bench/matmul_layout.py`), so the kernels are kept transposed.
    """
    ops = keras.ops
    if rows != 1:
        return StepWeights(None, [ops.transpose(kernel) for kernel in kernels], bias)
    units = kernels[0].shape[-1]
    last = ops.zeros((1, units), kernels[0].dtype) if bias is None else ops.cast(ops.reshape(bias, (1, units)),
                                                                                 kernels[0].dtype)
    return StepWeights(ops.concatenate(list(kernels) + [last], axis=0), None, None)


def step_affine(xs, weights):
    """`sum_i xs[i] @ kernels[i] + bias` for xs [(B, inputs_i)] and `weights` from `step_weights(..., B)`.

    With transposed kernels it works on (units, B) until the bias is added: transposing the dot's result
    directly would let XLA fold the transpose back into the slow form.
    """
    ops = keras.ops
    if weights.stacked is not None:
        one = ops.ones_like(xs[0][:, :1])
        return ops.matmul(ops.concatenate(list(xs) + [one], axis=-1), weights.stacked)
    y = sum(ops.matmul(kernel_t, ops.transpose(x)) for x, kernel_t in zip(xs, weights.transposed))
    return ops.transpose(y if weights.bias is None else y + weights.bias[:, None])
