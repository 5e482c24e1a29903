# One-off probe (issue 27, part 4): the step functions of generation in a graph loop without XLA, float32 and
# bfloat16 weights (TensorFlow's own oneDNN matmuls), against the XLA loop generation compiles. Run from the
# checkout: python bench/results/speed/2026-12-06_generation_onednn_probe.py [config]
import os, sys
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
sys.path.insert(0, ROOT); sys.path.insert(0, os.path.join(ROOT, "bench"))
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf
from step_breakdown import median_time
from samplernn.config import load_config
from samplernn.model import build_model
config = load_config(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "default.config.json"))
model = build_model(config)
d = config.dim
samples = 1024
def cast_all(ws, dt):
    def one(w):
        if w is None or isinstance(w, bool):
            return w
        t = tf.convert_to_tensor(w)
        return tf.cast(t, dt) if t.dtype.is_floating else t
    return tf.nest.map_structure(one, ws)
for rows in [1, 32]:
    for mode in ["xla_f32", "graph_f32", "graph_bf16"]:
        jit = mode.startswith("xla"); dt = tf.bfloat16 if mode.endswith("bf16") else tf.float32
        mlp = model.sample_mlp
        @tf.function(jit_compile=jit)
        def mlp_loop(window, conditioning):
            weights = cast_all(mlp.step_weights(rows), dt)
            conditioning = tf.cast(conditioning, dt)
            def body(i, window):
                logits = mlp.step(weights, window, conditioning)
                chosen = tf.cast(tf.argmax(logits, axis=-1), tf.int32)
                return i + 1, tf.concat([window[:, 1:], chosen[:, None]], axis=1)
            return tf.while_loop(lambda i, _: i < samples, body, (0, window))[1]
        window = tf.random.uniform((rows, config.frame_sizes[0]), 0, config.q_levels, tf.int32)
        t_mlp = median_time(mlp_loop, window, tf.random.normal((rows, d)), repeats=3) / samples
        tiers = []
        for k, tier in enumerate(model.frame_tiers):
            fs, steps = config.frame_sizes[k], max(samples // config.frame_sizes[k], 8)
            features = tier.input_proj.kernel.shape[0]
            @tf.function(jit_compile=jit)
            def tier_loop(frame, states, tier=tier, features=features, steps=steps):
                weights = cast_all(tier.step_weights(rows), dt)
                frame = tf.cast(frame, dt); states = [tf.cast(s, dt) for s in states]
                def body(i, frame, states):
                    out, states = tier.step(frame, None, states, weights)
                    return i + 1, tf.tanh(out[:, 0, :features]), states
                return tf.while_loop(lambda i, *_: i < steps, body, (0, frame, states))[1]
            states = [tf.random.normal((rows, d)) for _ in range(len(tier.rnns) * tier.states_per_layer)]
            tiers.append(median_time(tier_loop, tf.random.normal((rows, features)), states, repeats=3) / steps / fs)
        total = t_mlp + sum(tiers)
        print(f"rows {rows:2d} {mode:10s} mlp {t_mlp*1e6:7.1f} us  tiers " + " ".join(f"{t*1e6:7.1f}" for t in tiers)
              + f"  total {total*1e6:7.1f} us/sample = {total*config.sample_rate/rows:.3f} s per s of audio", flush=True)
