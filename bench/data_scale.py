"""Data path at scale: time from `train.py` start to the first training step (a new run, then the same run
resumed), peak RSS before the first step, during the first steps and during a validation pass, and the cache's
disk size, on a folder of 8-second chunks (bench/music_folders.py writes 1, 10 and 50 hours of them).

    python bench/music_folders.py --out /tmp/scale --hours 1 10 50
    python bench/data_scale.py --data_dir /tmp/scale/1h --config_file configs/small_cpu.json --steps 20 \\
        --work /tmp/data_scale --results /tmp/data_scale/results.jsonl [--code /tmp/before --label before]

Each measurement runs the real `train.py` of `--code` (default: this checkout; e.g. an older commit unpacked with
`git archive <commit> | tar -x -C /tmp/before`) in a child process with `--batch_size 32 --no-generate`, the
trainer's step wrapped to take the timings: the child stops after `--steps` steps, times `--val_windows`
windows of the validation pass the epoch would end with (the first one, which compiles, left out) and
multiplies by the windows of a whole pass, saves a checkpoint and exits; the resumed run stops at its first
step. Peak RSS is the process's VmHWM, reset (/proc/self/clear_refs) at the start of each phase. The cache
goes to `<work>/cache/<folder name>` and is kept between invocations: the first run over a folder decodes it
(`--cold` empties it first).
"""

import argparse
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def peak_mib():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmHWM:"))


def reset_peak():
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


class _Stop(Exception):
    pass


def validation_pass(trainer, windows):
    """(seconds per window, windows of a whole pass, files, peak MiB) of the trainer's validation pass."""
    from samplernn.data import TBPTTBatches
    from samplernn.evaluation import evaluate

    bs, seqs = trainer.options.batch_size, trainer.val_seqs
    total = TBPTTBatches(seqs, trainer.config, bs).num_windows()
    stamps, real = [], trainer.eval_step

    def timed(*args):
        stamps.append(time.perf_counter())
        if len(stamps) > windows:
            raise _Stop
        return real(*args)

    reset_peak()
    try:
        evaluate(trainer.model, seqs, trainer.config, bs, timed)
    except _Stop:
        pass
    per_window = (stamps[-1] - stamps[1]) / (len(stamps) - 2)
    return per_window, total, len(seqs), peak_mib()


def child(args, train_args):
    """Runs train.py of args.code with the step wrapped; prints one RESULT line of JSON."""
    sys.path.insert(0, args.code)
    spec = importlib.util.spec_from_file_location("train", os.path.join(args.code, "train.py"))
    train = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(train)
    from samplernn import training

    real_step, result = training.Trainer._step, {}

    def step(self, *a, **k):
        if not result:
            result.update(first_step_at=time.time(), startup_peak_mib=peak_mib())
            if not args.steps:
                finish(self, result)
            reset_peak()
        out = real_step(self, *a, **k)
        result["steps"] = result.get("steps", 0) + 1
        if result["steps"] == 1:
            result["first_step_done_at"] = time.time()
        if result["steps"] == args.steps:
            result["steps_peak_mib"] = peak_mib()
            result["step_seconds"] = (time.time() - result.pop("first_step_done_at")) / max(args.steps - 1, 1)
            finish(self, result)
        return out

    def finish(self, result):
        if args.val_windows:
            per, total, files, peak = validation_pass(self, args.val_windows)
            result.update(val_seconds_per_window=per, val_windows=total, val_files=files, val_peak_mib=peak,
                          val_pass_seconds=per * total)
        if args.save:
            self._save()
        print("RESULT " + json.dumps(result), flush=True)
        os._exit(0)

    training.Trainer._step = step
    train.main(train_args)
    print("RESULT " + json.dumps({"error": "training ended before the steps were taken"}), flush=True)


def measure(args, label, train_args, steps, val_windows, save):
    command = [sys.executable, os.path.abspath(__file__), "--child", "--code", args.code, "--steps", str(steps),
               "--val_windows", str(val_windows)] + (["--save"] if save else []) + ["--"] + train_args
    start = time.time()
    out = subprocess.run(command, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONDONTWRITEBYTECODE": "1"})
    lines = [line for line in out.stdout.splitlines() if line.startswith("RESULT ")]
    if not lines:
        raise SystemExit(f"{label}: no result\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
    result = json.loads(lines[-1][len("RESULT "):])
    result["first_step_seconds"] = result.pop("first_step_at") - start
    return {"case": label, **result}


def du_mib(path):
    total = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path) for f in files)
    return total / 2 ** 20


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--save", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--code", default=ROOT, help="the checkout whose train.py runs")
    p.add_argument("--label", default="after")
    p.add_argument("--data_dir")
    p.add_argument("--config_file", default=None)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--val_windows", type=int, default=5)
    p.add_argument("--work", default="/tmp/data_scale")
    p.add_argument("--results", default=None, help="append the results to this JSON-lines file")
    p.add_argument("--cold", action="store_true", help="empty this folder's cache first")
    p.add_argument("--repeat", type=int, default=1, help="resume the run this many times (the CPU may be shared)")
    p.add_argument("rest", nargs="*")
    args = p.parse_args()
    if args.child:
        return child(args, args.rest)
    name = os.path.basename(os.path.normpath(args.data_dir))
    config = os.path.splitext(os.path.basename(args.config_file or "default"))[0]
    logdir = os.path.join(args.work, "logdir", f"{args.label}-{name}-{config}")
    cache = os.path.join(args.work, "cache", name)
    shutil.rmtree(logdir, ignore_errors=True)
    if args.cold:
        shutil.rmtree(cache, ignore_errors=True)
    cold = not os.path.isdir(cache)
    train_args = ["--data_dir", args.data_dir, "--logdir_root", logdir, "--batch_size", "32", "--no-generate",
                  "--num_epochs", "1", "--early_stopping_patience", "0"]
    train_args += ["--config_file", args.config_file] if args.config_file else []
    train_args += ["--cache_dir", cache] if args.label != "before" else []
    base = {"code": args.label, "data": name, "config": config}
    fresh = measure(args, "new run" + (" (cache cold)" if args.label != "before" and cold else ""), train_args,
                    args.steps, args.val_windows, save=True)
    resumed = [measure(args, "resumed", train_args, 0, 0, save=False) for _ in range(args.repeat)]
    for result in [fresh] + resumed:
        if args.label != "before":
            result["cache_mib"] = du_mib(cache)
        line = json.dumps({**base, **result})
        print(line)
        if args.results:
            with open(args.results, "a") as f:
                f.write(line + "\n")


if __name__ == "__main__":
    main()
