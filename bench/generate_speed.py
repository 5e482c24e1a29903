"""Generation speed: wall seconds per generated second, for one stream and for many, after compilation.

    python bench/generate_speed.py [--config_file default.config.json] [--streams 1 32] [--seconds 1] \
        [--sampling adaptive plain] [--draw inverse gumbel]

Times the second of two identical calls of `samplernn.generation.generate` (the first compiles), on an
untrained model: the work per sample does not depend on the weights. Prints one line per sampling, draw and
stream count (adaptive sampling is held at an arbitrary 4 bits/sample: the work per sample does not depend on it).
"""

import argparse
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from flops import flops_per_sample, matmul_gflops, memory_gbps, weight_bytes_per_sample  # noqa: E402
from samplernn.options import DRAW, DRAWS  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config_file", default="default.config.json")
    p.add_argument("--streams", type=int, nargs="+", default=[1, 32])
    p.add_argument("--seconds", type=float, default=1.0, help="seconds of audio per stream")
    p.add_argument("--sampling", nargs="+", choices=["adaptive", "plain"], default=["adaptive"])
    p.add_argument("--draw", nargs="+", choices=DRAWS, default=[DRAW], help="how levels are drawn; each is timed")
    args = p.parse_args()

    from samplernn.config import load_config
    from samplernn.generation import generate
    from samplernn.model import build_model

    config = load_config(args.config_file)
    model = build_model(config)
    n = int(args.seconds * config.sample_rate)
    print(f"config={args.config_file} ({model.count_params():,} params), "
          f"{flops_per_sample(config) / 1e6:.1f} MFLOP per generated sample")
    peak = matmul_gflops()
    print(f"  bound: fp32 matmul here runs at {peak:.0f} GFLOP/s -> at most "
          f"{peak * 1e9 / flops_per_sample(config):,.0f} generated samples/s")
    bandwidth, weight_bytes = memory_gbps(), weight_bytes_per_sample(config)
    print(f"  bound for one stream: {weight_bytes / 1e6:.1f} MB of weights read per sample at the {bandwidth:.0f} GB/s "
          f"memory bandwidth measured here -> at most {bandwidth * 1e9 / weight_bytes:,.0f} samples/s "
          f"({config.sample_rate * weight_bytes / bandwidth / 1e9:.1f} s per generated second), "
          "less what the caches hold")
    for sampling, draw, streams in [(s, d, k) for s in args.sampling for d in args.draw for k in args.streams]:
        target = 4.0 if sampling == "adaptive" else None
        kwargs = dict(q_type=config.q_type, target_bits=target, draw=draw)
        generate(model, n, [1.0] * streams, seed=0, **kwargs)  # compile
        start = time.perf_counter()
        generate(model, n, [1.0] * streams, seed=1, **kwargs)
        wall = time.perf_counter() - start
        gflops = flops_per_sample(config) * n * streams / wall / 1e9
        print(f"  {sampling:8s} {draw:7s} {streams:4d} stream(s) x {args.seconds:g} s: {wall:.1f} s wall = "
              f"{wall / args.seconds:.2f} s per generated second per stream, "
              f"{wall / (args.seconds * streams):.3f} s per second of audio in total "
              f"({config.sample_rate * streams * args.seconds / wall:,.0f} samples/s, {gflops:.1f} GFLOP/s)")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS {rss:,.0f} MiB")


if __name__ == "__main__":
    main()
