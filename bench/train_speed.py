"""Training speed: median seconds per TBPTT step after warm-up, training samples/s, peak RSS.

    python bench/train_speed.py [--config_file default.config.json] [--batch_size 8] [--steps 5]

Runs the real train step on random levels held in memory (the data pipeline is not part of this figure).
"""

import argparse
import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config_file", default="default.config.json")
    p.add_argument("--batch_size", type=int, default=8)
    p.add_argument("--steps", type=int, default=5, help="timed steps after 2 warm-up steps")
    args = p.parse_args()

    import numpy as np

    from samplernn.config import load_config
    from samplernn.model import build_model
    from samplernn.options import TrainOptions
    from samplernn.training import make_optimizer, make_train_step

    config = load_config(args.config_file)
    model = build_model(config)
    optimizer = make_optimizer(TrainOptions())
    optimizer.build(model.trainable_variables)
    step = make_train_step(model, optimizer)
    rng = np.random.default_rng(0)
    shape = (args.batch_size, config.seq_len + config.big_frame_size)
    mask = np.ones((args.batch_size, config.seq_len), np.float32)
    states, times = None, []
    for i in range(args.steps + 2):
        x = rng.integers(0, config.q_levels, shape).astype(np.int32)
        start = time.perf_counter()
        sums, states = step(x, mask, states)
        float(sums[0])  # wait for the step to finish
        if i >= 2:
            times.append(time.perf_counter() - start)
    sec = statistics.median(times)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"config={args.config_file} batch={args.batch_size} params={model.count_params():,} "
          f"median {sec:.3f} s/step, {args.batch_size * config.seq_len / sec:,.0f} training samples/s, "
          f"peak RSS {rss:,.0f} MiB")


if __name__ == "__main__":
    main()
