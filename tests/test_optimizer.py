"""make_optimizer: --optimizer muon states every Muon setting itself, so a Keras release that changes a default
cannot change our training silently."""

import inspect

import keras
import numpy as np
import pytest

from samplernn import optimizers
from samplernn.options import TrainOptions

# Arguments every Keras optimizer takes and that we leave at their (off) defaults: clipping is the train step's,
# no EMA, no loss scaling, no gradient accumulation inside the optimizer.
SHARED_OPTIMIZER_ARGS = {"self", "clipnorm", "clipvalue", "global_clipnorm", "use_ema", "ema_momentum",
                         "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps", "name",
                         "kwargs"}
MUON = keras.optimizers.Muon


@pytest.fixture
def muon_calls(monkeypatch):
    """Records the keyword arguments of every Muon make_optimizer builds while the test runs."""
    calls = []
    built = optimizers.GramMuon

    def recording(**kwargs):
        calls.append(kwargs)
        return built(**kwargs)

    monkeypatch.setattr(optimizers, "GramMuon", recording)
    return calls


def test_muon_gets_every_one_of_its_own_arguments_explicitly(muon_calls):
    optimizers.make_optimizer(TrainOptions(optimizer="muon", learning_rate=0.01))
    (passed,) = muon_calls
    own = set(inspect.signature(MUON.__init__).parameters) - SHARED_OPTIMIZER_ARGS
    assert own - set(passed) == set()


def test_built_muon_holds_exactly_what_we_pass(muon_calls):
    optimizer = optimizers.make_optimizer(TrainOptions(optimizer="muon", learning_rate=0.01))
    (passed,) = muon_calls
    assert float(optimizer.learning_rate) == pytest.approx(passed.pop("learning_rate"))
    assert {name: getattr(optimizer, name) for name in passed} == passed
    assert optimizer.weight_decay == optimizers.MUON_WEIGHT_DECAY and optimizer.adam_weight_decay == 0.0
    assert optimizer.exclude_layers == optimizers.MUON_EXCLUDED


def with_spectrum(rows, cols, singular_values, seed=0):
    """A (rows, cols) float32 matrix with the given singular values and random singular vectors."""
    rng = np.random.default_rng(seed)
    u, _ = np.linalg.qr(rng.normal(size=(rows, len(singular_values))))
    v, _ = np.linalg.qr(rng.normal(size=(cols, len(singular_values))))
    return ((u * singular_values) @ v.T).astype(np.float32)


@pytest.mark.parametrize("shape", [(48, 160), (160, 48), (40, 40)])
@pytest.mark.parametrize("spread", [1e-1, 1e-6])
def test_gram_space_iteration_orthogonalises_like_keras_own(shape, spread):
    """The same Newton-Schulz polynomial as Keras' Muon, also where the singular values span six decades (the
    Gram form squares them: its error there, 2-5e-4 of the largest entry in float32, is 10-30x Keras' own)."""
    optimizer = optimizers.make_optimizer(TrainOptions(optimizer="muon", learning_rate=0.01))
    singular_values = np.logspace(0, np.log10(spread), min(shape))
    x = keras.ops.convert_to_tensor(with_spectrum(*shape, singular_values))
    ours = keras.ops.convert_to_numpy(optimizer.zeropower_via_newtonschulz5(x, optimizer.ns_steps))
    keras_own = keras.ops.convert_to_numpy(MUON.zeropower_via_newtonschulz5(optimizer, x, optimizer.ns_steps))
    assert ours.shape == shape
    np.testing.assert_allclose(ours, keras_own, rtol=0, atol=2e-3 * np.abs(keras_own).max())
    # the Gram form ran for the oblong matrices (its rounding differs), Keras' own for the square one
    assert np.array_equal(ours, keras_own) == (shape[0] == shape[1])
    # what the iteration is for: the singular values of the update gathered near 1 (Muon's quintic: 0.7-1.2),
    # those of at least 1 % of the largest (five steps lift smaller ones only part of the way)
    lifted = np.linalg.svd(ours, compute_uv=False)[: np.sum(singular_values >= 1e-2)]
    assert lifted.min() > 0.6 and lifted.max() < 1.25


def test_gram_space_is_taken_only_where_it_saves_work():
    taken = lambda *shape: optimizers.takes_gram_space(shape, 5)  # noqa: E731
    assert taken(256, 4096) and taken(256, 768) and taken(32, 256) and taken(768, 256)
    assert not taken(256, 256) and not taken(256, 300) and not taken(4, 256, 768)
