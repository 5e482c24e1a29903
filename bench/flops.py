"""FLOP counts of the model and the machine's matmul rate: the physical bound the benches compare to."""

import statistics
import time


def flops_per_sample(config):
    """FLOPs (2 x multiply-adds) of one sample's forward pass with the MLP's lookup tables: the MLP plus each
    frame tier's share (one tier step per `frame_size` samples). The same count holds for generation."""
    d, fs = config.dim, config.frame_sizes
    mlp = fs[0] * d + 2 * d * d + d * config.q_levels  # table rows summed, two hidden layers, output
    gates = 4 if config.rnn_type == "lstm" else 3
    total = mlp
    for k, size in enumerate(fs):
        ratio = fs[0] if k == 0 else size // fs[k - 1]
        rnn = config.num_rnn_layers * gates * 2 * d * d
        total += (size * d + rnn + d * d * ratio) / size
    return 2 * total


def training_flops_per_sample(config, batch_size):
    """Forward + backward (about 3x the forward), plus building the MLP's tables once per step."""
    tables = 2 * config.frame_sizes[0] * config.q_levels * config.emb_size * config.dim
    return 3 * flops_per_sample(config) + 3 * tables / (batch_size * config.seq_len)


def median_time(fn, *args, repeats=5):
    """Seconds per call of `fn(*args)` (its results read back): the median of `repeats` after 2 warm-up calls."""
    import tensorflow as tf

    for _ in range(2):
        tf.nest.map_structure(lambda t: t.numpy(), fn(*args))
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        tf.nest.map_structure(lambda t: t.numpy(), fn(*args))
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def matmul_rate(m, k, n, dtype, repeats=20):
    """GFLOP/s of (m, k) @ (k, n) in `dtype`, `repeats` dependent products in one graph (no XLA); n >= k."""
    import tensorflow as tf

    a = tf.cast(tf.random.normal((m, k)), dtype)
    b = tf.cast(tf.random.normal((k, n)) * 0.01, dtype)

    @tf.function
    def chain(a, b):
        for _ in range(repeats):
            a = a + tf.matmul(a, b)[:, :k]
        return a

    return 2 * m * k * n * repeats / median_time(chain, a, b) / 1e9


def matmul_gflops(size=2048, dtype="float32"):
    """The machine's matmul rate through TensorFlow for square matrices, in `dtype` (float32, bfloat16, float16)."""
    return matmul_rate(size, size, size, dtype, repeats=10)


def weight_bytes_per_sample(config):
    """fp32 bytes of weights one stream reads per generated sample: each tier's weights once per its step.

    One stream is a matrix-vector product per layer, so it is bound by memory bandwidth, not FLOPs: every
    weight counted by `flops_per_sample` is read once (4 bytes) for its multiply-add (2 FLOPs)."""
    return 2 * flops_per_sample(config)


def memory_gbps(megabytes=256, repeats=5):
    """Memory read bandwidth: the best of `repeats` sums over an array far larger than the caches."""
    import numpy as np

    a = np.ones(megabytes * 2 ** 20 // 4, np.float32)
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        a.sum()
        best = min(best, time.perf_counter() - start)
    return a.nbytes / best / 1e9
