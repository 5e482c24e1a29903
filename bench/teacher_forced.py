"""Does the model's next-sample distribution itself miss the corpus's level and timbre, before any free running?

    python bench/teacher_forced.py --config_file configs/small_cpu.json --weights /tmp/q/run/model.weights.h5 \
        --data_dir /tmp/warzone [--files 30] [--temperatures 1.0 0.93] [--out DIR]

Free-running output can drift from the corpus in two ways: each next-sample distribution may be off already
given real audio (too wide: noisier and louder; too narrow: duller), or the errors of the model's own samples
may compound. This bench separates the two. For `--files` training files of `--data_dir` (bench/quality.py's
split, a seeded pick), it draws every sample from the model's distribution given the *real* audio before it
(teacher-forced, from h0, one `seq_len` window at a time), at each of `--temperatures`, and measures the draws
with `samplernn.fidelity` against the corpus's held-out audio, next to the same real files (the floor). The
draws differ from their real files only by what one sampling step adds, so their level, band balance and
Fréchet ratio are the model's own bias; what free-running output adds beyond it is compounding.
`--out` also writes the draws as wavs.
"""

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from saved import add_saved_model_args, load_trained, quality_split  # noqa: E402
from surprise_by_level import teacher_forced  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_saved_model_args(p)
    p.add_argument("--data_dir", required=True)
    p.add_argument("--files", type=int, default=30, help="training files to draw over")
    p.add_argument("--temperatures", type=float, nargs="+", default=[1.0])
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", help="write the draws here as wavs")
    args = p.parse_args()
    import tensorflow as tf

    from samplernn.audio import write_audio
    from samplernn.data import load_levels
    from samplernn.fidelity import describe_bands, describe_fidelity, fidelity, reference_of_files
    from samplernn.quantization import dequantize

    config, model = load_trained(args.config_file, args.weights)
    train, held_out = quality_split(args.data_dir)
    picked = [train[i] for i in np.sort(np.random.default_rng(args.seed).permutation(len(train))[:args.files])]
    sources = [np.asarray(levels) for levels in load_levels(picked, config, config.seq_len, notice=lambda *_: None)]
    real = [dequantize(levels, config.q_type, config.q_levels) for levels in sources]
    reference = reference_of_files(held_out, config.sample_rate)
    seed = tf.Variable([args.seed, 0], dtype=tf.int64)

    @tf.function
    def draw(window, states, temperature):
        logits, states = model(window, states=states, training=False)
        flat = tf.reshape(tf.cast(logits, tf.float32), (-1, config.q_levels)) / temperature
        seed.assign_add([0, 1])
        draws = tf.random.stateless_categorical(flat, 1, seed=seed.read_value())
        return tf.reshape(draws, (1, -1)), states

    print(f"{len(picked)} training files drawn over, against {len(held_out)} held-out files of {args.data_dir}")
    print("floor = the same real files (quantized): what the reference tells them from")
    for temperature in args.temperatures:
        t = tf.constant(temperature, tf.float32)
        draws = [dequantize(teacher_forced(config, levels, model.initial_states(1),
                                           lambda w, s: draw(w, s, t)), config.q_type, config.q_levels)
                 for levels in sources]
        figures = fidelity(draws, reference, real, config.sample_rate)
        print(f"teacher-forced draws at temperature {temperature:g}:")
        print(describe_fidelity(figures))
        print(describe_bands(figures))
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            for path, audio in zip(picked, draws):
                name = f"t{temperature:g}_{os.path.splitext(os.path.basename(path))[0]}.wav"
                write_audio(os.path.join(args.out, name), audio, config.sample_rate)


if __name__ == "__main__":
    main()
