"""SampleRNN(keras.Model): N frame tiers over a sample-level MLP (Mehri et al., ICLR 2017).

`call` is the teacher-forced pass and nothing else: it takes the recurrent state of every tier and
returns the new one, so truncated BPTT, validation and generation all own their state explicitly.
"""

import keras
import numpy as np
from keras import ops

from samplernn.layers import FrameRNN, SampleMLP
from samplernn.quantization import dequantize

# The reference code feeds frame tiers the quantized level mapped linearly onto [-2, 2]:
# 2 * (q / (q_levels / 2) - 1).
FRAME_INPUT_SCALE = 2.0
# With `amplitude_input`, each sample's decoded amplitude in [-1, 1] is also given, times this: for music
# around -18 dBFS RMS the scaled amplitude then spreads about half as wide as the level input above.
AMPLITUDE_INPUT_SCALE = 4.0


@keras.saving.register_keras_serializable(package="samplernn")
class SampleRNN(keras.Model):
    """`frame_sizes` lists each frame tier's frame size in samples, bottom first: [16] is 2-tier, [16, 64] 3-tier.

    With `amplitude_input`, the tiers also see each input sample's amplitude (its level decoded by `q_type`,
    so linear in the waveform): the frame tiers as a second input per sample, the sample tier as a learned
    linear term of its first layer. The reference code gives only the levels, which for mu-law are a
    logarithmic warp of the waveform that the model has to learn to undo.

    `seed` seeds the RNN layers' dropout masks, each layer its own (None: from Python's global RNG).
    """

    def __init__(self, frame_sizes=(16, 64), dim=1024, rnn_type="gru", num_rnn_layers=4, q_type="mu-law",
                 q_levels=256, emb_size=256, skip_conn=False, rnn_dropout=0.0, weight_norm=True, learn_h0=True,
                 amplitude_input=False, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.frame_sizes = tuple(frame_sizes)
        self.dim, self.rnn_type, self.num_rnn_layers = dim, rnn_type, num_rnn_layers
        self.q_type, self.q_levels, self.emb_size, self.skip_conn = q_type, q_levels, emb_size, skip_conn
        self.rnn_dropout, self.weight_norm, self.learn_h0 = rnn_dropout, weight_norm, learn_h0
        self.amplitude_input, self.seed = amplitude_input, seed
        # level -> the scaled amplitude fed alongside it, or None
        self.amplitudes = (AMPLITUDE_INPUT_SCALE * dequantize(np.arange(q_levels), q_type, q_levels)
                           if amplitude_input else None)
        # Tier k upsamples to the resolution of tier k - 1; the bottom tier upsamples to single samples.
        ratios = [self.frame_sizes[0]] + [b // a for a, b in zip(self.frame_sizes, self.frame_sizes[1:])]
        self.frame_tiers = [
            FrameRNN(fs, ratio, dim, rnn_type, num_rnn_layers, skip_conn, rnn_dropout, weight_norm, learn_h0,
                     seed=_tier_seed(seed, k), name=f"frame_tier_{k}")
            for k, (fs, ratio) in enumerate(zip(self.frame_sizes, ratios))]
        self.sample_mlp = SampleMLP(self.frame_sizes[0], dim, q_levels, emb_size, weight_norm,
                                    amplitudes=self.amplitudes, name="sample_mlp")

    @property
    def big_frame_size(self):
        return self.frame_sizes[-1]

    def build(self, input_shape=None):  # input_shape: (B, L + big_frame_size)
        for tier in self.frame_tiers:
            tier.build((None, None, tier.frame_size * self.frame_features))
        self.sample_mlp.build((None, None))
        self.built = True

    def initial_states(self, batch_size):
        """The learned initial state of every tier (a list per tier, bottom first)."""
        return [tier.initial_state(batch_size) for tier in self.frame_tiers]

    def restart_rows(self, states, reset):
        """`states` with the rows where `reset` (B,) bool is True set back to the learned initial state
        (through `where`, so h0 gets the gradient of those rows)."""
        keep = ops.expand_dims(reset, -1)
        batch = ops.shape(reset)[0]
        return [[ops.where(keep, h0, s) for h0, s in zip(tier.initial_state(batch), tier_states)]
                for tier, tier_states in zip(self.frame_tiers, states)]

    @property
    def frame_features(self):
        """Frame-tier inputs per sample: the level, and with `amplitude_input` the amplitude."""
        return 2 if self.amplitude_input else 1

    def frame_input(self, levels):
        """int levels (B, n) -> float frame-tier input (B, n * frame_features): per sample its level mapped
        onto [-2, 2], then (with `amplitude_input`) its scaled amplitude."""
        half = self.q_levels / 2.0
        scaled = FRAME_INPUT_SCALE * (ops.cast(levels, "float32") / half - 1.0)
        if not self.amplitude_input:
            return scaled
        both = ops.stack([scaled, ops.take(ops.convert_to_tensor(self.amplitudes), levels, axis=0)], axis=-1)
        return ops.reshape(both, (ops.shape(levels)[0], -1))

    def conditioning(self, inputs, states, training=None):
        """The frame tiers over inputs (B, L + big_frame_size), top first, from `states`.

        Returns (conditioning (B, L, dim): the bottom tier's upsampled output, which the sample MLP adds to
        its first layer; new states).
        """
        conditioning, new_states = self._upper_tiers(inputs, states, training)
        conditioning, new_states[0] = self.frame_tiers[0](self._tier_frames(inputs, 0), conditioning, states[0],
                                                          training=training)
        return conditioning, new_states

    def advance_states(self, inputs, states):
        """The new states of `conditioning` (inference mode) without the conditioning itself: the bottom tier
        skips its upsampling and the sample MLP does not run. What priming on seed audio needs."""
        conditioning, new_states = self._upper_tiers(inputs, states, False)
        new_states[0] = self.frame_tiers[0].final_states(self._tier_frames(inputs, 0), conditioning, states[0])
        return new_states

    def _upper_tiers(self, inputs, states, training):
        """The tiers above the bottom one, top first -> (their conditioning of the bottom tier (None with one
        tier), new states with the bottom tier's still None)."""
        conditioning, new_states = None, [None] * len(self.frame_tiers)
        for k in reversed(range(1, len(self.frame_tiers))):
            conditioning, new_states[k] = self.frame_tiers[k](self._tier_frames(inputs, k), conditioning, states[k],
                                                              training=training)
        return conditioning, new_states

    def _tier_frames(self, inputs, k):
        """Tier k's input frames (B, L // fs, fs * frame_features) from inputs (B, L + big_frame_size)."""
        fs = self.frame_sizes[k]
        # Tier k's frame t is the fs samples before target frame t: inputs[big - fs + t * fs, ...].
        tier_in = inputs[:, self.big_frame_size - fs:-fs]
        return ops.reshape(self.frame_input(tier_in), (ops.shape(inputs)[0], -1, fs * self.frame_features))

    def call(self, inputs, states=None, training=None):
        """inputs (B, L + big_frame_size) int levels; predicts inputs[:, big_frame_size:].

        Returns (logits (B, L, q_levels), new states). `states=None` starts from the learned h0.
        L must be a multiple of `big_frame_size`.
        """
        if states is None:
            states = self.initial_states(ops.shape(inputs)[0])
        conditioning, new_states = self.conditioning(inputs, states, training)
        fs0 = self.frame_sizes[0]
        logits = self.sample_mlp(inputs[:, self.big_frame_size - fs0:-1], conditioning)  # (B, L, q_levels)
        return logits, new_states

    def get_config(self):
        return {**super().get_config(), "frame_sizes": list(self.frame_sizes), "dim": self.dim,
                "rnn_type": self.rnn_type, "num_rnn_layers": self.num_rnn_layers, "q_type": self.q_type,
                "q_levels": self.q_levels, "emb_size": self.emb_size, "skip_conn": self.skip_conn,
                "rnn_dropout": self.rnn_dropout, "weight_norm": self.weight_norm, "learn_h0": self.learn_h0,
                "amplitude_input": self.amplitude_input, "seed": self.seed}


def _tier_seed(seed, tier):
    """Tier `tier`'s dropout seed (its RNN layers take it + 0, 1...), drawn from (seed, tier): layers, tiers
    and seeds draw unrelated masks."""
    if seed is None:
        return None
    return int(np.random.default_rng([seed, tier]).integers(2 ** 30))


# --mixed_precision -> Keras dtype policy: variables stay float32, layers compute in the policy's dtype.
DTYPE_POLICIES = {"off": "float32", "bf16": "mixed_bfloat16", "fp16": "mixed_float16"}


def build_model(config, mixed_precision="off", seed=None):
    """A built SampleRNN for a `SampleRNNConfig`, computing in float32 or (`bf16`, `fp16`) mixed precision;
    `seed` seeds its dropout masks (training)."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(DTYPE_POLICIES[mixed_precision])  # every layer takes it when created
    try:
        model = SampleRNN(**config.model_kwargs(), seed=seed)
    finally:
        keras.config.set_dtype_policy(previous)
    model.build()
    return model
