"""Training speed: median seconds per TBPTT step after warm-up, training samples/s, FLOPs vs peak, peak RSS.

    python bench/train_speed.py [--config_file default.config.json] [--batch_size 8] [--steps 5]
                                [--data_dir DIR] [--mixed_precision bf16] [--optimizer muon]

Runs the real train step on random levels held in memory. With `--data_dir` it then times the same number
of steps fed by the real input pipeline (files decoded once by `load_levels`, windows cut by `TBPTTBatches`)
and prints both, so a slow pipeline would show as a ratio above 1.
"""

import argparse
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from flops import matmul_gflops, training_flops_per_sample  # noqa: E402
from samplernn.options import MIXED_PRECISION, OPTIMIZERS  # noqa: E402 (light: no TensorFlow)


def synthetic_windows(config, batch_size):
    import numpy as np

    rng = np.random.default_rng(0)
    shape = (batch_size, config.seq_len + config.big_frame_size)
    mask = np.ones((batch_size, config.seq_len), np.float32)
    while True:
        yield rng.integers(0, config.q_levels, shape).astype(np.int32), mask, False


def pipeline_windows(config, batch_size, data_dir):
    """The training loop's own input path, wall time of loading and cutting included in each step."""
    from samplernn.data import TBPTTBatches, list_training_files, load_levels

    sequences = load_levels(list_training_files(data_dir), config, config.seq_len, notice=lambda *_: None)
    epoch = 0
    while True:
        epoch += 1
        batches = TBPTTBatches(sequences, config, batch_size, shuffle_seed=(0, epoch))
        for b in range(len(batches.file_batches)):
            for w in batches.windows(b):
                yield w.inputs, w.mask, w.reset


def time_steps(step, windows, steps):
    """Median wall seconds of `steps` steps after 2 warm-up steps; the clock includes fetching the window."""
    states, times = None, []
    for i in range(steps + 2):
        start = time.perf_counter()
        inputs, mask, reset = next(windows)
        sums, states, _ = step(inputs, mask, None if reset else states)
        float(sums[0][0])  # wait for the step to finish
        if i >= 2:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config_file", default="default.config.json")
    p.add_argument("--batch_size", type=int, default=8)
    p.add_argument("--steps", type=int, default=5, help="timed steps after 2 warm-up steps")
    p.add_argument("--data_dir", default=None, help="also time the steps fed by the real pipeline from this folder")
    p.add_argument("--mixed_precision", choices=MIXED_PRECISION, default="off",
                   help="as train.py's; the matmul rate is then measured in the same 16-bit type")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam", help="as train.py's (the CPU recipe: muon)")
    args = p.parse_args()

    from samplernn.config import load_config
    from samplernn.model import build_model
    from samplernn.options import TrainOptions
    from samplernn.train_step import make_train_step
    from samplernn.optimizers import make_optimizer

    config = load_config(args.config_file)
    options = TrainOptions(mixed_precision=args.mixed_precision, optimizer=args.optimizer)
    model = build_model(config, args.mixed_precision)
    optimizer = make_optimizer(options)
    optimizer.build(model.trainable_variables)
    step = make_train_step(model, optimizer, options)
    sec = time_steps(step, synthetic_windows(config, args.batch_size), args.steps)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rate = args.batch_size * config.seq_len / sec
    flops = training_flops_per_sample(config, args.batch_size)
    dtype = model.compute_dtype  # the layers' dtype under the --mixed_precision policy
    peak = matmul_gflops(dtype=dtype)
    print(f"config={args.config_file} batch={args.batch_size} mixed_precision={args.mixed_precision} "
          f"optimizer={args.optimizer} "
          f"params={model.count_params():,} median {sec:.3f} s/step, {rate:,.0f} training samples/s, "
          f"peak RSS {rss:,.0f} MiB")
    print(f"  {flops / 1e6:.1f} MFLOP per training sample -> {rate * flops / 1e9:.0f} GFLOP/s achieved, "
          f"{rate * flops / 1e9 / peak:.0%} of the {peak:.0f} GFLOP/s {dtype} matmul rate measured here")
    if args.data_dir:
        real = time_steps(step, pipeline_windows(config, args.batch_size, args.data_dir), args.steps)
        print(f"  real input pipeline ({args.data_dir}): median {real:.3f} s/step = "
              f"{real / sec:.2f}x the in-memory synthetic step")


if __name__ == "__main__":
    main()
