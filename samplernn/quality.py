"""Numbers that tell whether audio sounds like something: level, silence, flatness, DC. Pure numpy/librosa.

Beside the whole-signal figures (`describe`), the figures of consecutive stretches (`stretches`), the second
from which a sequence stays silent or noise-like (`turning_points`), and issue 22's test of whether a generated
sequence holds the level and character of its corpus (`reference_figures`, `hold_verdict`).
"""

import math

import numpy as np

from samplernn.errors import SampleRNNError

SILENCE_WINDOW_MS = 20  # level is measured per 20 ms window
SILENCE_DB = -50.0  # a window below this RMS level (dBFS) counts as silent, as in shared/corpus stats
_FLOOR_RMS = 1e-10  # keeps log10 finite for digital silence (-200 dBFS)
MOSTLY_SILENT = 0.5  # warn when more than this fraction of windows is silent
CONSTANT_STD = 1e-3  # warn when the signal barely moves: collapsed to a constant
NOISE_FLATNESS = 0.5  # white noise has a spectral flatness near 0.56, tonal music near 0.001
_N_FFT, _HOP = 2048, 512  # librosa's spectral-flatness frames: frame f is centred on sample f * _HOP
FLATNESS_CONTEXT = _N_FFT // 2  # samples on each side of its centre that a flatness frame sees

# Turning points: where a sequence fades to silence or turns into noise and stays so to its end.
BLOCK_SECONDS = 0.5  # their resolution
TAIL_SHARE = 0.9  # "stays so": this share of the blocks from the turning point on are silent (or noisy)
MIN_TAIL_SECONDS = 1.0  # and they last at least this long (a piece's last quiet second is not a collapse)
NOISE_ONSET_FLATNESS = 0.1  # warnings: a non-silent block this flat is noise (the noise runs of issue 22: 0.2)

# Issue 22's criteria for a generated sequence that holds its corpus's level and character.
STRETCH_SECONDS = 5.0
HOLD_SILENCE_POINTS = 0.10  # silence fraction within 10 points of the corpus's
HOLD_QUIET_DB = -45.0  # no stretch below this level where the corpus has none
HOLD_FLATNESS = 0.05  # spectral flatness of every (non-silent) stretch under this


