import json
import os

import pytest

from samplernn.config import SampleRNNConfig, load_config
from samplernn.errors import SampleRNNError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_default_config_file_equals_the_dataclass_defaults():
    with open(os.path.join(ROOT, "default.config.json")) as f:
        assert json.load(f) == SampleRNNConfig().to_dict()


def test_prism_config_loads_with_the_same_meaning(tmp_path):
    prism = {"seq_len": 1024, "frame_sizes": [16, 64], "dim": 1024, "rnn_type": "gru", "num_rnn_layers": 4,
             "q_type": "mu-law", "q_levels": 256, "emb_size": 256, "skip_conn": False, "rnn_dropout": 0.0}
    path = tmp_path / "prism.json"
    path.write_text(json.dumps(prism))
    config = load_config(str(path))
    assert {k: config.to_dict()[k] for k in prism} == prism


@pytest.mark.parametrize("preset", sorted(os.listdir(os.path.join(ROOT, "configs"))))
def test_presets_load(preset):
    assert load_config(os.path.join(ROOT, "configs", preset)).seq_len > 0


def test_presets_are_the_papers_models():
    music = load_config(os.path.join(ROOT, "configs", "music_2tier.json"))
    speech = load_config(os.path.join(ROOT, "configs", "speech_3tier.json"))
    assert (music.frame_sizes, music.num_rnn_layers, music.dim) == ((16,), 3, 1024)
    assert (speech.frame_sizes, speech.num_rnn_layers, speech.seq_len) == ((2, 8), 1, 512)


@pytest.mark.parametrize("changes, words", [
    ({"sequence_length": 5}, ["unknown", "sequence_length"]),
    ({"dim": "big"}, ["'dim'", "int", "big"]),
    ({"amplitude_input": "yes"}, ["'amplitude_input'", "bool"]),
    ({"dim": 1.5}, ["'dim'"]),
    ({"skip_conn": 1}, ["'skip_conn'", "bool"]),
    ({"frame_sizes": [16, 40]}, ["frame_sizes", "dividing"]),
    ({"frame_sizes": [64, 16]}, ["frame_sizes"]),
    ({"frame_sizes": 16}, ["frame_sizes", "list"]),
    ({"seq_len": 1000}, ["seq_len", "64"]),
    ({"q_levels": 1}, ["q_levels"]),
    ({"q_levels": 65537}, ["q_levels"]),
    ({"q_type": "mu-law", "q_levels": 255}, ["q_levels", "even", "mu-law"]),
    ({"q_type": "ulaw"}, ["q_type"]),
    ({"rnn_type": "rnn"}, ["rnn_type"]),
    ({"rnn_dropout": 1.0}, ["rnn_dropout"]),
    ({"dim": 0}, ["dim", "positive"]),
])
def test_bad_config_names_the_key(tmp_path, changes, words):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({**SampleRNNConfig().to_dict(), **changes}))
    with pytest.raises(SampleRNNError) as e:
        load_config(str(path))
    assert all(w in str(e.value) for w in words), str(e.value)
    assert str(path) in str(e.value)


def test_odd_levels_are_fine_for_the_linear_law():
    assert SampleRNNConfig(q_type="linear", q_levels=255).q_levels == 255


def test_config_file_errors(tmp_path):
    with pytest.raises(SampleRNNError, match="does not exist"):
        load_config(str(tmp_path / "missing.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SampleRNNError, match="not valid JSON"):
        load_config(str(bad))


def test_diff_names_the_differing_keys():
    assert SampleRNNConfig().diff(SampleRNNConfig(dim=512, q_type="linear")) == ["dim", "q_type"]
