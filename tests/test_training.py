"""The training loop under faults: NaN loss, Ctrl-C, a full disk. Real Trainer, tiny model, tiny wavs."""

import errno
import os

import numpy as np
import pytest

from helpers import make_run, random_windows, run_steps, tiny_config
from samplernn import checkpoints, generation, optimizers, train_step, training
from samplernn.errors import SampleRNNError
from samplernn.options import TrainOptions


def options(**changes):
    # batch 3: the run's 3 training files make one batch, so each step shape compiles once (fast tests)
    return TrainOptions(**{**dict(num_epochs=1, batch_size=3, generate=False, early_stopping_patience=0), **changes})


def weights(model):
    return [w.numpy().copy() for w in model.weights]


def test_nan_loss_stops_without_touching_the_weights(tmp_path, monkeypatch):
    trainer = training.Trainer(make_run(tmp_path), options(), log=lambda *_: None)
    before = weights(trainer.model)
    real = train_step.masked_sums

    def poisoned(*args, **kwargs):
        (nll, correct, count), states = real(*args, **kwargs)
        return (nll * np.nan, correct, count), states

    monkeypatch.setattr(train_step, "masked_sums", poisoned)
    trainer.train_step = train_step.make_train_step(trainer.model, trainer.optimizer, trainer.options)
    with pytest.raises(SampleRNNError, match=r"NaN/Inf at step 1 \(epoch 1\)"):
        trainer.fit()
    for a, b in zip(before, weights(trainer.model)):
        np.testing.assert_array_equal(a, b)


