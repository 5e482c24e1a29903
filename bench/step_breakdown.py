"""Where the time goes: the training step and one generated sample, part by part, next to the machine's rates.

    python bench/step_breakdown.py [--config_file default.config.json] [--batch_size 8]
                                   [--precisions off bf16] [--streams 1 32] [--skip_training]
                                   [--generation_loops xla graph graph_bf16]

First the machine, in this run: matmul GFLOP/s in float32 and bfloat16 at the shapes the model uses (the
batched input projections, one recurrent step of `--batch_size` rows, the sample MLP's layers) and the memory
read bandwidth. Then, per `--mixed_precision` value, the training step's parts, each forward + backward on
random inputs of the real shapes, timed alone (median of 5 after 2 warm-up calls):

- per frame tier, its RNN layers (input projections, the time loop, their weight gradients) and, within them,
  the time loop alone (`recurrence.sequence_function`: the recurrent matmuls, one per time step each way);
- per frame tier, its input projection and learned upsampling;
- the sample MLP with the loss (lookup tables, the table gathers, three dense layers, softmax cross-entropy);
- the optimizer (global-norm clipping and Adam over every variable, its update compiled as the step's);
- the whole step (`make_train_step`, as train.py runs it); what the parts leave over is the glue between them
  (casts, slicing frames, the states' bookkeeping).

Each part's GFLOP/s is its matmul FLOPs over its time; the time loop's GB/s counts its recurrent kernel read
twice per time step (forward, and backward through the state). Then the choice of recurrence: one GRU layer of
the bottom tier's shapes, ours (as the layer chooses; float32 also as TensorFlow's own ops, bfloat16 also under
XLA, with its dots or with the time loop in float32) against `keras.layers.GRU`, in float32 and bfloat16.
Last, one generated sample (GRU configs): each step function (sample MLP, each tier) alone in a compiled
loop, for `--streams` rows, per sample (a tier steps once per its frame), next to the weight bytes one sample
reads; and, as the machine's part, one recurrent step in XLA's compiled loop with a float32 and a bfloat16
kernel (what 16-bit copies of generation's kernels would give). `--generation_loops` adds the same step
functions run as TensorFlow's own ops (oneDNN's matmuls) instead of XLA, with float32 (`graph`) or bfloat16
(`graph_bf16`) weights; `--skip_training` times only the machine and generation.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from flops import matmul_rate, median_time, memory_gbps  # noqa: E402
from samplernn.options import MIXED_PRECISION  # noqa: E402 (light: no TensorFlow)


def xla_step_rate(rows, k, n, dtype, steps=256):
    """Microseconds per step of a compiled loop of (rows, k) @ (k, n) products with the kernel in `dtype`, as
    generation's XLA loop would run a step with 16-bit copies of its kernels."""
    import tensorflow as tf

    @tf.function(jit_compile=True)
    def loop(kernel, h):
        kernel = tf.cast(kernel, dtype)  # once, outside the loop

        def body(i, h):
            y = tf.cast(tf.matmul(tf.cast(h, dtype), kernel), tf.float32)
            return i + 1, tf.tanh(y[:, :k])

        return tf.while_loop(lambda i, _: i < steps, body, (0, h))[1]

    return median_time(loop, tf.random.normal((k, n)) * 0.02, tf.random.normal((rows, k))) / steps * 1e6


def gradient_time(fn, inputs, variables):
    """Median seconds of fn(*inputs) forward + the gradient of its sum w.r.t. float inputs and `variables`."""
    import tensorflow as tf

    @tf.function
    def run(*inputs):
        floats = [x for x in inputs if x.dtype.is_floating]
        with tf.GradientTape() as tape:
            tape.watch(floats)
            out = fn(*inputs)
            loss = tf.add_n([tf.reduce_sum(tf.cast(o, tf.float32)) for o in tf.nest.flatten(out)])
        return tape.gradient(loss, floats + [v.value for v in variables])

    return median_time(run, *inputs)


