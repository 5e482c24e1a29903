"""Priming on seed audio: wall time and peak RSS for several seed lengths, one fresh process per case.

    python bench/seed_priming.py [--config_file default.config.json] [--streams 32] [--seconds 1 10 60]
                                 [--old_seconds 1]

`new` is `loop.primed_start` (the frame tiers only, one stream, in chunks) plus copying the state to
every stream; `old` is the pass generate.py made before it: the seed copied to every stream and the whole
teacher-forced `model(seed)` (sample MLP and logits included). An untrained model: the work does not depend
on the weights. Each case runs in its own process, so its peak RSS is its own; the time includes tracing.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def run_case(config_file, path, seconds, streams):
    """In this process: build the model, prime on `seconds` of seed audio; print one JSON line."""
    import numpy as np
    import tensorflow as tf

    from samplernn.config import load_config
    from samplernn.loop import primed_start, seed_to_levels
    from samplernn.model import build_model
    from samplernn.quantization import zero_level

    config = load_config(config_file)
    model = build_model(config)
    n = int(seconds * config.sample_rate)
    seed_audio = (0.5 * np.sin(2 * np.pi * 220 * np.arange(n) / config.sample_rate)).astype(np.float32)
    before = rss_mib()
    start = time.perf_counter()
    if path == "new":
        ctx, states = primed_start(model, config.q_type, seed_audio).tile(streams)
    else:
        levels = seed_to_levels(seed_audio, config.q_type, config.q_levels, model.big_frame_size)
        zero = zero_level(config.q_type, config.q_levels)
        full = np.concatenate([np.full(model.big_frame_size, zero, np.int32), levels])
        _, states = model(np.tile(full[None], (streams, 1)), training=False)
    tf.nest.map_structure(lambda s: s.numpy(), states)  # waits for the result
    print(json.dumps({"path": path, "seconds": seconds, "streams": streams, "wall_s": time.perf_counter() - start,
                      "rss_before_mib": before, "peak_rss_mib": rss_mib()}))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config_file", default=os.path.join(ROOT, "default.config.json"))
    p.add_argument("--streams", type=int, default=32)
    p.add_argument("--seconds", type=float, nargs="+", default=[1, 10, 60], help="seed lengths, new path")
    p.add_argument("--old_seconds", type=float, nargs="*", default=[1], help="seed lengths, old path")
    p.add_argument("--case", nargs=2, metavar=("PATH", "SECONDS"), help=argparse.SUPPRESS)  # a child process
    args = p.parse_args()
    if args.case:
        return run_case(args.config_file, args.case[0], float(args.case[1]), args.streams)
    print("| path | seed | streams | wall (s) | peak RSS (MiB) | RSS before priming (MiB) |")
    print("| --- | --- | --- | --- | --- | --- |")
    for path, lengths in (("new", args.seconds), ("old", args.old_seconds)):
        for seconds in lengths:
            child = subprocess.run([sys.executable, __file__, "--config_file", args.config_file, "--streams",
                                    str(args.streams), "--case", path, str(seconds)], capture_output=True, text=True)
            if child.returncode != 0:
                print(f"| {path} | {seconds:g} s | {args.streams} | failed (exit {child.returncode}: "
                      f"{(child.stderr.strip().splitlines() or [''])[-1][:80]}) | | |", flush=True)
                continue
            r = json.loads(child.stdout.strip().splitlines()[-1])
            print(f"| {path} | {seconds:g} s | {r['streams']} | {r['wall_s']:.1f} | {r['peak_rss_mib']:,.0f} | "
                  f"{r['rss_before_mib']:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
