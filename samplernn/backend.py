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



def step_affine(terms, bias):
    """sum of `x @ kernel` over terms [(x (B, inputs), kernel_t (units, inputs))], plus bias (units,) or None.

    For the few rows of a generation step. XLA's CPU dot multiplies (B, K) @ (K, N) for B ~ 32 about 2.5x
    slower than (N, K) @ (K, B) once the kernels no longer fit in the cache (`bench/matmul_layout.py`), so
    generation keeps transposed kernels and works on (units, B) until the bias is added: transposing the
    dot's result directly would let XLA fold the transpose back into the slow form.
    """
    ops = keras.ops
    y = sum(ops.matmul(kernel_t, ops.transpose(x)) for x, kernel_t in terms)
    return ops.transpose(y if bias is None else y + bias[:, None])
