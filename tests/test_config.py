import json
import os
import re

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


def readme_presets():
    """{file: its "model" cell} from the README's Presets table."""
    with open(os.path.join(ROOT, "README.md")) as f:
        text = f.read()
    table = text[text.index("### Presets"):].split("\n\n")[1]
    return dict(re.findall(r"^\| `([\w.]+\.json)` \| ([^|]+) \|", table, flags=re.M))


# A tiny model: what the demo trains in minutes on a CPU.
TINY_PARAMS = 1_000_000


@pytest.mark.parametrize("preset", sorted(os.listdir(os.path.join(ROOT, "configs"))))
def test_presets_build_the_model_the_readme_describes(preset):
    """Each preset builds the model its README row names: tiers, frame sizes, GRU layers and their width,
    quantization, seq_len, amplitude input (the claims the row makes, each checked on the built layers)."""
    from samplernn.model import build_model
    from samplernn.recurrence import GRU

    described = readme_presets()[preset]
    config = load_config(os.path.join(ROOT, "configs", preset))
    model = build_model(config)
    tiers = re.search(r"(\d)-tier", described)
    assert tiers and len(model.frame_tiers) + 1 == int(tiers.group(1)), described
    frames = re.search(r"frames? (\d+(?: and \d+)*)", described)
    if frames:
        assert model.frame_sizes == tuple(int(f) for f in re.findall(r"\d+", frames.group(1)))
    layers = re.search(r"(\d+) GRU layers?(?: of (\d+))?", described)
    dim = re.search(r"dim (\d+)", described)
    dim = int(dim.group(1)) if dim else (int(layers.group(2)) if layers and layers.group(2) else None)
    for tier in model.frame_tiers:
        if layers:
            assert len(tier.rnns) == int(layers.group(1)) and all(isinstance(r, GRU) for r in tier.rnns)
        if dim:
            assert all(r.recurrent_kernel.shape == (dim, 3 * dim) for r in tier.rnns)
    if dim:
        assert all(layer.kernel.shape == (dim, dim) for layer in model.sample_mlp.hidden)
    levels = re.search(r"(linear|mu-law|a-law) (\d+) levels", described)
    if levels:
        assert (config.q_type, model.sample_mlp.output_proj.kernel.shape[1]) == (levels.group(1),
                                                                                 int(levels.group(2)))
    seq_len = re.search(r"seq_len (\d+)", described)
    if seq_len:
        assert config.seq_len == int(seq_len.group(1))
    assert model.amplitude_input == ("`amplitude_input`" in described)
    assert ("tiny" in described) == (model.count_params() < TINY_PARAMS), model.count_params()
    assert any((frames, layers, dim, "tiny" in described)), f"the README row says nothing of the size: {described}"


def test_every_preset_has_a_readme_row():
    assert sorted(readme_presets()) == sorted(os.listdir(os.path.join(ROOT, "configs")))


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
