"""What differs between Keras backends, in one place."""

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
