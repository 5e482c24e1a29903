"""The generation loop compiled as one graph: each tier at its own rate, one top frame per pass of the outer loop,
and the priming of the tiers on seed audio.

One pass of the outer loop produces one top frame (`big_frame_size` samples). Tier k runs once per
`frame_sizes[k]` samples, the sample MLP once per sample. The state is explicit: a context buffer of
two top frames (the last complete one and the one being written), every tier's RNN state, and the
conditioning each tier hands down. No Python runs per sample.
"""

from typing import NamedTuple

import numpy as np
import tensorflow as tf

from samplernn.quantization import quantize, zero_level


def _while(n, body, init):
    """for i in range(n): carry = body(i, carry), as a graph loop."""
    return tf.while_loop(lambda i, _: i < n, lambda i, c: (i + 1, body(i, c)), (tf.constant(0), init))[1]


class LoopResult(NamedTuple):
    """What `BlockLoop.run` returns: the levels drawn, the extras recorded, and where the loop stopped (the
    picker's carry, the context and the tiers' states), from which another run continues the same streams."""
    levels: tf.Tensor  # (B, capacity * big) int32; the samples past the num_blocks run are 0
    extras: tf.Tensor  # (B, n, ...) or None
    carry: tuple
    ctx: tf.Tensor  # (B, 2 * big), the last top frame in its first half
    states: list


class BlockLoop:
    """The generation loop of one model. `pick(logits (B, q), t, carry) -> (levels (B,) int32, extra, carry)`
    chooses sample t (counted from the start of the loop); `carry` is the picker's own state (tensors, () for
    none), handed from each sample to the next; `extra` (B, ...) is recorded per sample when `extra_shape` is
    given (the replay test records logits this way)."""

    def __init__(self, model, pick, extra_shape=None):
        self.model, self.pick, self.extra_shape = model, pick, extra_shape
        self.big = model.big_frame_size

    def run(self, ctx, states, num_blocks, carry=(), capacity=None):
        """ctx (B, 2 * big) int32 whose first half is the last top frame -> `LoopResult` of `num_blocks` top
        frames. `num_blocks` may be a tensor when `capacity` (an int >= it: the top frames the output holds)
        is given: one compiled loop then runs pieces of any length up to it."""
        # Lookup tables and kernels laid out for this many streams, once per call (`backend.step_weights`).
        rows = ctx.shape[0]
        self.mlp_weights = self.model.sample_mlp.step_weights(rows)
        self.tier_weights = [tier.step_weights(rows) for tier in self.model.frame_tiers]
        n = (num_blocks if capacity is None else capacity) * self.big
        levels = tf.TensorArray(tf.int32, size=n, element_shape=(rows,))
        extras = tf.TensorArray(tf.float32, size=n if self.extra_shape else 0, element_shape=self.extra_shape)

        def top(j, loop):
            ctx, states, out = loop
            top_tier = len(self.model.frame_sizes) - 1
            ctx, states, out = self._tier(top_tier, j * self.big, 0, ctx, states, None, out)
            # The block just written becomes the context of the next one.
            return tf.concat([ctx[:, self.big:], tf.zeros_like(ctx[:, self.big:])], axis=1), states, out

        ctx, states, (levels, extras, carry) = _while(num_blocks, top, (ctx, states, (levels, extras, carry)))
        levels = tf.transpose(levels.stack())  # (B, n)
        extras = tf.transpose(extras.stack(), [1, 0, 2]) if self.extra_shape else None
        return LoopResult(levels, extras, carry, ctx, states)

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


def seed_to_levels(seed_audio, q_type, q_levels, big):
    """Float seed audio -> int32 levels, left-padded with silence to whole top frames."""
    levels = quantize(seed_audio, q_type, q_levels)
    pad = (-len(levels)) % big
    return np.concatenate([np.full(pad, zero_level(q_type, q_levels), np.int32), levels])
