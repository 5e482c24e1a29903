"""Synthetic music-like folders of 8-second 16 kHz chunks, for bench/data_scale.py.

    python bench/music_folders.py --out /tmp/scale --hours 1 10 50

Writes `<out>/<hours>h/rec<k>_<n>.wav` (16-bit mono) as `chunk_audio.py` names chunks: recordings of 45 chunks
(6 minutes) of piano-like notes (a few decaying harmonics, random pitches of a pentatonic scale, random onsets
and levels, a little noise), so that the recording-grouped split has recordings to group. Vectorized: each
chunk adds rows of a precomputed note bank, so 50 hours (22,500 files, 5.8 GB) take a few minutes. A folder
that already holds all its files is left as it is. Keep the folders out of the repository.
"""

import argparse
import os

import numpy as np
import soundfile as sf

RATE = 16000
CHUNK_SECONDS = 8
CHUNKS_PER_RECORDING = 45
NOTE_SECONDS = 1.5


def note_bank(rng):
    """(pitches, NOTE_SECONDS * RATE) float32 decaying notes with 5 harmonics."""
    scale = np.array([0, 2, 4, 7, 9])  # pentatonic
    semitones = np.concatenate([scale + 12 * octave for octave in range(-2, 2)])
    freqs = 440.0 * 2 ** (semitones / 12)
    t = np.arange(int(NOTE_SECONDS * RATE)) / RATE
    harmonics = np.arange(1, 6)
    amps = 0.6 ** (harmonics - 1)
    phases = rng.uniform(0, 2 * np.pi, (len(freqs), len(harmonics)))
    # (pitches, harmonics, T): each harmonic decays faster than the one below it
    partials = amps[None, :, None] * np.exp(-t[None, None, :] * (2.0 + harmonics[None, :, None])) * np.sin(
        2 * np.pi * freqs[:, None, None] * harmonics[None, :, None] * t[None, None, :] + phases[:, :, None])
    attack = np.minimum(t / 0.005, 1.0)
    return (partials.sum(axis=1) * attack).astype(np.float32)


def chunk(rng, bank):
    """(CHUNK_SECONDS * RATE,) float32: 12-30 notes at random onsets and levels."""
    length, note = CHUNK_SECONDS * RATE, bank.shape[1]
    audio = np.zeros(length + note, np.float32)
    count = rng.integers(12, 31)
    for pitch, onset, level in zip(rng.integers(0, len(bank), count), rng.integers(0, length, count),
                                   rng.uniform(0.05, 0.25, count)):
        audio[onset:onset + note] += level * bank[pitch]
    audio = audio[:length] + rng.normal(0, 0.002, length).astype(np.float32)
    return np.clip(audio, -1.0, 1.0)


def write_folder(folder, hours, seed):
    count = int(hours * 3600 / CHUNK_SECONDS)
    os.makedirs(folder, exist_ok=True)
    if len([f for f in os.listdir(folder) if f.endswith(".wav")]) == count:
        print(f"{folder}: {count} files already there")
        return
    rng = np.random.default_rng(seed)
    bank = note_bank(rng)
    for i in range(count):
        name = f"rec{i // CHUNKS_PER_RECORDING}_{i % CHUNKS_PER_RECORDING}.wav"
        sf.write(os.path.join(folder, name), chunk(rng, bank), RATE, subtype="PCM_16")
    print(f"{folder}: wrote {count} files ({hours} h)")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default="/tmp/scale")
    p.add_argument("--hours", type=float, nargs="+", default=[1, 10, 50])
    args = p.parse_args()
    for hours in args.hours:
        write_folder(os.path.join(args.out, f"{hours:g}h"), hours, seed=int(hours))


if __name__ == "__main__":
    main()
