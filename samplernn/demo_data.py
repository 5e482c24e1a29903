"""A small synthetic music dataset for the demo: plucked-string tunes, made with numpy, no download.

Each tune picks a key, a tempo and a timbre, then plays a random walk over the diatonic scale in
quarter and eighth notes, with occasional thirds and triads and a bass note on every downbeat.
Notes are rendered by additive synthesis: slightly inharmonic partials (a stiff string), shaped by
the pluck position, each with its own exponential decay, and damped when the note is released, so
neighbouring notes overlap as they ring. The tunes are joined into one signal, normalised and cut
into equal chunks written as 16-bit mono wavs.
"""

import math
import os
from dataclasses import dataclass

import numpy as np
import soundfile as sf

MAJOR_STEPS = (0, 2, 4, 5, 7, 9, 11)  # semitones above the tonic
MINOR_STEPS = (0, 2, 3, 5, 7, 8, 10)  # natural minor
TONIC_PITCH_CLASSES = (0, 2, 5, 7, 9)  # C, D, F, G, A: keys near C major / A minor
BASS_LOW_MIDI = 45  # A2, 110 Hz
MELODY_LOW_MIDI = 57  # A3, 220 Hz: the bass plays the octave below
MELODY_HIGH_MIDI = 83  # B5, 988 Hz
TEMPO_BPM_RANGE = (90.0, 140.0)
EIGHTHS_PER_BAR = 8  # 4/4 time
NOTE_EIGHTHS = (1, 2, 4)  # eighth, quarter, half note
NOTE_EIGHTHS_PROBS = (0.45, 0.45, 0.10)
WALK_STEPS = (-3, -2, -1, 0, 1, 2, 3)  # scale degrees per note
WALK_STEPS_PROBS = (0.05, 0.15, 0.28, 0.04, 0.28, 0.15, 0.05)
CHORD_PROB = 0.2  # chance that a melody note gets a third (and maybe a fifth) below it
TRIAD_PROB = 0.5  # chance that such a chord is a full triad
VELOCITY_RANGE = (0.55, 0.9)
DOWNBEAT_ACCENT = 1.15
BASS_VELOCITY = 0.6

TUNE_SECONDS = 20.0
MAX_PARTIALS = 24
MAX_PARTIAL_HZ = 6000.0  # bright enough to sound plucked; the 1/k**rolloff fall keeps most energy below 4 kHz
MAX_PARTIAL_NYQUIST = 0.45  # and never closer to the Nyquist frequency than this fraction of the sample rate
ATTACK_SECONDS = 0.004  # short ramp so onsets do not click
DAMPER_SECONDS = 0.12  # decay time constant once a note is released
DAMPER_TAIL = 6.0  # render this many damper time constants after the release
# a bass note held for a bar at the slowest tempo rings this far past its tune's end
MAX_TAIL_SECONDS = EIGHTHS_PER_BAR * 30.0 / TEMPO_BPM_RANGE[0] + DAMPER_TAIL * DAMPER_SECONDS
DECAY_REF_HZ = 220.0  # higher notes decay faster: tau ~ sqrt(DECAY_REF_HZ / f0)
PARTIAL_DECAY_SLOPE = 0.35  # partial k decays (1 + slope * (k - 1)) times faster than the fundamental
TUNE_RMS = 0.1  # before the final peak normalisation
PEAK = 0.7
ROLLOFF_RANGE = (1.0, 1.6)
PLUCK_POSITION_RANGE = (0.1, 0.3)
INHARMONICITY_RANGE = (0.0, 4e-4)  # piano strings lie around 1e-4
DECAY_SECONDS_RANGE = (0.6, 1.5)


@dataclass(frozen=True)
class Timbre:
    """The sound of one tune's instrument."""

    rolloff: float  # partial amplitude ~ 1 / k**rolloff
    pluck_position: float  # fraction of the string length; partials with a node there are weak
    inharmonicity: float  # B in f_k = k f0 sqrt(1 + B k^2)
    decay_seconds: float  # time constant of the fundamental at DECAY_REF_HZ


def _random_timbre(rng: np.random.Generator) -> Timbre:
    """A timbre drawn uniformly from the ranges above: from a dull harp to a bright stiff string."""
    return Timbre(rolloff=rng.uniform(*ROLLOFF_RANGE), pluck_position=rng.uniform(*PLUCK_POSITION_RANGE),
                  inharmonicity=rng.uniform(*INHARMONICITY_RANGE), decay_seconds=rng.uniform(*DECAY_SECONDS_RANGE))


def _scale(rng: np.random.Generator) -> list[int]:
    """MIDI notes of a random major or minor key from BASS_LOW_MIDI to MELODY_HIGH_MIDI."""
    tonic = int(rng.choice(TONIC_PITCH_CLASSES))
    steps = MAJOR_STEPS if rng.random() < 0.5 else MINOR_STEPS
    pitch_classes = {(tonic + s) % 12 for s in steps}
    return [m for m in range(BASS_LOW_MIDI, MELODY_HIGH_MIDI + 1) if m % 12 in pitch_classes]


