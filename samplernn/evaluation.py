"""NLL (bits per sample) and accuracy of a model on audio: fresh state per file batch, inference mode."""

import tensorflow as tf

from samplernn.data import TBPTTBatches, load_levels
from samplernn.metrics import Average, masked_sums


def make_eval_step(model):
    # Shapes stay exact (no reduce_retracing): the GRU unrolls the static number of frames per window.
    @tf.function
    def eval_step(inputs, mask, states):
        sums, new_states = masked_sums(model, inputs, mask, states, training=False)
        return sums, new_states
    return eval_step


def evaluate(model, sequences, config, batch_size, eval_step=None):
    """Bits/sample and accuracy of `sequences` (int level arrays or `cache.CachedLevels`), each from a fresh
    state (silence and h0).

    Returns (mean over all samples, list of one `Average` per sequence).
    """
    eval_step = eval_step or make_eval_step(model)
    batches = TBPTTBatches(sequences, config, batch_size)
    total, per_file = Average(), [Average() for _ in range(len(sequences))]
    for b, file_batch in enumerate(batches.file_batches):
        states = None
        for window in batches.windows(b):
            if window.reset:
                states = model.initial_states(window.inputs.shape[0])
            sums, states = eval_step(window.inputs, window.mask, states)
            total.add(sums)
            for row, index in enumerate(file_batch):
                per_file[index].add(sums, row)
    return total, per_file


def evaluate_files(model, config, paths, batch_size, notice=print, cache_dir=None):
    """Evaluates audio files (all of them; their levels through the cache at `cache_dir`, see `data.load_levels`);
    returns a JSON-ready dict with the mean and one entry per file."""
    sequences = load_levels(paths, config, min_length=1, notice=notice, cache_dir=cache_dir)
    total, per_file = evaluate(model, sequences, config, batch_size)
    return {"bits_per_sample": total.bits, "accuracy": total.accuracy, "samples": int(total.count),
            "files": [{"path": path, "bits_per_sample": avg.bits, "accuracy": avg.accuracy, "samples": int(avg.count)}
                      for path, avg in zip(paths, per_file)]}
