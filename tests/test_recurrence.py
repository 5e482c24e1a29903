"""The hand-written GRU equals keras.layers.GRU(reset_after=True) with the same weights: outputs, final state
and every gradient, across a chunk boundary."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from samplernn import recurrence
from samplernn.recurrence import GRU

TOL = dict(rtol=1e-4, atol=1e-5)  # float32, different summation orders


def twin_layers(input_dim, units):
    ours = GRU(units)
    ours.build((None, None, input_dim))
    ref = keras.layers.GRU(units, return_sequences=True, return_state=True)
    ref.build((None, None, input_dim))
    rng = np.random.default_rng(0)
    for w in ours.weights:
        w.assign(rng.normal(0, 0.3, w.shape).astype(np.float32))
    ref.set_weights([w.numpy() for w in ours.weights])  # same layout: kernel, recurrent_kernel, bias
    return ours, ref


@pytest.mark.parametrize("steps,compiled", [(5, False), (5, True), (recurrence.CHUNK + 6, False)])
def test_gru_matches_keras_gru_forward_and_gradients(steps, compiled, monkeypatch):
    monkeypatch.setattr(recurrence, "MIN_XLA_UNITS", 0 if compiled else 10 ** 9)
    ours, ref = twin_layers(input_dim=6, units=4)
    rng = np.random.default_rng(1)
    x = tf.constant(rng.normal(size=(3, steps, 6)).astype(np.float32))
    h0 = tf.constant(rng.normal(size=(3, 4)).astype(np.float32))
    weights = rng.normal(size=(3, steps, 4)).astype(np.float32)  # a loss that weighs every output differently

    def run(layer, call):
        with tf.GradientTape() as tape:
            tape.watch([x, h0])
            out, last = call(layer)
            loss = tf.reduce_sum(out * weights) + tf.reduce_sum(last ** 2)
        grads = tape.gradient(loss, [x, h0] + [w.value for w in layer.weights])
        return out, last, grads

    out, last, grads = run(ours, lambda layer: layer(x, [h0]))
    ref_out, ref_last, ref_grads = run(ref, lambda layer: layer(x, initial_state=[h0]))
    np.testing.assert_allclose(out, ref_out, **TOL)
    np.testing.assert_allclose(last, ref_last, **TOL)
    for name, g, rg in zip(["x", "h0", "kernel", "recurrent_kernel", "bias"], grads, ref_grads):
        np.testing.assert_allclose(g, rg, err_msg=name, **TOL)


@pytest.mark.parametrize("rows", [1, 2])  # kernels as they are for one row, transposed for several
def test_gru_step_matches_the_sequence(rows):
    ours, _ = twin_layers(input_dim=6, units=4)
    rng = np.random.default_rng(2)
    x = rng.normal(size=(rows, 7, 6)).astype(np.float32)
    h = rng.normal(size=(rows, 4)).astype(np.float32)
    out, _ = ours(x, [h])
    weights = ours.step_weights(rows)
    for t in range(7):
        h, _ = ours.step(x[:, t], [h], weights)
        np.testing.assert_allclose(h, out[:, t], **TOL)


def test_gru_config_round_trip():
    layer = GRU(8, dropout=0.25, name="g")
    again = GRU.from_config(layer.get_config())
    assert (again.units, again.dropout, again.name) == (8, 0.25, "g")


@pytest.mark.skipif(bool(tf.config.list_logical_devices("GPU")), reason="the CPU's choice of time loop")
def test_bf16_gru_keeps_its_matmuls_out_of_xla_and_matches_float32(monkeypatch):
    # XLA's CPU dot would compute in float32; TensorFlow's own MatMul reaches the CPU's bfloat16 units.
    monkeypatch.setattr(recurrence, "MIN_XLA_UNITS", 0)
    assert recurrence.sequence_function(4, "float32") is recurrence._gru_sequence_xla
    assert recurrence.sequence_function(4, "bfloat16") is recurrence._gru_sequence
    ours, _ = twin_layers(input_dim=6, units=4)
    half = GRU(4, dtype="mixed_bfloat16")
    half.build((None, None, 6))
    half.set_weights(ours.get_weights())
    rng = np.random.default_rng(3)
    x = tf.constant(rng.normal(size=(3, 9, 6)).astype(np.float32))
    h0 = tf.constant(rng.normal(size=(3, 4)).astype(np.float32))

    def run(layer):
        with tf.GradientTape() as tape:
            out, _ = layer(x, [h0])
            loss = tf.reduce_sum(tf.cast(out, tf.float32) ** 2)
        return out, tape.gradient(loss, [w.value for w in layer.weights])

    (out, grads), (half_out, half_grads) = run(ours), run(half)
    assert half_out.dtype == tf.bfloat16 and all(g.dtype == tf.float32 for g in half_grads)
    bf16 = dict(rtol=0.05, atol=0.05)  # 8 bits of mantissa through 9 steps
    np.testing.assert_allclose(tf.cast(half_out, tf.float32), out, **bf16)
    for name, g, hg in zip(["kernel", "recurrent_kernel", "bias"], grads, half_grads):
        np.testing.assert_allclose(hg, g, err_msg=name, rtol=0.05, atol=0.05 * float(np.abs(g).max()))