def training_parts(config, model, batch):
    """[(part, seconds, matmul FLOPs, bytes or None)] of the step's parts, each timed alone."""
    import keras
    import tensorflow as tf

    from samplernn import recurrence
    from samplernn.metrics import nll_and_hits

    dtype, d = model.compute_dtype, config.dim
    width = 4 if keras.backend.standardize_dtype(dtype) == "float32" else 2  # bytes per weight
    rnd = lambda *shape: tf.cast(tf.random.normal(shape), dtype)  # noqa: E731
    parts = []
    for k in reversed(range(len(model.frame_tiers))):
        tier, steps = model.frame_tiers[k], config.seq_len // config.frame_sizes[k]
        gates = 4 if config.rnn_type == "lstm" else 3
        rows = batch * steps
        rnn_vars = [v for rnn in tier.rnns for v in rnn.trainable_variables]
        states = [rnd(batch, d) for _ in range(len(tier.rnns) * tier.states_per_layer)]

        def stack(x, *states, tier=tier):  # the layers cast their variables to `dtype` when called
            h = x
            for i in range(len(tier.rnns)):
                layer_in = tf.concat([h, x], axis=-1) if tier.skip_conn and i > 0 else h
                h, _ = tier._sequence_layer(i, layer_in, tier._layer_state(list(states), i), True)
            return h

        flops = len(tier.rnns) * 3 * 2 * 2 * rows * d * gates * d  # input + recurrent matmuls, fwd + 2 bwd
        parts.append((f"tier {k}: RNN layers x{len(tier.rnns)} ({steps} steps)",
                      gradient_time(lambda x, *s: stack(x, *s), [rnd(batch, steps, d)] + states, rnn_vars),
                      flops, None))
        if config.rnn_type == "gru":
            rnn = tier.rnns[0]
            kernel = tf.cast(rnn.recurrent_kernel.value, dtype)
            sequence = recurrence.sequence_function(d, dtype)  # as the layer runs it
            loop = lambda xp, h: sequence(xp, h, kernel, tf.cast(rnn.bias.value[1], dtype))  # noqa: E731
            seconds = gradient_time(loop, [rnd(batch, steps, 3 * d), rnd(batch, d)], []) * len(tier.rnns)
            parts.append((f"tier {k}:   of which the time loops", seconds,
                          len(tier.rnns) * 3 * 2 * rows * d * 3 * d, len(tier.rnns) * 2 * steps * 3 * d * d * width))
        linears = [tier.input_proj, tier.upsample]
        frames = rnd(batch, steps, tier.input_proj.kernel.shape[0])

        def ends(frames, h, tier=tier):
            return tier.input_proj(frames), tier.upsample(h)

        flops = 3 * 2 * rows * (tier.input_proj.kernel.shape[0] * d + d * d * tier.ratio)
        parts.append((f"tier {k}: input projection + upsampling",
                      gradient_time(ends, [frames, rnd(batch, steps, d)],
                                    [v for layer in linears for v in layer.trainable_variables]), flops, None))
    mlp, samples = model.sample_mlp, batch * config.seq_len
    levels = tf.random.uniform((batch, config.seq_len + config.frame_sizes[0] - 1), 0, config.q_levels, tf.int32)
    targets = levels[:, config.frame_sizes[0] - 1:]

    def mlp_loss(levels, conditioning):
        return nll_and_hits(mlp(levels, conditioning), targets)[0]  # as the step computes it

    tables = 2 * config.frame_sizes[0] * config.q_levels * config.emb_size * d
    parts.append(("sample MLP + loss", gradient_time(mlp_loss, [levels, rnd(batch, config.seq_len, d)],
                                                     mlp.trainable_variables),
                  3 * (2 * samples * (2 * d * d + d * config.q_levels) + tables), None))
    return parts


def _float32_loop(xp, h0, recurrent_kernel, recurrent_bias):
    """The GRU's time loop of a bfloat16 layer run in float32 under XLA (its inputs cast up, its output down)."""
    from keras import ops

    from samplernn import recurrence

    up = [ops.cast(t, "float32") for t in (xp, h0, recurrent_kernel, recurrent_bias)]
    return ops.cast(recurrence._gru_sequence_xla(*up), xp.dtype)


def recurrence_choice(config, batch):
    """[(layer, precision, seconds)]: one GRU layer of the bottom tier's shapes, forward + backward, as this
    toolkit writes it and as `keras.layers.GRU` (reset_after, the same maths) computes it."""
    import keras
    import tensorflow as tf

    from samplernn import recurrence
    from samplernn.model import DTYPE_POLICIES
    from samplernn.recurrence import GRU

    d, steps = config.dim, config.seq_len // config.frame_sizes[0]
    rows = []
    for precision in ("off", "bf16"):
        policy = DTYPE_POLICIES[precision]
        ours, theirs = GRU(d, dtype=policy), keras.layers.GRU(d, return_sequences=True, dtype=policy)
        for layer in (ours, theirs):
            layer.build((None, None, d))
        x, h = tf.cast(tf.random.normal((batch, steps, d)), ours.compute_dtype), tf.random.normal((batch, d))
        fused = recurrence.sequence_function(d, ours.compute_dtype) is recurrence._gru_sequence_xla
        run_ours = lambda x, h: ours(x, [h])[0]  # noqa: E731
        rows.append((f"ours ({'XLA' if fused else 'TF ops, oneDNN'})", precision,
                     gradient_time(run_ours, [x, h], ours.trainable_variables)))
        # The other ways: float32 as TensorFlow's own (oneDNN) ops, unfused; bfloat16 under XLA, its dots
        # widened to float32 as it computes them, or with the whole time loop cast to float32 first.
        others = {"off": {"ours (TF ops, oneDNN)": recurrence._gru_sequence},
                  "bf16": {"ours (XLA, bf16 dots)": recurrence._gru_sequence_xla,
                           "ours (XLA, loop in float32)": _float32_loop}}[precision]
        chosen = recurrence.sequence_function
        for name, loop in others.items():
            recurrence.sequence_function = lambda units, dtype, loop=loop: loop  # noqa: E731
            try:
                rows.append((name, precision, gradient_time(run_ours, [x, h], ours.trainable_variables)))
            finally:
                recurrence.sequence_function = chosen
        rows.append(("keras.layers.GRU", precision,
                     gradient_time(lambda x, h: theirs(x, initial_state=h), [x, h], theirs.trainable_variables)))
    return rows


