"""Does a free-running stream drift over time, and is it the model's state or its own output that drifts?

    python bench/drift.py --config_file configs/small_cpu.json --weights /tmp/q/run/model.weights.h5 \
        --data_dir /tmp/piano [--num_samples 8] [--seconds 30] [--seed 1] [--gain 1e-2] [--pieces 16]

Two tables, per 2 s of time since the learned h0:

1. **Free-running streams** (adaptive sampling from silence, as bench/hold.py draws them; `--gain` as its):
   the mean temperature the streams were drawn at, their surprise to the model and their RMS level. Adaptive
   sampling holds the surprise at the target, so a stream whose own output grows more surprising to the model
   shows it as a falling temperature (and the level that comes with it). `--gain 0` draws them unsteered, at a
   fixed temperature 1.0, for comparison.
2. **Real audio, teacher-forced**: `--pieces` pieces of the corpus, each the consecutive chunks of one
   recording joined (files named `<recording>_<n>.wav`, as chunk_audio.py writes them) to `--seconds`, their
   bits/sample by position, the state carried from h0 over the whole piece (as generation carries it) and
   restarted every `--restart_windows` windows (as training's random segments of 16 windows do). Bits that
   grow with position only when the state is carried would mean the state itself drifts past what training
   showed it; equal columns mean the drift of table 1 is the output's.
"""

import argparse
import collections
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from hold import heldout_bits  # noqa: E402
from saved import add_saved_model_args, load_trained, quality_split  # noqa: E402

SPAN = 2.0  # seconds per row


def free_running(model, config, args, target):
    """Rows of (start s, mean temperature, surprise bits, RMS dBFS) of the free-running streams."""
    from samplernn.generation import PieceSampler
    from samplernn.loop import primed_start
    from samplernn.quality import remove_dc

    span = int(SPAN * config.sample_rate) // config.big_frame_size * config.big_frame_size
    sampler = PieceSampler(model, [1.0] * args.num_samples, q_type=config.q_type,
                           start_from=primed_start(model, config.q_type, None), seed=args.seed, target_bits=target,
                           piece_samples=span, gain=args.gain)
    rows = []
    for start in range(0, int(args.seconds * config.sample_rate) - span + 1, span):
        piece = sampler.next(span)
        rms = 10 * np.log10(np.mean(remove_dc(piece.audio) ** 2, axis=1) + 1e-12)
        rows.append((start / config.sample_rate, piece.temperature.mean() / span, piece.surprise.mean() / span,
                     rms.mean()))
    return rows


def recordings(data_dir, count, seconds, rate):
    """Up to `count` recordings of at least `seconds`, each its chunks joined in order (float32 audio)."""
    from samplernn.audio import find_audio_files, load_audio

    chunks = collections.defaultdict(list)
    for path in find_audio_files(data_dir):
        match = re.fullmatch(r"(.+)_(\d+)", os.path.splitext(os.path.basename(path))[0])
        if match:
            chunks[match.group(1)].append((int(match.group(2)), path))
    joined = []
    for name in sorted(chunks):
        audio = np.concatenate([load_audio(p, rate, notice=lambda *_: None) for _, p in sorted(chunks[name])])
        if len(audio) >= seconds * rate:
            joined.append(audio[:int(seconds * rate)])
        if len(joined) == count:
            break
    return joined


def bits_by_window(model, config, sequences, restart_windows):
    """Teacher-forced bits/sample of each seq_len window of `sequences` (int levels, all of one length), all rows
    together as validation batches them, the state carried from h0 and restarted every `restart_windows`
    windows (0: never)."""
    from samplernn.data import TBPTTBatches
    from samplernn.evaluation import make_eval_step
    from samplernn.metrics import Average

    step = make_eval_step(model)
    states, bits = None, []
    for k, window in enumerate(TBPTTBatches(sequences, config, len(sequences)).windows(0)):
        if window.reset or (restart_windows and k % restart_windows == 0):
            states = model.initial_states(len(sequences))
        sums, states = step(window.inputs, window.mask, states)
        average = Average()
        average.add(sums)
        bits.append(average.bits)
    return np.array(bits)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_saved_model_args(p)
    p.add_argument("--data_dir", required=True, help="the corpus bench/quality.py trained on")
    p.add_argument("--num_samples", type=int, default=8, help="free-running streams")
    p.add_argument("--seconds", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--gain", type=float, default=None, help="as bench/hold.py's (default: generate.py's)")
    p.add_argument("--pieces", type=int, default=16, help="recordings of real audio")
    p.add_argument("--restart_windows", type=int, default=16, help="the restarted column's windows per segment")
    args = p.parse_args()
    from samplernn.quantization import quantize

    config, model = load_trained(args.config_file, args.weights)
    rate = config.sample_rate
    held_out = quality_split(args.data_dir)[1]
    target = heldout_bits(model, config, held_out)
    steering = ("at a fixed temperature 1.0 (--gain 0)" if args.gain == 0 else
                f"adaptive at {target:.3f} bits/sample (the held-out bits)")
    print(f"free-running: {args.num_samples} streams from silence, {steering}, seed {args.seed}")
    print("| seconds | temperature drawn at | surprise (bits/sample) | RMS dBFS |")
    print("| --- | --- | --- | --- |")
    for start, temperature, surprise, rms in free_running(model, config, args, target):
        print(f"| {start:.0f}–{start + SPAN:.0f} | {temperature:.3f} | {surprise:.3f} | {rms:.1f} |")

    audio = recordings(args.data_dir, args.pieces, args.seconds, rate)
    if not audio:
        print(f"no recording of {args.seconds:g} s in {args.data_dir} (chunks named <recording>_<n>)")
        return
    n = len(audio[0]) // config.seq_len * config.seq_len
    levels = [quantize(a[:n], config.q_type, config.q_levels).astype(np.int32) for a in audio]
    carried = bits_by_window(model, config, levels, 0)
    restarted = bits_by_window(model, config, levels, args.restart_windows)
    per_row = int(SPAN * rate / config.seq_len)
    print(f"\nreal audio: {len(audio)} recordings of {n / rate:.1f} s (training and held-out chunks alike), "
          f"teacher-forced bits/sample")
    print(f"| seconds | state carried from h0 | restarted every {args.restart_windows} windows | difference |")
    print("| --- | --- | --- | --- |")
    for row in range(len(carried) // per_row):
        a, b = carried[row * per_row:(row + 1) * per_row].mean(), restarted[row * per_row:(row + 1) * per_row].mean()
        print(f"| {row * SPAN:.0f}–{(row + 1) * SPAN:.0f} | {a:.3f} | {b:.3f} | {a - b:+.3f} |")
    print(f"| all | {carried.mean():.3f} | {restarted.mean():.3f} | {carried.mean() - restarted.mean():+.3f} |")


if __name__ == "__main__":
    main()
