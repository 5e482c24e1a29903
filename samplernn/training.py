"""The training loop: truncated BPTT over file batches, validation, checkpoints, early stopping,
audio generated at the end of each epoch. One step is `train_step.make_train_step`'s."""

import collections
import dataclasses
import itertools
import json
import os
import time

import keras
import numpy as np
import tensorflow as tf

from samplernn import checkpoints, distribute, train_state
from samplernn.data import RandomSegments, TBPTTBatches, load_levels, validation_subset
from samplernn.errors import SampleRNNError
from samplernn.evaluation import evaluate, make_eval_step
from samplernn.epoch_audio import EpochFidelity, generate_epoch_audio
from samplernn.interrupts import deferred_interrupt
from samplernn.metrics import Average
from samplernn.model import build_model
from samplernn.optimizers import make_optimizer
from samplernn.progress import StepReporter
from samplernn.plots import save_learning_curve
from samplernn.precision import describe_precision, resolve_precision
from samplernn.schedule import learning_rate_at
from samplernn.train_step import make_train_step

HISTORY_FILE = "history.json"
RECENT_STEPS = 100  # meta.json's train_bits: the mean training loss of this many last steps (a target for sampling)
PADDING_WARNING = 0.5  # warn when more than this fraction of the whole-file batches is padding


@dataclasses.dataclass
class Progress:
    """Where training stands; saved in every checkpoint's meta.json (the RNN state carried into the next
    window, and the dropout RNG state, in its train_state.npz: `samplernn.train_state`)."""

    epochs_done: int = 0
    file_batches_done: int = 0  # of epoch epochs_done + 1 (0 with --segment_windows)
    windows_done: int = 0  # of epoch epochs_done + 1 after those file batches (a skipped step counts)
    step: int = 0
    best_val_bits: float = None
    best_epoch: int = 0
    epochs_without_improvement: int = 0


def configure_devices(log=print):
    """Memory growth on every visible GPU (TensorFlow then takes memory as needed); CPU when there is none."""
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        tf.config.experimental.set_memory_growth(gpu, True)
    log(f"Training on {len(gpus)} GPU(s)" if gpus else "No GPU visible: training on the CPU")


