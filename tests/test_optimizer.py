"""make_optimizer: --optimizer muon states every Muon setting itself, so a Keras release that changes a default
cannot change our training silently."""

import inspect

import keras
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
    """Records the keyword arguments of every keras.optimizers.Muon built while the test runs."""
    calls = []

    def recording(**kwargs):
        calls.append(kwargs)
        return MUON(**kwargs)

    monkeypatch.setattr(keras.optimizers, "Muon", recording)
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
