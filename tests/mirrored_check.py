"""Run by tests/test_distribute.py in its own process (the CPU must be split before TensorFlow starts):
MirroredStrategy over two logical CPUs against one device, then a whole Trainer epoch under it (random
segments, a cosine learning rate).

    python tests/mirrored_check.py WORK_DIR
"""

import json
import os
import sys

import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from helpers import random_windows, run_steps, tiny_config, write_tone  # noqa: E402
from samplernn import checkpoints, train_state  # noqa: E402
from samplernn.distribute import local_rows  # noqa: E402
from samplernn.model import build_model  # noqa: E402
from samplernn.options import TrainOptions  # noqa: E402
from samplernn.runs import create_run_dir, open_run  # noqa: E402
from samplernn.train_step import make_train_step  # noqa: E402
from samplernn.optimizers import make_optimizer  # noqa: E402
from samplernn.training import Trainer  # noqa: E402


def same_steps_as_one_device(strategy):
    """3 rows (the replicas get 2 + 2, one of them padding), a partly masked row, a reset window and a window
    that carries the state, clipping active: the same sums, states and Adam update as on one device."""
    config = tiny_config()
    options = TrainOptions(learning_rate=0.01, clip_norm=0.05)
    keras.utils.set_random_seed(0)
    single = build_model(config)
    with strategy.scope():
        mirrored = build_model(config)
    mirrored.set_weights(single.get_weights())
    initial = single.get_weights()
    steps = []
    for model, strat in ((single, None), (mirrored, strategy)):
        with (strat or tf.distribute.get_strategy()).scope():
            optimizer = make_optimizer(options)
            optimizer.build(model.trainable_variables)
        steps.append(make_train_step(model, optimizer, options, strat))
    windows = random_windows(config, rows=3)
    mask = np.ones((3, config.seq_len), np.float32)
    mask[2, 20:] = 0.0
    sums = [[s for s, _ in run_steps(step, windows, mask)] for step in steps]
    for a, b in zip(keras.tree.flatten(sums[0]), keras.tree.flatten(sums[1])):
        assert a.shape == b.shape == (3,), (a.shape, b.shape)
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    for a, b, c in zip(single.get_weights(), mirrored.get_weights(), initial):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    assert not all(np.array_equal(a, c) for a, c in zip(single.get_weights(), initial)), "no update was applied"
    print("mirrored steps == one device")


def carried_state_survives_a_checkpoint(strategy):
    """The RNN state carried into the next window (each replica's rows, padding included) and the dropout RNG
    state, captured for a checkpoint and restored: the next step gives the same sums as without the round trip."""
    config = tiny_config(rnn_dropout=0.3)
    options = TrainOptions(learning_rate=0.01)
    with strategy.scope():
        model = build_model(config, seed=0)
        optimizer = make_optimizer(options)
        optimizer.build(model.trainable_variables)
    step = make_train_step(model, optimizer, options, strategy)
    first, second = random_windows(config, rows=3)
    mask = np.ones((3, config.seq_len), np.float32)
    _, states, _ = step(first, mask, None)
    variables = train_state.state_variables(model, step)
    saved = train_state.capture(variables, states, strategy)
    weights, slots = model.get_weights(), [v.numpy() for v in optimizer.variables]
    expected, _, _ = step(second, mask, states)
    model.set_weights(weights)
    for v, value in zip(optimizer.variables, slots):
        v.assign(value)
    restored = train_state.restore(saved, variables, model, strategy)
    sums, _, _ = step(second, mask, restored)
    for a, b in zip(keras.tree.flatten(expected), keras.tree.flatten(sums)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    print("mirrored carried state round trip ok")


def trainer_epoch(strategy, work):
    """A whole epoch: training, validation, checkpoint and generation under the strategy."""
    data = os.path.join(work, "data")
    os.makedirs(data)
    for i in range(5):
        write_tone(os.path.join(data, f"t{i}.wav"), 0.05, freq=200 + 50 * i)
    config_file = os.path.join(work, "tiny.json")
    with open(config_file, "w") as f:
        json.dump(tiny_config().to_dict(), f)
    logdir = os.path.join(work, "logdir")
    run = open_run(data_dir=data, logdir_root=logdir, run_id="m", config_file=config_file, sample_rate=None,
                   val_frac=0.2, seed=0, resume=True, resume_from=None)
    create_run_dir(run, logdir, "m", "test", {})
    # Random segments (the whole-file windows are same_steps_as_one_device's): rows restart at different
    # steps, their reset flags split over the replicas with the rows; the cosine learning rate is assigned to
    # the mirrored optimizer before every step. 4 files in one batch of 4: one trace keeps this quick.
    options = TrainOptions(num_epochs=1, batch_size=4, early_stopping_patience=0, output_file_dur=0.05,
                           segment_windows=2, lr_schedule="cosine", warmup_steps=2)
    progress = Trainer(run, options, log=print, strategy=strategy).fit()
    assert progress.epochs_done == 1 and progress.step > 0
    assert checkpoints.latest_checkpoint(run.run_dir) is not None
    assert os.listdir(os.path.join(run.run_dir, "generated"))
    print("mirrored trainer epoch ok")


if __name__ == "__main__":
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    assert mirrored.num_replicas_in_sync == 2
    assert list(local_rows(mirrored, 3)) == [0, 1, 2], "one process reads the rows of all its replicas"
    same_steps_as_one_device(mirrored)
    carried_state_survives_a_checkpoint(mirrored)
    trainer_epoch(mirrored, sys.argv[1])
