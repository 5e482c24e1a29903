"""The frame tiers' GRU, written for speed: same maths and weights as `keras.layers.GRU(reset_after=True)`.

Where the time goes in `keras.layers.GRU` on a CPU (default config, batch 8, 4 x GRU(1024) over 64 frames,
forward + backward): 6.9 s. This layer does the same in 1.5 s (bench: `bench/train_speed.py`), because

- the input projection of all time steps is one matmul, hoisted out of the time loop;
- the backward pass through time is written by hand (`_gru_sequence`'s gradient), so the recurrent kernel's
  gradient is one matmul over all steps instead of one outer product accumulated per step;
- the time loop is unrolled in chunks of `CHUNK` steps and, on TensorFlow, compiled with XLA (for layers of
  at least `MIN_XLA_UNITS` units) when XLA's matmuls keep the layer's dtype: in bfloat16 on a CPU they run
  unfused, as TensorFlow's own (oneDNN) matmuls, which use the CPU's AMX / AVX512-BF16 units.
"""

import keras
from keras import ops

from samplernn.backend import step_affine, step_weights, xla, xla_dots_run_in

# Time steps per unrolled chunk; longer sequences (e.g. priming on a long seed) run chunk by chunk.
CHUNK = 64
# Below this many units compiling takes longer than it saves (tiny test models): the same code runs unfused.
MIN_XLA_UNITS = 64


def _split_gates(x, units):
    return x[:, :units], x[:, units:2 * units], x[:, 2 * units:]


def _gru_step(xp_t, h, recurrent_kernel, recurrent_bias, units):
    """One step. xp_t: the input projection (B, 3u) with its bias; returns (h_new, what the backward pass needs)."""
    return _gru_update(xp_t, ops.matmul(h, recurrent_kernel) + recurrent_bias, h, units)


def _gru_update(xp_t, hp_t, h, units):
    """The gates from the input projection xp_t and the recurrent projection hp_t (B, 3u), both with bias."""
    hz, hr, hh = _split_gates(hp_t, units)
    xz, xr, xh = _split_gates(xp_t, units)
    z = ops.sigmoid(xz + hz)
    r = ops.sigmoid(xr + hr)
    c = ops.tanh(xh + r * hh)
    return z * h + (1.0 - z) * c, (h, z, r, c, hh)


@ops.custom_gradient
def _gru_sequence(xp, h0, recurrent_kernel, recurrent_bias):
    """xp (B, T, 3u) input projections, h0 (B, u) -> every step's output (B, T, u). T must be static."""
    units = h0.shape[-1]
    steps = xp.shape[1]
    h, outputs, saved = h0, [], []
    for t in range(steps):
        h, kept = _gru_step(xp[:, t], h, recurrent_kernel, recurrent_bias, units)
        outputs.append(h)
        saved.append(kept)

    def grad(*args, upstream=None):
        d_out = args[0] if upstream is None else upstream  # (B, T, u)
        dh = ops.zeros_like(h0)
        d_xp, d_hp = [None] * steps, [None] * steps
        kernel_t = ops.transpose(recurrent_kernel)  # once, not per step (unfused, nothing would share it)
        for t in reversed(range(steps)):
            h_prev, z, r, c, hh = saved[t]
            dh = dh + d_out[:, t]
            dz = dh * (h_prev - c) * z * (1.0 - z)
            dc = dh * (1.0 - z) * (1.0 - c * c)
            dr = dc * hh * r * (1.0 - r)
            d_xp[t] = ops.concatenate([dz, dr, dc], axis=-1)
            d_hp[t] = ops.concatenate([dz, dr, dc * r], axis=-1)
            dh = dh * z + ops.matmul(d_hp[t], kernel_t)
        d_hp_all = ops.concatenate(d_hp, axis=0)  # (T * B, 3u), time-major
        h_prev_all = ops.concatenate([s[0] for s in saved], axis=0)  # (T * B, u)
        d_kernel = ops.matmul(ops.transpose(h_prev_all), d_hp_all)  # all steps at once
        return ops.stack(d_xp, axis=1), dh, d_kernel, ops.sum(d_hp_all, axis=0)

    return ops.stack(outputs, axis=1), grad


_gru_sequence_xla = xla(_gru_sequence)


def sequence_function(units, dtype):
    """The time loop a layer of `units` units computing in `dtype` runs: compiled with XLA where that pays."""
    return _gru_sequence_xla if units >= MIN_XLA_UNITS and xla_dots_run_in(dtype) else _gru_sequence


@keras.saving.register_keras_serializable(package="samplernn")
class GRU(keras.layers.Layer):
    """GRU over (B, T, input_dim) with an explicit initial state; `step` advances one time step.

    Weights as `keras.layers.GRU(reset_after=True)`: kernel (input_dim, 3u), recurrent_kernel (u, 3u) and
    bias (2, 3u) (input bias, recurrent bias), gates in the order update, reset, candidate. `dropout` drops
    input features, with one mask over all time steps, in training; its masks are drawn from `seed`
    (None: a seed drawn from Python's global RNG, which `keras.utils.set_random_seed` sets).
    """

    def __init__(self, units, dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.dropout, self.seed = units, dropout, seed
        self.seed_generator = keras.random.SeedGenerator(seed) if dropout else None

    def build(self, input_shape):
        u = self.units
        self.kernel = self.add_weight(shape=(input_shape[-1], 3 * u), initializer="glorot_uniform", name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(u, 3 * u), initializer="orthogonal",
                                                name="recurrent_kernel")
        self.bias = self.add_weight(shape=(2, 3 * u), initializer="zeros", name="bias")

    def call(self, x, initial_state, training=None):
        """x (B, T, input_dim), initial_state [(B, u)] -> (outputs (B, T, u), final state (B, u))."""
        if training and self.dropout:
            noise = (ops.shape(x)[0], 1, ops.shape(x)[2])
            x = keras.random.dropout(x, self.dropout, noise_shape=noise, seed=self.seed_generator)
        xp = ops.matmul(x, self.kernel) + self.bias[0]
        h, chunks = initial_state[0], []
        recurrent_kernel = ops.copy(self.recurrent_kernel)  # a tensor, not the variable: it enters a compiled call
        steps = x.shape[1]
        if steps is None:
            raise ValueError("GRU needs a static number of time steps")
        sequence = sequence_function(self.units, self.compute_dtype)
        for start in range(0, steps, CHUNK):
            chunks.append(sequence(xp[:, start:start + CHUNK], h, recurrent_kernel, self.bias[1]))
            h = chunks[-1][:, -1]
        out = chunks[0] if len(chunks) == 1 else ops.concatenate(chunks, axis=1)
        return out, h

    def step_weights(self, rows):
        """The weights `step` takes over `rows` rows (see `backend.step_weights`): once per generation call.
        The input and the recurrent projection stay two maps: the candidate gate scales the latter by r."""
        return (step_weights([self.kernel], self.bias[0], rows),
                step_weights([self.recurrent_kernel], self.bias[1], rows))

    def step(self, x, states, weights):
        """x (B, input_dim), states [(B, u)], weights from `step_weights(B)` -> (h (B, u), [h])."""
        inputs, recurrent = weights
        h, _ = _gru_update(step_affine([x], inputs), step_affine([states[0]], recurrent), states[0], self.units)
        return h, [h]

    def get_config(self):
        return {**super().get_config(), "units": self.units, "dropout": self.dropout, "seed": self.seed}
