"""NLL (bits per sample) and accuracy of a model on audio: fresh state per file batch, inference mode."""

import tensorflow as tf

from samplernn.data import TBPTTBatches, load_levels
from samplernn.metrics import Average, masked_sums
from samplernn.quantization import quantize


def make_eval_step(model):
    # Shapes stay exact (no reduce_retracing): the GRU unrolls the static number of frames per window.
    @tf.function
    def eval_step(inputs, mask, states):
        sums, new_states = masked_sums(model, inputs, mask, states, training=False)
        return sums, new_states
    return eval_step


def evaluate(model, sequences, config, batch_size, eval_step=None, start_from=None):
    """Bits/sample and accuracy of `sequences` (int level arrays or `cache.CachedLevels`), each from a fresh
    state: silence and h0, or `start_from` (a `generation.Start`: the context and states of priming on seed audio).

    Returns (mean over all samples, list of one `Average` per sequence).
    """
    eval_step = eval_step or make_eval_step(model)
    batches = TBPTTBatches(sequences, config, batch_size)
    total, per_file = Average(), [Average() for _ in range(len(sequences))]
    for b, file_batch in enumerate(batches.file_batches):
        states = None
        for window in batches.windows(b):
            if window.reset:
                states = _fresh_states(model, window.inputs, start_from)
            sums, states = eval_step(window.inputs, window.mask, states)
            total.add(sums)
            for row, index in enumerate(file_batch):
                per_file[index].add(sums, row)
    return total, per_file


def _fresh_states(model, inputs, start_from):
    """The states a first window (B, big + seq_len) starts from; with `start_from`, its silent context
    (the first top frame) is replaced, in place, by the primed one."""
    if start_from is None:
        return model.initial_states(inputs.shape[0])
    ctx, states = start_from.tile(inputs.shape[0])
    inputs[:, :model.big_frame_size] = ctx.numpy()[:, :model.big_frame_size]
    return states


def evaluate_files(model, config, paths, batch_size, notice=print, cache_dir=None):
    """Evaluates audio files (all of them; their levels through the cache at `cache_dir`, see `data.load_levels`);
    returns a JSON-ready dict with the mean and one entry per file."""
    sequences = load_levels(paths, config, min_length=1, notice=notice, cache_dir=cache_dir)
    total, per_file = evaluate(model, sequences, config, batch_size)
    return {"bits_per_sample": total.bits, "accuracy": total.accuracy, "samples": int(total.count),
            "files": [{"path": path, "bits_per_sample": avg.bits, "accuracy": avg.accuracy, "samples": int(avg.count)}
                      for path, avg in zip(paths, per_file)]}


def score_audio(model, config, audio, batch_size=32, start_from=None):
    """Bits/sample of each generated sequence (N, T) under the model: lower is more likely. `start_from`:
    the `generation.Start` the sequences were generated from (None: silence and h0)."""
    sequences = [quantize(row, config.q_type, config.q_levels) for row in audio]
    _, per_sequence = evaluate(model, sequences, config, batch_size, start_from=start_from)
    return [avg.bits for avg in per_sequence]
