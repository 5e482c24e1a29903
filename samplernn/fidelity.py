"""How far generated audio is from the real audio of a corpus, by timbre and level. Pure numpy/librosa/scipy.

Every file is cut into CLIP_SECONDS clips; a clip is described by the mean and the spread over its frames of a
N_MELS-band log-mel spectrogram (`clip_features`). Generated clips are compared with reference clips (a
run's held-out audio) by
- the Fréchet distance between Gaussians fitted to the two sets of clip features (`frechet_distance`);
- a two-sample nearest-neighbour test (`nearest_neighbour_accuracy`): how often a clip's nearest neighbour
  among the clips of other files has the clip's own label (generated or real). 0.5 means the two sets cannot
  be told apart, 1.0 that they never mix;
- the energy balance over BANDS log-spaced bands and the level (RMS), in dB against the reference.
Each figure comes with its floor (`fidelity`): the same figure for real audio of the corpus that is not in the
reference (a run's training files), with as many clips as the generated audio has, so that a figure reads
as "2.1x real audio's distance". Given the model's quantization, the same real audio is also measured after
passing through its quantizer: how close a model that drew every sample of the corpus right could come.
"""

import os

import numpy as np

from samplernn.errors import SampleRNNError

CLIP_SECONDS = 1.0
N_MELS = 64
N_FFT, HOP = 1024, 256
BANDS = 16  # log-spaced bands of the spectral balance, from BAND_LOW_HZ to the Nyquist frequency
BAND_LOW_HZ = 50.0
_FLOOR_POWER = 1e-10  # -100 dB: keeps the logarithms of digital silence finite
MAX_CLIPS = 2000  # per set: the nearest-neighbour test compares every pair


def clip_features(audio, sample_rate):
    """(clips, 2 * N_MELS) float64: per whole CLIP_SECONDS clip of float audio (T,), the mean and the standard
    deviation over frames of its log-mel spectrogram (dB). A file shorter than one clip has none."""
    import librosa

    n = int(round(CLIP_SECONDS * sample_rate))
    count = len(audio) // n
    if count == 0:
        return np.zeros((0, 2 * N_MELS))
    clips = np.asarray(audio[:count * n], np.float32).reshape(count, n)  # (C, n)
    mel = librosa.feature.melspectrogram(y=clips, sr=sample_rate, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS)
    db = 10.0 * np.log10(np.maximum(mel, _FLOOR_POWER))  # (C, N_MELS, frames)
    return np.concatenate([db.mean(axis=-1), db.std(axis=-1)], axis=1).astype(np.float64)


def frechet_distance(a, b):
    """Fréchet distance between Gaussians fitted to feature sets a (N, D) and b (M, D): |mu_a - mu_b|^2 +
    tr(S_a + S_b - 2 (S_a S_b)^(1/2))."""
    import warnings

    from scipy import linalg

    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    with warnings.catch_warnings():  # fewer clips than features: singular covariances, a root all the same
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(cov_a @ cov_b)
        if not np.all(np.isfinite(root)):  # offset both covariances a little
            offset = np.eye(len(mu_a)) * 1e-6
            root = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    return float(np.sum(np.square(mu_a - mu_b)) + np.trace(cov_a + cov_b - 2.0 * np.real(root)))


def nearest_neighbour_accuracy(a, a_files, b, b_files):
    """Share of the clips of a (N, D) and b (M, D) whose nearest neighbour (Euclidean, on features scaled to
    unit variance over both sets), among the clips of other files, belongs to the same set. `*_files`: the file
    index of each clip: clips of one file never count as each other's neighbours. Give equal counts."""
    x = np.concatenate([a, b])
    x = (x - x.mean(axis=0)) / np.maximum(x.std(axis=0), 1e-9)
    labels = np.concatenate([np.zeros(len(a)), np.ones(len(b))])
    files = np.concatenate([np.asarray(a_files), np.asarray(b_files) + np.max(a_files, initial=-1) + 1])
    squared = np.sum(x * x, axis=1)
    distances = squared[:, None] + squared[None, :] - 2.0 * x @ x.T  # (N + M, N + M)
    distances[files[:, None] == files[None, :]] = np.inf  # itself and its own file's clips
    return float(np.mean(labels[np.argmin(distances, axis=1)] == labels))


