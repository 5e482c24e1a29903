"""Train SampleRNN on a folder of audio chunks. See README.md for every flag."""

import argparse
import shlex
import sys

from samplernn.cli import add_on_off, non_negative_float, non_negative_int, positive_float, positive_int, run_main
from samplernn.options import CHECKPOINT_POLICIES, NAN_POLICIES, OPTIMIZERS, PRECISION_CHOICES, SAMPLING, TrainOptions
from samplernn.schedule import LR_SCHEDULES


def build_parser():
    p = argparse.ArgumentParser(description="Train SampleRNN on a folder of audio chunks.")
    p.add_argument("--data_dir", required=True, help="folder of training audio (wav, flac, ogg, mp3)")
    p.add_argument("--id", default="default", help="run name: runs go to <logdir_root>/<id>/<timestamp>")
    p.add_argument("--logdir_root", default="./logdir", help="root folder of all runs")
    p.add_argument("--config_file", help="model config JSON (default: the built-in defaults, see README)")
    p.add_argument("--num_epochs", type=positive_int, help="epochs to train in total")
    p.add_argument("--batch_size", type=positive_int, help="files per batch")
    p.add_argument("--optimizer", choices=OPTIMIZERS, help="optimizer")
    p.add_argument("--learning_rate", type=positive_float,
                   help="learning rate (the peak, with a warm-up or a cosine schedule)")
    p.add_argument("--lr_schedule", choices=LR_SCHEDULES,
                   help="constant: --learning_rate throughout; cosine: a half cosine from it down to 0 at the end "
                        "of --num_epochs")
    p.add_argument("--warmup_steps", type=non_negative_int,
                   help="raise the learning rate linearly over the first N steps (0: no warm-up)")
    p.add_argument("--momentum", type=non_negative_float, help="momentum (sgd, rmsprop)")
    p.add_argument("--clip_norm", type=non_negative_float, help="global gradient norm clip (0: off)")
    p.add_argument("--val_frac", type=float,
                   help="fraction of files held out for validation (whole recordings: chunks of one stay together)")
    p.add_argument("--val_minutes", type=non_negative_float,
                   help="validate each epoch on a fixed, seeded subset of at most this many minutes of the "
                        "held-out audio (0: all of it)")
    p.add_argument("--cache_dir",
                   help="where the decoded audio is cached (default: $XDG_CACHE_HOME/samplernn, ~/.cache/samplernn)")
    p.add_argument("--seed", type=non_negative_int, help="RNG seed for the split, shuffling and initialisation")
    p.add_argument("--checkpoint_every", type=positive_int, help="save a checkpoint every N epochs")
    p.add_argument("--checkpoint_policy", choices=CHECKPOINT_POLICIES,
                   help="Always: every checkpoint_every epochs; Best: only when validation improves")
    p.add_argument("--max_checkpoints", type=positive_int, help="checkpoints to keep (the best is always kept)")
    add_on_off(p, "--resume", default=True,
               help="continue the newest run of --id from its latest checkpoint, if there is one")
    p.add_argument("--resume_from", help="continue from this run dir or checkpoint dir")
    p.add_argument("--init_from",
                   help="start a new run from the weights of this run dir (its best checkpoint) or checkpoint dir, "
                        "on --data_dir (fine-tuning); the architecture must match; the optimizer starts afresh")
    p.add_argument("--early_stopping_patience", type=non_negative_int,
                   help="stop after N epochs without validation improvement (0: off)")
    add_on_off(p, "--generate", help="generate audio at the end of each epoch")
    p.add_argument("--max_generate_per_epoch", type=positive_int, help="sequences generated per epoch")
    p.add_argument("--output_file_dur", type=positive_float, help="seconds of audio generated per sequence")
    p.add_argument("--temperature", type=positive_float, nargs="+", help="sampling temperature(s), one per sequence")
    p.add_argument("--sampling", choices=SAMPLING,
                   help="adaptive: steer each sequence's temperature so that it stays as surprising to the model as "
                        "the validation audio (times --temperature); plain: the fixed --temperature")
    p.add_argument("--nan_policy", choices=NAN_POLICIES,
                   help="on a NaN/Inf loss: stop (keeping the last checkpoint) or skip the step")
    p.add_argument("--accumulate_steps", type=positive_int,
                   help="run each batch as N micro-batches and sum their gradients (less memory, same update)")
    p.add_argument("--segment_windows", type=non_negative_int,
                   help="each batch row reads random segments of N windows from any file, restarting its state "
                        "between segments, instead of whole files in file batches (0: whole files)")
    p.add_argument("--mixed_precision", choices=PRECISION_CHOICES,
                   help="compute in bfloat16 or float16 with float32 weights (fp16 scales the loss); auto: bf16 on "
                        "CPUs with bfloat16 units (AMX, AVX512-BF16), else off (float32)")
    p.add_argument("--multi_gpu", action=argparse.BooleanOptionalAction,
                   help="train on all visible GPUs when there are several (MirroredStrategy)")
    p.add_argument("--sample_rate", type=positive_int, help="override the config's sample rate (Hz)")
    p.set_defaults(**TrainOptions().to_dict())
    return p


def train(args):
    from samplernn.distribute import is_chief, make_strategy
    from samplernn.runs import create_run_dir, describe_resumed, open_run
    from samplernn.training import Trainer, configure_devices

    options = TrainOptions(**{k: getattr(args, k) for k in TrainOptions().to_dict()})
    devices = []  # printed after the run's first line
    configure_devices(log=devices.append)
    strategy = make_strategy(options.multi_gpu, log=devices.append)
    chief = is_chief(strategy)  # the one process that writes (always, but with several workers)
    run = open_run(data_dir=args.data_dir, logdir_root=args.logdir_root, run_id=args.id,
                   config_file=args.config_file, sample_rate=args.sample_rate, val_frac=options.val_frac,
                   seed=options.seed, resume=args.resume, resume_from=args.resume_from,
                   val_minutes=options.val_minutes, init_from=args.init_from, writer=chief)
    if run.run_dir is not None:
        print(describe_resumed(run))
    if run.parent is not None:
        print(run.parent.describe())
    print("\n".join(devices))
    trainer = Trainer(run, options, strategy=strategy)  # decodes new audio first: bad files fail before writing
    if run.run_dir is None and chief:
        create_run_dir(run, args.logdir_root, args.id, shlex.join(sys.argv), options.to_dict())
    print(f"Run directory: {run.run_dir}" if chief else "This worker writes nothing: the chief writes the run")
    trainer.fit()


def main(argv=None):
    return run_main(train, build_parser().parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
