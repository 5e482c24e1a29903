"""--mixed_precision: 16-bit compute with float32 weights, the fp16 loss scale, and a whole epoch in bf16."""

import numpy as np
import pytest
import tensorflow as tf

from helpers import make_run, random_windows, run_steps, tiny_config
from samplernn import train_state
from samplernn.metrics import Average, masked_sums
from samplernn.model import build_model
from samplernn.options import TrainOptions
from samplernn.train_step import DynamicLossScale, make_train_step
from samplernn.optimizers import make_optimizer


@pytest.mark.parametrize("amplitude_input", [False, True])
@pytest.mark.parametrize("precision,dtype", [("bf16", "bfloat16"), ("fp16", "float16")])
def test_mixed_model_keeps_float32_weights_and_matches_the_float32_loss(precision, dtype, amplitude_input):
    config = tiny_config(amplitude_input=amplitude_input)  # with it, the amplitude table is cast as well
    plain, mixed = build_model(config), build_model(config, precision)
    mixed.set_weights(plain.get_weights())
    assert mixed.dtype_policy.compute_dtype == dtype and plain.dtype_policy.compute_dtype == "float32"
    assert {w.dtype for w in mixed.weights} == {"float32"}
    mask = np.ones((3, config.seq_len), np.float32)
    bits = []
    for model in (plain, mixed):
        avg, states = Average(), None
        for window in random_windows(config, rows=3):
            sums, states = masked_sums(model, window, mask, states, training=False)
            avg.add(sums)
        bits.append(avg.bits)
    assert np.isfinite(bits[1]) and abs(bits[0] - bits[1]) < 0.05, bits


def test_loss_scale_halves_on_overflow_and_doubles_after_a_run_of_good_steps():
    scale = DynamicLossScale(initial=8.0, period=3)
    history = []
    for finite in (True, False, True, True, True, True):
        scale.update(tf.constant(finite))
        history.append(float(scale.scale.numpy()))
    assert history == [8.0, 4.0, 4.0, 4.0, 8.0, 8.0]


def test_fp16_train_steps_update_the_float32_weights():
    config = tiny_config()
    model = build_model(config, "fp16")
    options = TrainOptions(learning_rate=0.01)
    optimizer = make_optimizer(options)
    optimizer.build(model.trainable_variables)
    step = make_train_step(model, optimizer, options)
    before = [w.numpy().copy() for w in model.trainable_weights]
    for sums, _ in run_steps(step, random_windows(config, rows=3), np.ones((3, config.seq_len), np.float32)):
        assert np.all(np.isfinite(sums[0]))
    after = model.trainable_weights
    assert all(w.dtype == "float32" for w in after)
    assert not all(np.array_equal(a, b.numpy()) for a, b in zip(before, after)), "no update was applied"
    # The loss scale and its run of good steps are part of a checkpoint's train state, and come back from it.
    variables = train_state.state_variables(model, step)
    assert [v.numpy() for v in variables] == [2.0 ** 15, 2]
    saved = train_state.capture(variables, None, tf.distribute.get_strategy())
    for v in variables:
        v.assign(v * 0)
    assert train_state.restore(saved, variables, model, tf.distribute.get_strategy()) is None
    assert [v.numpy() for v in variables] == [2.0 ** 15, 2]


def test_bf16_epoch_validates_saves_and_generates_in_float32(tmp_path):
    from samplernn import checkpoints
    from samplernn.training import Trainer

    run = make_run(tmp_path)
    options = TrainOptions(num_epochs=1, batch_size=3, early_stopping_patience=0, output_file_dur=0.05,
                           mixed_precision="bf16")  # the 3 training files in one batch: fewer traces
    trainer = Trainer(run, options, log=lambda *_: None)
    fills = []
    float_copy = trainer._float_copy()
    fill = float_copy.set_weights
    float_copy.set_weights = lambda weights: fills.append(trainer.progress.step) or fill(weights)
    progress = trainer.fit()
    assert progress.epochs_done == 1 and np.isfinite(progress.best_val_bits)
    assert fills == [progress.step]  # validation and generation share one copy of the epoch's weights
    restored = build_model(run.config)
    checkpoints.load_weights(checkpoints.latest_checkpoint(run.run_dir), restored)  # float32 weights
    assert len(list((tmp_path / "logdir").rglob("epoch_0001_0.wav"))) == 1


