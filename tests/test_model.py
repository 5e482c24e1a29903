"""The model's contract: generation replays the teacher-forced pass, causality, weight count, determinism."""

import numpy as np
import pytest
import tensorflow as tf

from helpers import tiny_config
from samplernn.generation import generate
from samplernn.loop import BlockLoop, prime
from samplernn.model import build_model
from samplernn.quantization import zero_level

# Step-by-step and whole-sequence passes do the same float32 arithmetic in a different order.
LOGIT_TOLERANCE = 1e-4

VARIANTS = [dict(frame_sizes=(8,), rnn_type="gru"), dict(frame_sizes=(8,), rnn_type="lstm"),
            dict(frame_sizes=(4, 16), rnn_type="gru"), dict(frame_sizes=(4, 16), rnn_type="lstm", skip_conn=True),
            dict(frame_sizes=(2, 4, 16), rnn_type="gru", skip_conn=True)]
AMPLITUDE = dict(frame_sizes=(4, 16), rnn_type="gru", amplitude_input=True)


def variant_id(variant):
    tiers = f"{len(variant['frame_sizes']) + 1}tier-{variant['rnn_type']}"
    return tiers + ("-amplitude" if variant.get("amplitude_input") else "")


def random_inputs(config, batch=3, length=64, seed=0):
    x = np.random.default_rng(seed).integers(0, config.q_levels, (batch, config.big_frame_size + length))
    x[:, :config.big_frame_size] = zero_level(config.q_type, config.q_levels)  # silent context, as in training
    return x.astype(np.int32)


# One stream runs each affine map as one matrix-vector product with its kernels and bias stacked, several
# streams with the kernels transposed (samplernn.backend.step_weights): both layouts replay the teacher-forced
# pass.
REPLAYS = [(v, 3) for v in VARIANTS + [AMPLITUDE]] + [(VARIANTS[0], 1), (VARIANTS[3], 1)]


@pytest.mark.parametrize("variant, batch", REPLAYS,
                         ids=lambda p: variant_id(p) if isinstance(p, dict) else f"{p}stream")
