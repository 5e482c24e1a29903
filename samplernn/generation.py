"""Autoregressive generation: the whole sampling loop compiled on the device, each tier at its own rate.

One pass of the outer loop produces one top frame (`big_frame_size` samples). Tier k runs once per
`frame_sizes[k]` samples, the sample MLP once per sample. The state is explicit: a context buffer of
two top frames (the last complete one and the one being written), every tier's RNN state, and the
conditioning each tier hands down. No Python runs per sample.

Sampling can be adaptive (`generate_streams` with `target_bits`, the tools' default): each stream's
temperature is steered, sample by sample, so that what the stream draws stays as surprising to the model as
real audio is (the model's validation bits per sample). At a fixed temperature a stream can settle into a
state it never leaves: its own noise makes the model less certain, which draws more noise, or the reverse,
down into silence (BENCHMARKS.md, "Free-running generation that holds").
"""

import math
from typing import NamedTuple

import numpy as np
import tensorflow as tf

from samplernn.quantization import dequantize, quantize, zero_level


def _while(n, body, init):
    """for i in range(n): carry = body(i, carry), as a graph loop."""
    return tf.while_loop(lambda i, _: i < n, lambda i, c: (i + 1, body(i, c)), (tf.constant(0), init))[1]


class BlockLoop:
    """The generation loop of one model. `pick(logits (B, q), t, carry) -> (levels (B,) int32, extra, carry)`
    chooses sample t (counted from the start of the loop); `carry` is the picker's own state (tensors, () for
    none), handed from each sample to the next; `extra` (B, ...) is recorded per sample when `extra_shape` is
    given (the replay test records logits this way)."""

    def __init__(self, model, pick, extra_shape=None):
        self.model, self.pick, self.extra_shape = model, pick, extra_shape
        self.big = model.big_frame_size

    def run(self, ctx, states, num_blocks, carry=()):
        """ctx (B, 2 * big) int32 whose first half is the last top frame -> (levels (B, n * big), extras,
        the picker's last carry)."""
        # Lookup tables and kernels laid out for this many streams, once per call (`backend.step_kernel`).
        rows = ctx.shape[0]
        self.mlp_weights = self.model.sample_mlp.step_weights(rows)
        self.tier_weights = [tier.step_weights(rows) for tier in self.model.frame_tiers]
        n = num_blocks * self.big
        levels = tf.TensorArray(tf.int32, size=n, element_shape=(None,))
        extras = tf.TensorArray(tf.float32, size=n if self.extra_shape else 0, element_shape=self.extra_shape)

        def top(j, loop):
            ctx, states, out = loop
            top_tier = len(self.model.frame_sizes) - 1
            ctx, states, out = self._tier(top_tier, j * self.big, 0, ctx, states, None, out)
            # The block just written becomes the context of the next one.
            return tf.concat([ctx[:, self.big:], tf.zeros_like(ctx[:, self.big:])], axis=1), states, out

        _, _, (levels, extras, carry) = _while(num_blocks, top, (ctx, states, (levels, extras, carry)))
        levels = tf.transpose(levels.stack())  # (B, n)
        return levels, (tf.transpose(extras.stack(), [1, 0, 2]) if self.extra_shape else None), carry

    def _tier(self, k, t0, pos, ctx, states, conditioning, out):
        """Tier k steps once at block position `pos`, then everything below it fills its frame."""
        fs = self.model.frame_sizes[k]
        frame = self.model.frame_input(tf.slice(ctx, [0, self.big + pos - fs], [-1, fs]))  # (B, fs)
        tier = self.model.frame_tiers[k]
        upsampled, tier_state = tier.step(frame, conditioning, states[k], self.tier_weights[k])  # (B, ratio, dim)
        states = states[:k] + [tier_state] + states[k + 1:]
        sub = self.model.frame_sizes[k - 1] if k > 0 else 1

        def body(i, loop):
            ctx, states, out = loop
            if k > 0:
                return self._tier(k - 1, t0, pos + i * sub, ctx, states, upsampled[:, i], out)
            ctx, out = self._sample(t0, pos + i, ctx, upsampled[:, i], out)
            return ctx, states, out

        return _while(tier.ratio, body, (ctx, states, out))

    def _sample(self, t0, pos, ctx, conditioning, out):
        """Sample t0 + pos: written into the context, the levels and (with `extra_shape`) the extras."""
        levels, extras, carry = out
        fs0 = self.model.frame_sizes[0]
        window = tf.slice(ctx, [0, self.big + pos - fs0], [-1, fs0])  # (B, fs0) previous samples
        logits = self.model.sample_mlp.step(self.mlp_weights, window, conditioning)  # (B, q_levels)
        t = t0 + pos
        chosen, extra, carry = self.pick(logits, t, carry)
        batch = tf.shape(ctx)[0]
        index = tf.stack([tf.range(batch), tf.fill([batch], self.big + pos)], axis=1)  # (B, 2)
        if self.extra_shape:
            extras = extras.write(t, extra)
        return tf.tensor_scatter_nd_update(ctx, index, chosen), (levels.write(t, chosen), extras, carry)