def test_auto_precision_is_bf16_only_on_a_cpu_with_bfloat16_units(tmp_path):
    from samplernn.precision import cpu_bf16_units, resolve_precision

    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx512f amx_tile amx_bf16\n\n"
                    "processor\t: 1\nflags\t\t: fpu sse2 avx512f amx_tile amx_bf16\n")
    assert cpu_bf16_units(str(info)) == ["amx_bf16"]
    info.write_text("flags\t\t: fpu sse2 avx2 fma\n")
    assert cpu_bf16_units(str(info)) == []
    assert cpu_bf16_units(str(tmp_path / "absent")) == []  # not Linux: no /proc/cpuinfo
    assert resolve_precision("auto", [], ["amx_bf16"])[0] == "bf16"
    assert resolve_precision("auto", [], [])[0] == "off"
    assert resolve_precision("auto", ["GPU:0"], ["amx_bf16"])[0] == "off"  # GPUs keep float32 unless asked
    assert resolve_precision("fp16", [], [])[0] == "fp16"
    assert resolve_precision("off", [], ["amx_bf16"])[0] == "off"  # the opt-out


def test_trainer_computes_in_the_resolved_precision_and_says_so(tmp_path):
    from samplernn.precision import resolve_precision
    from samplernn.training import Trainer

    lines = []
    trainer = Trainer(make_run(tmp_path), TrainOptions(num_epochs=1, batch_size=3), log=lines.append)
    precision, _ = resolve_precision("auto", tf.config.list_logical_devices("GPU"))
    assert trainer.precision == precision
    assert trainer.model.compute_dtype == {"off": "float32", "bf16": "bfloat16"}[precision]
    assert any(line.startswith("Computing in ") for line in lines), lines
    trainer = Trainer(make_run(tmp_path / "b"), TrainOptions(num_epochs=1, batch_size=3, mixed_precision="off"),
                      log=lines.append)
    assert trainer.model.compute_dtype == "float32"
    assert any(line == "Computing in float32: as --mixed_precision asks" for line in lines), lines


def test_bf16_sample_mlp_sums_many_rows_of_one_level_in_float32():
    # Every sample the same level: the table gradient adds thousands of rows into one table row each, which a
    # bfloat16 accumulator would round away after a few hundred.
    from samplernn.layers import SampleMLP

    def gradients(policy):
        mlp = SampleMLP(frame_size=4, dim=8, q_levels=16, emb_size=8, dtype=policy)
        mlp.build((None, None))
        rng = np.random.default_rng(0)
        mlp.set_weights([rng.normal(0, 0.5, w.shape).astype(np.float32) for w in mlp.weights])
        samples = tf.fill((2, 4096 + 3), 5)
        with tf.GradientTape() as tape:
            logits = tf.cast(mlp(samples, tf.zeros((2, 4096, 8), mlp.compute_dtype)), tf.float32)
            loss = tf.reduce_sum(logits * tf.range(16, dtype=tf.float32))
        return tape.gradient(loss, [mlp.embedding.embeddings, mlp.window_kernel])

    for g, hg in zip(gradients("float32"), gradients("mixed_bfloat16")):
        np.testing.assert_allclose(hg, g, rtol=0.03, atol=0.03 * float(np.abs(g).max()))


def test_bf16_carried_state_saved_by_older_runs_reads_back_as_float32(tmp_path):
    import ml_dtypes

    from samplernn.train_state import _float32

    values = np.array([[0.5, -1.25, 3.0]], np.float32)
    np.savez(tmp_path / "state.npz", carried_0=values.astype(ml_dtypes.bfloat16))
    saved = np.load(tmp_path / "state.npz")["carried_0"]
    assert saved.dtype.kind == "V"  # what an .npz gives back for bfloat16
    np.testing.assert_array_equal(_float32(saved), values)