def test_step_by_step_replay_gives_teacher_forced_logits(variant, batch):
    config = tiny_config(**variant)
    model = build_model(config)
    x = random_inputs(config, batch=batch)
    big = config.big_frame_size
    logits, _ = model(x, training=False)
    forced = tf.constant(x[:, big:])
    loop = BlockLoop(model, lambda lg, t, c: (forced[:, t], lg, c), extra_shape=(None, config.q_levels))
    ctx, states = prime(model, np.zeros((batch, 0), np.int32), zero_level(config.q_type, config.q_levels))
    levels, replayed = loop.run(ctx, states, 64 // big)[:2]
    np.testing.assert_array_equal(levels.numpy(), x[:, big:])
    np.testing.assert_allclose(replayed.numpy(), logits.numpy(), atol=LOGIT_TOLERANCE)


@pytest.mark.parametrize("variant", VARIANTS[:3] + [AMPLITUDE], ids=variant_id)
def test_causality(variant):
    config = tiny_config(**variant)
    model = build_model(config)
    x = random_inputs(config)
    big = config.big_frame_size
    base, _ = model(x)
    for t in (0, 5, 17, 40, 63):  # target position whose input sample is changed
        changed = x.copy()
        changed[:, big + t] = (changed[:, big + t] + 7) % config.q_levels
        after, _ = model(changed)
        diff = np.abs(after.numpy() - base.numpy()).max(axis=(0, 2))  # (L,)
        assert diff[:t + 1].max() == 0.0, f"changing sample {t} changed logits at positions <= {t}"
        if t < 63:
            assert diff[t + 1] > 0.0, "the next sample must depend on the changed one"


def linear_params(n_in, n_out, bias=True):
    return n_in * n_out + n_out + (n_out if bias else 0)  # kernel + weight-norm gain + bias


@pytest.mark.parametrize("amplitude_input", [False, True])
def test_weight_count_matches_hand_computation(amplitude_input):
    config = tiny_config(frame_sizes=(4, 16), dim=16, num_rnn_layers=2, q_levels=16, emb_size=8,
                         amplitude_input=amplitude_input)
    d, q, e = 16, 16, 8
    per_sample = 2 if amplitude_input else 1  # frame-tier inputs per sample: level (and amplitude)
    gru = 3 * (d * d + d * d + 2 * d)  # Keras GRU (reset_after): kernel, recurrent kernel, two bias rows
    # input_proj, GRUs, h0, upsample x4
    top = linear_params(16 * per_sample, d) + 2 * gru + 2 * d + linear_params(d, 4 * d)
    bottom = linear_params(4 * per_sample, d) + 2 * gru + 2 * d + linear_params(d, 4 * d)  # upsample to 4 samples
    mlp = q * e + 4 * e * d + d + 2 * linear_params(d, d) + linear_params(d, q)  # embedding, window, hidden, out
    mlp += 4 * d if amplitude_input else 0  # the amplitude kernel of the first layer
    assert build_model(config).count_params() == top + bottom + mlp


def test_amplitude_input_gives_frame_tiers_each_sample_decoded():
    from samplernn.model import AMPLITUDE_INPUT_SCALE
    from samplernn.quantization import dequantize
    config = tiny_config(amplitude_input=True)
    model = build_model(config)
    levels = np.array([[0, 3, 8, 15]], np.int32)
    features = model.frame_input(levels).numpy().reshape(1, 4, 2)  # per sample: level, amplitude
    np.testing.assert_allclose(features[..., 0], 2.0 * (levels / 8.0 - 1.0), atol=1e-6)
    np.testing.assert_allclose(features[..., 1], AMPLITUDE_INPUT_SCALE * dequantize(levels, "mu-law", 16), atol=1e-6)


@pytest.mark.parametrize("amplitude_input", [False, True])
def test_table_path_equals_convolution_path(monkeypatch, amplitude_input):
    from samplernn import layers
    config = tiny_config(amplitude_input=amplitude_input)
    model = build_model(config)
    x = random_inputs(config)
    with_tables, _ = model(x)
    monkeypatch.setattr(layers, "MAX_TABLE_Q_LEVELS", 0)
    with_conv, _ = model(x)
    np.testing.assert_allclose(with_tables.numpy(), with_conv.numpy(), atol=1e-5)


def test_generation_is_seeded_and_follows_the_forward_pass():
    config = tiny_config()
    model = build_model(config)
    a = generate(model, 100, [1.0, 0.5], q_type=config.q_type, seed=3)
    b = generate(model, 100, [1.0, 0.5], q_type=config.q_type, seed=3)
    c = generate(model, 100, [1.0, 0.5], q_type=config.q_type, seed=4)
    assert a.shape == (2, 100) and np.array_equal(a, b) and not np.array_equal(a, c)
    # At a near-zero temperature sampling is argmax: every sample is the forward pass's most likely level.
    greedy = generate(model, 64, [1e-6], q_type=config.q_type, seed=0)
    from samplernn.quantization import quantize
    levels = quantize(greedy[0], config.q_type, config.q_levels)
    x = np.concatenate([np.full(16, zero_level(config.q_type, config.q_levels)), levels])[None].astype(np.int32)
    logits, _ = model(x)
    np.testing.assert_array_equal(np.argmax(logits.numpy()[0], axis=-1), levels)


def test_seed_audio_priming_continues_the_teacher_forced_pass():
    config = tiny_config()
    model = build_model(config)
    big, zero = config.big_frame_size, zero_level(config.q_type, config.q_levels)
    x = random_inputs(config, length=96)  # silence, then a 32-sample seed, then 64 samples to replay
    logits, _ = model(x)
    seed_levels, continuation = x[:, big:big + 32], tf.constant(x[:, big + 32:])
    ctx, states = prime(model, seed_levels, zero)
    loop = BlockLoop(model, lambda lg, t, c: (continuation[:, t], lg, c), extra_shape=(None, config.q_levels))
    replayed = loop.run(ctx, states, 64 // big).extras
    np.testing.assert_allclose(replayed.numpy(), logits.numpy()[:, 32:], atol=LOGIT_TOLERANCE)
    audio = generate(model, 40, [1.0, 1.0], q_type=config.q_type, seed_audio=np.zeros(50), seed=1)
    assert audio.shape == (2, 40)


def test_dropout_masks_differ_per_layer_and_follow_the_seed(monkeypatch):
    """Every GRU layer (all four take (B, T, dim) here) draws its own input mask; the same seed draws the
    same masks, another seed other ones."""
    import keras

    config, masks, real = tiny_config(rnn_dropout=0.5), [], keras.random.dropout

    def recording(x, rate, noise_shape=None, seed=None):
        mask = real(keras.ops.ones_like(x), rate, noise_shape=noise_shape, seed=seed)
        masks.append(np.asarray(mask)[:, 0] != 0)  # (B, dim): one mask over all time steps
        return x * mask

    monkeypatch.setattr(keras.random, "dropout", recording)

    def draw(seed):
        masks.clear()
        build_model(config, seed=seed)(random_inputs(config), training=True)
        return list(masks)

    first, again, other = draw(1), draw(1), draw(2)
    assert len(first) == 4 and all(m.shape == first[0].shape for m in first)
    assert all(not np.array_equal(a, b) for i, a in enumerate(first) for b in first[i + 1:])
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert all(not np.array_equal(a, b) for a, b in zip(first, other))


def test_two_windows_with_carried_state_equal_one_long_pass():
    """Truncated BPTT's forward pass: window 2 continues from window 1's state (and its big_frame_size samples
    of context) and together they give the logits of one teacher-forced pass over both."""
    config = tiny_config()
    model = build_model(config)
    x = random_inputs(config, length=2 * config.seq_len)
    long, _ = model(x)
    seq_len, big = config.seq_len, config.big_frame_size
    first, states = model(x[:, :seq_len + big], states=None)
    second, _ = model(x[:, seq_len:], states=states)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), long.numpy(), atol=1e-5)
    fresh, _ = model(x[:, seq_len:])
    assert not np.allclose(fresh.numpy(), second.numpy(), atol=1e-3), "the carried state matters"
