"""The loss in bits per sample and the accuracy, over masked TBPTT windows."""

import math

import keras
import numpy as np
from keras import ops

from samplernn.backend import xla

LN2 = math.log(2.0)


def masked_sums(model, inputs, mask, states, training, reset=None):
    """Teacher-forced pass over one window; `reset` (B,) bool, if given, restarts those rows from h0.

    Returns (per-row sums (NLL nats (B,), correct (B,), targets (B,)), new states); the loss of a batch is
    its summed NLL over its summed target count.
    """
    if reset is not None:
        states = model.restart_rows(states, reset)
    logits, new_states = model(inputs, states=states, training=training)  # (B, L, q_levels)
    nll, hits = nll_and_hits(logits, inputs[:, model.big_frame_size:])
    count = ops.sum(mask, axis=1)
    nll_sum = ops.sum(nll * mask, axis=1)
    correct = ops.sum(hits * mask, axis=1)
    return (nll_sum, correct, count), new_states


@xla
def nll_and_hits(logits, targets):
    """logits (B, L, q) in the compute dtype, targets (B, L) -> NLL in nats and hits (argmax == target), both
    (B, L) float32: one fused pass over the logits, in float32 under mixed precision."""
    logits = ops.cast(logits, "float32")
    nll = keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True)
    hits = ops.cast(ops.equal(ops.cast(ops.argmax(logits, axis=-1), targets.dtype), targets), "float32")
    return nll, hits


class Average:
    """Running bits/sample and accuracy from (some rows of) the sums of `masked_sums`."""

    def __init__(self):
        self.nll, self.correct, self.count = 0.0, 0.0, 0.0

    def add(self, sums, row=None):
        """Adds every row of `sums`, or only `row`."""
        nll, correct, count = (np.asarray(x) if row is None else np.asarray(x)[row] for x in sums)
        self.nll += float(np.sum(nll))
        self.correct += float(np.sum(correct))
        self.count += float(np.sum(count))

    @property
    def bits(self):
        return self.nll / max(self.count, 1.0) / LN2

    @property
    def accuracy(self):
        return self.correct / max(self.count, 1.0)
