"""Several GPUs or machines through `tf.distribute`: which strategy, which worker writes, whose rows.

- `TF_CONFIG` set: `MultiWorkerMirroredStrategy`, one `train.py` process per machine (README: "Several
  machines"). Every worker draws the same batches (the same files in the same order, the same random
  segments); each replica trains on its rows of every batch, and each worker reads only its replicas' rows
  (`local_rows`).
- More than one GPU visible (and `--multi_gpu`, the default): `MirroredStrategy` over all of them.
- Otherwise the default strategy: one device, and nothing below changes anything.
"""

import os

import numpy as np
import tensorflow as tf


def make_strategy(multi_gpu=True, log=print):
    """The strategy for this process; call it before anything else runs on TensorFlow."""
    if "TF_CONFIG" in os.environ:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        resolver = strategy.cluster_resolver
        log(f"Multi-worker training: this is {resolver.task_type} {resolver.task_id}, "
            f"{strategy.num_replicas_in_sync} replica(s) in all")
        return strategy
    gpus = tf.config.list_logical_devices("GPU")
    if multi_gpu and len(gpus) > 1:
        strategy = tf.distribute.MirroredStrategy()
        log(f"Mirrored training on {len(gpus)} GPUs: each takes batch_size / {len(gpus)} rows of every batch")
        return strategy
    return tf.distribute.get_strategy()


def is_chief(strategy):
    """Whether this process writes checkpoints, logs and audio (the others only train along)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or resolver.task_type in (None, "chief"):
        return True
    return resolver.task_type == "worker" and resolver.task_id == 0 and "chief" not in resolver.cluster_spec().jobs


def _replica_rows(replica_id, replicas, batch):
    """The rows of a `batch`-row batch that replica `replica_id` takes, padding rows included: the batch padded
    to a multiple of `replicas`, then `batch / replicas` rows (rounded up) each, in replica order."""
    per = -(-batch // replicas)
    return slice(replica_id * per, (replica_id + 1) * per)


def local_rows(strategy, batch):
    """(R,) int64: the rows of a `batch`-row batch that this process's replicas train (`split_rows`' split,
    without its padding rows). All of them, but under `MultiWorkerMirroredStrategy`: there each worker's
    replicas take their own rows, and the worker need read no others."""
    ids = strategy.experimental_local_results(  # this process's replicas (a worker's: task * local + i)
        strategy.experimental_distribute_values_from_function(lambda ctx: ctx.replica_id_in_sync_group))
    rows = np.arange(batch)
    return np.concatenate([rows[_replica_rows(i, strategy.num_replicas_in_sync, batch)] for i in ids])


def split_rows(strategy, *arrays):
    """Each array's rows split evenly over the replicas (padded with zero rows to a multiple of their
    number: a zero mask row adds nothing to the loss), as per-replica values for `strategy.run`."""
    n = strategy.num_replicas_in_sync
    split = []
    for a in arrays:
        a = np.asarray(a)
        batch = len(a)
        a = np.concatenate([a, np.zeros((-batch % n,) + a.shape[1:], a.dtype)])

        def rows(ctx, a=a, batch=batch):  # runs on each replica's device
            return tf.constant(a[_replica_rows(ctx.replica_id_in_sync_group, n, batch)])
        split.append(strategy.experimental_distribute_values_from_function(rows))
    return split