def optimizer_time(model):
    import tensorflow as tf

    from samplernn.optimizers import make_optimizer
    from samplernn.options import TrainOptions
    from samplernn.train_step import fused_apply

    options = TrainOptions()
    optimizer = make_optimizer(options)
    variables = model.trainable_variables
    optimizer.build(variables)
    grads = [tf.random.normal(v.shape) * 1e-3 for v in variables]

    apply = fused_apply(optimizer)  # as the train step applies it

    @tf.function
    def update(grads):
        clipped, norm = tf.clip_by_global_norm(grads, options.clip_norm)
        apply(clipped, variables)
        return norm

    return median_time(update, grads)


def whole_step(config, model, batch):
    from samplernn.optimizers import make_optimizer
    from samplernn.options import TrainOptions
    from samplernn.train_step import make_train_step
    from train_speed import synthetic_windows, time_steps

    options = TrainOptions(mixed_precision="bf16" if model.compute_dtype == "bfloat16" else "off")
    optimizer = make_optimizer(options)
    optimizer.build(model.trainable_variables)
    return time_steps(make_train_step(model, optimizer, options), synthetic_windows(config, batch), 5)


# How generation's step functions may run: compiled by XLA (as generate.py runs them), or as a TensorFlow graph
# of its own ops (oneDNN's matmuls) with float32 or bfloat16 weights.
GENERATION_LOOPS = {"xla": (True, "float32"), "graph": (False, "float32"), "graph_bf16": (False, "bfloat16")}


def _cast_floats(weights, dtype):
    """Step weights (nested; kernels, tables, biases, layout flags) with every float tensor cast to `dtype`."""
    import tensorflow as tf

    def cast(w):
        if w is None or isinstance(w, bool):
            return w
        w = tf.convert_to_tensor(w)
        return tf.cast(w, dtype) if w.dtype.is_floating else w

    return tf.nest.map_structure(cast, weights)


