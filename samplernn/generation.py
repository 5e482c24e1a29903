"""Autoregressive generation: streams drawn piece by piece, each piece by the generation loop compiled on the
device (`samplernn.loop`), the state carried from piece to piece.

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

from samplernn.loop import BlockLoop, primed_start
from samplernn.options import DRAW, DRAWS
from samplernn.quantization import dequantize


# Adaptive sampling: stream i draws at temperature base_i * exp(c_i). After each sample, c_i moves against
# the sample's surprise (-log2 of its probability under the model, at temperature 1) minus the stream's target,
# SURPRISE_GAIN per bit: a stream drawing more surprising samples than real audio gives (on its way into
# noise) cools down, one drawing less surprising ones (on its way into silence) warms up. 1e-2 per sample
# reacts within milliseconds; 1e-3 and 3e-3 held the streams of the second benchmark corpus as well but left
# piano streams with more silent gaps, and no gain from 1e-3 to 3e-2 brought both corpora nearer the real audio
# (BENCHMARKS.md, "Fidelity, a fourth look"). The temperature stays within TEMPERATURE_RANGE of the base, so a
# stream cannot run off where its target is out of reach.
SURPRISE_GAIN = 1e-2
TEMPERATURE_RANGE = (0.5, 2.0)


# Streams are drawn piece by piece (`PieceSampler`): pieces of at most this many samples (2 s at 16 kHz) run
# through one compiled loop, whatever the length asked for; the audio arrives as it is made, and memory holds
# one piece. Long enough that a piece's call costs nothing next to its samples; short enough that a Ctrl-C,
# which takes effect between pieces, is answered within seconds.
PIECE_SAMPLES = 32768


def draw_levels(logits, temperature, seed):
    """One level per row of `logits` (B, q) float32, drawn from softmax(logits / temperature) with `temperature`
    (B,): the inverse of the distribution function at one uniform number per row, drawn from `seed` ((2,) int32,
    the stateless RNG's key). Rows whose largest logit is 0 cannot overflow. A level whose weight underflows to 0
    is never drawn, whatever the rounding.

    In two levels, so that no prefix sum runs over all q levels: the blocks of `block` levels first, then the
    levels of the chosen block. The Gumbel-max draw (`gumbel_levels`: a uniform number and two logarithms per
    level) took 18 and 150 us per sample of 1 and 32 streams of 256 levels; this takes 1.4 and 18.5 (the Xeon VM
    of BENCHMARKS.md).
    """
    q = logits.shape[-1]
    block = 2 ** math.ceil(math.log2(q) / 2)  # ~sqrt(q): 16 for 256 levels
    blocks = -(-q // block)
    weights = tf.exp(logits / temperature[:, None])
    weights = tf.reshape(tf.pad(weights, [[0, 0], [0, blocks * block - q]]), (-1, blocks, block))
    ends = tf.cumsum(tf.reduce_sum(weights, axis=-1), axis=-1)  # (B, blocks): where each block's mass ends
    total = ends[:, -1]
    target = tf.minimum(tf.random.stateless_uniform(tf.shape(total), seed=seed) * total, total * _BELOW_ONE)
    chosen = tf.reduce_sum(tf.cast(ends <= target[:, None], tf.int32), axis=-1)  # the first block ending above
    start = tf.where(chosen > 0, tf.gather(ends, tf.maximum(chosen - 1, 0), batch_dims=1), 0.0)
    within = tf.cumsum(tf.gather(weights, chosen, batch_dims=1), axis=-1)  # (B, block)
    rest = tf.clip_by_value(target - start, 0.0, within[:, -1] * _BELOW_ONE)
    return chosen * block + tf.reduce_sum(tf.cast(within <= rest[:, None], tf.int32), axis=-1)


_BELOW_ONE = 1.0 - 2.0 ** -23  # x * _BELOW_ONE < x for every positive float32 x


def gumbel_levels(logits, temperature, seed):
    """As `draw_levels`, by Gumbel-max: the level whose logit / temperature plus Gumbel noise (one uniform number
    per level) is largest. The draw of the toolkit's releases before `--draw`: the same seed, the same audio."""
    return tf.cast(tf.random.stateless_categorical(logits / temperature[:, None], 1, seed=seed)[:, 0], tf.int32)


LEVEL_DRAWS = {"inverse": draw_levels, "gumbel": gumbel_levels}  # `DRAWS` by name


def _draw_with_surprise(logits, temperature, seed, draw):
    """(levels (B,), each level's -ln p at temperature 1 (B,)) drawn from float32 `logits` by `draw` ("gumbel"
    or "inverse": `DRAWS`)."""
    if draw == "gumbel":  # exactly as before `--draw`, so that a seed gives the audio it gave then
        levels = gumbel_levels(logits, temperature, seed)
        return levels, tf.reduce_logsumexp(logits, axis=-1) - tf.gather(logits, levels, batch_dims=1)
    logits = logits - tf.reduce_max(logits, axis=-1, keepdims=True)  # the largest is 0: exp cannot overflow
    levels = draw_levels(logits, temperature, seed)
    return levels, tf.math.log(tf.reduce_sum(tf.exp(logits), axis=-1)) - tf.gather(logits, levels, batch_dims=1)


def _compiled_piece(model, capacity, draw):
    """One XLA-compiled function per model, capacity (top frames per piece) and draw (`DRAWS`), built on first
    use, that draws one piece of `num_blocks` <= capacity top frames: (ctx, states, c (B,), first, num_blocks, base
    temperatures (B,), target bits (B,), gain, seed, count) -> (levels (B, capacity * big), ctx, states, c,
    sums). `c` is each stream's log-temperature correction (adaptive sampling), `first` the RNG counter of the
    piece's first sample, `sums` the sums over its first `count` samples (those kept; the last top frame may
    run past them) of their surprise (bits) and of the temperature they were drawn at."""
    cache = model.__dict__.setdefault("_compiled_pieces", {})
    if (capacity, draw) not in cache:
        low, high = (math.log(x) for x in TEMPERATURE_RANGE)

        @tf.function(jit_compile=True, reduce_retracing=True)
        def piece(ctx, states, c, first, num_blocks, temperatures, targets, gain, seed, count):
            def pick(logits, t, carry):
                c, surprise_sum, temperature_sum = carry
                temperature = temperatures * tf.exp(c)  # exactly `temperatures` while c is 0 (plain sampling)
                levels, nats = _draw_with_surprise(tf.cast(logits, tf.float32), temperature,
                                                   tf.stack([seed, first + t]), draw)
                surprise = nats / math.log(2.0)
                c = tf.clip_by_value(c - gain * (surprise - targets), low, high)
                kept = tf.cast(t < count, tf.float32)
                return levels, None, (c, surprise_sum + kept * surprise, temperature_sum + kept * temperature)

            zeros = tf.zeros_like(temperatures)
            out = BlockLoop(model, pick).run(ctx, states, num_blocks, (c, zeros, zeros), capacity=capacity)
            return out.levels, out.ctx, out.states, out.carry[0], out.carry[1:]
        cache[capacity, draw] = piece
    return cache[capacity, draw]


class Piece(NamedTuple):
    """One piece of every stream, and the sums over its samples of their surprise to the model (bits) and of
    the temperature each was drawn at."""
    audio: np.ndarray  # (streams, n) float32
    surprise: np.ndarray  # (streams,)
    temperature: np.ndarray  # (streams,)


class PieceSampler:
    """Draws streams piece by piece and does no I/O. Between pieces it holds everything a stream continues
    from: the context and the tiers' states, adaptive sampling's temperature correction and the RNG counter
    (the index of the next sample), so that the pieces, put end to end, are sample for sample the audio one
    piece of the whole length would be. Arguments as `generate_streams`'s; `start_from` is required."""

    def __init__(self, model, temperatures, *, q_type, start_from, seed, target_bits=None, piece_samples=None,
                 draw=DRAW, gain=None):
        if draw not in DRAWS:
            raise ValueError(f"draw must be one of {', '.join(DRAWS)}, not {draw!r}")
        self.model, self.q_type, self.seed, self.draw = model, q_type, seed, draw
        big = model.big_frame_size
        self.capacity = -(-(piece_samples or PIECE_SAMPLES) // big)  # top frames
        self.piece_samples = self.capacity * big
        temps = np.asarray(temperatures, np.float32)
        if target_bits is None:
            base, targets, self.gain = temps, np.zeros_like(temps), 0.0
        else:
            base, targets, self.gain = np.ones_like(temps), temps * np.float32(target_bits), (
                SURPRISE_GAIN if gain is None else gain)
        self.base, self.targets = tf.constant(base), tf.constant(targets)
        self.ctx, self.states = start_from.tile(len(temps))
        self.correction = tf.zeros(len(temps))
        self.done = 0  # samples drawn so far, the RNG counter of the next one

    def next(self, n):
        """The next `n` samples (at most `piece_samples`) of every stream, as a `Piece`. Only the last piece
        may hold other than whole top frames (its last frame is drawn whole, and the rest dropped)."""
        big = self.model.big_frame_size
        if self.done % big:
            raise ValueError("the streams ended with a piece of part of a top frame")
        if not 0 < n <= self.piece_samples:
            raise ValueError(f"a piece holds 1 to {self.piece_samples} samples, not {n}")
        blocks = -(-n // big)
        piece = _compiled_piece(self.model, self.capacity, self.draw)
        levels, self.ctx, self.states, self.correction, (surprise, temperature) = piece(
            self.ctx, self.states, self.correction, tf.constant(self.done, tf.int32), tf.constant(blocks, tf.int32),
            self.base, self.targets, tf.constant(self.gain, tf.float32), tf.constant(self.seed, tf.int32),
            tf.constant(n, tf.int32))
        self.done += n
        return Piece(dequantize(levels.numpy()[:, :n], self.q_type, self.model.q_levels), surprise.numpy(),
                     temperature.numpy())


class Streams(NamedTuple):
    """What `generate_streams` returns: per stream its audio, and the mean over its samples of their surprise
    to the model (bits/sample: the model's own score of the audio, as a teacher-forced pass would give it) and
    of the temperature each was drawn at."""
    audio: np.ndarray  # (streams, samples) float32
    bits: np.ndarray  # (streams,)
    temperature: np.ndarray  # (streams,)


def piece_lengths(num_samples, piece_samples):
    """The lengths of the pieces of `num_samples`: whole pieces, then what is left."""
    return [min(piece_samples, num_samples - start) for start in range(0, num_samples, piece_samples)]


def generate_streams(model, num_samples, temperatures, *, q_type, seed_audio=None, seed=None, start_from=None,
                     target_bits=None, piece_samples=None, draw=DRAW, gain=None):
    """Generates audio, one stream per temperature, and does no I/O.

    model: a built SampleRNN. num_samples: samples per stream. temperatures: floats > 0.
    target_bits: None samples each stream at its fixed temperature; a float samples adaptively, each stream
    held at its temperature times `target_bits` of surprise per sample (use the model's validation bits: 1.0
    then means as surprising as real audio, 1.1 ten percent more).
    q_type: the quantization law the model was trained with. seed_audio: optional float array in
    [-1, 1] that primes every stream (once: the primed state is copied to each stream). start_from: a
    `Start` already primed (by `primed_start`), instead of `seed_audio`. seed: int RNG seed; the same seed gives
    the same audio, whatever `piece_samples` (the pieces `PieceSampler` draws them in; default PIECE_SAMPLES).
    draw: how each level is drawn (`DRAWS`; the same distribution, other random numbers: other audio per seed).
    gain: adaptive sampling's step of the log-temperature per bit of surprise (None: SURPRISE_GAIN; benches vary it).
    Returns `Streams`; the audio is the continuation only, without the seed.
    """
    if start_from is not None and seed_audio is not None:
        raise ValueError("give seed_audio or start_from, not both")
    if start_from is None:
        start_from = primed_start(model, q_type, seed_audio)
    if seed is None:
        seed = int(np.random.default_rng().integers(2 ** 31))
    sampler = PieceSampler(model, temperatures, q_type=q_type, start_from=start_from, seed=seed,
                           target_bits=target_bits, piece_samples=piece_samples, draw=draw, gain=gain)
    pieces = [sampler.next(n) for n in piece_lengths(num_samples, sampler.piece_samples)]
    return Streams(np.concatenate([p.audio for p in pieces], axis=1),
                   sum(p.surprise.astype(np.float64) for p in pieces) / num_samples,
                   sum(p.temperature.astype(np.float64) for p in pieces) / num_samples)


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
