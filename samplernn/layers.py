"""The layers of SampleRNN: a weight-normalised `Linear`, the frame-level `FrameRNN` and the `SampleMLP`.

Every layer takes and returns its recurrent state explicitly; `call` is the teacher-forced pass over a
whole sequence and `step` advances one frame (or one sample) for generation, with the same weights as
`step_weights(rows)` returns them once per generation call (lookup tables, kernels laid out for the
number of streams: see `samplernn.backend.step_weights`).
"""

import math

import keras
from keras import ops

from samplernn.backend import step_affine, step_weights, xla
from samplernn.recurrence import GRU

# Above this many levels, building the [frame_size, q_levels, dim] lookup tables costs more than the
# plain convolution over embedded samples for a typical batch, so SampleMLP falls back to the latter.
MAX_TABLE_Q_LEVELS = 4096
# Weight-normalised kernels of at least this many weights are normalised by XLA (`normalised_kernel`); for
# smaller ones (tiny test models) compiling would take longer than it saves.
MIN_XLA_WEIGHTS = 1 << 20


@xla
def _sum_table_rows(tables, samples, dtype):
    """tables (fs, q, dim), samples (B, L + fs - 1) int -> (B, L, dim) in `dtype`: the sum over k of
    tables[k][samples[:, t + k]], cast in the same fused pass (a separate cast, and its gradient, were two more
    passes over the activations: 0.25 -> 0.21 s per step of the CPU preset with the fused loss, BENCHMARKS.md)."""
    fs = tables.shape[0]
    rows = sum(ops.take(tables[k], samples[:, k:k - fs + 1 if k < fs - 1 else None], axis=0) for k in range(fs))
    return ops.cast(rows, dtype)


def _normalise(v, gain, axes):
    """Weight normalisation (Salimans & Kingma, 2016): w = g * v / ||v||, one norm per output unit."""
    return v * (gain / ops.sqrt(ops.sum(ops.square(v), axis=axes) + 1e-12))


_normalise_xla = xla(_normalise)


def normalised_kernel(v, gain, axes, dtype):
    """The weight-normalised kernel of the float32 variables v and gain, computed in float32, cast to `dtype`;
    with gain None (a layer without weight normalisation), v cast to `dtype`.

    Large kernels are normalised in one compiled function: the norms' reductions and their gradient, as
    TensorFlow's separate ops, took more time than the matmul that uses the kernel (the bottom tier's
    upsampling, 1024 x 16384, in bfloat16: 169 ms forward + backward, 120 ms compiled, 73 ms without
    weight normalisation; BENCHMARKS.md). Before, a bfloat16 layer normalised its kernel after casting it.
    """
    if gain is None:
        return ops.cast(v, dtype)
    v, gain = ops.copy(v), ops.copy(gain)  # tensors, not variables: they may enter a compiled call
    normalise = _normalise_xla if math.prod(v.shape) >= MIN_XLA_WEIGHTS else _normalise
    return ops.cast(normalise(v, gain, axes), dtype)


