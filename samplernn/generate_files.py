"""What generate.py does around `generation.generate`: checks its flags, primes once on the seed audio, ranks
candidates, writes the audio files (creating their folder) and a JSON file of the settings that reproduce them."""

import json
import os

import numpy as np

from samplernn.audio import output_format
from samplernn.errors import SampleRNNError

SETTINGS_SUFFIX = ".json"  # <stem>.json beside <stem>_<i>.<ext>


def output_paths(output_path, num_seqs):
    """<stem>_<i><ext> for each sequence (ext .wav when the path has none); refuses an extension that
    `audio.write_audio` does not write."""
    stem, ext = os.path.splitext(output_path)
    paths = [f"{stem}_{i}{ext or '.wav'}" for i in range(num_seqs)]
    try:
        output_format(paths[0])
    except SampleRNNError as e:
        raise SampleRNNError(f"--output_path '{output_path}': {e}") from None
    return paths


def check_output_folder(output_path):
    """Fails unless the output's folder exists and is writable or can be created (before any work is done);
    creates nothing."""
    folder = os.path.dirname(os.path.abspath(output_path))
    existing = folder
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing) or not os.access(existing, os.W_OK | os.X_OK):
        raise SampleRNNError(f"--output_path '{output_path}': cannot create or write folder '{folder}' "
                             f"('{existing}' is not a writable folder)")
    return folder


def make_folder(folder, output_path):
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise SampleRNNError(f"--output_path '{output_path}': cannot create folder '{folder}': "
                             f"{e.strerror or e}") from e


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


def check_config_file(config_file, run_config):
    """`--config_file` must equal the run's config: generation always uses the run's own."""
    from samplernn.config import load_config

    given = load_config(config_file)
    details = run_config.describe_diff(given, "in the run", "in the file")
    if details:
        raise SampleRNNError(f"--config_file '{config_file}' differs from the run's config in {details}; "
                             "generation uses the run's config.json: omit --config_file")


def load_seed_audio(path, offset, dur, config, min_samples):
    """`dur` seconds (at most) of `path` from sample `offset`, at the model's rate: what primes generation.
    The file is decoded whole; only this segment reaches the model."""
    from samplernn.audio import load_audio

    audio = load_audio(path, config.sample_rate)[offset:offset + int(round(dur * config.sample_rate))]
    if len(audio) < min_samples:
        raise SampleRNNError(f"--seed_audio '{path}' has {len(audio)} samples after --seed_offset {offset}; "
                             f"the model needs at least {min_samples} (one top frame)")
    return audio


def target_bits(args, ckpt):
    """(the surprise adaptive sampling holds at temperature 1, where it comes from), or (None, None) for plain
    sampling: --target_bits, else the checkpoint's validation bits/sample (the run's best when this checkpoint
    was saved unvalidated), else for a run never validated the training loss of the checkpoint's last steps
    (saying so); a checkpoint with neither samples plain, and says so."""
    from samplernn.checkpoints import best_val_bits, read_meta, resolve_checkpoint

    if args.sampling == "plain":
        return None, None
    if args.target_bits is not None:
        return args.target_bits, "--target_bits"
    meta = read_meta(ckpt)
    bits = meta.get("val_bits") or best_val_bits(resolve_checkpoint(args.checkpoint_path)[0])
    if bits is not None:
        return bits, "validation"
    if meta.get("train_bits") is not None:
        print(f"Adaptive sampling holds the training loss of the checkpoint's last steps, {meta['train_bits']:.3f} "
              "bits/sample: the run was never validated (--target_bits sets another target)")
        return meta["train_bits"], "training loss"
    print(f"Sampling plain at --temperature: checkpoint '{ckpt}' has no validation bits/sample for adaptive "
          "sampling to hold (give --target_bits to sample adaptively)")
    return None, None


def rank(bits, labels, num_seqs):
    """Indices of the sequences to write, the most likely first: by `bits`, each candidate's bits/sample as the
    sampler tallied them from the state it was generated from (the seed audio's priming, or silence), which is
    what a teacher-forced pass from that state gives."""
    order = sorted(range(len(bits)), key=lambda i: bits[i])
    for i in order:
        print(f"candidate {i}: {bits[i]:.3f} bits/sample{labels[i]}{' (kept)' if i in order[:num_seqs] else ''}")
    return order[:num_seqs]