def band_levels(audios, sample_rate):
    """(BANDS,) mean power per log-spaced band over all frames of all `audios`, in dB."""
    edges = np.geomspace(BAND_LOW_HZ, sample_rate / 2, BANDS + 1)
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / sample_rate)
    band = np.clip(np.searchsorted(edges, freqs, side="right") - 1, -1, BANDS)  # -1: below the first band
    import librosa

    total, frames = np.zeros(BANDS), 0
    for audio in audios:
        power = np.abs(librosa.stft(np.asarray(audio, np.float32), n_fft=N_FFT, hop_length=HOP)) ** 2  # (F, T)
        per_freq = power.sum(axis=1)
        for k in range(BANDS):
            total[k] += per_freq[band == k].sum()
        frames += power.shape[1]
    return 10.0 * np.log10(np.maximum(total / max(frames, 1), _FLOOR_POWER))


def level_db(audios):
    """Mean RMS level of `audios` in dBFS (the mean of each file's level)."""
    return float(np.mean([10.0 * np.log10(max(float(np.mean(np.square(a, dtype=np.float64))), _FLOOR_POWER))
                          for a in audios]))


class Reference:
    """The clips (and the file each comes from), band levels and level of a set of audio files, computed once."""

    def __init__(self, audios, sample_rate):
        feats = [clip_features(a, sample_rate) for a in audios]
        self.features = np.concatenate(feats) if feats else np.zeros((0, 2 * N_MELS))
        self.files = np.concatenate([np.full(len(f), i) for i, f in enumerate(feats)]) if feats else np.zeros(0)
        self.bands = band_levels(audios, sample_rate)
        self.level = level_db(audios)
        self.sample_rate = sample_rate
        if len(self.features) < 2:
            raise SampleRNNError(f"the reference audio holds {len(self.features)} clip(s) of {CLIP_SECONDS:g} s: "
                                 "the fidelity figures need at least 2")

    def subset(self, count, seed):
        """(features, files) of `count` clips drawn without replacement (all when there are fewer), seeded."""
        rng = np.random.default_rng(seed)
        pick = np.sort(rng.permutation(len(self.features))[:count])
        return self.features[pick], self.files[pick]


def compare(reference, audios, seed=0):
    """The figures of `audios` (float arrays, each a file) against `reference`: their clips, the
    Fréchet distance, the nearest-neighbour accuracy (over `nn_clips` of theirs and as many of the reference's,
    at most MAX_CLIPS), the band balance difference (dB per band and its mean absolute value) and the level
    difference (dB)."""
    theirs = Reference(audios, reference.sample_rate)
    count = min(len(theirs.features), len(reference.features), MAX_CLIPS)
    a, a_files = theirs.subset(count, seed)
    b, b_files = reference.subset(count, seed + 1)
    bands = theirs.bands - reference.bands
    return {"clips": len(theirs.features), "nn_clips": count,
            "frechet": frechet_distance(theirs.features, reference.features),
            "nn_accuracy": nearest_neighbour_accuracy(a, a_files, b, b_files),
            "band_db": [float(x) for x in bands], "band_mean_abs_db": float(np.mean(np.abs(bands))),
            "level_db": theirs.level - reference.level}


def fidelity(generated, reference, floor, sample_rate, seed=0, quantization=None):
    """How far `generated` audio (each sequence a file of its own) is from `reference` audio (a `Reference`, or
    a list of float arrays), next to the same figures for `floor` audio (real audio of the corpus that is not in
    the reference, cut to as many clips as the generated audio holds): a
    dict with "generated" and "floor" (`compare`'s figures) and "frechet_ratio" (generated / floor).

    With `quantization` (q_type, q_levels), also "quantized" (the floor audio through that quantizer and back)
    and "quantized_ratio": the distance a model of that quantization cannot go below."""
    ref = reference if isinstance(reference, Reference) else Reference(reference, sample_rate)
    mine = compare(ref, generated, seed)
    floor = draw_floor(len(floor), floor.__getitem__, clip_count(generated, sample_rate), sample_rate, seed)
    theirs = compare(ref, floor, seed)

    def over_floor(measured):
        return measured["frechet"] / max(theirs["frechet"], 1e-12)

    figures = {"generated": mine, "floor": theirs, "frechet_ratio": over_floor(mine), "sample_rate": sample_rate}
    if quantization is not None:
        from samplernn.quantization import dequantize, quantize

        q_type, q_levels = quantization
        coarse = compare(ref, [dequantize(quantize(a, q_type, q_levels), q_type, q_levels) for a in floor], seed)
        figures.update(quantized=coarse, quantization=f"{q_type}, {q_levels} levels",
                       quantized_ratio=over_floor(coarse))
    return figures