def window_levels_db(audio, sample_rate, window_ms=SILENCE_WINDOW_MS):
    """RMS level in dBFS of each window (a signal shorter than one window is one window)."""
    window = max(1, round(window_ms * sample_rate / 1000))
    count = max(1, len(audio) // window)
    frames = np.asarray(audio[:count * window], dtype=np.float64).reshape(count, -1)  # (N, window)
    rms = np.sqrt(np.mean(np.square(frames), axis=1))  # (N,)
    return 20.0 * np.log10(np.maximum(rms, _FLOOR_RMS))


def silence_fraction(audio, sample_rate, threshold_db=SILENCE_DB):
    """Fraction of SILENCE_WINDOW_MS windows whose level is below `threshold_db`."""
    return float(np.mean(window_levels_db(audio, sample_rate) < threshold_db))


def remove_dc(audio):
    """Subtracts the mean: SampleRNN output can drift off zero, which wastes headroom and clicks at the ends."""
    return audio - np.mean(audio, axis=-1, keepdims=True)


def frame_flatness(audio):
    """Spectral flatness of each STFT frame (F,), frame f centred on sample f * 512 (librosa's defaults)."""
    import librosa

    return librosa.feature.spectral_flatness(y=np.asarray(audio, np.float32), n_fft=_N_FFT, hop_length=_HOP)[0]


def spectral_flatness(audio):
    """Median spectral flatness over frames: ~0.56 for white noise, ~0.001 for tonal music."""
    return float(np.median(frame_flatness(audio)))


def rms_db(audio):
    """RMS level of the whole signal in dBFS."""
    return float(20.0 * np.log10(max(float(np.sqrt(np.mean(np.square(audio, dtype=np.float64)))), _FLOOR_RMS)))


def describe(audio, sample_rate):
    """Level, silence fraction and spectral flatness of one signal, and its `turning_points`."""
    return combine_blocks([block_figures(audio, sample_rate)])


def figure_block_samples(sample_rate, seconds=10.0):
    """Samples per block of `block_figures`, near `seconds`: a multiple of the flatness hop, of the level window
    and of BLOCK_SECONDS, so that blocks give exactly the figures of the whole signal."""
    window = max(1, round(SILENCE_WINDOW_MS * sample_rate / 1000))
    unit = math.lcm(_HOP, window, max(1, round(BLOCK_SECONDS * sample_rate)))
    return unit * max(1, round(seconds * sample_rate / unit))


def block_figures(audio, sample_rate, start=0.0, before=None, after=None):
    """What `combine_blocks` needs of one block of a longer signal (a long file is described block by block, in
    bounded memory): the block starts `start` seconds in, a multiple of `figure_block_samples` samples;
    `before` / `after` are the FLATNESS_CONTEXT samples of the signal around it (None at the signal's start or
    end), which its flatness frames see as the whole signal's do."""
    half = FLATNESS_CONTEXT
    if before is None and after is None:
        flat = frame_flatness(audio)
    else:
        import librosa

        # Past the signal's ends librosa pads with zeros: so do the edges (the last block's `after` may be short).
        pad = [np.zeros(half, np.float32) if edge is None else np.asarray(edge, np.float32) for edge in (before, after)]
        pad[1] = np.pad(pad[1], (0, half - len(pad[1])))
        frames = len(audio) // _HOP + (1 if after is None else 0)  # frames centred in the block (and at its end)
        flat = librosa.feature.spectral_flatness(y=np.concatenate([pad[0], np.asarray(audio, np.float32), pad[1]]),
                                                 n_fft=_N_FFT, hop_length=_HOP, center=False)[0][:frames]
    x = np.asarray(audio, dtype=np.float64)
    parts = [dict(p, start=p["start"] + start, end=p["end"] + start)
             for p in stretches(audio, sample_rate, BLOCK_SECONDS, flat=flat)]
    return {"samples": len(x), "sum": float(np.sum(x)), "sum_sq": float(np.sum(np.square(x))),
            "levels": window_levels_db(audio, sample_rate), "flat": flat, "parts": parts}


def combine_blocks(blocks):
    """`describe`'s figures of a signal from the `block_figures` of its consecutive blocks."""
    n = max(1, sum(b["samples"] for b in blocks))
    mean, mean_sq = sum(b["sum"] for b in blocks) / n, sum(b["sum_sq"] for b in blocks) / n
    levels = np.concatenate([b["levels"] for b in blocks])
    return {"rms_db": float(20.0 * np.log10(max(np.sqrt(mean_sq), _FLOOR_RMS))),
            "silence_fraction": float(np.mean(levels < SILENCE_DB)),
            "flatness": float(np.median(np.concatenate([b["flat"] for b in blocks]))),
            "std": float(np.sqrt(max(mean_sq - mean * mean, 0.0))),
            **_turns([p for b in blocks for p in b["parts"]], NOISE_ONSET_FLATNESS)}


def stretches(audio, sample_rate, seconds=STRETCH_SECONDS, *, flat=None):
    """Figures of consecutive `seconds`-long stretches: a list of {"start", "end" (seconds), "rms_db",
    "silence_fraction", "flatness" (median of the frames centred in it)}. A last, shorter stretch is kept when
    at least half as long. `flat`: the signal's `frame_flatness`, when already computed."""
    flat = frame_flatness(audio) if flat is None else flat
    length = max(1, round(seconds * sample_rate))
    centres = np.arange(len(flat)) * _HOP
    found = []
    for start in range(0, len(audio), length):
        end = min(start + length, len(audio))
        if end - start < length / 2 and found:
            break
        frames = flat[(centres >= start) & (centres < end)]
        part = audio[start:end]
        found.append({"start": start / sample_rate, "end": end / sample_rate, "rms_db": rms_db(part),
                      "silence_fraction": silence_fraction(part, sample_rate),
                      "flatness": float(np.median(frames)) if len(frames) else float(np.median(flat))})
    return found


def _lasting_from(flags, parts):
    """Start (s) of the first flagged part from which TAIL_SHARE of the parts to the end are flagged, over at
    least MIN_TAIL_SECONDS; None if there is none."""
    flags = np.asarray(flags, dtype=np.float64)
    share_to_end = np.cumsum(flags[::-1])[::-1] / np.arange(len(flags), 0, -1)  # (P,) mean of flags[i:]
    for i, part in enumerate(parts):
        if flags[i] and share_to_end[i] >= TAIL_SHARE and parts[-1]["end"] - part["start"] >= MIN_TAIL_SECONDS:
            return part["start"]
    return None


def turning_points(audio, sample_rate, *, flat=None, noise_flatness=NOISE_ONSET_FLATNESS):
    """{"silent_from", "noise_from"}: the second from which the signal stays silent (blocks mostly below
    SILENCE_DB), or noise-like (non-silent blocks flatter than `noise_flatness`), to its end; None where it
    does not. 0.0 means from the start."""
    return _turns(stretches(audio, sample_rate, BLOCK_SECONDS, flat=flat), noise_flatness)


def _turns(blocks, noise_flatness):
    """`turning_points` from the signal's BLOCK_SECONDS `stretches`."""
    silent = [b["silence_fraction"] > MOSTLY_SILENT for b in blocks]
    noisy = [not s and b["flatness"] > noise_flatness for s, b in zip(silent, blocks)]
    return {"silent_from": _lasting_from(silent, blocks), "noise_from": _lasting_from(noisy, blocks)}


def problems(stats):
    """Human-readable warnings for what `describe` found wrong (empty when the audio looks fine)."""
    found = []
    if stats["std"] < CONSTANT_STD:
        found.append("collapsed to a constant")
    elif stats["silence_fraction"] > MOSTLY_SILENT:
        found.append(f"mostly silence ({stats['silence_fraction']:.0%} of 20 ms windows below {SILENCE_DB:g} dBFS); "
                     "a higher sampling temperature (e.g. 1.1) often brings a trained model's level up")
    elif stats["flatness"] > NOISE_FLATNESS:  # not when mostly silent: the frames of silence are flat too
        found.append(f"sounds like white noise (spectral flatness {stats['flatness']:.2f})")
    if stats["silent_from"]:  # 0.0: silent throughout, which "mostly silence" says
        found.append(f"fades to silence from {stats['silent_from']:.1f} s")
    if stats["noise_from"]:
        found.append(f"turns into noise from {stats['noise_from']:.1f} s")
    elif stats["noise_from"] == 0.0 and stats["flatness"] <= NOISE_FLATNESS:
        found.append(f"noise-like from the start (spectral flatness {stats['flatness']:.2f})")
    return found


def reference_figures(audios, sample_rate, seconds=STRETCH_SECONDS):
    """The figures of a corpus's held-out files that `hold_verdict` compares with: mean RMS (dBFS), the
    silence fraction of all their windows, mean flatness, the share of their stretches below HOLD_QUIET_DB
    and the share of their non-silent stretches at least HOLD_FLATNESS flat."""
    if not audios:
        raise SampleRNNError("no reference audio: the corpus's held-out figures need at least one file")
    flats = [frame_flatness(a) for a in audios]  # once per file: its stretches and its median take them
    parts = [p for a, flat in zip(audios, flats) for p in stretches(a, sample_rate, seconds, flat=flat)]
    sounding = [p for p in parts if p["silence_fraction"] <= MOSTLY_SILENT]
    lengths = np.array([len(a) for a in audios], dtype=np.float64)
    return {"files": len(audios), "minutes": float(lengths.sum() / sample_rate / 60),
            "rms_db": float(np.mean([rms_db(a) for a in audios])),
            "silence_fraction": float(np.average([silence_fraction(a, sample_rate) for a in audios], weights=lengths)),
            "flatness": float(np.mean([np.median(flat) for flat in flats])),
            "quiet_stretch_share": float(np.mean([p["rms_db"] < HOLD_QUIET_DB for p in parts])),
            "flat_stretch_share": float(np.mean([p["flatness"] >= HOLD_FLATNESS for p in sounding] or [0.0]))}


def _began(turning_point, first_failing):
    """When a failure began: the turning point (finer) if it is not after the first failing stretch, else
    that stretch's start (a sequence that fails from the start but stays so only from later on)."""
    if turning_point is not None and turning_point < first_failing["end"]:
        return turning_point
    return first_failing["start"]


def hold_verdict(audio, sample_rate, reference, seconds=STRETCH_SECONDS):
    """Whether one sequence holds its corpus's level and character, by issue 22's criteria: silence fraction
    within HOLD_SILENCE_POINTS of the reference's, no stretch below HOLD_QUIET_DB where the reference has none
    (`quiet_stretch_share` 0), every non-silent stretch's flatness under HOLD_FLATNESS (a silent stretch's
    low-level noise is flat too, and counts as silence). `reference`: `reference_figures` of held-out audio.

    Returns the sequence's figures and stretches, "reasons" (the criteria it fails), "collapsed_at" /
    "ran_away_at" (second where it went silent / noise-like, None if it did not) and "verdict": "holds",
    "collapsed", "ran away" (whichever came first), or "off" (fails only by too little silence).
    """
    flat = frame_flatness(audio)
    parts = stretches(audio, sample_rate, seconds, flat=flat)
    turns = turning_points(audio, sample_rate, flat=flat, noise_flatness=HOLD_FLATNESS)
    silence = silence_fraction(audio, sample_rate)
    reasons, collapsed_at, ran_away_at = [], None, None
    excess = silence - reference["silence_fraction"]
    if abs(excess) > HOLD_SILENCE_POINTS:
        reasons.append(f"silence {silence:.0%} vs the corpus's {reference['silence_fraction']:.0%}")
    quiet = [p for p in parts if p["rms_db"] < HOLD_QUIET_DB] if reference["quiet_stretch_share"] == 0 else []
    if quiet:
        reasons.append(f"{len(quiet)} stretch(es) below {HOLD_QUIET_DB:g} dBFS")
    if excess > HOLD_SILENCE_POINTS or quiet:
        too_quiet = [p for p in parts if p in quiet or p["silence_fraction"] - reference["silence_fraction"]
                     > HOLD_SILENCE_POINTS]
        collapsed_at = _began(turns["silent_from"], (too_quiet or parts)[0])
    noisy = [p for p in parts if p["silence_fraction"] <= MOSTLY_SILENT and p["flatness"] >= HOLD_FLATNESS]
    if noisy:
        reasons.append(f"flatness {max(p['flatness'] for p in noisy):.3f} >= {HOLD_FLATNESS:g}")
        ran_away_at = _began(turns["noise_from"], noisy[0])
    failures = [(at, name) for at, name in ((collapsed_at, "collapsed"), (ran_away_at, "ran away")) if at is not None]
    verdict = min(failures)[1] if failures else ("off" if reasons else "holds")
    return {"verdict": verdict, "holds": not reasons, "reasons": reasons, "collapsed_at": collapsed_at,
            "ran_away_at": ran_away_at, "rms_db": rms_db(audio), "silence_fraction": silence,
            "flatness": float(np.median(flat)), "stretches": parts}
