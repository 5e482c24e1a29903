"""PNG pictures: the spectrogram of a generated wav and the learning curve of a run (matplotlib, no display)."""

import os

import matplotlib

matplotlib.use("Agg")  # files only: works with no display attached
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

N_FFT = 1024
HOP = 256
MAX_COLUMNS = 2000  # time columns of a spectrogram picture: a long file's frames are averaged down to these


def save_spectrogram(path, audio, sample_rate, title=None):
    """Log-magnitude spectrogram (dB, time vs Hz) of float audio (T,) as a PNG."""
    columns = SpectrogramColumns(len(audio))
    columns.add(audio)
    columns.save(path, sample_rate, title)


class SpectrogramColumns:
    """A spectrogram built block by block (`add` consecutive blocks of a signal of `total` samples, each of whole
    HOPs but the last), in bounded memory: the STFT frames of a long signal are averaged in groups so that the
    picture has at most MAX_COLUMNS columns."""

    def __init__(self, total):
        self.pool = max(1, -(-(total // HOP + 1) // MAX_COLUMNS))  # frames per column
        self.columns, self.pending, self.samples = [], [], 0

    def add(self, block):
        import librosa

        spec = np.abs(librosa.stft(np.asarray(block, np.float32), n_fft=N_FFT, hop_length=HOP))  # (F, frames)
        self.samples += len(block)
        # Frame k of the block is centred on its sample k * HOP: the last one of a block of whole HOPs is the
        # next block's first.
        frames = spec[:, :len(block) // HOP] if len(block) % HOP == 0 else spec
        self.pending.append(frames)
        pending = np.concatenate(self.pending, axis=1)
        whole = pending.shape[1] // self.pool * self.pool
        if whole:
            self.columns.append(pending[:, :whole].reshape(len(pending), -1, self.pool).mean(axis=2))
        self.pending = [pending[:, whole:]]

    def save(self, path, sample_rate, title=None):
        rest = np.concatenate(self.pending, axis=1)
        spec = np.concatenate(self.columns + ([rest.mean(axis=1, keepdims=True)] if rest.shape[1] else []), axis=1)
        _draw_spectrogram(path, spec, self.samples / sample_rate, sample_rate, title)


def _draw_spectrogram(path, spec, seconds, sample_rate, title):
    import librosa

    db = librosa.amplitude_to_db(spec, ref=1.0, top_db=80.0)
    fig, ax = plt.subplots(figsize=(8, 3.2), dpi=100)
    image = ax.imshow(db, origin="lower", aspect="auto", extent=[0, seconds, 0, sample_rate / 2], cmap="magma")
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