def describe_fidelity(figures):
    """One line: the Fréchet ratio, the nearest-neighbour accuracy, band balance and level, each with its floor."""
    g, f = figures["generated"], figures["floor"]
    return (f"fidelity of {g['clips']} clip(s) of {CLIP_SECONDS:g} s: Fréchet distance {g['frechet']:.1f} = "
            f"{figures['frechet_ratio']:.1f}x real audio's ({f['frechet']:.1f}); nearest-neighbour accuracy "
            f"{g['nn_accuracy']:.2f} (real audio {f['nn_accuracy']:.2f}, 0.5 = indistinguishable); band balance "
            f"{g['band_mean_abs_db']:.1f} dB per band off (real {f['band_mean_abs_db']:.1f}); level "
            f"{g['level_db']:+.1f} dB (real {f['level_db']:+.1f})"
            + (f"; real audio through the model's quantizer ({figures['quantization']}): "
               f"{figures['quantized_ratio']:.1f}x, nearest-neighbour accuracy "
               f"{figures['quantized']['nn_accuracy']:.2f}" if "quantized" in figures else ""))


def reference_of_files(paths, sample_rate):
    """A `Reference` of audio files."""
    from samplernn.audio import load_audio

    return Reference([load_audio(p, sample_rate, notice=lambda *_: None) for p in paths], sample_rate)


def clip_count(audios, sample_rate):
    """Whole CLIP_SECONDS clips in `audios`."""
    return sum(len(a) // int(round(CLIP_SECONDS * sample_rate)) for a in audios)


def draw_floor(count, load, clips, sample_rate, seed=0):
    """Items 0..count-1, loaded by `load(i)` (-> float audio) in a seeded order until they hold `clips` clips, the
    last one cut there: the floor is measured on as much audio as the generated one, since the Fréchet distance
    of a small set is biased upwards. Only these items are decoded, however large the training set."""
    n = int(round(CLIP_SECONDS * sample_rate))
    audios, total = [], 0
    for i in np.random.default_rng(seed).permutation(count):
        if total >= clips:
            break
        audios.append(load(i)[:(clips - total) * n])
        total += len(audios[-1]) // n
    return audios


def fidelity_of_files(generated, reference, floor_paths, sample_rate, seed=0, quantization=None):
    """`fidelity` of generated audio (float arrays, each a sequence of its own) against a `Reference`, the
    floor drawn from the audio files `floor_paths` (real files not in the reference, `draw_floor`)."""
    from samplernn.audio import load_audio

    def load(i):
        return load_audio(floor_paths[i], sample_rate, notice=lambda *_: None)

    floor = draw_floor(len(floor_paths), load, clip_count(generated, sample_rate), sample_rate, seed)
    return fidelity(generated, reference, floor, sample_rate, seed, quantization)


def fidelity_of_paths(generated, checkpoint_path=None, reference_dir=None, seed=0):
    """evaluate.py --generated: `fidelity` of the audio files in `generated` (files or folders) against a run's
    held-out files (its training files the floor, and the floor through the run's quantizer), or against a folder
    of real audio whose recordings are split in two seeded halves (reference and floor). At the run's sample
    rate, or the first generated file's."""
    import soundfile as sf

    from samplernn.audio import find_audio_files, load_audio

    paths = [p for g in generated for p in (find_audio_files(g) if os.path.isdir(g) else [g])]
    if not paths:
        raise SampleRNNError(f"--generated {' '.join(generated)}: no audio files")
    if checkpoint_path is not None:
        from samplernn.runs import load_run_split

        config, floor_paths, reference_paths = load_run_split(checkpoint_path)
        rate, quantization = config.sample_rate, (config.q_type, config.q_levels)
    else:
        reference_paths, floor_paths = _halves(reference_dir, seed)
        rate, quantization = sf.info(paths[0]).samplerate, None
    audio = [load_audio(p, rate, notice=lambda *_: None) for p in paths]
    figures = fidelity_of_files(audio, reference_of_files(reference_paths, rate), floor_paths, rate, seed,
                                quantization)
    return {**figures, "generated_files": len(paths), "reference_files": len(reference_paths)}


def _halves(folder, seed):
    """(reference, floor) files of a folder of real audio: its recordings in two seeded halves."""
    from samplernn.data import list_training_files, recording_of

    paths = list_training_files(folder)
    recordings = sorted({recording_of(p) for p in paths})
    if len(recordings) < 2:
        raise SampleRNNError(f"--reference_dir '{folder}' holds one recording: the reference and the floor need "
                             "two at least")
    half = set(np.random.default_rng(seed).permutation(recordings)[:len(recordings) // 2])
    return [p for p in paths if recording_of(p) not in half], [p for p in paths if recording_of(p) in half]


def describe_bands(figures):
    """One line: the generated audio's level per band against the reference's, low to high."""
    return (f"band balance against the reference, dB per band ({BAND_LOW_HZ:g} to {figures['sample_rate'] / 2:g} Hz): "
            + " ".join(f"{x:+.1f}" for x in figures["generated"]["band_db"]))
