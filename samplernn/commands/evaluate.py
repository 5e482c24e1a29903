"""Evaluate a SampleRNN checkpoint on a folder of audio: NLL in bits per sample and accuracy, per file and mean;
and how far generated audio is from real audio (fidelity)."""

import argparse
import json
import sys

from samplernn.cli import positive_int, run_main
from samplernn.errors import SampleRNNError


def build_parser():
    p = argparse.ArgumentParser(description="NLL (bits per sample) and accuracy of a checkpoint on audio files; "
                                            "how far generated audio is from real audio.")
    p.add_argument("--checkpoint_path",
                   help="a run dir (its latest checkpoint) or a checkpoint dir; with --generated, its run's "
                        "held-out files are the reference audio and its training files the floor")
    p.add_argument("--data_dir", help="folder of audio to evaluate the checkpoint on (wav, flac, ogg, mp3)")
    p.add_argument("--generated", nargs="+",
                   help="generated audio files or folders: their distance from real audio (Fréchet distance of "
                        "timbre statistics, nearest-neighbour accuracy, band balance, level), each next to real "
                        "audio's")
    p.add_argument("--reference_dir",
                   help="with --generated, instead of a run: a folder of real audio, whose recordings are split in "
                        "two halves (seeded), the reference and the floor")
    p.add_argument("--batch_size", type=positive_int, default=8, help="files evaluated together")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--cache_dir", help="where the decoded audio is cached (default: as train.py's)")
    return p


def evaluate(args):
    if args.data_dir is None and args.generated is None:
        raise SampleRNNError("give --data_dir (bits/sample of the checkpoint) or --generated (fidelity), or both")
    if args.checkpoint_path is None and (args.data_dir is not None or args.reference_dir is None):
        raise SampleRNNError("--checkpoint_path is needed with --data_dir, and with --generated unless "
                             "--reference_dir is given")
    notice = (lambda line: print(line, file=sys.stderr)) if args.json else print
    result = {}
    if args.data_dir is not None:
        result = bits_per_sample(args, notice)
    if args.generated is not None:
        from samplernn.fidelity import describe_bands, describe_fidelity, fidelity_of_paths

        result["fidelity"] = fidelity_of_paths(args.generated, args.checkpoint_path, args.reference_dir)
        if not args.json:
            print(describe_fidelity(result["fidelity"]))
            print(describe_bands(result["fidelity"]))
    if args.json:
        print(json.dumps(result, indent=2))


def bits_per_sample(args, notice):
    from samplernn.data import list_training_files
    from samplernn.evaluation import evaluate_files
    from samplernn.runs import load_trained_model

    paths = list_training_files(args.data_dir)
    model, config, ckpt = load_trained_model(args.checkpoint_path)
    result = {"checkpoint": ckpt, **evaluate_files(model, config, paths, args.batch_size, notice=notice,
                                                     cache_dir=args.cache_dir)}
    if not args.json:
        for f in result["files"]:
            print(f"{f['path']}: {f['bits_per_sample']:.3f} bits/sample, accuracy {f['accuracy']:.3f}")
        print(f"mean over {len(paths)} file(s), {result['samples']:,} samples: {result['bits_per_sample']:.3f} "
              f"bits/sample, accuracy {result['accuracy']:.3f} ({ckpt})")
    return result


def main(argv=None):
    return run_main(evaluate, build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