# Bottom-tier steps per priming chunk (as `recurrence.CHUNK`): a long seed runs chunk by chunk through one
# compiled function, so the graph and the memory stay the size of one chunk whatever the seed's length
# (the default config: 16 top frames, 1,024 samples).
PRIME_CHUNK_STEPS = 64


def prime_chunk_frames(model):
    """Top frames per priming chunk: about PRIME_CHUNK_STEPS steps of the bottom tier."""
    return max(1, PRIME_CHUNK_STEPS * model.frame_sizes[0] // model.big_frame_size)


def prime(model, seed_levels, zero, chunk_frames=None):
    """The frame tiers over seed levels (B, S), S a multiple of the top frame size, `chunk_frames` top
    frames at a time (default `prime_chunk_frames`). The sample MLP does not run, nor the bottom tier's
    upsampling: generation needs only the tiers' states and the context.

    Returns (ctx (B, 2 * big), states) that continue right after the seed, the same as after the
    teacher-forced pass `model(seed)`; an empty seed starts from silence and the learned h0, exactly as
    training sequences do.
    """
    big = model.big_frame_size
    batch = seed_levels.shape[0]
    full = np.concatenate([np.full((batch, big), zero, np.int32), seed_levels], axis=1)  # (B, big + S)
    states = model.initial_states(batch)
    advance = _compiled_priming(model)
    step = (chunk_frames or prime_chunk_frames(model)) * big
    for offset in range(0, seed_levels.shape[1], step):
        states = advance(tf.constant(full[:, offset:offset + step + big]), states)  # chunk and its context
    ctx = np.concatenate([full[:, -big:], np.zeros((batch, big), np.int32)], axis=1)
    return tf.constant(ctx), states


def _compiled_priming(model):
    """model.advance_states as one graph per chunk shape (a full chunk and the seed's last one)."""
    if "_compiled_priming" not in model.__dict__:
        model.__dict__["_compiled_priming"] = tf.function(model.advance_states)
    return model.__dict__["_compiled_priming"]


class Start(NamedTuple):
    """Where every stream starts: the last top frame before the continuation and the tiers' states,
    both for one stream (`primed_start`), copied to each stream by `tile`."""
    context: np.ndarray  # (big,) int32 levels
    states: list  # per tier, bottom first: a list of (1, dim) tensors

    def tile(self, batch):
        """(ctx (batch, 2 * big) whose first half is the context, the states of `batch` streams)."""
        ctx = np.concatenate([np.tile(self.context[None], (batch, 1)), np.zeros((batch, len(self.context)),
                                                                                np.int32)], axis=1)
        return tf.constant(ctx), [[tf.tile(s, [batch, 1]) for s in tier] for tier in self.states]


def primed_start(model, q_type, seed_audio=None):
    """The `Start` of generation: silence and the learned h0, or after priming once (one stream) on
    float `seed_audio` in [-1, 1]."""
    big = model.big_frame_size
    levels = np.zeros(0, np.int32) if seed_audio is None else seed_to_levels(seed_audio, q_type, model.q_levels, big)
    ctx, states = prime(model, levels[None], zero_level(q_type, model.q_levels))
    return Start(ctx.numpy()[0, :big], states)


# Adaptive sampling: stream i draws at temperature base_i * exp(c_i). After each sample, c_i moves against
# the sample's surprise (-log2 of its probability under the model, at temperature 1) minus the stream's target,
# SURPRISE_GAIN per bit: a stream drawing more surprising samples than real audio gives (on its way into
# noise) cools down, one drawing less surprising ones (on its way into silence) warms up. 1e-2 per sample
# reacts within milliseconds; 1e-3 and 3e-3 held the streams of the second benchmark corpus as well but left
# piano streams with more silent gaps (BENCHMARKS.md). The temperature stays within TEMPERATURE_RANGE of the
# base, so a stream cannot run off where its target is out of reach.
SURPRISE_GAIN = 1e-2
TEMPERATURE_RANGE = (0.5, 2.0)


def _compiled_sampler(model, num_blocks):
    """One XLA-compiled sampling function per model and length, built on first use:
    (ctx, states, base temperatures (B,), target bits (B,), gain, seed, count) -> (levels (B, n), sums): the
    sums over the first `count` samples (those kept; the last top frame may run past them) of their surprise
    (bits) and of the temperature they were drawn at."""
    cache = model.__dict__.setdefault("_compiled_samplers", {})
    if num_blocks not in cache:
        low, high = (math.log(x) for x in TEMPERATURE_RANGE)

        @tf.function(jit_compile=True, reduce_retracing=True)
        def sample(ctx, states, temperatures, targets, gain, seed, count):
            def pick(logits, t, carry):
                c, surprise_sum, temperature_sum = carry
                logits = tf.cast(logits, tf.float32)
                temperature = temperatures * tf.exp(c)  # exactly `temperatures` while c is 0 (plain sampling)
                draw = tf.cast(tf.random.stateless_categorical(logits / temperature[:, None], 1,
                                                               seed=tf.stack([seed, t]))[:, 0], tf.int32)
                nats = tf.reduce_logsumexp(logits, axis=-1) - tf.gather(logits, draw, batch_dims=1)  # -ln p(draw)
                surprise = nats / math.log(2.0)
                c = tf.clip_by_value(c - gain * (surprise - targets), low, high)
                kept = tf.cast(t < count, tf.float32)
                return draw, None, (c, surprise_sum + kept * surprise, temperature_sum + kept * temperature)

            zeros = tf.zeros_like(temperatures)
            levels, _, carry = BlockLoop(model, pick).run(ctx, states, num_blocks, (zeros, zeros, zeros))
            return levels, carry[1:]
        cache[num_blocks] = sample
    return cache[num_blocks]


def seed_to_levels(seed_audio, q_type, q_levels, big):
    """Float seed audio -> int32 levels, left-padded with silence to whole top frames."""
    levels = quantize(seed_audio, q_type, q_levels)
    pad = (-len(levels)) % big
    return np.concatenate([np.full(pad, zero_level(q_type, q_levels), np.int32), levels])


class Streams(NamedTuple):
    """What `generate_streams` returns: per stream its audio, and the mean over its samples of their surprise
    to the model (bits/sample: the model's own score of the audio, as a teacher-forced pass would give it) and
    of the temperature each was drawn at."""
    audio: np.ndarray  # (streams, samples) float32
    bits: np.ndarray  # (streams,)
    temperature: np.ndarray  # (streams,)


def generate_streams(model, num_samples, temperatures, *, q_type, seed_audio=None, seed=None, start_from=None,
                     target_bits=None):
    """Generates audio, one stream per temperature, and does no I/O.

    model: a built SampleRNN. num_samples: samples per stream. temperatures: floats > 0.
    target_bits: None samples each stream at its fixed temperature; a float samples adaptively, each stream
    held at its temperature times `target_bits` of surprise per sample (use the model's validation bits: 1.0
    then means as surprising as real audio, 1.1 ten percent more).
    q_type: the quantization law the model was trained with. seed_audio: optional float array in
    [-1, 1] that primes every stream (once: the primed state is copied to each stream). start_from: a
    `Start` already primed (by `primed_start`), instead of `seed_audio`. seed: int RNG seed; the same seed gives
    the same audio.
    Returns `Streams`; the audio is the continuation only, without the seed.
    """
    if start_from is not None and seed_audio is not None:
        raise ValueError("give seed_audio or start_from, not both")
    temps = np.asarray(temperatures, np.float32)
    if start_from is None:
        start_from = primed_start(model, q_type, seed_audio)
    ctx, states = start_from.tile(len(temps))
    if seed is None:
        seed = int(np.random.default_rng().integers(2 ** 31))
    if target_bits is None:
        base, targets, gain = temps, np.zeros_like(temps), 0.0
    else:
        base, targets, gain = np.ones_like(temps), temps * np.float32(target_bits), SURPRISE_GAIN
    num_blocks = -(-num_samples // model.big_frame_size)
    levels, (surprise, temperature) = _compiled_sampler(model, num_blocks)(
        ctx, states, tf.constant(base), tf.constant(targets), tf.constant(gain, tf.float32),
        tf.constant(seed, tf.int32), tf.constant(num_samples, tf.int32))
    return Streams(dequantize(levels.numpy()[:, :num_samples], q_type, model.q_levels),
                   surprise.numpy() / num_samples, temperature.numpy() / num_samples)


def stream_labels(streams, temperatures, target_bits):
    """Per stream, what a report says of how it was drawn: the temperature; adaptive, the target and the
    average temperature; and the surprise of its audio to the model (bits/sample)."""
    if target_bits is None:
        return [f" (temperature {t:g}; {b:.2f} bits/sample)" for t, b in zip(temperatures, streams.bits)]
    return [f" (temperature {t:g}, adaptive: {b:.2f} bits/sample for a target of {t * target_bits:.2f}, drawn at "
            f"{avg:.2f} on average)" for t, b, avg in zip(temperatures, streams.bits, streams.temperature)]


def generate(model, num_samples, temperatures, **kwargs):
    """The audio of `generate_streams` (float32, (streams, samples))."""
    return generate_streams(model, num_samples, temperatures, **kwargs).audio
