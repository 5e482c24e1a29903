"""Quality on a fixed training budget: held-out NLL (bits/sample) over wall-clock time, then generated audio.

    python bench/quality.py --data_dir /tmp/piano --config_file configs/small_cpu.json --batch_size 32 \
        --minutes 20 --eval_every 4 --out /tmp/quality_small

Seeded 90/10 file split (the held-out 10 % is never trained on). The clock counts training steps only:
it pauses for each held-out evaluation, after which learning_curve.png is redrawn. At the end it generates
`--num_samples` sequences of 10 s at `--temperature` (adaptive sampling held at the last held-out bits/sample,
as train.py and generate.py sample by default, or `--sampling plain`) and reports their silence fraction and
spectral flatness next to the corpus's own. `--save_weights` keeps the trained weights for
`bench/conditioning_ablation.py`, `bench/temperature_sweep.py`, `bench/hold.py` and `--init_from`, which starts
from trained weights (fine-tuning, as train.py --init_from) instead of random ones; the optimizer starts afresh.
"""

import argparse
import itertools
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from samplernn.options import MIXED_PRECISION, OPTIMIZERS, SAMPLING, TEMPERATURE  # noqa: E402 (light: no TensorFlow)
from samplernn.schedule import LR_SCHEDULES, learning_rate_at  # noqa: E402
from saved import quality_split  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data_dir", required=True)
    p.add_argument("--config_file", required=True)
    p.add_argument("--batch_size", type=int, default=32)
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    p.add_argument("--learning_rate", type=float, default=1e-3, help="the (peak) learning rate")
    p.add_argument("--lr_schedule", choices=LR_SCHEDULES, default="constant",
                   help="as train.py's, but cosine reaches 0 at the end of the budget's clock")
    p.add_argument("--warmup_steps", type=int, default=0, help="linear warm-up steps (0: none)")
    p.add_argument("--segment_windows", type=int, default=0,
                   help="rows read random segments of this many windows (data.RandomSegments); 0: whole files "
                        "in file batches, as train.py")
    p.add_argument("--minutes", type=float, default=20.0, help="training budget (wall clock of the steps)")
    p.add_argument("--eval_every", type=float, default=4.0, help="minutes of training between evaluations")
    p.add_argument("--eval_seconds", type=float, default=None,
                   help="evaluate on the first S seconds of each held-out file (default: all of it)")
    p.add_argument("--num_samples", type=int, default=3)
    p.add_argument("--sampling", choices=SAMPLING, default="adaptive",
                   help="of the final samples: adaptive (held at the last validation's bits/sample) or plain")
    p.add_argument("--temperature", type=float, default=TEMPERATURE,
                   help="sampling temperature of the generated samples")
    p.add_argument("--init_from",
                   help="start from these weights (fine-tuning): a run dir (its best checkpoint) or checkpoint dir of "
                        "train.py, or a .weights.h5 file of --save_weights; the architecture must be --config_file's")
    p.add_argument("--mixed_precision", choices=MIXED_PRECISION, default="off",
                   help="train in this precision, as train.py's flag; held-out bits and generation in float32")
    p.add_argument("--save_weights", action="store_true",
                   help="also write the trained weights to OUT/model.weights.h5 (for later analysis)")
    p.add_argument("--out", required=True)
    return p.parse_args()


def corpus_stats(sequences_audio, rate):
    import numpy as np

    from samplernn.quality import describe

    stats = [describe(a, rate) for a in sequences_audio]
    return {k: float(np.mean([s[k] for s in stats])) for k in ("silence_fraction", "flatness", "rms_db")}


def init_weights(model, config, path):
    """The weights of --init_from, as train.py --init_from loads them (a .weights.h5 file: as they are)."""
    if path.endswith(".weights.h5"):
        model.load_weights(path)
        return
    from samplernn.checkpoints import load_weights
    from samplernn.parent import check_architecture, parent_config, resolve_parent

    parent = resolve_parent(path)
    check_architecture(parent, parent_config(parent), config)
    load_weights(parent.checkpoint, model)


