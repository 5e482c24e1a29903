"""Evaluate a SampleRNN checkpoint on a folder of audio: NLL in bits per sample and accuracy, per file and mean."""

import argparse
import json
import sys

from samplernn.cli import positive_int, run_main


def build_parser():
    p = argparse.ArgumentParser(description="NLL (bits per sample) and accuracy of a checkpoint on audio files.")
    p.add_argument("--checkpoint_path", required=True, help="a run dir (its latest checkpoint) or a checkpoint dir")
    p.add_argument("--data_dir", required=True, help="folder of audio to evaluate (wav, flac, ogg, mp3)")
    p.add_argument("--batch_size", type=positive_int, default=8, help="files evaluated together")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--cache_dir", help="where the decoded audio is cached (default: as train.py's)")
    return p


def evaluate(args):
    from samplernn.data import list_training_files
    from samplernn.evaluation import evaluate_files
    from samplernn.runs import load_trained_model

    paths = list_training_files(args.data_dir)
    model, config, ckpt = load_trained_model(args.checkpoint_path)
    notice = (lambda line: print(line, file=sys.stderr)) if args.json else print
    result = {"checkpoint": ckpt, **evaluate_files(model, config, paths, args.batch_size, notice=notice,
                                                     cache_dir=args.cache_dir)}
    if args.json:
        print(json.dumps(result, indent=2))
        return
    for f in result["files"]:
        print(f"{f['path']}: {f['bits_per_sample']:.3f} bits/sample, accuracy {f['accuracy']:.3f}")
    print(f"mean over {len(paths)} file(s), {result['samples']:,} samples: {result['bits_per_sample']:.3f} "
          f"bits/sample, accuracy {result['accuracy']:.3f} ({ckpt})")


def main(argv=None):
    return run_main(evaluate, build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
