"""Does free-running generation hold the corpus's level and character? Per sequence and per 5-second stretch.

    python bench/hold.py --checkpoint_path logdir/piano/<run> --temperatures 1.0 [--num_samples 8] [--seconds 30]
    python bench/hold.py ... --sampling plain: at the fixed temperatures, as before adaptive sampling
    python bench/hold.py --config_file configs/small_cpu.json --weights /tmp/q/run/model.weights.h5 \
        --data_dir /tmp/piano --temperatures 1.0 1.1 --out /tmp/q/run/hold
    ... [--seed_audio held_out.wav --prime_seconds 4]: every sequence continues the same real audio

The model is a run dir or checkpoint (train.py), or a config with the weights bench/quality.py --save_weights
wrote. The reference is the held-out audio: `--heldout_dir` (a folder), or `--data_dir` (bench/quality.py's split
of it: 10 %, seed 0), or by default the validation files of the run's split.json. `--num_samples` sequences per
temperature are generated in one batch (seed `--seed`), from the learned h0 and silence, or primed on
`--seed_audio`. Each gets `samplernn.quality.hold_verdict` (issue 22's criteria: silence fraction within 10 points
of the reference's, no 5-s stretch below -45 dBFS where the reference has none, flatness under 0.05 in every
non-silent stretch): holds / collapsed / ran away / off, with the second it happened. Printed: a row per sequence,
the mean per stretch (does the level drift from the start or after a while?) and the share that holds; with
`--out`, hold.json and the wavs. `--compare_free` (with `--seed_audio`) also generates and judges the
free-running streams, drawn with the same random numbers, and says per sequence from which second the primed
stream is sample for sample the free one: after that second the start (h0 or the seed) no longer matters.
Sampling is generate.py's default, adaptive, held at `--target_bits` (default: the model's bits/sample on the
reference audio, what training's validation measures) times the temperature, with `--gain` the step of its
controller (default: generate.py's), or `--sampling plain`. Each sequence's row also gives its bits/sample under
the model and the mean temperature it was drawn at.
"""

import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from samplernn.options import DRAW, DRAWS, SAMPLING, TEMPERATURE  # noqa: E402 (light: no TensorFlow)
from saved import quality_split  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    model = p.add_mutually_exclusive_group(required=True)
    model.add_argument("--checkpoint_path", help="a run dir (its latest checkpoint) or a checkpoint dir")
    model.add_argument("--config_file", help="with --weights: a model saved by bench/quality.py --save_weights")
    p.add_argument("--weights", help="the .weights.h5 file for --config_file")
    reference = p.add_mutually_exclusive_group()
    reference.add_argument("--heldout_dir", help="a folder of held-out audio of the corpus")
    reference.add_argument("--data_dir", help="the corpus bench/quality.py trained on: its held-out 10 %% (seed 0)")
    p.add_argument("--temperatures", type=float, nargs="+", default=[TEMPERATURE])
    p.add_argument("--num_samples", type=int, default=8, help="sequences per temperature")
    p.add_argument("--seconds", type=float, default=30.0, help="length of each sequence")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--sampling", choices=SAMPLING, default="adaptive")
    p.add_argument("--draw", choices=DRAWS, default=DRAW, help="how each level is drawn (generate.py's --draw)")
    p.add_argument("--target_bits", type=float, default=None,
                   help="adaptive: bits/sample held at temperature 1 (default: the model's on the reference audio)")
    p.add_argument("--gain", type=float, default=None,
                   help="adaptive: the sampler's step of the log-temperature per bit of surprise (default: "
                        "generate.py's, samplernn.generation.SURPRISE_GAIN)")
    p.add_argument("--seed_audio", help="prime every sequence on this audio instead of starting from silence")
    p.add_argument("--prime_seconds", type=float, default=None,
                   help="prime on the first S seconds of --seed_audio (default: all of it)")
    p.add_argument("--compare_free", action="store_true",
                   help="with --seed_audio: also generate from silence with the same --seed (the same random draws) "
                        "and report from which second each primed stream equals its free one: how long the model "
                        "remembers its start")
    p.add_argument("--out", default=None, help="write hold.json and the wavs here")
    args = p.parse_args()
    if (args.config_file is None) != (args.weights is None):
        p.error("--config_file and --weights go together")
    if args.compare_free and args.seed_audio is None:
        p.error("--compare_free compares primed with free-running streams: give --seed_audio")
    if args.checkpoint_path is None and args.heldout_dir is None and args.data_dir is None:
        p.error("with --config_file, name the reference audio: --data_dir or --heldout_dir")
    return args