class Trainer:
    """Trains the model of a `runs.Run` with `TrainOptions`; resumes from the run's checkpoint if it has one."""

    def __init__(self, run, options, log=print, strategy=None):
        self.run, self.config, self.options, self.log = run, run.config, options, log
        self.strategy = strategy or tf.distribute.get_strategy()
        self.chief = distribute.is_chief(self.strategy)  # the one process that writes
        keras.utils.set_random_seed(options.seed)
        self._carried = None  # the RNN state the next window starts from (None: h0)
        self._validated = None  # (step, validation bits/sample) of the latest validation
        self._recent = collections.deque(maxlen=RECENT_STEPS)  # the training loss of the last steps
        self.precision, why = resolve_precision(options.mixed_precision, tf.config.list_logical_devices("GPU"))
        log(describe_precision(self.precision, why))
        with self.strategy.scope():
            self.model = build_model(self.config, self.precision, seed=options.seed)
            self.optimizer = make_optimizer(options)
            self.progress = Progress()
            if run.checkpoint is None:
                if run.parent is not None:  # a new run from another's weights; the optimizer starts afresh
                    checkpoints.load_weights(run.parent.checkpoint, self.model)
                self.optimizer.build(self.model.trainable_variables)
            else:
                checkpoints.load_weights(run.checkpoint, self.model)
                checkpoints.load_optimizer(run.checkpoint, self.optimizer, self.model.trainable_variables)
                meta = checkpoints.read_meta(run.checkpoint)
                self.progress = Progress(**meta["progress"])
                self._validated = (self.progress.step, meta.get("val_bits"))
                keras.utils.set_random_seed(options.seed + self.progress.step)
                log(f"Resuming from {run.checkpoint} (epoch {self.progress.epochs_done + 1}, "
                    f"step {self.progress.step})")
        self._load_data()
        self.train_step = make_train_step(self.model, self.optimizer, options, self.strategy)
        self._float_model = None
        self._float_filled_at = None  # the step whose weights the float32 copy holds
        # Validation runs in float32, as the checkpoint is saved and generate.py and evaluate.py read it.
        self.eval_step = make_eval_step(self._validation_model(filled=False))
        self._state_variables = train_state.state_variables(self.model, self.train_step)
        if run.checkpoint is not None:
            self._carried = train_state.restore(checkpoints.read_train_state(run.checkpoint),
                                                self._state_variables, self.model, self.strategy)

    def _load_data(self):
        """The training and validation levels (memory maps of the cache: a resumed run decodes nothing), the
        validation subset of at most --val_minutes (the same every epoch), a warning when padding dominates;
        under several workers, which rows of each batch this one reads."""
        opts, cfg, log = self.options, self.config, self.log
        self.train_seqs = load_levels(self.run.train_files, cfg, cfg.seq_len, notice=log, cache_dir=opts.cache_dir)
        held_out = load_levels(self.run.val_files, cfg, cfg.seq_len, notice=log, cache_dir=opts.cache_dir)
        self.val_seqs = validation_subset(held_out, opts.val_minutes, cfg.sample_rate, opts.seed)
        if len(self.val_seqs) < len(held_out):
            log(f"Validation: {len(self.val_seqs)} of the {len(held_out)} held-out files "
                f"({self.val_seqs.lengths.sum() / cfg.sample_rate / 60:.1f} min, --val_minutes "
                f"{opts.val_minutes:g}), the same every epoch")
        if not opts.segment_windows:
            batches = TBPTTBatches(self.train_seqs, cfg, opts.batch_size, shuffle_seed=(opts.seed, 1))
            padding = batches.padding_fraction()
            if padding > PADDING_WARNING:
                log(f"warning: {padding:.0%} of the whole-file batches is padding (the files' lengths differ too much, "
                    f"{self.train_seqs.lengths.min()} to {self.train_seqs.lengths.max()} samples): cut them into "
                    "equal chunks with chunk_audio.py, or train with --segment_windows")
        self._fidelity = EpochFidelity(self.val_seqs, self.train_seqs, cfg)
        rows = distribute.local_rows(self.strategy, opts.batch_size)
        if len(rows) < opts.batch_size:  # several workers
            log(f"This worker reads only the rows its replicas train: {len(rows)} of each batch's {opts.batch_size}"
                + (f" (rows {rows[0]}-{rows[-1]})" if len(rows) else ""))

    def fit(self):
        """Trains up to `num_epochs` in the run's directory (which must exist); returns the final `Progress`."""
        self.writer = tf.summary.create_file_writer(os.path.join(self.run.run_dir, "logs")) if self.chief \
            else tf.summary.create_noop_writer()
        saved_at, p = self.progress.step, self.progress
        if self._stopped_early(before_training=True):
            return p
        try:
            for epoch in range(p.epochs_done + 1, self.options.num_epochs + 1):
                train_avg = self._train_epoch(epoch)
                saved_at = self._end_epoch(epoch, train_avg) or saved_at
                if self._stopped_early():
                    break
        except KeyboardInterrupt:
            self.log("\nInterrupted: saving a checkpoint (press Ctrl-C again to quit at once)")
            self._save()
            raise
        if saved_at != self.progress.step and self.options.checkpoint_policy == "Always":
            self._save()
        return self.progress

    def _train_epoch(self, epoch):
        opts, p = self.options, self.progress
        batches = TBPTTBatches(self.train_seqs, self.config, opts.batch_size, shuffle_seed=(opts.seed, epoch))
        total = batches.num_windows()
        reporter, avg = StepReporter(epoch, opts.num_epochs, total, self.log), Average()
        if opts.segment_windows:
            self._train_segments(epoch, total, reporter, avg)
            return avg
        done = total - batches.num_windows(p.file_batches_done) + p.windows_done
        for b in range(p.file_batches_done, len(batches.file_batches)):
            # Resuming within file batch b: its first windows_done windows were trained, _carried is their state.
            rows = distribute.local_rows(self.strategy, len(batches.file_batches[b]))  # this worker's rows
            for window in itertools.islice(batches.windows(b, rows), p.windows_done, None):
                done = self._step(window, None if window.reset else self._carried, None, epoch, reporter, avg, done)
            p.file_batches_done, p.windows_done, self._carried = b + 1, 0, None
        return avg

    def _train_segments(self, epoch, total, reporter, avg):
        """An epoch of random segments (`data.RandomSegments`): as many steps as a pass over the files."""
        p = self.progress
        segments = RandomSegments(self.train_seqs, self.config, self.options.batch_size,
                                  self.options.segment_windows, seed=(self.options.seed, epoch))
        # Resuming within the epoch: the same draws (no row read), _carried the state of their windows.
        for _ in range(p.windows_done):
            segments.next_window(rows=())
        rows, done = distribute.local_rows(self.strategy, self.options.batch_size), p.windows_done
        while done < total:
            window = segments.next_window(rows)
            done = self._step(window, self._carried, window.reset, epoch, reporter, avg, done)
        self._carried = None

    def _step(self, window, states, reset, epoch, reporter, avg, done):
        """One training step from `states`; returns the steps done in the epoch. The step and its
        bookkeeping (progress, the state to carry) run to their end before a Ctrl-C takes effect, so
        that a checkpoint saved then resumes exactly."""
        start = time.perf_counter()
        rate = self._set_learning_rate(epoch, done / reporter.total)
        with deferred_interrupt():
            sums, states, finite = self.train_step(window.inputs, window.mask, states, reset)
            self.progress.windows_done += 1
            self._carried = states if finite else None
            if finite:
                self.progress.step += 1
        if not finite:
            self._non_finite_step(epoch)
            return done + 1
        step_avg = Average()
        step_avg.add(sums)
        avg.add(sums)
        self._recent.append(step_avg.bits)
        reporter.report(done + 1, step_avg.bits, step_avg.accuracy, time.perf_counter() - start)
        with self.writer.as_default(step=self.progress.step):
            tf.summary.scalar("train/bits_per_sample", step_avg.bits)
            tf.summary.scalar("train/learning_rate", rate)
        return done + 1

    def _set_learning_rate(self, epoch, epoch_fraction):
        """Sets and returns the scheduled learning rate of the next step, `epoch_fraction` of the way through
        `epoch`. Set at every step, so a resumed run follows its own flags, not the checkpoint's rate."""
        opts = self.options
        rate = learning_rate_at(opts.learning_rate, opts.lr_schedule, opts.warmup_steps, self.progress.step,
                                (epoch - 1 + epoch_fraction) / opts.num_epochs)
        self.optimizer.learning_rate.assign(rate)
        return rate

    def _non_finite_step(self, epoch):
        """Handles a step whose loss or gradients were NaN/Inf (its update was not applied)."""
        p = self.progress
        where = f"step {p.step + 1} (epoch {epoch})"
        if self.options.nan_policy == "stop":
            kept = (self.run.run_dir and checkpoints.latest_checkpoint(self.run.run_dir)) or "none yet"
            raise SampleRNNError(f"the loss became NaN/Inf at {where}; the update was not applied and the last "
                                 f"checkpoint ({kept}) is kept. Try a lower --learning_rate, or "
                                 "--nan_policy skip")
        self.log(f"warning: NaN/Inf loss at {where}: update skipped, RNN state reset")

    def _end_epoch(self, epoch, train_avg):
        """Validation, checkpoint, generation; returns the step of the checkpoint written, if any."""
        p, opts = self.progress, self.options
        val, _ = evaluate(self._validation_model(), self.val_seqs, self.config, opts.batch_size, self.eval_step)
        improved = p.best_val_bits is None or val.bits < p.best_val_bits  # for early stopping: every epoch
        self._validated = (p.step, val.bits)
        p.epochs_done, p.file_batches_done, p.windows_done = epoch, 0, 0
        if improved:
            p.best_val_bits, p.best_epoch, p.epochs_without_improvement = val.bits, epoch, 0
        else:
            p.epochs_without_improvement += 1
        self.log(f"Epoch {epoch}/{opts.num_epochs}: training {train_avg.bits:.3f} bits/sample, validation "
                 f"{val.bits:.3f} bits/sample, validation accuracy {val.accuracy:.3f}"
                 f"{' (best)' if improved else ''}")
        if not self.chief:  # every worker validates (they must agree on early stopping); one writes
            return None
        self._record_history(train_avg.bits, val.bits, epoch)
        with self.writer.as_default(step=p.step):
            tf.summary.scalar("validation/bits_per_sample", val.bits)
            tf.summary.scalar("validation/accuracy", val.accuracy)
        saved_at = None
        # `best` names the saved checkpoint of lowest validation loss: under Best, save what would beat it.
        saved_best = checkpoints.best_val_bits(self.run.run_dir)
        if epoch % opts.checkpoint_every == 0 and (opts.checkpoint_policy == "Always" or saved_best is None
                                                   or val.bits < saved_best):
            self._save()
            saved_at = p.step
        if opts.generate:
            self._generate(epoch)
        return saved_at

    def _save(self):
        """Saves a checkpoint of the current state (with its validation loss when these weights were
        validated) and points `best` at it if no saved checkpoint has a lower one."""
        if not self.chief:
            return
        p = self.progress
        val_bits = self._validated[1] if self._validated and self._validated[0] == p.step else None
        meta = {"step": p.step, "val_bits": val_bits, "optimizer": self.options.optimizer,
                "progress": dataclasses.asdict(p), "train_bits": float(np.mean(self._recent)) if self._recent else None,
                "init_from": None if self.run.parent is None else self.run.parent.checkpoint}
        ckpt = checkpoints.save_checkpoint(self.run.run_dir, self.model, self.optimizer, meta,
                                           train_state.capture(self._state_variables, self._carried, self.strategy))
        if val_bits is not None:
            checkpoints.update_best(self.run.run_dir, ckpt, val_bits)
        checkpoints.prune_checkpoints(self.run.run_dir, self.options.max_checkpoints)
        self.log(f"Saved checkpoint {ckpt}")

    def _stopped_early(self, before_training=False):
        """Whether --early_stopping_patience epochs went by without improvement; says so if they did."""
        p, patience = self.progress, self.options.early_stopping_patience
        if not patience or p.epochs_without_improvement < patience:
            return False
        why = f"validation loss has not improved for {patience} epoch(s); best was {p.best_val_bits:.3f} " \
              f"bits/sample at epoch {p.best_epoch}"
        self.log(f"This run stopped early at epoch {p.epochs_done} ({why}): nothing to train. Raise "
                 "--early_stopping_patience to continue it, or start a new run with --no-resume"
                 if before_training else f"Early stopping: {why}")
        return True

    def _generate(self, epoch):
        """The epoch's sequences, into generated/ and TensorBoard (`epoch_audio.generate_epoch_audio`); their
        fidelity also into the meta.json of the checkpoint of this step, if one was saved."""
        target = self._validated[1] if self.options.sampling == "adaptive" else None  # this epoch's validation bits
        with self.writer.as_default(step=self.progress.step):
            figures = generate_epoch_audio(self._inference_model(), self.config, self.options, self.run.run_dir,
                                           epoch, target, measure=self._fidelity, log=self.log)
        latest = checkpoints.latest_checkpoint(self.run.run_dir)
        if figures is not None and latest and checkpoints.read_meta(latest)["step"] == self.progress.step:
            checkpoints.update_meta(latest, fidelity=figures)

    def _inference_model(self):
        """The model to generate with: the trained one, or a float32 single-device copy of it when training
        runs in mixed precision or on several replicas (generation runs in float32 on one device)."""
        if self.precision == "off" and self.strategy.num_replicas_in_sync == 1:
            return self.model
        if self._float_filled_at != self.progress.step:  # the weights change only by training steps
            self._float_copy().set_weights(self.model.get_weights())
            self._float_filled_at = self.progress.step
        return self._float_model

    def _float_copy(self):
        """The float32 single-device model that generation (and validation of a 16-bit model) runs, built once;
        its weights are the trained model's as of the last `_inference_model` call."""
        if self._float_model is None:
            self._float_model = build_model(self.config)
        return self._float_model

    def _validation_model(self, filled=True):
        """The trained model in float32: itself, or (16-bit compute) the float32 copy, with its current weights;
        `filled=False` does not copy them (to build the evaluation step at start-up, before any validation)."""
        if self.precision == "off":
            return self.model
        return self._inference_model() if filled else self._float_copy()

    def _record_history(self, train_bits, val_bits, epoch):
        """Appends the epoch to history.json and redraws learning_curve.png in the run dir."""
        path = os.path.join(self.run.run_dir, HISTORY_FILE)
        history = []
        if os.path.isfile(path):
            with open(path) as f:
                history = [h for h in json.load(f) if h["epoch"] < epoch]
        history.append({"epoch": epoch, "step": self.progress.step, "train_bits": train_bits, "val_bits": val_bits})
        with open(path, "w") as f:
            json.dump(history, f, indent=1)
        save_learning_curve(os.path.join(self.run.run_dir, "learning_curve.png"), history)
