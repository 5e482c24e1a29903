"""The optimizer of the --optimizer flag, with every setting it relies on spelled out."""

import keras

# Variables that Muon leaves to its Adam step (besides the embedding and every non-2-D one): the learned
# initial states, the 2-D GRU biases and the output layer, as Muon's authors advise for the last layer.
MUON_EXCLUDED = ["/h0$", "/bias$", "output_proj/"]
# Decoupled weight decay of the Muon-stepped matrices (Keras multiplies it by the learning rate): Muon's
# fixed-size steps otherwise grow them several-fold in a few thousand steps. With 0.3 (the best of 0.1, 0.3 and
# 1.0 in 6-minute pilots) the piano benchmark's issue config went from 4.53 to 4.43 bits in 20 min (BENCHMARKS.md).
MUON_WEIGHT_DECAY = 0.3


def make_optimizer(options):
    """The optimizer of `options` (gradient clipping is the train step's: it sees the all-replica gradient)."""
    kwargs = {"learning_rate": options.learning_rate}
    if options.optimizer == "adam":
        return keras.optimizers.Adam(**kwargs)
    if options.optimizer == "muon":
        # Every Muon argument is spelled out (Keras 3.13's values but the decays and exclusions) because Keras
        # changed several defaults between releases (3.12 -> 3.13: adam_lr_ratio 0.1 -> 1, ns_steps 6 -> 5).
        return keras.optimizers.Muon(weight_decay=MUON_WEIGHT_DECAY, adam_weight_decay=0.0,
                                     exclude_layers=MUON_EXCLUDED, exclude_embeddings=True,
                                     momentum=0.95, nesterov=True, ns_steps=5,
                                     muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315, rms_rate=0.2,
                                     adam_beta_1=0.9, adam_beta_2=0.999, epsilon=1e-7, adam_lr_ratio=1.0, **kwargs)
    if options.optimizer == "sgd":
        return keras.optimizers.SGD(momentum=options.momentum, **kwargs)
    return keras.optimizers.RMSprop(momentum=options.momentum, **kwargs)