def generate_files(args):
    """generate.py: `args` are its parsed flags (see README.md)."""
    temps = temperatures(args.temperature, args.num_seqs, args.candidates)
    paths = output_paths(args.output_path, args.num_seqs)
    folder = check_output_folder(args.output_path)
    from samplernn.generation import PieceSampler, stream_labels
    from samplernn.loop import primed_start
    from samplernn.runs import load_run_config, load_trained_model
    from samplernn.streaming import describe_stop, finish_files, stream_to_files

    if args.config_file is not None:
        check_config_file(args.config_file, load_run_config(args.checkpoint_path)[0])
    model, config, ckpt = load_trained_model(args.checkpoint_path)
    target, target_from = target_bits(args, ckpt)
    seed_audio = None
    if args.seed_audio is not None:
        seed_audio = load_seed_audio(args.seed_audio, args.seed_offset, args.seed_dur, config, model.big_frame_size)
    seed = args.seed if args.seed is not None else int(np.random.default_rng().integers(2 ** 31))
    print(f"Generating {len(temps)} x {args.dur} s from {ckpt} with --seed {seed}"
          + (f", primed on {len(seed_audio) / config.sample_rate:g} s of '{args.seed_audio}'" if seed_audio is not None
             else ""))
    start = primed_start(model, config.q_type, seed_audio)
    sampler = PieceSampler(model, temps, q_type=config.q_type, start_from=start, seed=seed, target_bits=target,
                           draw=args.draw)
    make_folder(folder, args.output_path)
    num_samples = int(round(args.dur * config.sample_rate))
    streamed = stream_to_files(sampler, num_samples, stream_paths(args.output_path, paths, temps), config.sample_rate)
    if streamed.stopped is not None:
        print(describe_stop(streamed, config.sample_rate))
    chosen, labels, bits = list(range(len(temps))), stream_labels(streamed, temps, target), None
    if args.candidates is not None and streamed.samples:
        bits = [float(b) for b in streamed.bits]
        chosen = rank(bits, labels, args.num_seqs)
    finish_files(streamed, chosen, paths, args.sample_rate or config.sample_rate, labels,
                 dc_removal=args.dc_removal, spectrogram=args.spectrogram)
    if streamed.samples:
        write_settings(args, ckpt, seed, temps, (target, target_from), seed_audio, paths, chosen, bits,
                       stopped_at=None if streamed.stopped is None else streamed.seconds(config.sample_rate))
    if streamed.stopped is not None:
        raise streamed.stopped


def stream_paths(output_path, paths, temps):
    """Where each generated stream goes while it is made: its output path, or with --candidates (more streams
    than paths) `<stem>_candidate_<i><ext>`; `<that>.partial.wav` until it is finished."""
    if len(temps) == len(paths):
        return paths
    stem, ext = os.path.splitext(output_path)
    return [f"{stem}_candidate_{i}{ext or '.wav'}" for i in range(len(temps))]


def settings_path(output_path):
    return os.path.splitext(output_path)[0] + SETTINGS_SUFFIX


def write_settings(args, ckpt, seed, temps, target, seed_audio, paths, chosen, bits, stopped_at=None):
    """<stem>.json beside the audio: the seed and every setting that, given again, reproduces these files;
    `target`: (target bits, where they came from); `stopped_at`: the second generation was interrupted at (the
    files end there), None if it was not."""
    target, target_from = target
    settings = {
        "seed": seed, "checkpoint": os.path.abspath(ckpt), "num_seqs": args.num_seqs, "dur": args.dur,
        "temperature": temps, "sampling": "plain" if target is None else "adaptive", "target_bits": target,
        "target_from": target_from, "draw": args.draw,
        "candidates": args.candidates,
        "seed_audio": os.path.abspath(args.seed_audio) if args.seed_audio is not None else None,
        "seed_offset": args.seed_offset, "seed_dur": args.seed_dur,
        "seed_audio_samples": None if seed_audio is None else len(seed_audio),
        "sample_rate": args.sample_rate, "dc_removal": args.dc_removal,
        "interrupted": stopped_at is not None, "interrupted_at_seconds": stopped_at,
        "files": [{"path": os.path.abspath(path), "sequence": i, "temperature": temps[i],
                   **({"bits_per_sample": bits[i]} if bits is not None else {})} for path, i in zip(paths, chosen)]}
    path = settings_path(args.output_path)
    try:
        with open(path, "w") as f:
            json.dump(settings, f, indent=2)
    except OSError as e:
        raise SampleRNNError(f"cannot write settings file '{path}': {e.strerror or e}") from e
    print(f"Wrote {path} (the settings; --seed {seed} with the same flags gives this audio again)")
