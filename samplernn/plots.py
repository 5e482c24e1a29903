"""PNG pictures: the spectrogram of a generated wav and the learning curve of a run (matplotlib, no display)."""

import os

import matplotlib

matplotlib.use("Agg")  # files only: works with no display attached
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

N_FFT = 1024
HOP = 256


def save_spectrogram(path, audio, sample_rate, title=None):
    """Log-magnitude spectrogram (dB, time vs Hz) of float audio (T,) as a PNG."""
    import librosa

    spec = np.abs(librosa.stft(np.asarray(audio, np.float32), n_fft=N_FFT, hop_length=HOP))  # (F, frames)
    db = librosa.amplitude_to_db(spec, ref=1.0, top_db=80.0)
    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=100)
    extent = [0, len(audio) / sample_rate, 0, sample_rate / 2]
    image = ax.imshow(db, origin="lower", aspect="auto", extent=extent, cmap="magma")
    ax.set_xlabel("time (s)")
    ax.set_ylabel("frequency (Hz)")
    ax.set_title(title or os.path.basename(path))
    fig.colorbar(image, ax=ax, format="%+.0f dB")
    _save(fig, path)


def save_learning_curve(path, history):
    """history: list of dicts with step, train_bits and val_bits (one per epoch) -> PNG."""
    steps = [h["step"] for h in history]
    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=100)
    ax.plot(steps, [h["train_bits"] for h in history], "o-", label="training")
    ax.plot(steps, [h["val_bits"] for h in history], "s-", label="validation")
    ax.set_xlabel("step")
    ax.set_ylabel("NLL (bits per sample)")
    ax.grid(alpha=0.3)
    ax.legend()
    _save(fig, path)


def _save(fig, path):
    fig.tight_layout()
    tmp = f"{path}.tmp.png"
    fig.savefig(tmp)
    plt.close(fig)
    os.replace(tmp, path)
