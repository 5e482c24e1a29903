"""Audio files in and out: find them, decode to mono float32 at one sample rate, write wav, flac or ogg.

Decoding uses soundfile (libsndfile reads wav, flac, ogg and, from 1.1 on, mp3). Only an extension
whose format the installed libsndfile lacks goes to pydub, which needs ffmpeg.
"""

import os
import warnings

import numpy as np
import soundfile as sf
from natsort import natsorted

from samplernn.errors import SampleRNNError

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")

# libsndfile's name for the format of each extension, as listed by soundfile.available_formats().
_SOUNDFILE_FORMATS = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG", ".mp3": "MP3"}


def find_audio_files(directory) -> list[str]:
    """Audio files (AUDIO_EXTENSIONS, any case) under `directory` and its subfolders, in natural order.

    Hidden files and folders (names starting with '.', e.g. macOS '._x.wav' resource forks) are skipped.
    Returns an empty list when there is no audio; the caller words that error.
    """
    if not os.path.isdir(directory):
        raise SampleRNNError(f"audio folder '{directory}' does not exist or is not a folder")
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = [d for d in dirs if not d.startswith(".")]  # prunes the walk
        found += [os.path.join(root, f) for f in files
                  if not f.startswith(".") and f.lower().endswith(AUDIO_EXTENSIONS)]
    return natsorted(found)


def load_audio(path, sample_rate, *, notice=print) -> np.ndarray:
    """Decodes one file to float32 (T,) in [-1, 1], mono, at `sample_rate` Hz.

    Channels are averaged into mono and a file at another rate is resampled (librosa.resample);
    `notice` is called with one line for each conversion.
    Raises SampleRNNError naming the file for a missing, empty, unreadable or sample-less file.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise SampleRNNError(f"cannot read audio file '{path}': no such file")
    if os.path.getsize(path) == 0:
        raise SampleRNNError(f"cannot read audio file '{path}': file is empty")
    if _soundfile_reads(os.path.splitext(path)[1].lower()):
        frames, file_rate = _decode_soundfile(path)
    else:
        frames, file_rate = _decode_pydub(path)
    if frames.shape[0] == 0:
        raise SampleRNNError(f"cannot read audio file '{path}': it contains no samples")
    if frames.shape[1] > 1:
        notice(f"note: mixing the {frames.shape[1]} channels of '{path}' down to mono")
    audio = frames.mean(axis=1)  # (T, C) -> (T,)
    if file_rate != sample_rate:
        import librosa  # slow to import; only resampling needs it

        notice(f"note: resampling '{path}' from {file_rate} Hz to {sample_rate} Hz")
        audio = librosa.resample(audio, orig_sr=file_rate, target_sr=sample_rate)
    # Resampling can overshoot full scale slightly, and float files may exceed it.
    return np.clip(audio, -1.0, 1.0).astype(np.float32)


def _soundfile_reads(extension):
    """False only for one of our extensions whose format this libsndfile build lacks (e.g. mp3 before 1.1)."""
    name = _SOUNDFILE_FORMATS.get(extension)
    return name is None or name in sf.available_formats()


def _decode_soundfile(path):
    """(T, C) float32 frames and the file's sample rate."""
    try:
        frames, file_rate = sf.read(path, dtype="float32", always_2d=True)
    except sf.SoundFileError as e:
        cause = getattr(e, "error_string", "") or str(e)
        raise SampleRNNError(f"cannot read audio file '{path}': not audio or corrupt ({cause})") from e
    except OSError as e:
        raise SampleRNNError(f"cannot read audio file '{path}': {e.strerror or e}") from e
    return frames, file_rate


def _decode_pydub(path):
    """(T, C) float32 frames and the file's sample rate, decoded by pydub (ffmpeg)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pydub warns at import: ffmpeg missing, audioop deprecated
            from pydub import AudioSegment
            from pydub.exceptions import CouldntDecodeError
    except ImportError as e:
        raise SampleRNNError(f"cannot read audio file '{path}': this format needs pydub and ffmpeg") from e
    try:
        segment = AudioSegment.from_file(path)
    except CouldntDecodeError as e:
        raise SampleRNNError(f"cannot read audio file '{path}': not audio or corrupt") from e
    except FileNotFoundError as e:  # the file exists (checked by the caller), so ffmpeg is what is missing
        raise SampleRNNError(f"cannot read audio file '{path}': this format needs ffmpeg, "
                             "which is not installed") from e
    full_scale = float(1 << (8 * segment.sample_width - 1))  # 32768 for 16-bit samples
    samples = np.asarray(segment.get_array_of_samples(), dtype=np.float32) / full_scale
    return samples.reshape(-1, segment.channels), segment.frame_rate  # (T * C,) interleaved -> (T, C)


# What generate.py and the chunker write, by extension: (libsndfile format, subtype).
OUTPUT_FORMATS = {".wav": ("WAV", "PCM_16"), ".flac": ("FLAC", "PCM_16"), ".ogg": ("OGG", "VORBIS")}


def output_format(path):
    """(format, subtype) of OUTPUT_FORMATS that `path`'s extension (any case) names.

    Raises SampleRNNError naming the path and the extensions written for any other extension."""
    extension = os.path.splitext(os.fspath(path))[1].lower()
    if extension not in OUTPUT_FORMATS:
        raise SampleRNNError(f"cannot write audio file '{path}': its extension '{extension}' is none of "
                             f"{', '.join(OUTPUT_FORMATS)}")
    return OUTPUT_FORMATS[extension]


def write_audio(path, audio, sample_rate):
    """Writes float audio (T,) or (T, C), clipped to [-1, 1], at `path` in the format its extension names
    (`output_format`): 16-bit PCM wav or flac, or Ogg Vorbis.

    Atomic: the data goes to a hidden temporary file in the same folder, which then replaces `path`,
    so a killed process never leaves a partial file. Raises SampleRNNError naming the path on OSError.
    """
    path = os.fspath(path)
    file_format, subtype = output_format(path)
    folder, name = os.path.split(os.path.abspath(path))
    temp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    data = np.clip(np.asarray(audio, dtype=np.float32), -1.0, 1.0)
    try:
        with open(temp, "wb") as f:
            sf.write(f, data, sample_rate, format=file_format, subtype=subtype)
        os.replace(temp, path)
    except (OSError, sf.SoundFileError) as e:
        raise SampleRNNError(f"cannot write audio file '{path}': {getattr(e, 'strerror', None) or e}") from e
    finally:
        if os.path.exists(temp):  # only after a failure: os.replace has moved it otherwise
            os.remove(temp)