def load_model(args):
    """(config, model, (training files, held-out files) of the run's split or None)."""
    if args.config_file:
        from saved import load_trained

        return (*load_trained(args.config_file, args.weights), None)
    from samplernn.runs import load_run_split, load_trained_model

    model, config, _ = load_trained_model(args.checkpoint_path)
    return config, model, load_run_split(args.checkpoint_path)[1:]


def reference_files(args, run_split):
    """(held-out files, training files or None): the reference audio, and the floor of the fidelity figures."""
    from samplernn.audio import find_audio_files

    if args.heldout_dir:
        return find_audio_files(args.heldout_dir), None
    if args.data_dir:
        train, held_out = quality_split(args.data_dir)
        return held_out, train
    return run_split[1], run_split[0]


def print_tables(rows, temperatures):
    print("| start | temperature | # | bits/sample | temperature drawn at (mean) | RMS dBFS | silence | flatness "
          "| RMS per 5-s stretch | flatness per stretch | verdict |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        at = r["collapsed_at"] if r["verdict"] == "collapsed" else r["ran_away_at"]
        levels = " ".join(f"{s['rms_db']:.0f}" for s in r["stretches"])
        flatness = " ".join(f"{s['flatness']:.2f}" for s in r["stretches"])
        when = f" at {at:g} s" if at is not None else ""
        if r.get("same_as_free_from", 0.0) is None:
            when += "; never = free-running"
        elif "same_as_free_from" in r:
            when += f"; = free-running from {r['same_as_free_from']:.2f} s"
        print(f"| {r['start']} | {r['temperature']:g} | {r['index']} | {r['bits']:.2f} | {r['drawn_at']:.2f} "
              f"| {r['rms_db']:.1f} | {r['silence_fraction']:.0%} "
              f"| {r['flatness']:.3f} | {levels} | {flatness} | {r['verdict']}{when} |")
    for start in dict.fromkeys(r["start"] for r in rows):
        for t in temperatures:
            group = [r for r in rows if r["temperature"] == t and r["start"] == start]
            print(f"\nfrom {start}, temperature {t:g}: {sum(r['holds'] for r in group)} of {len(group)} hold; "
                  "mean per stretch:")
            print_drift(group)


def print_drift(group):
    """Per stretch, over the sequences of `group`: does the level drift from the start or after a while?"""
    print("| stretch | RMS dBFS (mean, lowest) | silence (mean) | flatness (median) |")
    print("| --- | --- | --- | --- |")
    for k, s in enumerate(group[0]["stretches"]):
        parts = [r["stretches"][k] for r in group]
        levels = [p["rms_db"] for p in parts]
        print(f"| {s['start']:g}-{s['end']:g} s | {np.mean(levels):.1f}, {min(levels):.1f} "
              f"| {np.mean([p['silence_fraction'] for p in parts]):.0%} "
              f"| {np.median([p['flatness'] for p in parts]):.3f} |")


def same_from(primed, free, rate):
    """Second from which two streams are the same samples to the end (None: they differ at the end)."""
    differ = np.nonzero(primed != free)[0]
    if len(differ) and differ[-1] == len(primed) - 1:
        return None
    return float((differ[-1] + 1) / rate) if len(differ) else 0.0


def write_results(out, args, rows, audio, reference, rate, target, fidelity):
    """The wavs and hold.json into `out`."""
    from samplernn.audio import write_audio

    os.makedirs(out, exist_ok=True)
    for row, wav in zip(rows, audio):
        write_audio(os.path.join(out, f"{row['start']}_t{row['temperature']:g}_{row['index']}.wav"), wav, rate)
    share = {}  # "<start> <temperature>" -> share of the sequences that hold
    for start in dict.fromkeys(r["start"] for r in rows):
        for t in args.temperatures:
            group = [r["holds"] for r in rows if r["start"] == start and r["temperature"] == t]
            share[f"{start} {t:g}"] = float(np.mean(group))
    with open(os.path.join(out, "hold.json"), "w") as f:
        json.dump({"args": vars(args), "target_bits": target, "reference": reference, "hold_share": share,
                   "fidelity": fidelity, "sequences": rows}, f, indent=1)


def heldout_bits(model, config, files):
    """The model's bits/sample on `files` (the whole of each, from h0): what training's validation reports."""
    from samplernn.data import load_levels
    from samplernn.evaluation import evaluate, make_eval_step

    levels = load_levels(files, config, config.seq_len, notice=lambda *_: None)
    return evaluate(model, levels, config, 32, make_eval_step(model))[0].bits


def main():
    args = parse_args()
    from samplernn.audio import load_audio
    from samplernn.generation import generate_streams
    from samplernn.quality import hold_verdict, reference_figures, remove_dc

    config, model, run_split = load_model(args)
    rate = config.sample_rate
    files, floor_files = reference_files(args, run_split)
    reference = reference_figures([load_audio(p, rate, notice=lambda *_: None) for p in files], rate)
    print(f"reference: {reference['files']} held-out files, {reference['minutes']:.1f} min, RMS "
          f"{reference['rms_db']:.1f} dBFS, silence {reference['silence_fraction']:.1%}, flatness "
          f"{reference['flatness']:.4f}, 5-s stretches below -45 dBFS {reference['quiet_stretch_share']:.1%}, "
          f"at least 0.05 flat {reference['flat_stretch_share']:.1%}", flush=True)
    seed_audio = None
    if args.seed_audio:
        seed_audio = load_audio(args.seed_audio, rate)
        seed_audio = seed_audio[:int(args.prime_seconds * rate)] if args.prime_seconds else seed_audio
    target = None if args.sampling == "plain" else args.target_bits or heldout_bits(model, config, files)
    if target is not None:
        print(f"adaptive sampling, held at {target:.3f} bits/sample times the temperature", flush=True)
    temps = [t for t in args.temperatures for _ in range(args.num_samples)]
    runs = [generate_streams(model, int(args.seconds * rate), temps, q_type=config.q_type, seed_audio=seed,
                             seed=args.seed, target_bits=target, draw=args.draw, gain=args.gain)
            for seed in ([seed_audio, None] if args.compare_free else [seed_audio])]
    starts = ["primed" if args.seed_audio else "silence", "silence"][:len(runs)]
    audio = np.concatenate([remove_dc(r.audio) for r in runs])  # primed streams first, then free-running ones
    bits = np.concatenate([r.bits for r in runs])
    drawn_at = np.concatenate([r.temperature for r in runs])
    rows = [dict(hold_verdict(wav, rate, reference), start=starts[i // len(temps)],
                 temperature=temps[i % len(temps)], index=i % args.num_samples, bits=float(bits[i]),
                 drawn_at=float(drawn_at[i])) for i, wav in enumerate(audio)]
    if args.compare_free:
        for row, primed, free in zip(rows, *(r.audio for r in runs)):
            row["same_as_free_from"] = same_from(primed, free, rate)
    print_tables(rows, args.temperatures)
    fidelity = fidelity_by_group(rows, audio, files, floor_files, rate) if floor_files else {}
    if args.out:
        write_results(args.out, args, rows, audio, reference, rate, target, fidelity)


def fidelity_by_group(rows, audio, files, floor_files, rate):
    """Per start and temperature, the fidelity figures of its sequences against the held-out audio (the
    training files the floor): {"<start> <temperature>": figures}."""
    from samplernn.fidelity import describe_bands, describe_fidelity, fidelity_of_files, reference_of_files

    reference, found = reference_of_files(files, rate), {}
    for key in dict.fromkeys(f"{r['start']} {r['temperature']:g}" for r in rows):
        group = [wav for r, wav in zip(rows, audio) if f"{r['start']} {r['temperature']:g}" == key]
        found[key] = fidelity_of_files(group, reference, floor_files, rate)
        print(f"\nfrom {key.replace(' ', ', temperature ')}: {describe_fidelity(found[key])}\n"
              f"{describe_bands(found[key])}", flush=True)
    return found

if __name__ == "__main__":
    main()