def _tune_events(rng: np.random.Generator, seconds: float) -> list[tuple[float, int, float, float]]:
    """(onset seconds, MIDI note, held seconds, velocity) for one tune of about `seconds`."""
    scale = _scale(rng)
    melody = [m for m in scale if m >= MELODY_LOW_MIDI]
    bass = [m for m in scale if m < MELODY_LOW_MIDI]  # one full octave
    eighth = 30.0 / rng.uniform(*TEMPO_BPM_RANGE)
    degree, position, events = len(melody) // 2, 0, []
    while position * eighth < seconds:
        onset = position * eighth
        length = int(rng.choice(NOTE_EIGHTHS, p=NOTE_EIGHTHS_PROBS))
        velocity = rng.uniform(*VELOCITY_RANGE)
        if position % EIGHTHS_PER_BAR == 0:
            velocity *= DOWNBEAT_ACCENT
            root = next(m for m in bass if m % 12 == melody[degree] % 12)
            events.append((onset, root, EIGHTHS_PER_BAR * eighth, BASS_VELOCITY))
        chord = [0]
        if rng.random() < CHORD_PROB:
            chord += [-2, -4] if rng.random() < TRIAD_PROB else [-2]
        notes = [melody[degree + offset] for offset in chord if degree + offset >= 0]
        for midi in notes:  # a chord is as loud as one note, not louder
            events.append((onset, midi, length * eighth, velocity / np.sqrt(len(notes))))
        degree = _step(rng, degree, len(melody))
        position += length
    return events


def _step(rng: np.random.Generator, degree: int, num_degrees: int) -> int:
    """One step of the melody's random walk, reflected at the ends of the range."""
    degree += int(rng.choice(WALK_STEPS, p=WALK_STEPS_PROBS))
    if degree < 0:
        degree = -degree
    if degree >= num_degrees:
        degree = 2 * (num_degrees - 1) - degree
    return degree


def _render_note(midi: int, held: float, velocity: float, timbre: Timbre, phases: np.ndarray,
                 sample_rate: int) -> np.ndarray:
    """One plucked note, ringing for `held` seconds and then damped. float32 (T,)."""
    f0 = 440.0 * 2.0 ** ((midi - 69) / 12.0)
    k = np.arange(1, MAX_PARTIALS + 1)
    freqs = k * f0 * np.sqrt(1.0 + timbre.inharmonicity * k**2)
    keep = freqs < min(MAX_PARTIAL_HZ, MAX_PARTIAL_NYQUIST * sample_rate)
    k, freqs = k[keep], freqs[keep]
    amps = np.abs(np.sin(np.pi * k * timbre.pluck_position)) / k**timbre.rolloff
    amps *= velocity / np.sqrt(np.sum(amps**2))  # same loudness for every pitch
    taus = timbre.decay_seconds * np.sqrt(DECAY_REF_HZ / f0) / (1.0 + PARTIAL_DECAY_SLOPE * (k - 1))
    t = (np.arange(int((held + DAMPER_TAIL * DAMPER_SECONDS) * sample_rate)) / sample_rate).astype(np.float32)
    damper = np.exp(-np.maximum(t - held, 0.0) / DAMPER_SECONDS) * np.minimum(t / ATTACK_SECONDS, 1.0)
    # (K, T): one row per partial
    partials = np.sin(2 * np.pi * freqs[:, None].astype(np.float32) * t + phases[: len(k), None])
    partials *= np.exp(-t / taus[:, None].astype(np.float32))
    return (amps.astype(np.float32) @ partials) * damper


def _render_tune(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """One tune of TUNE_SECONDS with its ringing tail, scaled to TUNE_RMS. float32 (T + tail,)."""
    timbre = _random_timbre(rng)
    length = int(round(TUNE_SECONDS * sample_rate))
    tune = np.zeros(length + int(MAX_TAIL_SECONDS * sample_rate), dtype=np.float32)
    for onset, midi, held, velocity in _tune_events(rng, TUNE_SECONDS):
        phases = rng.uniform(0.0, 2 * np.pi, MAX_PARTIALS).astype(np.float32)
        note = _render_note(midi, held, velocity, timbre, phases, sample_rate)
        begin = int(round(onset * sample_rate))
        tune[begin: begin + len(note)] += note
    return tune * (TUNE_RMS / np.sqrt(np.mean(tune[:length] ** 2)))  # every tune equally loud


def _render(rng: np.random.Generator, num_samples: int, sample_rate: int) -> np.ndarray:
    """Tunes back to back, each ringing into the next, peak-normalised. float32 (num_samples,)."""
    tune_samples = int(round(TUNE_SECONDS * sample_rate))
    starts = range(0, num_samples, tune_samples)
    mix = np.zeros(len(starts) * tune_samples + int(MAX_TAIL_SECONDS * sample_rate), dtype=np.float32)
    for begin in starts:
        tune = _render_tune(rng, sample_rate)
        mix[begin: begin + len(tune)] += tune
    mix = mix[:num_samples]  # the last tune is cut off where the audio ends
    return mix * (PEAK / np.max(np.abs(mix)))


def make_demo_dataset(output_dir: str, *, minutes: float = 3.0, sample_rate: int = 16000,
                      chunk_seconds: float = 8.0, seed: int = 0) -> list[str]:
    """Synthesize about `minutes` of plucked-string tunes into `output_dir/demo_<n>.wav`.

    The audio is cut into ceil(minutes * 60 / chunk_seconds) chunks of `chunk_seconds` each, written
    as 16-bit PCM mono at `sample_rate`. The same `seed` gives the same bytes. Returns the paths in order.
    """
    chunk = int(round(chunk_seconds * sample_rate))
    num_chunks = max(1, math.ceil(minutes * 60.0 / chunk_seconds))
    audio = _render(np.random.default_rng(seed), num_chunks * chunk, sample_rate)
    os.makedirs(output_dir, exist_ok=True)
    width = len(str(num_chunks - 1))
    paths = []
    for n in range(num_chunks):
        path = os.path.join(output_dir, f"demo_{n:0{width}d}.wav")
        sf.write(path, audio[n * chunk: (n + 1) * chunk], sample_rate, subtype="PCM_16")
        paths.append(path)
    return paths
