"""Long-run memory: resident set size of a real `train.py` run, sampled at the end of every epoch.

    python bench/rss_soak.py [--minutes 30] [--work /tmp/rss_soak] [--data_dir DIR]

Trains a small model through `train.py` (validation, checkpoints and a generated wav every epoch, as a
user's run does) for `--minutes`, then stops it with Ctrl-C (SIGINT), which must save and exit cleanly.
Prints the RSS after epoch 1 and after the last epoch, the largest RSS seen, and the least-squares growth
per epoch over the second half of the run (a leak shows up as a steady positive slope).
"""

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
EPOCH_LINE = re.compile(r"^Epoch (\d+)/\d+: training")


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def slope(xs, ys):
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den if den else 0.0


def make_inputs(args):
    data = args.data_dir
    if data is None:
        from samplernn.demo_data import make_demo_dataset

        data = os.path.join(args.work, "data")
        if not os.path.isdir(data):
            make_demo_dataset(data, minutes=1.0, sample_rate=16000, chunk_seconds=4.0)
    config = os.path.join(args.work, "config.json")
    with open(config, "w") as f:
        json.dump({"seq_len": 512, "frame_sizes": [16, 64], "dim": 128, "num_rnn_layers": 1, "emb_size": 64}, f)
    return data, config


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--work", default="/tmp/rss_soak")
    p.add_argument("--data_dir", default=None, help="audio folder (default: a synthesized 1-minute demo set)")
    args = p.parse_args()
    os.makedirs(args.work, exist_ok=True)
    data, config = make_inputs(args)
    cmd = [sys.executable, "train.py", "--data_dir", data, "--logdir_root", os.path.join(args.work, "logdir"),
           "--id", "rss", "--no-resume", "--config_file", config, "--batch_size", "8", "--num_epochs", "100000",
           "--output_file_dur", "1", "--early_stopping_patience", "0", "--max_checkpoints", "2"]
    # A background job of a non-interactive shell (e.g. `nohup ... &`) inherits SIGINT ignored, and Python
    # then installs no Ctrl-C handler: give the child the default disposition so the Ctrl-C below arrives.
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    epochs, peak = [], [0.0]

    def watch():
        while proc.poll() is None:
            try:
                peak[0] = max(peak[0], rss_mib(proc.pid))
            except (OSError, RuntimeError):
                return
            time.sleep(1.0)

    threading.Thread(target=watch, daemon=True).start()
    timer = threading.Timer(args.minutes * 60, lambda: proc.send_signal(signal.SIGINT))
    timer.start()
    start, tail = time.time(), []
    for line in proc.stdout:
        tail = (tail + [line])[-5:]
        m = EPOCH_LINE.match(line)
        if m:
            epochs.append((int(m.group(1)), rss_mib(proc.pid)))
            print(f"epoch {epochs[-1][0]:4d}  {(time.time() - start) / 60:5.1f} min  RSS {epochs[-1][1]:7.1f} MiB",
                  flush=True)
    code = proc.wait()
    timer.cancel()
    if len(epochs) < 2:
        sys.exit(f"only {len(epochs)} epoch(s) finished (exit {code}):\n" + "".join(tail))
    half = epochs[len(epochs) // 2:]
    growth = slope([e for e, _ in half], [r for _, r in half])
    print(f"{len(epochs)} epochs in {(time.time() - start) / 60:.1f} min; RSS after epoch 1: {epochs[0][1]:.0f} MiB, "
          f"after epoch {epochs[-1][0]}: {epochs[-1][1]:.0f} MiB, peak {peak[0]:.0f} MiB; "
          f"growth over the second half {growth:+.2f} MiB/epoch; exit code after Ctrl-C {code}")
    print("last lines:", "".join(tail).strip().splitlines()[-1])


if __name__ == "__main__":
    main()
