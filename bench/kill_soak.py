"""Crash safety: kill -9 a small training run at random moments, resume it, and check nothing is lost.

    python bench/kill_soak.py [--kills 20] [--work /tmp/kill_soak]

Each round starts `train.py` (resuming), kills it with SIGKILL a random --min_seconds to --max_seconds
after its first step (during a step, a validation or a checkpoint write), then checks that the run's
`latest` checkpoint is complete and loadable. The next round must report "Resuming from" that checkpoint
(or, when no checkpoint was completed yet, start afresh). The data is one batch of 5 files (~30 steps an
epoch, one compiled step shape per window kind) and no audio is generated, so a checkpoint is written
every second or so once the steps are compiled, and many kills land in checkpoint writes. Prints one line per
kill with the last loss before the kill and the first loss after the resume, then the tally.
"""

import argparse
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
STEP_LINE = re.compile(r"Loss: ([\d.]+) bits")


def make_data(work):
    from samplernn.demo_data import make_demo_dataset

    data = os.path.join(work, "data")
    if not os.path.isdir(data):
        make_demo_dataset(data, minutes=0.1, sample_rate=8000, chunk_seconds=1.0)  # 6 files, 1 held out
    config = os.path.join(work, "config.json")
    with open(config, "w") as f:
        json.dump({"seq_len": 256, "frame_sizes": [4, 16], "dim": 32, "num_rnn_layers": 1, "q_levels": 64,
                   "emb_size": 16, "sample_rate": 8000}, f)
    return data, config


def run_until_killed(cmd, seconds, startup_limit=600):
    """Runs `cmd` and SIGKILLs it `seconds` after its first training step (start-up, whose length depends
    on how busy the CPU is, is not the part under test); returns its output."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, cwd=ROOT)
    lines, stepping = [], threading.Event()

    def read():
        for line in proc.stdout:
            lines.append(line)
            if STEP_LINE.search(line):
                stepping.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    stepping.wait(startup_limit)
    time.sleep(seconds)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    reader.join()
    return "".join(lines)


def check_latest(logdir):
    from samplernn import checkpoints

    run = checkpoints.find_latest_run(logdir, "soak")
    if run is None:
        return None
    ckpt = checkpoints.latest_checkpoint(run)
    meta = checkpoints.read_meta(ckpt)  # a half-written checkpoint would fail here or below
    for name in (checkpoints.WEIGHTS_FILE, checkpoints.OPTIMIZER_FILE):
        assert os.path.getsize(os.path.join(ckpt, name)) > 0
    return ckpt, meta["step"]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--work", default="/tmp/kill_soak")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--min_seconds", type=float, default=5.0)
    p.add_argument("--max_seconds", type=float, default=75.0)
    args = p.parse_args()
    random.seed(args.seed)
    data, config = make_data(args.work)
    logdir = os.path.join(args.work, "logdir")
    cmd = [sys.executable, "train.py", "--data_dir", data, "--logdir_root", logdir, "--id", "soak", "--config_file",
           config, "--batch_size", "5", "--num_epochs", "1000", "--no-generate",
           "--early_stopping_patience", "0", "--max_checkpoints", "3"]
    survived, previous_last_loss, previous_ckpt = 0, None, None
    for kill in range(1, args.kills + 1):
        out = run_until_killed(cmd, random.uniform(args.min_seconds, args.max_seconds))
        losses = [float(x) for x in STEP_LINE.findall(out)]
        resumed = re.search(r"Resuming from (\S+)", out)
        if previous_ckpt is None:  # nothing was saved yet: the run must start afresh
            ok = resumed is None
        else:
            ok = resumed is not None and resumed.group(1) == previous_ckpt[0]
        try:
            latest = check_latest(logdir)
        except Exception as e:  # a checkpoint `latest` points at that cannot be read
            print(f"kill {kill:2d}: latest checkpoint unreadable: {e}", flush=True)
            latest, ok = None, False
        ok = ok and (latest is not None or previous_ckpt is None)
        survived += ok
        first = f"{losses[0]:.3f}" if losses else "-"
        print(f"kill {kill:2d}: resumed {'ok ' if ok else 'BAD'} from step {previous_ckpt[1] if previous_ckpt else 0}, "
              f"loss before kill {previous_last_loss or '-'} -> after resume {first}; "
              f"latest now step {latest[1] if latest else '-'}", flush=True)
        previous_last_loss = f"{losses[-1]:.3f}" if losses else previous_last_loss
        previous_ckpt = latest or previous_ckpt
    print(f"survived {survived}/{args.kills} kills")


if __name__ == "__main__":
    main()
