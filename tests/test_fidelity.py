"""The fidelity measure: real audio of one synthetic corpus scores at its floor and cannot be told from the
reference; white noise and a sine are far off by every figure."""

import json

import numpy as np
import pytest
import soundfile as sf

import evaluate
from helpers import tiny_config, untrained_run_dir
from samplernn.data import write_split
from samplernn.demo_data import make_demo_dataset
from samplernn.errors import SampleRNNError
from samplernn.fidelity import (BANDS, Reference, clip_features, describe_fidelity, fidelity, frechet_distance,
                                nearest_neighbour_accuracy)

RATE = 8000


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Three sets of 20 files of 4 s of the demo's plucked-string tunes, each file rendered from its own seed
    (one recording each)."""
    folder = tmp_path_factory.mktemp("corpus")
    files = []
    for seed in range(60):
        path, = make_demo_dataset(str(folder / str(seed)), minutes=4 / 60, sample_rate=RATE, chunk_seconds=4.0,
                                  seed=seed)
        files.append(sf.read(path, dtype="float32")[0])
    return files[:20], files[20:40], files[40:]


def test_real_audio_of_the_corpus_scores_at_its_floor_and_cannot_be_told_apart(corpus):
    reference, floor, real = corpus
    figures = fidelity(real, reference, floor, RATE)
    assert 0.6 < figures["frechet_ratio"] < 1.6
    assert abs(figures["generated"]["nn_accuracy"] - 0.5) < 0.15
    assert abs(figures["floor"]["nn_accuracy"] - 0.5) < 0.15
    assert abs(figures["generated"]["level_db"]) < 1.5 and figures["generated"]["band_mean_abs_db"] < 3.0
    assert figures["generated"]["clips"] == figures["generated"]["nn_clips"] == 80
    assert len(figures["generated"]["band_db"]) == BANDS


@pytest.mark.parametrize("kind", ["white noise", "sine"])
def test_noise_and_a_sine_are_far_from_the_corpus(corpus, kind):
    reference, floor, real = corpus
    rng = np.random.default_rng(0)
    t = np.arange(4 * RATE) / RATE
    fake = [0.1 * rng.standard_normal(4 * RATE).astype(np.float32) if kind == "white noise"
            else (0.3 * np.sin(2 * np.pi * 440.0 * t)).astype(np.float32) for _ in range(20)]
    figures = fidelity(fake, Reference(reference, RATE), floor, RATE)
    assert figures["frechet_ratio"] > 5.0
    assert figures["generated"]["nn_accuracy"] > 0.95
    assert figures["generated"]["band_mean_abs_db"] > 5.0
    line = describe_fidelity(figures)
    assert f"{figures['frechet_ratio']:.1f}x real audio's" in line and "nearest-neighbour accuracy 1.00" in line


def test_the_quantized_floor_is_real_audio_through_the_models_quantizer(corpus):
    reference, floor, real = corpus
    fine, coarse = (fidelity(real, reference, floor, RATE, quantization=("mu-law", levels)) for levels in (256, 8))
    assert fine["floor"] == coarse["floor"]  # the same real clips, before the quantizer
    assert fine["quantized"]["clips"] == fine["floor"]["clips"] == 80
    assert coarse["quantized_ratio"] > 5.0 and coarse["quantized"]["nn_accuracy"] > 0.95
    assert fine["quantized_ratio"] < coarse["quantized_ratio"] / 2
    assert "quantized" not in fidelity(real, reference, floor, RATE)
    line = describe_fidelity(coarse)
    assert f"real audio through the model's quantizer (mu-law, 8 levels): {coarse['quantized_ratio']:.1f}x" in line


def test_frechet_distance_of_gaussians_is_the_closed_form():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((20000, 3))
    b = rng.standard_normal((20000, 3)) * 2.0 + np.array([1.0, 0.0, -1.0])
    # |mu_a - mu_b|^2 = 2; tr(I + 4I - 2 * 2I) = 3
    assert frechet_distance(a, b) == pytest.approx(5.0, rel=0.03)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_clips_of_a_file_are_not_each_others_neighbours():
    # Two sets whose clips differ by file only: a file's clips are identical, so with themselves allowed as
    # neighbours the sets would be told apart perfectly; across files they are the same distribution.
    rng = np.random.default_rng(2)
    per_file = rng.standard_normal((40, 4))
    a, b = np.repeat(per_file[:20], 3, axis=0), np.repeat(per_file[20:], 3, axis=0)
    files = np.repeat(np.arange(20), 3)
    assert nearest_neighbour_accuracy(a, files, b, files) < 0.75


def test_clip_features_and_too_little_reference_audio():
    assert clip_features(np.zeros(RATE - 1, np.float32), RATE).shape == (0, 128)
    assert clip_features(np.zeros(3 * RATE, np.float32), RATE).shape == (3, 128)
    with pytest.raises(SampleRNNError, match="at least 2"):
        Reference([np.zeros(RATE, np.float32)], RATE)


def write_files(folder, audios, name):
    folder.mkdir(parents=True, exist_ok=True)
    paths = [str(folder / f"{name}{i}.wav") for i in range(len(audios))]  # each its own recording
    for path, audio in zip(paths, audios):
        sf.write(path, audio, RATE, subtype="FLOAT")
    return paths


def noise(count):
    rng = np.random.default_rng(5)
    return [0.1 * rng.standard_normal(4 * RATE).astype(np.float32) for _ in range(count)]


def test_evaluate_py_measures_generated_files_against_a_folder_of_real_audio(corpus, tmp_path, capsys):
    write_files(tmp_path / "real", corpus[0] + corpus[1], "rec")
    write_files(tmp_path / "gen", noise(6), "out_")
    assert evaluate.main(["--generated", str(tmp_path / "gen"), "--reference_dir", str(tmp_path / "real")]) == 0
    out = capsys.readouterr().out
    assert "fidelity of 24 clip(s) of 1 s" in out and "nearest-neighbour accuracy 1.00" in out
    assert "band balance against the reference, dB per band (50 to 4000 Hz): " in out
    real = write_files(tmp_path / "more", corpus[2][:6], "take")
    assert evaluate.main(["--generated", *real, "--reference_dir", str(tmp_path / "real"), "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)["fidelity"]
    assert figures["frechet_ratio"] < 2.5 and figures["generated_files"] == 6 and figures["reference_files"] == 20


def test_evaluate_py_measures_against_a_runs_held_out_files(corpus, tmp_path, capsys):
    run_dir = untrained_run_dir(tmp_path / "runs", "r")  # the tiny config: 8 kHz
    train = write_files(tmp_path / "data", corpus[0], "train")
    held_out = write_files(tmp_path / "data", corpus[1], "held")
    write_split(f"{run_dir}/split.json", train, held_out, str(tmp_path / "data"))
    write_files(tmp_path / "gen", noise(10), "out_")
    assert evaluate.main(["--generated", str(tmp_path / "gen"), "--checkpoint_path", run_dir, "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)["fidelity"]
    assert figures["frechet_ratio"] > 3.0 and figures["generated"]["nn_accuracy"] > 0.95
    assert figures["reference_files"] == 20 and figures["floor"]["clips"] == 40  # the floor: as many clips
    assert abs(figures["floor"]["nn_accuracy"] - 0.5) < 0.25
    assert figures["quantization"] == "mu-law, 16 levels" and figures["quantized"]["clips"] == 40  # the run's


@pytest.mark.parametrize("args, words", [([], "give --data_dir"), (["--generated", "x.wav"], "--checkpoint_path is")])
def test_evaluate_py_says_what_it_needs(args, words, capsys):
    assert evaluate.main(args) == 2
    assert words in capsys.readouterr().err


def test_train_reports_the_fidelity_of_each_epochs_audio_and_keeps_it_in_the_checkpoint(corpus, tmp_path):
    from samplernn import checkpoints, training
    from samplernn.options import TrainOptions
    from samplernn.runs import create_run_dir, open_run

    write_files(tmp_path / "data", [a[:int(2.2 * RATE)] for a in corpus[0][:4]], "rec")
    config = tmp_path / "tiny.json"
    config.write_text(json.dumps(tiny_config(seq_len=256).to_dict()))
    run = open_run(data_dir=str(tmp_path / "data"), logdir_root=str(tmp_path / "logdir"), run_id="f",
                   config_file=str(config), sample_rate=None, val_frac=0.25, seed=0, resume=True, resume_from=None)
    create_run_dir(run, str(tmp_path / "logdir"), "f", "test", {})
    lines = []
    options = TrainOptions(num_epochs=1, batch_size=3, early_stopping_patience=0, output_file_dur=2.0,
                           max_generate_per_epoch=2)
    training.Trainer(run, options, log=lines.append).fit()
    reported = [line for line in lines if line.startswith("fidelity of 4 clip(s) of 1 s: Fréchet distance")]
    assert len(reported) == 1 and "real audio's" in reported[0]
    meta = checkpoints.read_meta(checkpoints.latest_checkpoint(run.run_dir))
    assert meta["fidelity"]["generated"]["nn_clips"] == 2  # as many as the validation audio holds
    assert f"{meta['fidelity']['frechet_ratio']:.1f}x" in reported[0]