def main():
    args = parse_args()
    import numpy as np

    from samplernn.audio import load_audio
    from samplernn.config import load_config
    from samplernn.data import RandomSegments, TBPTTBatches, load_levels
    from samplernn.evaluation import evaluate, make_eval_step
    from samplernn.export import write_generated
    from samplernn.generation import generate
    from samplernn.metrics import Average
    from samplernn.model import build_model
    from samplernn.options import TrainOptions
    from samplernn.plots import save_learning_curve
    from samplernn.train_step import make_train_step
    from samplernn.optimizers import make_optimizer

    os.makedirs(args.out, exist_ok=True)
    config = load_config(args.config_file)
    train_files, val_files = quality_split(args.data_dir, notice=print)
    train_seqs = load_levels(train_files, config, config.seq_len, notice=lambda *_: None)
    val_seqs = load_levels(val_files, config, config.seq_len, notice=lambda *_: None)
    if args.eval_seconds:  # for big models, where a full evaluation would cost minutes of CPU
        val_seqs = [seq[:int(args.eval_seconds * config.sample_rate)] for seq in val_seqs]
    model = build_model(config, args.mixed_precision)
    if args.init_from:
        init_weights(model, config, args.init_from)
    options = TrainOptions(optimizer=args.optimizer, learning_rate=args.learning_rate,
                           mixed_precision=args.mixed_precision)
    optimizer = make_optimizer(options)
    optimizer.build(model.trainable_variables)
    # Held-out bits in float32 (as train.py validates): of a float32 copy of a 16-bit model's weights.
    eval_model = model if args.mixed_precision == "off" else build_model(config)
    train_step, eval_step = make_train_step(model, optimizer, options), make_eval_step(eval_model)
    curve, trained, steps, recent = [], 0.0, 0, []
    next_eval = args.eval_every * 60
    print(f"{args.config_file}: {model.count_params():,} params, {len(train_files)} train / {len(val_files)} "
          f"held-out files, batch {args.batch_size}", flush=True)
    def windows():
        """Training windows (`data.Window`), endless: random segments, or epochs of whole files."""
        if args.segment_windows:
            segments = RandomSegments(train_seqs, config, args.batch_size, args.segment_windows, seed=0)
            while True:
                yield segments.next_window()
        for epoch in itertools.count(1):
            batches = TBPTTBatches(train_seqs, config, args.batch_size, shuffle_seed=(0, epoch))
            for b in range(len(batches.file_batches)):
                yield from batches.windows(b)

    states = None
    for window in windows():
        if trained >= args.minutes * 60:
            break
        budget_done = trained / (args.minutes * 60)
        optimizer.learning_rate.assign(
            learning_rate_at(args.learning_rate, args.lr_schedule, args.warmup_steps, steps, budget_done))
        start = time.perf_counter()
        if args.segment_windows:  # per-row restarts: one trace, also for the first window (every row restarts)
            states = model.initial_states(args.batch_size) if states is None else states
            sums, states, _ = train_step(window.inputs, window.mask, states, window.reset)
        else:
            sums, states, _ = train_step(window.inputs, window.mask, None if window.reset else states)
        avg = Average()
        avg.add(sums)
        trained += time.perf_counter() - start
        steps += 1
        recent = (recent + [avg.bits])[-125:]
        if trained >= next_eval or trained >= args.minutes * 60:
            if eval_model is not model:
                eval_model.set_weights(model.get_weights())
            val, _ = evaluate(eval_model, val_seqs, config, args.batch_size, eval_step)
            curve.append({"minutes": trained / 60, "step": steps, "train_bits_last125": float(np.mean(recent)),
                          "val_bits": val.bits, "val_accuracy": val.accuracy})
            print(json.dumps(curve[-1]), flush=True)
            save_learning_curve(os.path.join(args.out, "learning_curve.png"),
                                [{"step": c["step"], "train_bits": c["train_bits_last125"],
                                  "val_bits": c["val_bits"]} for c in curve])
            next_eval += args.eval_every * 60
    if args.save_weights:
        model.save_weights(os.path.join(args.out, "model.weights.h5"))
    if eval_model is not model:  # generation runs in float32, as train.py's
        eval_model.set_weights(model.get_weights())
        model = eval_model
    temps = [args.temperature] * args.num_samples
    target = curve[-1]["val_bits"] if args.sampling == "adaptive" else None
    audio = generate(model, 10 * config.sample_rate, temps, q_type=config.q_type, seed=0, target_bits=target)
    generated = []
    for i, wav in enumerate(audio):
        line, stats = write_generated(os.path.join(args.out, f"sample_{i}.wav"), wav, config.sample_rate)
        print(line, flush=True)
        generated.append(stats)
    corpus = corpus_stats([load_audio(p, config.sample_rate) for p in val_files], config.sample_rate)
    summary = {"config": args.config_file, "optimizer": args.optimizer, "learning_rate": args.learning_rate,
               "lr_schedule": args.lr_schedule, "warmup_steps": args.warmup_steps, "batch_size": args.batch_size,
               "segment_windows": args.segment_windows, "temperature": args.temperature, "sampling": args.sampling,
               "init_from": args.init_from, "mixed_precision": args.mixed_precision,
               "eval_seconds": args.eval_seconds, "steps": steps, "sec_per_step": trained / steps, "curve": curve,
               "generated": {k: float(np.mean([g[k] for g in generated])) for k in corpus}, "corpus_heldout": corpus}
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=1)
    print(json.dumps({k: summary[k] for k in ("steps", "sec_per_step", "generated", "corpus_heldout")}), flush=True)


if __name__ == "__main__":
    main()