def test_nan_policy_skip_carries_on_and_a_skipped_step_changes_nothing(tmp_path, monkeypatch):
    """Every other step's loss is NaN (in the real step): those change no weight, no optimizer variable (its
    step count included) and not the run's step; the others train."""
    import tensorflow as tf

    logs = []
    trainer = training.Trainer(make_run(tmp_path), options(nan_policy="skip"), log=logs.append)
    poison = tf.Variable(False)
    real = train_step.masked_sums

    def poisoned(*args, **kwargs):
        (nll, correct, count), states = real(*args, **kwargs)
        return (nll + tf.where(poison, np.nan, 0.0), correct, count), states  # the gradient stays finite

    monkeypatch.setattr(train_step, "masked_sums", poisoned)
    step = train_step.make_train_step(trainer.model, trainer.optimizer, trainer.options)
    calls = []

    def every_other_step_fails(*args):
        skipped = len(calls) % 2 == 0
        poison.assign(skipped)
        before = (weights(trainer.model), [v.numpy().copy() for v in trainer.optimizer.variables])
        calls.append((skipped, trainer.progress.step))
        result = step(*args)
        if skipped:
            assert not bool(result[2])
            after = (weights(trainer.model), [v.numpy().copy() for v in trainer.optimizer.variables])
            for a, b in zip(before[0] + before[1], after[0] + after[1]):
                np.testing.assert_array_equal(a, b)
        return result

    trainer.train_step = every_other_step_fails
    initial = weights(trainer.model)
    progress = trainer.fit()
    assert progress.epochs_done == 1 and any("update skipped" in line for line in logs)
    assert [s for _, s in calls] == [i // 2 for i in range(7)], "a skipped step is not counted"
    assert progress.step == 3 and int(trainer.optimizer.iterations.numpy()) == 3
    assert any(np.any(a != b) for a, b in zip(initial, weights(trainer.model))), "the finite steps trained"


def recorded(trainer, interrupt_at=None):
    """Wraps the trainer's step to record its windows; at call `interrupt_at` a Ctrl-C (SIGINT) comes in."""
    import signal

    windows, real_step = [], trainer.train_step

    def recording(inputs, *args):
        windows.append(np.array(inputs))
        if len(windows) == interrupt_at:
            signal.raise_signal(signal.SIGINT)
        return real_step(inputs, *args)

    trainer.train_step = recording
    return windows


def final_state(trainer):
    return weights(trainer.model) + [v.numpy().copy() for v in trainer.optimizer.variables]


# 3 training files of 400 samples: one file batch of 7 windows per epoch. With dropout, so that its RNG state
# must be restored too. A Ctrl-C during step 3 (mid-file-batch) lets the step end and saves; the run resumes at
# window 4 with the carried RNN state, for 1 epoch (num_epochs=1), then again for a second: 1 + 1 epochs.
@pytest.mark.parametrize("segment_windows", [0, 2])
def test_resume_is_exact_after_an_interruption_mid_epoch_and_after_an_epoch(tmp_path, segment_windows):
    opts = options(num_epochs=2, segment_windows=segment_windows)
    reference = training.Trainer(make_run(tmp_path / "a", rnn_dropout=0.3), opts, log=lambda *_: None)
    expected = recorded(reference)
    reference.fit()
    assert len(expected) == 14

    run = make_run(tmp_path / "b", rnn_dropout=0.3)
    interrupted = training.Trainer(run, opts, log=lambda *_: None)
    windows = recorded(interrupted, interrupt_at=3)
    with pytest.raises(KeyboardInterrupt):
        interrupted.fit()
    assert checkpoints.read_meta(checkpoints.latest_checkpoint(run.run_dir))["step"] == 3, "step 3 was finished"
    for num_epochs in (1, 2):
        resumed = training.Trainer(make_run(tmp_path / "b", rnn_dropout=0.3), options(
            num_epochs=num_epochs, segment_windows=segment_windows), log=lambda *_: None)
        rest = recorded(resumed)
        progress = resumed.fit()
        windows += rest
        assert progress.epochs_done == num_epochs and progress.step == 7 * num_epochs
    assert len(windows) == 14 and all(np.array_equal(a, b) for a, b in zip(expected, windows))
    for a, b in zip(final_state(reference), final_state(resumed)):
        np.testing.assert_array_equal(a, b)


def test_disk_full_during_checkpoint_keeps_the_previous_one(tmp_path, monkeypatch):
    run = make_run(tmp_path)
    training.Trainer(run, options(num_epochs=1), log=lambda *_: None).fit()
    good = checkpoints.latest_checkpoint(run.run_dir)
    trainer = training.Trainer(make_run(tmp_path), options(num_epochs=2), log=lambda *_: None)

    def disk_full(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)

    monkeypatch.setattr(trainer.model, "save_weights", disk_full)
    with pytest.raises(SampleRNNError, match="No space left on device.*previous checkpoint is intact"):
        trainer.fit()
    assert checkpoints.latest_checkpoint(run.run_dir) == good
    assert not [d for d in os.listdir(os.path.join(run.run_dir, "checkpoints")) if d.startswith(".tmp-")]
    restored = training.Trainer(make_run(tmp_path), options(num_epochs=2), log=lambda *_: None)
    assert restored.progress.epochs_done == 1


def test_disk_full_while_writing_generated_audio_is_a_clear_error(tmp_path, monkeypatch):
    trainer = training.Trainer(make_run(tmp_path), options(generate=True, output_file_dur=0.01),
                               log=lambda *_: None)

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr("soundfile.SoundFile.write", disk_full)
    with pytest.raises(SampleRNNError, match="cannot write audio file.*No space left"):
        trainer.fit()
    assert checkpoints.latest_checkpoint(trainer.run.run_dir) is not None, "the epoch's checkpoint came first"
    assert os.listdir(os.path.join(trainer.run.run_dir, "generated")) == [], "no partial file is left"


def test_early_stopping_says_why(tmp_path):
    logs = []
    trainer = training.Trainer(make_run(tmp_path), options(num_epochs=50, early_stopping_patience=1,
                                                           learning_rate=1e-9), log=logs.append)
    progress = trainer.fit()
    assert progress.epochs_done < 50
    assert any(line.startswith("Early stopping: validation loss has not improved for 1 epoch") for line in logs)


def test_early_stopped_run_started_again_trains_no_more(tmp_path):
    opts = options(num_epochs=50, early_stopping_patience=1, learning_rate=1e-9)
    stopped = training.Trainer(make_run(tmp_path), opts, log=lambda *_: None).fit()
    logs = []
    again = training.Trainer(make_run(tmp_path), opts, log=logs.append)
    calls = record_learning_rates(again)
    progress = again.fit()
    assert not calls and (progress.epochs_done, progress.step) == (stopped.epochs_done, stopped.step)
    assert any(line.startswith(f"This run stopped early at epoch {stopped.epochs_done}") for line in logs)


# Validation losses by epoch; with --checkpoint_every 2 only the even epochs are saved: 3.0, 2.5 and 2.8.
SCRIPTED_VAL_BITS = [1.0, 3.0, 0.5, 2.5, 0.1, 2.8]


@pytest.mark.parametrize("policy, saved_epochs", [("Always", [2, 4, 6]), ("Best", [2, 4])])
def test_best_names_the_saved_checkpoint_of_lowest_validation_loss(tmp_path, monkeypatch, policy, saved_epochs):
    from types import SimpleNamespace

    scripted = iter(SCRIPTED_VAL_BITS)
    monkeypatch.setattr(training, "evaluate", lambda *args: (SimpleNamespace(bits=next(scripted), accuracy=0.0), None))
    run = make_run(tmp_path)
    trainer = training.Trainer(run, options(num_epochs=6, checkpoint_every=2, checkpoint_policy=policy,
                                            max_checkpoints=1), log=lambda *_: None)
    trainer.fit()
    root = os.path.join(run.run_dir, "checkpoints")
    ckpts = sorted(os.path.join(root, d) for d in os.listdir(root) if d.startswith("ckpt-"))
    best = checkpoints.best_checkpoint(run.run_dir)
    meta = checkpoints.read_meta(best)
    assert meta["progress"]["epochs_done"] == 4 and meta["val_bits"] == 2.5
    assert checkpoints.read_meta(ckpts[-1])["progress"]["epochs_done"] == saved_epochs[-1]
    assert ckpts == sorted({best, ckpts[-1]}), "keep-1: latest and best"


def test_ctrl_c_while_generating_saves_the_step_again_and_keeps_best(tmp_path, monkeypatch):
    run = make_run(tmp_path)
    trainer = training.Trainer(run, options(generate=True), log=lambda *_: None)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(generation.PieceSampler, "next", interrupted)
    with pytest.raises(KeyboardInterrupt):
        trainer.fit()
    latest, best = checkpoints.latest_checkpoint(run.run_dir), checkpoints.best_checkpoint(run.run_dir)
    assert latest is not None and best is not None
    assert checkpoints.read_meta(latest)["step"] == checkpoints.read_meta(best)["step"] == 7
    assert checkpoints.read_meta(latest)["val_bits"] == checkpoints.read_meta(best)["val_bits"] is not None


def test_accumulated_micro_batches_give_the_whole_batch_update():
    """3 micro-batches of 2, 1 and 1 rows (a partly masked row among them): the same sums, states and SGD
    update as the 4 rows at once, over a reset window and a window that carries the state."""
    import keras

    from samplernn.model import build_model

    config = tiny_config()
    models = [build_model(config) for _ in range(2)]
    models[1].set_weights(models[0].get_weights())
    initial = weights(models[0])
    steps = []
    for model, parts in zip(models, (1, 3)):
        options = TrainOptions(optimizer="sgd", momentum=0.0, learning_rate=0.1, accumulate_steps=parts)
        optimizer = optimizers.make_optimizer(options)
        optimizer.build(model.trainable_variables)
        steps.append(train_step.make_train_step(model, optimizer, options))
    windows = random_windows(config, rows=4)
    mask = np.ones((4, config.seq_len), np.float32)
    mask[3, 10:] = 0.0
    results = [run_steps(step, windows, mask) for step in steps]
    tol = dict(rtol=2e-5, atol=1e-6)
    for (sums_a, states_a), (sums_b, states_b) in zip(*results):
        for a, b in zip(keras.tree.flatten((sums_a, states_a)), keras.tree.flatten((sums_b, states_b))):
            np.testing.assert_allclose(a, b, **tol)
    for a, b in zip(weights(models[0]), weights(models[1])):
        np.testing.assert_allclose(a, b, **tol)
    assert not all(np.array_equal(a, b) for a, b in zip(initial, weights(models[0]))), "no update was applied"


def test_accumulate_steps_above_batch_size_is_refused():
    with pytest.raises(SampleRNNError, match="--accumulate_steps"):
        TrainOptions(batch_size=2, accumulate_steps=3)


def test_restarting_some_rows_equals_a_fresh_start_for_them_and_trains_h0():
    """`reset` (random segments): restarted rows see the learned h0 (and send it their gradient); the other
    rows carry their state."""
    from samplernn.metrics import masked_sums
    from samplernn.model import build_model

    config = tiny_config()
    model = build_model(config)
    options = TrainOptions(optimizer="sgd", momentum=0.0, learning_rate=0.1)
    optimizer = optimizers.make_optimizer(options)
    optimizer.build(model.trainable_variables)
    step = train_step.make_train_step(model, optimizer, options)
    first, second = random_windows(config, rows=3)
    mask = np.ones((3, config.seq_len), np.float32)
    _, carried = masked_sums(model, first, mask, None, training=False)
    fresh, _ = masked_sums(model, second, mask, None, training=False)
    kept, _ = masked_sums(model, second, mask, carried, training=False)
    h0_before = [tier.h0.numpy().copy() for tier in model.frame_tiers]
    sums, _, finite = step(second, mask, carried, np.array([True, False, True]))
    assert bool(finite)
    expected = np.where([True, False, True], np.asarray(fresh[0]), np.asarray(kept[0]))
    np.testing.assert_allclose(np.asarray(sums[0]), expected, rtol=2e-5)
    assert not np.allclose(np.asarray(fresh[0])[1], np.asarray(kept[0])[1]), "the carried state matters"
    assert all(not np.array_equal(a, tier.h0.numpy()) for a, tier in zip(h0_before, model.frame_tiers))


def record_learning_rates(trainer):
    """Wraps the trainer's step to record the optimizer's learning rate at each call."""
    rates, real_step = [], trainer.train_step

    def recording(*args):
        rates.append(float(trainer.optimizer.learning_rate.numpy()))
        return real_step(*args)

    trainer.train_step = recording
    return rates


def test_cosine_schedule_with_warmup_over_the_run(tmp_path):
    # 2 epochs of 7 windows: 14 steps, the first 3 warming up; the cosine reaches 0 at the end of epoch 2
    trainer = training.Trainer(make_run(tmp_path), options(num_epochs=2, learning_rate=0.01, lr_schedule="cosine",
                                                           warmup_steps=3), log=lambda *_: None)
    rates = record_learning_rates(trainer)
    trainer.fit()
    cosine = [0.5 * (1 + np.cos(np.pi * s / 14)) for s in range(14)]
    warm = [min(1.0, (s + 1) / 3) for s in range(14)]
    np.testing.assert_allclose(rates, [0.01 * w * c for w, c in zip(warm, cosine)], rtol=1e-6)


def test_resume_uses_the_learning_rate_of_the_resumed_command_not_the_checkpoints(tmp_path):
    training.Trainer(make_run(tmp_path), options(learning_rate=0.01), log=lambda *_: None).fit()
    resumed = training.Trainer(make_run(tmp_path), options(num_epochs=2, learning_rate=0.002), log=lambda *_: None)
    rates = record_learning_rates(resumed)
    resumed.fit()
    assert rates == pytest.approx([0.002] * 7)


def test_muon_steps_the_hidden_matrices_and_adam_the_rest_then_resumes_its_state(tmp_path):
    trainer = training.Trainer(make_run(tmp_path), options(optimizer="muon", learning_rate=0.01), log=lambda *_: None)
    optimizer = trainer.optimizer
    muon = {v.path.split("/", 1)[1] for v in trainer.model.trainable_variables if not optimizer._should_use_adamw(v)}
    layers = [f"frame_tier_{t}/{name}" for t in range(2) for name in
              ("input_proj/kernel", "rnn_0/kernel", "rnn_0/recurrent_kernel", "rnn_1/kernel", "rnn_1/recurrent_kernel",
               "upsample/kernel")]
    assert muon == set(layers + ["sample_mlp/hidden_0/kernel", "sample_mlp/hidden_1/kernel"])
    before = weights(trainer.model)
    trainer.fit()
    assert all(np.any(a != b) for a, b in zip(before, weights(trainer.model)))
    resumed = training.Trainer(make_run(tmp_path), options(optimizer="muon", num_epochs=2), log=lambda *_: None)
    for a, b in zip(optimizer.variables, resumed.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_muon_decays_only_the_matrices_it_steps():
    """With a zero gradient nothing moves but the decay: the Muon-stepped matrices shrink by
    learning rate x MUON_WEIGHT_DECAY, the Adam-stepped variables (gains, embedding, h0...) stay as they are."""
    from samplernn.model import build_model

    model = build_model(tiny_config())
    optimizer = optimizers.make_optimizer(TrainOptions(optimizer="muon", learning_rate=0.01))
    variables = model.trainable_variables
    before = [v.numpy().copy() for v in variables]
    optimizer.apply([np.zeros(v.shape, np.float32) for v in variables], variables)
    shrink = 1.0 - 0.01 * optimizers.MUON_WEIGHT_DECAY
    muon = [not optimizer._should_use_adamw(v) for v in variables]
    assert any(muon) and not all(muon)
    for stepped, v, old in zip(muon, variables, before):
        np.testing.assert_allclose(v.numpy(), old * shrink if stepped else old, rtol=1e-6, atol=1e-7)
