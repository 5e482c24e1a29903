"""The Keras layer contract: shapes, get_config/from_config round trips, weight normalization."""

import keras
import numpy as np
import pytest

from helpers import tiny_config
from samplernn.layers import FrameRNN, Linear, SampleMLP
from samplernn.model import SampleRNN, build_model


def test_linear_weight_norm_starts_at_the_initial_kernel_and_scales_with_gain():
    layer = Linear(5, weight_norm=True)
    x = np.random.default_rng(0).normal(size=(2, 3)).astype(np.float32)
    y = layer(x).numpy()
    np.testing.assert_allclose(y, x @ layer.kernel.numpy() + layer.bias.numpy(), atol=1e-5)
    layer.gain.assign(layer.gain.numpy() * 2)
    np.testing.assert_allclose(layer(x).numpy() - layer.bias.numpy(), 2 * (y - layer.bias.numpy()), atol=1e-5)


@pytest.mark.parametrize("shape, axes", [((1024, 1024), 0), ((4, 16, 16), (0, 1))])
def test_weight_norm_compiled_for_large_kernels_equals_the_plain_ops_in_value_and_gradient(shape, axes):
    import tensorflow as tf

    from samplernn import layers

    rng = np.random.default_rng(0)
    v = tf.Variable(rng.normal(size=shape).astype(np.float32))
    gain = tf.Variable(rng.uniform(0.5, 2, size=shape[-1]).astype(np.float32))
    weights = tf.constant(rng.normal(size=shape).astype(np.float32))  # a loss that weighs every entry
    results = []
    for normalise in (layers._normalise, lambda v, g, a: layers.normalised_kernel(v, g, a, "float32")):
        with tf.GradientTape() as tape:
            w = normalise(v, gain, axes)
            loss = tf.reduce_sum(w * weights)
        results.append([w.numpy()] + [g.numpy() for g in tape.gradient(loss, [v, gain])])
    assert (np.prod(shape) >= layers.MIN_XLA_WEIGHTS) == (shape == (1024, 1024))  # both paths are covered
    for plain, chosen in zip(*results):
        np.testing.assert_allclose(chosen, plain, rtol=1e-4, atol=1e-6)


def test_bf16_linear_normalises_its_float32_kernel_before_casting():
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        layer = Linear(6)
        layer.build((None, 4))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    layer.kernel.assign(np.random.default_rng(1).normal(size=(4, 6)).astype(np.float32))
    v = layer.kernel.numpy()
    expected = v * layer.gain.numpy() / np.sqrt((v ** 2).sum(axis=0))
    kernel = layer.effective_kernel()
    assert keras.backend.standardize_dtype(kernel.dtype) == "bfloat16"
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(keras.ops.cast(kernel, "float32")),
                                  keras.ops.convert_to_numpy(keras.ops.cast(keras.ops.cast(expected, "bfloat16"),
                                                                            "float32")))


@pytest.mark.parametrize("rnn_type", ["gru", "lstm"])
@pytest.mark.parametrize("skip_conn", [False, True])
def test_frame_rnn_shapes_and_state(rnn_type, skip_conn):
    tier = FrameRNN(frame_size=4, ratio=4, dim=8, rnn_type=rnn_type, num_rnn_layers=2, skip_conn=skip_conn)
    frames = np.zeros((3, 5, 4), np.float32)
    tier.build(frames.shape)
    state = tier.initial_state(3)
    assert len(state) == 2 * (2 if rnn_type == "lstm" else 1)
    out, new_state = tier(frames, None, state)
    assert out.shape == (3, 20, 8) and [s.shape for s in new_state] == [(3, 8)] * len(state)


def test_sample_mlp_shapes():
    mlp = SampleMLP(frame_size=4, dim=8, q_levels=16, emb_size=3)
    mlp.build((None, None))
    logits = mlp(np.zeros((2, 10 + 3), np.int32), np.zeros((2, 10, 8), np.float32))
    assert logits.shape == (2, 10, 16)
    assert mlp.lookup_tables().shape == (4, 16, 8)


@pytest.mark.parametrize("layer", [
    Linear(7, use_bias=False, weight_norm=False, kernel_initializer="he_uniform"),
    FrameRNN(frame_size=4, ratio=2, dim=8, rnn_type="lstm", num_rnn_layers=3, skip_conn=True, rnn_dropout=0.1,
             weight_norm=False, learn_h0=False),
    SampleMLP(frame_size=4, dim=8, q_levels=16, emb_size=3, weight_norm=False),
], ids=["Linear", "FrameRNN", "SampleMLP"])
def test_layer_config_round_trip(layer):
    clone = layer.__class__.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()


def test_model_config_round_trip_and_serialization():
    model = build_model(tiny_config(rnn_type="lstm", skip_conn=True))
    clone = SampleRNN.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(model))
    assert isinstance(restored, SampleRNN) and restored.frame_sizes == (4, 16)


def test_learn_h0_false_freezes_the_initial_state():
    frozen = build_model(tiny_config(learn_h0=False))
    learned = build_model(tiny_config())
    assert len(learned.trainable_weights) == len(frozen.trainable_weights) + 2  # one h0 per frame tier
