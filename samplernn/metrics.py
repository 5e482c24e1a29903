"""The loss in bits per sample and the accuracy, over masked TBPTT windows."""

import math

import keras
from keras import ops

LN2 = math.log(2.0)


def masked_sums(model, inputs, mask, states, training):
    """Teacher-forced pass over one window.

    Returns (mean NLL in nats over unmasked targets, (sum of NLL nats, correct count, target count), new states).
    """
    logits, new_states = model(inputs, states=states, training=training)  # (B, L, q_levels)
    targets = inputs[:, model.big_frame_size:]  # (B, L)
    nll = keras.losses.sparse_categorical_crossentropy(targets, logits, from_logits=True)  # (B, L) nats
    count = ops.sum(mask)
    nll_sum = ops.sum(nll * mask)
    hits = ops.cast(ops.equal(ops.cast(ops.argmax(logits, axis=-1), targets.dtype), targets), "float32")
    correct = ops.sum(hits * mask)
    return nll_sum / ops.maximum(count, 1.0), (nll_sum, correct, count), new_states


class Average:
    """Running bits/sample and accuracy from the sums of `masked_sums`."""

    def __init__(self):
        self.nll, self.correct, self.count = 0.0, 0.0, 0.0

    def add(self, sums):
        nll, correct, count = (float(x) for x in sums)
        self.nll, self.correct, self.count = self.nll + nll, self.correct + correct, self.count + count

    @property
    def bits(self):
        return self.nll / max(self.count, 1.0) / LN2

    @property
    def accuracy(self):
        return self.correct / max(self.count, 1.0)
