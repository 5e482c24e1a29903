"""Generate audio from a trained SampleRNN checkpoint. See README.md for every flag."""

import argparse
import os
import sys

from samplernn.cli import non_negative_int, positive_float, positive_int, run_main
from samplernn.errors import SampleRNNError
from samplernn.options import TEMPERATURE


def build_parser():
    p = argparse.ArgumentParser(description="Generate audio from a trained SampleRNN checkpoint.")
    p.add_argument("--output_path", required=True,
                   help="output wav path; sequence i is written to <stem>_<i>.wav beside it")
    p.add_argument("--checkpoint_path", required=True, help="a run dir (its latest checkpoint) or a checkpoint dir")
    p.add_argument("--num_seqs", type=positive_int, default=1, help="number of sequences generated in one batch")
    p.add_argument("--dur", type=positive_float, default=3.0, help="seconds of audio per sequence")
    p.add_argument("--temperature", type=positive_float, nargs="+", default=[TEMPERATURE],
                   help="sampling temperature: one value for all sequences, or one per sequence")
    p.add_argument("--seed", type=non_negative_int, help="RNG seed: the same seed gives identical audio")
    p.add_argument("--seed_audio", help="audio file that primes every sequence (at least one top frame long)")
    p.add_argument("--seed_offset", type=non_negative_int, default=0,
                   help="start of the priming audio within --seed_audio, in samples")
    p.add_argument("--sample_rate", type=positive_int, help="sample rate of the written wavs (default: the model's)")
    p.add_argument("--candidates", type=positive_int,
                   help="generate this many sequences and keep the --num_seqs most likely under the model")
    p.add_argument("--dc_removal", action=argparse.BooleanOptionalAction, default=True,
                   help="subtract each sequence's mean (DC offset) before writing")
    p.add_argument("--spectrogram", action=argparse.BooleanOptionalAction, default=True,
                   help="write a spectrogram PNG beside each wav")
    return p


def output_paths(output_path, num_seqs):
    stem, ext = os.path.splitext(output_path)
    return [f"{stem}_{i}{ext or '.wav'}" for i in range(num_seqs)]


def temperatures(values, num_seqs, candidates):
    """One temperature per generated sequence (per candidate when ranking)."""
    if candidates is not None and candidates < num_seqs:
        raise SampleRNNError(f"--candidates {candidates} is less than --num_seqs {num_seqs}")
    count = candidates or num_seqs
    if len(values) == 1:
        return values * count
    if len(values) != count:
        raise SampleRNNError(f"--temperature has {len(values)} values but --num_seqs is {num_seqs}"
                             f"{f' and --candidates {candidates}' if candidates else ''}: give one value, "
                             "or one per generated sequence")
    return values


def load_seed_audio(path, offset, config, min_samples):
    from samplernn.audio import load_audio

    audio = load_audio(path, config.sample_rate)[offset:]
    if len(audio) < min_samples:
        raise SampleRNNError(f"--seed_audio '{path}' has {len(audio)} samples after --seed_offset {offset}; "
                             f"the model needs at least {min_samples} (one top frame)")
    return audio


def generate_files(args):
    temps = temperatures(args.temperature, args.num_seqs, args.candidates)
    paths = output_paths(args.output_path, args.num_seqs)
    out_dir = os.path.dirname(os.path.abspath(args.output_path))
    if not os.path.isdir(out_dir) or not os.access(out_dir, os.W_OK):
        raise SampleRNNError(f"--output_path '{args.output_path}': folder '{out_dir}' does not exist or is not "
                             "writable")
    from samplernn.export import write_generated
    from samplernn.generation import generate
    from samplernn.runs import load_trained_model

    model, config, ckpt = load_trained_model(args.checkpoint_path)
    seed_audio = None
    if args.seed_audio is not None:
        seed_audio = load_seed_audio(args.seed_audio, args.seed_offset, config, model.big_frame_size)
    print(f"Generating {len(temps)} x {args.dur} s from {ckpt}")
    audio = generate(model, int(round(args.dur * config.sample_rate)), temps, q_type=config.q_type,
                     seed_audio=seed_audio, seed=args.seed)
    chosen, labels = rank(model, config, audio, temps, args)
    rate = args.sample_rate or config.sample_rate
    for path, i in zip(paths, chosen):
        wav = audio[i]
        if rate != config.sample_rate:
            import librosa

            wav = librosa.resample(wav, orig_sr=config.sample_rate, target_sr=rate)
        line, _ = write_generated(path, wav, rate, dc_removal=args.dc_removal, spectrogram=args.spectrogram,
                                  label=labels[i])
        print(line)


def rank(model, config, audio, temps, args):
    """(indices of the sequences to write, a label per sequence); the most likely first with --candidates."""
    labels = [f" (temperature {t:g})" for t in temps]
    if args.candidates is None:
        return list(range(len(audio))), labels
    from samplernn.evaluation import score_audio

    bits = score_audio(model, config, audio)
    order = sorted(range(len(audio)), key=lambda i: bits[i])
    for i in order:
        print(f"candidate {i}: {bits[i]:.3f} bits/sample{labels[i]}{' (kept)' if i in order[:args.num_seqs] else ''}")
    return order[:args.num_seqs], [f"{label}, {b:.3f} bits/sample" for label, b in zip(labels, bits)]


def main(argv=None):
    return run_main(generate_files, build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
