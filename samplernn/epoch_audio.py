"""The audio train.py generates at the end of each epoch: streamed into the run's generated/ folder as
generate.py streams its files, measured against the run's real audio (`fidelity`), and written to TensorBoard."""

import os

import numpy as np
import soundfile as sf
import tensorflow as tf

from samplernn.fidelity import Reference, clip_count, describe_fidelity, draw_floor, fidelity
from samplernn.generation import PieceSampler, stream_labels
from samplernn.loop import primed_start
from samplernn.quantization import dequantize
from samplernn.streaming import describe_stop, finish_files, stream_to_files


class EpochFidelity:
    """The fidelity of each epoch's generated audio against the run's validation audio (its `Reference` built
    once, on first use), the floor drawn from its training audio: levels (`cache.CachedLevels`), as the model
    sees them."""

    def __init__(self, val_seqs, train_seqs, config):
        self.val, self.train, self.config, self.reference = val_seqs, train_seqs, config, None

    def _audio(self, levels):
        return dequantize(np.asarray(levels), self.config.q_type, self.config.q_levels)

    def measure(self, audios):
        """(`fidelity.fidelity`'s figures of `audios`, None) or, when they or the validation audio hold fewer
        than two 1-s clips, (None, why not)."""
        rate = self.config.sample_rate
        if clip_count(audios, rate) < 2:
            return None, "the generated audio holds fewer than two 1-s clips"
        if self.reference is None:
            val = [self._audio(s) for s in self.val]
            if clip_count(val, rate) < 2:
                return None, "the validation audio holds fewer than two 1-s clips"
            self.reference = Reference(val, rate)
        floor = draw_floor(len(self.train), lambda i: self._audio(self.train[i]), clip_count(audios, rate), rate)
        return fidelity(audios, self.reference, floor, rate), None


def generate_epoch_audio(model, config, options, run_dir, epoch, target_bits, measure=None, log=print):
    """`options.max_generate_per_epoch` sequences of `options.output_file_dur` seconds into
    `run_dir`/generated/epoch_<epoch>_<i>.wav (the temperatures cycled, the seed `options.seed + epoch`, adaptive
    sampling held at `target_bits` or plain when None), and their audio and spectrograms into the default
    TensorBoard writer; with `measure` (an `EpochFidelity`), their fidelity too, which is returned (None
    without). A Ctrl-C or an error while generating leaves the files with what was generated, and is raised
    again."""
    n = options.max_generate_per_epoch
    temps = [options.temperature[i % len(options.temperature)] for i in range(n)]
    sampler = PieceSampler(model, temps, q_type=config.q_type, start_from=primed_start(model, config.q_type),
                           seed=options.seed + epoch, target_bits=target_bits)
    out_dir = os.path.join(run_dir, "generated")
    os.makedirs(out_dir, exist_ok=True)
    paths = [os.path.join(out_dir, f"epoch_{epoch:04d}_{i}.wav") for i in range(n)]
    streamed = stream_to_files(sampler, int(options.output_file_dur * config.sample_rate), paths,
                               config.sample_rate, log=log)
    if streamed.stopped is not None:
        log(describe_stop(streamed, config.sample_rate))
    finish_files(streamed, range(n), paths, config.sample_rate, stream_labels(streamed, temps, target_bits), log=log)
    audios = [sf.read(path, dtype="float32")[0] for path in (paths if streamed.samples else [])]
    for i, (path, wav) in enumerate(zip(paths, audios)):
        tf.summary.audio(f"generated/{i}", wav[None, :, None], config.sample_rate)
        png = tf.io.decode_png(tf.io.read_file(os.path.splitext(path)[0] + ".png"), channels=3)
        tf.summary.image(f"spectrogram/{i}", png[None])
    if streamed.stopped is not None:
        raise streamed.stopped
    if measure is None:
        return None
    figures, why_not = measure.measure(audios)
    if figures is None:
        log(f"fidelity: not measured ({why_not})")
        return None
    log(describe_fidelity(figures))
    tf.summary.scalar("fidelity/frechet_ratio", figures["frechet_ratio"])
    for name in ("nn_accuracy", "band_mean_abs_db", "level_db"):
        tf.summary.scalar(f"fidelity/{name}", figures["generated"][name])
    return figures