def generation_parts(config, model, rows, samples=2048, loop="xla"):
    """[(part, seconds per generated sample of all `rows` streams, weight bytes per sample)] of one sample's step
    functions, run as `loop` says (GENERATION_LOOPS)."""
    import tensorflow as tf

    mlp, d = model.sample_mlp, config.dim
    jit, dtype = GENERATION_LOOPS[loop]
    width = 2 if dtype == "bfloat16" else 4  # bytes per weight
    parts = []

    @tf.function(jit_compile=jit)
    def mlp_loop(window, conditioning):
        weights = _cast_floats(mlp.step_weights(rows), dtype)
        conditioning = tf.cast(conditioning, dtype)

        def body(i, window):
            logits = mlp.step(weights, window, conditioning)
            chosen = tf.cast(tf.argmax(logits, axis=-1), tf.int32)
            return i + 1, tf.concat([window[:, 1:], chosen[:, None]], axis=1)

        return tf.while_loop(lambda i, _: i < samples, body, (0, window))[1]

    window = tf.random.uniform((rows, config.frame_sizes[0]), 0, config.q_levels, tf.int32)
    mlp_bytes = width * (2 * d * d + d * config.q_levels)
    parts.append(("sample MLP", median_time(mlp_loop, window, tf.random.normal((rows, d))) / samples, mlp_bytes))
    for k, tier in enumerate(model.frame_tiers):
        fs, steps = config.frame_sizes[k], max(samples // config.frame_sizes[k], 8)
        features = tier.input_proj.kernel.shape[0]

        @tf.function(jit_compile=jit)
        def tier_loop(frame, states, tier=tier, features=features, steps=steps):
            weights = _cast_floats(tier.step_weights(rows), dtype)
            frame, states = tf.cast(frame, dtype), [tf.cast(s, dtype) for s in states]

            def body(i, frame, states):
                out, states = tier.step(frame, None, states, weights)
                return i + 1, tf.tanh(out[:, 0, :features]), states

            return tf.while_loop(lambda i, *_: i < steps, body, (0, frame, states))[1]

        states = [tf.random.normal((rows, d)) for _ in range(len(tier.rnns) * tier.states_per_layer)]
        seconds = median_time(tier_loop, tf.random.normal((rows, features)), states) / steps / fs
        tier_bytes = width * (features * d + len(tier.rnns) * 6 * d * d + d * d * tier.ratio) / fs
        parts.append((f"tier {k} (one step per {fs} samples)", seconds, tier_bytes))
    return parts


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config_file", default="default.config.json")
    p.add_argument("--batch_size", type=int, default=8)
    p.add_argument("--precisions", nargs="+", choices=MIXED_PRECISION, default=["off", "bf16"])
    p.add_argument("--streams", type=int, nargs="*", default=[1, 32], help="rows of the generation parts")
    p.add_argument("--generation_loops", nargs="+", choices=list(GENERATION_LOOPS), default=["xla"],
                   help="how the generation parts run: xla (as generate.py), graph (TensorFlow's own ops), "
                        "graph_bf16 (the same with bfloat16 weights)")
    p.add_argument("--skip_training", action="store_true", help="only the machine's rates and generation")
    args = p.parse_args()

    from samplernn.config import load_config
    from samplernn.model import build_model

    config = load_config(args.config_file)
    print(f"config={args.config_file} batch={args.batch_size}")
    d, b = config.dim, args.batch_size
    shapes = [(b * config.seq_len // config.frame_sizes[0], d, 3 * d, "input projections"),
              (b, d, 3 * d, "one recurrent step"), (b * config.seq_len, d, d, "MLP layer")]
    for m, k, n, what in shapes:
        rates = {dt: matmul_rate(m, k, n, dt) for dt in ("float32", "bfloat16")}
        print(f"  machine: matmul {m}x{k}x{n} ({what}): float32 {rates['float32']:.0f}, "
              f"bfloat16 {rates['bfloat16']:.0f} GFLOP/s")
    print(f"  machine: memory read bandwidth {memory_gbps():.1f} GB/s")
    for rows in args.streams:
        times = {dt: xla_step_rate(rows, d, 3 * d, dt) for dt in ("float32", "bfloat16")}
        print(f"  XLA (generation's compiler), {rows} x {d} x {3 * d} per step with the kernel in float32: "
              f"{times['float32']:.0f} us, in bfloat16: {times['bfloat16']:.0f} us")
    for precision in [] if args.skip_training else args.precisions:
        model = build_model(config, precision)
        parts = training_parts(config, model, b)
        parts.append(("optimizer (clip + Adam)", optimizer_time(model), 0, None))
        whole = whole_step(config, model, b)
        counted = sum(s for name, s, _, _ in parts if "of which" not in name)
        print(f"training step, --mixed_precision {precision}: {whole:.3f} s/step "
              f"({b * config.seq_len / whole:,.0f} samples/s)")
        for name, seconds, flops, nbytes in parts + [("glue (the step less the parts)", whole - counted, 0, None)]:
            extra = f", {flops / seconds / 1e9:6.0f} GFLOP/s" if flops and seconds > 0 else ""
            extra += f", {nbytes / seconds / 1e9:5.1f} GB/s of recurrent kernel" if nbytes else ""
            print(f"  {name:44s} {seconds:7.3f} s {seconds / whole:6.1%}{extra}")
    if config.rnn_type != "gru":
        return
    if not args.skip_training:
        print(f"recurrence, one GRU layer of tier 0's shapes ({b} rows x {config.seq_len // config.frame_sizes[0]} "
              f"steps x {d} units), forward + backward:")
        for layer, precision, seconds in recurrence_choice(config, b):
            print(f"  {layer:32s} --mixed_precision {precision:4s} {seconds * 1e3:8.1f} ms")
    model = build_model(config)
    for rows in args.streams:
        for loop in args.generation_loops:
            parts = generation_parts(config, model, rows, loop=loop)
            total = sum(s for _, s, _ in parts)  # one sample of every stream
            print(f"one generated sample of {rows} stream(s), {loop}: {total * 1e6:.1f} us = "
                  f"{total * config.sample_rate / rows:.3f} s per second of audio in total (parts alone, no sampler)")
            for name, seconds, nbytes in parts:  # the weights are read once per step, whatever the streams
                print(f"  {name:44s} {seconds * 1e6:7.2f} us {seconds / total:6.1%}, "
                      f"{nbytes / seconds / 1e9:5.1f} GB/s of weights")


if __name__ == "__main__":
    main()
