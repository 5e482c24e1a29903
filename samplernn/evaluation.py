"""NLL (bits per sample) and accuracy of a model on audio: fresh state per file batch, inference mode."""

import tensorflow as tf

from samplernn.data import TBPTTBatches
from samplernn.metrics import Average, masked_sums


def make_eval_step(model):
    @tf.function(reduce_retracing=True)
    def eval_step(inputs, mask, states):
        _, sums, new_states = masked_sums(model, inputs, mask, states, training=False)
        return sums, new_states
    return eval_step


def evaluate(model, sequences, config, batch_size, eval_step=None):
    """Mean bits/sample and accuracy over all samples of `sequences` (int level arrays)."""
    eval_step = eval_step or make_eval_step(model)
    batches = TBPTTBatches(sequences, config, batch_size)
    total = Average()
    for b in range(len(batches.file_batches)):
        states = None
        for window in batches.windows(b):
            if window.reset:
                states = model.initial_states(window.inputs.shape[0])
            sums, states = eval_step(window.inputs, window.mask, states)
            total.add(sums)
    return total
