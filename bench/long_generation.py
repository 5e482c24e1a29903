"""Long generation through generate.py: peak RSS and speed for several --dur, each in a fresh process.

    python bench/long_generation.py --config_file configs/small_cpu.json --streams 32 --seconds 10 60 600

Makes a run dir with an untrained checkpoint of the config (the work per sample and the memory do not depend on
the weights), then runs generate.py once per duration, `--streams` sequences, `--seed 1`, writing wavs and
spectrograms into a temporary folder. Per duration: the child's peak RSS (os.wait4), its wall time, and the
speed from its last progress line (seconds of audio per second, counted from the end of the first piece, which
includes compiling), as seconds of wall time per second of audio in total (÷ streams). Memory that does not grow
with --dur shows as the same peak RSS for every duration.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def untrained_run(config_file, folder):
    """A run dir holding the config and an untrained checkpoint: what generate.py reads."""
    import keras

    from samplernn import checkpoints
    from samplernn.config import load_config, save_config
    from samplernn.model import build_model

    config = load_config(config_file)
    run_dir = checkpoints.new_run_dir(folder, "bench")
    save_config(config, os.path.join(run_dir, checkpoints.CONFIG_FILE))
    model = build_model(config)
    optimizer = keras.optimizers.Adam()
    optimizer.build(model.trainable_variables)
    checkpoints.save_checkpoint(run_dir, model, optimizer, {"step": 0})
    return run_dir


def generate(run_dir, out, streams, seconds):
    """Runs generate.py; returns (peak RSS MiB, wall s, speed in s of audio per s of the last progress line)."""
    command = [sys.executable, os.path.join(ROOT, "generate.py"), "--checkpoint_path", run_dir, "--output_path",
               os.path.join(out, f"long_{seconds:g}.wav"), "--num_seqs", str(streams), "--dur", str(seconds),
               "--seed", "1", "--target_bits", "4.0"]
    start = time.perf_counter()
    with tempfile.TemporaryFile("w+") as log:
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        log.seek(0)
        text = log.read()
    if status != 0:
        sys.exit(f"generate.py failed:\n{text[-3000:]}")
    speeds = re.findall(r"\(([\d.]+) s of audio per second", text)
    return usage.ru_maxrss / 1024, wall, float(speeds[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--config_file", default="configs/small_cpu.json")
    p.add_argument("--streams", type=int, default=32)
    p.add_argument("--seconds", type=float, nargs="+", default=[10.0, 60.0, 600.0])
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run_dir = untrained_run(args.config_file, folder)
        print(f"config={args.config_file}, {args.streams} streams, generate.py --dur each of {args.seconds}")
        for seconds in args.seconds:
            rss, wall, speed = generate(run_dir, folder, args.streams, seconds)
            print(f"  --dur {seconds:6g}: peak RSS {rss:,.0f} MiB, {wall:.0f} s wall in all, "
                  f"{1 / speed:.3f} s per generated second per stream after the first piece = "
                  f"{1 / (speed * args.streams):.4f} s per second of audio in total", flush=True)


if __name__ == "__main__":
    main()
