"""One truncated-BPTT training step: gradients of the batch, gradient clipping, a guarded update.

The same step runs on one device and under a `tf.distribute` strategy: each replica takes its rows of
the batch (`samplernn.distribute.split_rows`), the gradients are summed across replicas, and the update
is applied only when the loss and the gradients are finite. Clipping and the finite check see the
summed gradient, so N replicas make the same update as one device with the whole batch.

With a float16 model the loss is scaled (`DynamicLossScale`); an overflowing step is skipped and the
scale halved, as mixed-precision training does, rather than reported as a NaN loss.
"""

import numpy as np
import tensorflow as tf

from samplernn import distribute
from samplernn.metrics import masked_sums

SUM = tf.distribute.ReduceOp.SUM


def _row_slices(batch, parts):
    """`parts` contiguous, non-empty row ranges covering `batch` rows, as equal as possible."""
    sizes = [batch // parts + (1 if i < batch % parts else 0) for i in range(parts)]
    starts = np.cumsum([0] + sizes)
    return [slice(int(a), int(b)) for a, b in zip(starts[:-1], starts[1:]) if b > a]


class DynamicLossScale:
    """float16 loss scaling: the loss is multiplied by `scale` so small gradients survive in float16.

    A step whose gradients overflow is skipped and the scale halved; after `period` good steps in a row
    it doubles. (Keras' LossScaleOptimizer does the same inside `apply`; it is not used because its
    finite check would run on the gradients of one replica, before the clipping and the guard below.)
    """

    def __init__(self, initial=2.0 ** 15, period=2000):
        self.period = period
        self.scale = tf.Variable(initial, trainable=False, dtype=tf.float32, name="loss_scale")
        self.good_steps = tf.Variable(0, trainable=False, dtype=tf.int64, name="loss_scale_good_steps")

    def update(self, finite):
        """After a step: halve on overflow, double after `period` finite steps. Cross-replica context."""
        grow = finite & (self.good_steps + 1 >= self.period)
        self.scale.assign(tf.where(finite, tf.where(grow, self.scale * 2.0, self.scale), self.scale / 2.0))
        self.good_steps.assign(tf.where(finite & ~grow, self.good_steps + 1, tf.zeros_like(self.good_steps)))


def fused_apply(optimizer):
    """`optimizer.apply` compiled with XLA: one fused pass over each variable and its slots instead of a
    TensorFlow op per term of the update (Adam over the default config's 78 M parameters ran 2x faster on a
    2-core CPU: `bench/step_breakdown.py`). One device only: a strategy's replicas apply through it as they are."""
    compiled = {}  # per set of variables (Keras variables are no tf.function arguments): with and without h0

    def apply(grads, variables):
        key = tuple(id(v) for v in variables)
        if key not in compiled:
            compiled[key] = tf.function(lambda grads: optimizer.apply(grads, variables), jit_compile=True)
        return compiled[key](grads)

    return apply


def _all_finite(tensors):
    return tf.reduce_all([tf.reduce_all(tf.math.is_finite(t)) for t in tensors])


def _batch_gradients(model, inputs, mask, states, reset, total, scale, accumulate_steps):
    """Gradients of (summed NLL / total) * scale over this replica's rows, in `accumulate_steps` micro-batches
    run one after the other (the same gradients as all rows at once, with a micro-batch's activations).

    Returns (gradients (None where a variable has none), per-row sums, new states).
    """
    grads, sums, new_states, after = None, [], [], []
    for rows in _row_slices(inputs.shape[0], accumulate_steps):
        with tf.control_dependencies(after):
            part_states = None if states is None else tf.nest.map_structure(lambda s: s[rows], states)
            part_reset = None if reset is None else reset[rows]
            with tf.GradientTape() as tape:
                part_sums, part_new = masked_sums(model, inputs[rows], mask[rows], part_states, training=True,
                                                  reset=part_reset)
                loss = tf.reduce_sum(part_sums[0]) / total * scale
            part = tape.gradient(loss, model.trainable_variables)
        grads = part if grads is None else [g if p is None else (p if g is None else g + p)
                                            for g, p in zip(grads, part)]
        after = [g for g in grads if g is not None]
        sums.append(part_sums)
        new_states.append(part_new)
    concat = lambda *parts: tf.concat(parts, axis=0)  # noqa: E731
    return grads, tf.nest.map_structure(concat, *sums), tf.nest.map_structure(concat, *new_states)


def make_train_step(model, optimizer, options, strategy=None):
    """(inputs, mask, states or None, reset=None) -> (per-row sums, new states, finite), one TBPTT step.

    `states=None` starts every row from the learned initial state; `reset` (B,) bool restarts only some rows.

    `options`: `TrainOptions` (clip_norm, accumulate_steps). `strategy`: the `tf.distribute` strategy the
    model and optimizer were built under (default: none). `finite` is False when the loss or the gradients
    were NaN/Inf and nothing was applied (an overflow of a loss-scaled float16 step is not reported).
    The returned function's `state_variables` (the float16 loss scale, or none) belong in a checkpoint.
    """
    strategy = strategy or tf.distribute.get_strategy()
    replicas = strategy.num_replicas_in_sync
    loss_scale = None
    apply_update = fused_apply(optimizer) if replicas == 1 else optimizer.apply
    if model.dtype_policy.compute_dtype == "float16":
        with strategy.scope():
            loss_scale = DynamicLossScale()

    def replica_step(inputs, mask, states, reset):
        ctx = tf.distribute.get_replica_context()
        total = tf.maximum(ctx.all_reduce(SUM, tf.reduce_sum(mask)), 1.0)  # the mean is over the whole batch
        scale = loss_scale.scale if loss_scale else tf.constant(1.0)
        grads, sums, new_states = _batch_gradients(model, inputs, mask, states, reset, total, scale,
                                                   options.accumulate_steps)
        # h0 has no gradient in windows that continue a carried state: leave it out of those updates.
        used = [(g, v) for g, v in zip(grads, model.trainable_variables) if g is not None]
        grads = ctx.all_reduce(SUM, [g for g, _ in used])
        if loss_scale:
            grads = [g / scale for g in grads]
        grads_finite = _all_finite(grads)
        bad_loss = tf.reduce_sum(tf.cast(~tf.math.is_finite(sums[0]), tf.float32))
        loss_finite = ctx.all_reduce(SUM, bad_loss) == 0.0
        if options.clip_norm:
            grads, _ = tf.clip_by_global_norm(grads, options.clip_norm)
        ctx.merge_call(_update, args=(grads, [v for _, v in used], loss_finite, grads_finite))
        reported = loss_finite if loss_scale else loss_finite & grads_finite
        return sums, tf.nest.map_structure(tf.stop_gradient, new_states), reported

    def _update(dist, grads, variables, loss_finite, grads_finite):
        """Cross-replica: the guard (a branch may not hold a sync point inside a replica), then the update."""
        first = lambda value: dist.experimental_local_results(value)[0]  # noqa: E731 (equal on every replica)
        loss_finite, grads_finite = first(loss_finite), first(grads_finite)

        def apply():
            # Every replica holds the summed gradient and Keras sums the replicas' gradients once more.
            dist.extended.call_for_each_replica(
                lambda g: apply_update([x / replicas for x in g] if replicas > 1 else g, variables),
                args=(grads,))

        tf.cond(loss_finite & grads_finite, apply, lambda: None)
        if loss_scale:
            loss_scale.update(grads_finite)

    @tf.function  # exact shapes (no reduce_retracing): the GRU unrolls the static number of frames per window
    def step(inputs, mask, states, reset):
        sums, new_states, finite = strategy.run(replica_step, args=(inputs, mask, states, reset))
        if replicas > 1:
            sums = tf.nest.map_structure(lambda s: strategy.gather(s, axis=0), sums)
            finite = strategy.experimental_local_results(finite)[0]
        return sums, new_states, finite

    def train_step(inputs, mask, states, reset=None):
        # Truncated BPTT: the state crosses into the next window (stop_gradient above), its gradient does not.
        if states is None:
            reset = None  # every row starts from h0 anyway
        if replicas == 1:
            return step(inputs, mask, states, reset)
        rows = inputs.shape[0]
        if reset is None:
            sums, new_states, finite = step(*distribute.split_rows(strategy, inputs, mask), states, None)
        else:
            inputs, mask, reset = distribute.split_rows(strategy, inputs, mask, reset)
            sums, new_states, finite = step(inputs, mask, states, reset)
        return tf.nest.map_structure(lambda s: s[:rows], sums), new_states, finite  # without the padding rows

    train_step.state_variables = [loss_scale.scale, loss_scale.good_steps] if loss_scale else []
    return train_step