@keras.saving.register_keras_serializable(package="samplernn")
class Linear(keras.layers.Layer):
    """Dense map of the last axis: `x @ w + b`, with `w` weight-normalised when `weight_norm`."""

    def __init__(self, units, use_bias=True, weight_norm=True, kernel_initializer="glorot_uniform", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.use_bias = use_bias
        self.weight_norm = weight_norm
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        # Not cast to the compute dtype when read (autocast): the kernel is normalised in float32 first.
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer=self.kernel_initializer,
                                      name="kernel", autocast=False)
        if self.weight_norm:
            # g starts at ||v||, so the initial w equals the initializer's draw.
            norm = ops.sqrt(ops.sum(ops.square(self.kernel), axis=0))
            self.gain = self.add_weight(shape=(self.units,), initializer="ones", name="gain", autocast=False)
            self.gain.assign(norm)
        if self.use_bias:
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def effective_kernel(self):
        """The kernel the layer multiplies by, in its compute dtype."""
        return normalised_kernel(self.kernel, self.gain if self.weight_norm else None, 0, self.compute_dtype)

    def step_weights(self, rows):
        """The weights `step` takes over `rows` rows (see `backend.step_weights`)."""
        return step_weights([self.effective_kernel()], self.bias if self.use_bias else None, rows)

    def step(self, weights, x):
        """`call` for x (B, inputs), with `step_weights(B)` computed once per generation call."""
        return step_affine([x], weights)

    def call(self, x):
        y = ops.matmul(x, self.effective_kernel())
        return y + self.bias if self.use_bias else y

    def get_config(self):
        return {**super().get_config(), "units": self.units, "use_bias": self.use_bias,
                "weight_norm": self.weight_norm,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


def _apply(layer, x, weights):
    """A `Linear` over x: the layer itself, or its `step` when given its step weights."""
    return layer(x) if weights is None else layer.step(weights, x)


def _part(weights, key, index=None):
    """weights[key] (or weights[key][index]); None when there are no step weights."""
    if weights is None:
        return None
    return weights[key] if index is None else weights[key][index]


def _lstm_step(x, states, weights):
    """One step of `keras.layers.LSTM`'s cell (gates i, f, c, o; sigmoid and tanh), with step weights."""
    h, c = states
    zi, zf, zc, zo = ops.split(step_affine([x, h], weights), 4, axis=-1)
    c = ops.sigmoid(zf) * c + ops.sigmoid(zi) * ops.tanh(zc)
    h = ops.sigmoid(zo) * ops.tanh(c)
    return h, [h, c]


@keras.saving.register_keras_serializable(package="samplernn")
class FrameRNN(keras.layers.Layer):
    """One frame tier: frames of `frame_size` samples -> RNN stack -> conditioning for the tier below.

    The tier's input is its frame projected to `dim` plus the (already upsampled) conditioning from the
    tier above. Its output is upsampled by `ratio` with `ratio` learned linear maps, one per position.
    RNN layer i draws its dropout masks from `seed + i` (None: seeds from Python's global RNG).
    """

    def __init__(self, frame_size, ratio, dim, rnn_type="gru", num_rnn_layers=1, skip_conn=False,
                 rnn_dropout=0.0, weight_norm=True, learn_h0=True, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.frame_size, self.ratio, self.dim = frame_size, ratio, dim
        self.rnn_type, self.num_rnn_layers, self.skip_conn = rnn_type, num_rnn_layers, skip_conn
        self.rnn_dropout, self.weight_norm, self.learn_h0, self.seed = rnn_dropout, weight_norm, learn_h0, seed
        self.input_proj = Linear(dim, weight_norm=weight_norm, name="input_proj")
        seeds = [None if seed is None else seed + i for i in range(num_rnn_layers)]
        if rnn_type == "gru":
            self.rnns = [GRU(dim, dropout=rnn_dropout, seed=seeds[i], name=f"rnn_{i}") for i in range(num_rnn_layers)]
        else:
            self.rnns = [keras.layers.LSTM(dim, return_sequences=True, return_state=True, dropout=rnn_dropout,
                                           seed=seeds[i], name=f"rnn_{i}") for i in range(num_rnn_layers)]
        # Skip connections (Graves, 2013): every layer after the first also sees the tier input, and the
        # tier output is the sum of per-layer linear maps of all layers' outputs.
        self.skip_projs = [Linear(dim, weight_norm=weight_norm, name=f"skip_proj_{i}")
                           for i in range(num_rnn_layers)] if skip_conn else []
        self.upsample = Linear(dim * ratio, weight_norm=weight_norm, name="upsample")

    @property
    def states_per_layer(self):
        return 2 if self.rnn_type == "lstm" else 1

    def build(self, input_shape):  # input_shape: (B, T, frame_size * inputs per sample)
        n_states = self.num_rnn_layers * self.states_per_layer
        self.h0 = self.add_weight(shape=(n_states, self.dim), initializer="zeros", trainable=self.learn_h0,
                                  name="h0")
        self.input_proj.build((None, None, input_shape[-1]))
        for i, rnn in enumerate(self.rnns):
            rnn.build((None, None, self.dim * (2 if self.skip_conn and i > 0 else 1)))
        for proj in self.skip_projs:
            proj.build((None, None, self.dim))
        self.upsample.build((None, None, self.dim))

    def initial_state(self, batch_size):
        """The learned h0 (and c0 for LSTM) of every layer, each (B, dim)."""
        return [ops.broadcast_to(self.h0[i], (batch_size, self.dim)) for i in range(self.h0.shape[0])]

    def _layer_state(self, states, i):
        n = self.states_per_layer
        return list(states[i * n:(i + 1) * n])

    def _merge(self, outputs, weights):
        if not self.skip_conn:
            return outputs[-1]
        if weights is not None:  # one map over all layers' outputs: no sum of products for XLA to fuse
            return step_affine(outputs, weights["skip"])
        return sum(proj(h) for proj, h in zip(self.skip_projs, outputs))

    def _sequence_layer(self, i, layer_in, state, training):
        """Layer i over a whole sequence -> (outputs, new state list)."""
        rnn = self.rnns[i]
        if self.rnn_type == "gru":
            h, last = rnn(layer_in, state, training=training)
            return h, [last]
        h, *new_state = rnn(layer_in, initial_state=state, training=training)
        return h, new_state

    def _rnn_stack(self, frames, conditioning, states, run_layer, training, weights=None):
        """Input projection and the RNN layers; any leading axes -> (every layer's outputs, new states).

        With `weights` (from `step_weights(B)`), the linear maps use them instead of the variables."""
        x = _apply(self.input_proj, frames, _part(weights, "input_proj"))
        if conditioning is not None:
            x = x + conditioning
        h, outputs, new_states = x, [], []
        for i in range(self.num_rnn_layers):
            layer_in = ops.concatenate([h, x], axis=-1) if self.skip_conn and i > 0 else h
            h, state = run_layer(i, layer_in, self._layer_state(states, i), training)
            outputs.append(h)
            new_states.extend(state)
        return outputs, new_states

    def _stack(self, frames, conditioning, states, run_layer, training, weights=None):
        """`_rnn_stack`, then the skip connections' merge and the upsampling."""
        outputs, new_states = self._rnn_stack(frames, conditioning, states, run_layer, training, weights)
        return _apply(self.upsample, self._merge(outputs, weights), _part(weights, "upsample")), new_states

    def call(self, frames, conditioning, states, training=None):
        """frames (B, T, frame_size * inputs per sample) float, conditioning (B, T, dim) or None, states:
        list of (B, dim).

        Returns (upsampled (B, T * ratio, dim), new states).
        """
        out, new_states = self._stack(frames, conditioning, states, self._sequence_layer, training)
        batch, steps = ops.shape(out)[0], ops.shape(out)[1]
        return ops.reshape(out, (batch, steps * self.ratio, self.dim)), new_states

    def final_states(self, frames, conditioning, states):
        """The new states of `call` (inference mode) without its output: no merge, no upsampling."""
        return self._rnn_stack(frames, conditioning, states, self._sequence_layer, False)[1]

    def step_weights(self, rows):
        """The weights `step` takes over `rows` rows (see `backend.step_weights`): once per generation call."""
        rnns = [rnn.step_weights(rows) if self.rnn_type == "gru" else
                step_weights([rnn.cell.kernel, rnn.cell.recurrent_kernel], rnn.cell.bias, rows) for rnn in self.rnns]
        return {"input_proj": self.input_proj.step_weights(rows), "rnns": rnns,
                "upsample": self.upsample.step_weights(rows),
                "skip": step_weights([proj.effective_kernel() for proj in self.skip_projs],
                                     sum(proj.bias for proj in self.skip_projs), rows) if self.skip_conn else None}

    def step(self, frame, conditioning, states, weights):
        """One frame: frame (B, frame_size * inputs per sample) float, conditioning (B, dim) or None,
        weights from `step_weights(B)` -> ((B, ratio, dim), states)."""
        def run_layer(i, layer_in, state, training):
            if self.rnn_type == "gru":
                return self.rnns[i].step(layer_in, state, weights["rnns"][i])
            return _lstm_step(layer_in, state, weights["rnns"][i])

        out, new_states = self._stack(frame, conditioning, states, run_layer, False, weights)
        return ops.reshape(out, (-1, self.ratio, self.dim)), new_states

    def get_config(self):
        return {**super().get_config(), "frame_size": self.frame_size, "ratio": self.ratio, "dim": self.dim,
                "rnn_type": self.rnn_type, "num_rnn_layers": self.num_rnn_layers, "skip_conn": self.skip_conn,
                "rnn_dropout": self.rnn_dropout, "weight_norm": self.weight_norm, "learn_h0": self.learn_h0,
                "seed": self.seed}


@keras.saving.register_keras_serializable(package="samplernn")
class SampleMLP(keras.layers.Layer):
    """The sample tier: the previous `frame_size` samples (embedded) + conditioning -> `q_levels` logits.

    Its first layer is a causal convolution of width `frame_size` over the embedded samples (no bias:
    the conditioning brings one), followed by ReLU, two ReLU layers of `dim` and the output layer.
    Given `amplitudes` (q_levels,), the first layer also adds a learned linear map of the `frame_size`
    samples' amplitudes (`amplitudes[level]`); being a function of the levels, it folds into the tables.
    """

    def __init__(self, frame_size, dim, q_levels, emb_size, weight_norm=True, amplitudes=None, **kwargs):
        super().__init__(**kwargs)
        self.frame_size, self.dim, self.q_levels, self.emb_size = frame_size, dim, q_levels, emb_size
        self.weight_norm = weight_norm
        self.amplitudes = None if amplitudes is None else ops.convert_to_tensor(amplitudes, "float32")
        # Unit-variance embeddings, as in the reference code (Keras' default is uniform +-0.05), so the
        # first layer's response to the previous samples starts at the scale of the conditioning.
        self.embedding = keras.layers.Embedding(q_levels, emb_size, name="embedding",
                                                embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.hidden = [Linear(dim, weight_norm=weight_norm, kernel_initializer="he_uniform", name=f"hidden_{i}")
                       for i in range(2)]
        self.output_proj = Linear(q_levels, weight_norm=weight_norm, name="output_proj")

    def build(self, input_shape):  # input_shape: (B, L + frame_size - 1)
        self.embedding.build((None,))
        self.window_kernel = self.add_weight(shape=(self.frame_size, self.emb_size, self.dim),
                                             initializer="he_uniform", name="window_kernel", autocast=False)
        if self.weight_norm:
            norm = ops.sqrt(ops.sum(ops.square(self.window_kernel), axis=(0, 1)))
            self.window_gain = self.add_weight(shape=(self.dim,), initializer="ones", name="window_gain",
                                               autocast=False)
            self.window_gain.assign(norm)
        if self.amplitudes is not None:
            self.amplitude_kernel = self.add_weight(shape=(self.frame_size, self.dim), initializer="he_uniform",
                                                    name="amplitude_kernel")
        for layer in self.hidden:
            layer.build((None, None, self.dim))
        self.output_proj.build((None, None, self.dim))

    def _window_kernel(self):
        gain = self.window_gain if self.weight_norm else None
        return normalised_kernel(self.window_kernel, gain, (0, 1), self.compute_dtype)

    def lookup_tables(self):
        """(frame_size, q_levels, dim): row q of table k is the first layer's response to level q at offset k.

        The first layer is linear in the one-hot input, so summing `frame_size` table rows equals the
        convolution over embedded samples, at a cost independent of the batch.
        """
        # One batched matmul, (1, q, e) @ (k, e, d): its result is laid out as the tables (an einsum here
        # transposed it, forward and backward: 36 -> 27 ms in bfloat16 for the default config).
        embeddings = ops.cast(self.embedding.embeddings, self.compute_dtype)  # read outside `call` too
        tables = ops.matmul(ops.expand_dims(embeddings, 0), self._window_kernel())
        if self.amplitudes is None:
            return tables
        amplitudes = ops.cast(self.amplitudes, tables.dtype)
        return tables + amplitudes[None, :, None] * ops.cast(self.amplitude_kernel, tables.dtype)[:, None, :]

    def _head(self, h, weights=None):
        h = ops.relu(h)
        for i, layer in enumerate(self.hidden):
            h = ops.relu(_apply(layer, h, _part(weights, "hidden", i)))
        return _apply(self.output_proj, h, _part(weights, "output_proj"))

    def call(self, samples, conditioning):
        """samples (B, L + frame_size - 1) int levels, conditioning (B, L, dim) -> logits (B, L, q_levels)."""
        return self._head(self.first_layer(samples) + conditioning)

    def first_layer(self, samples):
        """The first layer's response to the previous samples (B, L + frame_size - 1) -> (B, L, dim),
        before the conditioning is added."""
        if self.q_levels > MAX_TABLE_Q_LEVELS:
            h = ops.conv(self.embedding(samples), self._window_kernel(), padding="valid")  # (B, L, dim)
            if self.amplitudes is not None:
                amplitude = ops.expand_dims(ops.take(ops.cast(self.amplitudes, h.dtype), samples, axis=0), -1)
                h = h + ops.conv(amplitude, ops.cast(self.amplitude_kernel, h.dtype)[:, None, :], padding="valid")
        else:
            # Offset k sees samples[t + k] for output t: a slice of length L starting at k. In float32 under
            # mixed precision: the gradient scatter-adds thousands of rows into each common level's table row,
            # which a 16-bit accumulator would round away.
            tables = ops.cast(self.lookup_tables(), "float32")
            h = _sum_table_rows(tables, samples, self.compute_dtype)  # (B, L, dim)
        return h

    def step_weights(self, rows):
        """What `step` takes over `rows` rows: the lookup tables and the kernels. Once per generation call."""
        return {"tables": self.lookup_tables(), "hidden": [layer.step_weights(rows) for layer in self.hidden],
                "output_proj": self.output_proj.step_weights(rows)}

    def step(self, weights, window, conditioning):
        """One sample: weights from `step_weights(B)`, window (B, frame_size) int, conditioning (B, dim)."""
        tables = weights["tables"]
        h = sum(ops.take(tables[k], window[:, k], axis=0) for k in range(self.frame_size))  # (B, dim)
        return self._head(h + conditioning, weights)

    def get_config(self):
        return {**super().get_config(), "frame_size": self.frame_size, "dim": self.dim, "q_levels": self.q_levels,
                "emb_size": self.emb_size, "weight_norm": self.weight_norm,
                "amplitudes": None if self.amplitudes is None else ops.convert_to_numpy(self.amplitudes).tolist()}
