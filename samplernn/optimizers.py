"""The optimizer of the --optimizer flag, with every setting it relies on spelled out."""

import keras
from keras import ops

# Variables that Muon leaves to its Adam step (besides the embedding and every non-2-D one): the learned
# initial states, the 2-D GRU biases and the output layer, as Muon's authors advise for the last layer.
MUON_EXCLUDED = ["/h0$", "/bias$", "output_proj/"]
# Decoupled weight decay of the Muon-stepped matrices (Keras multiplies it by the learning rate): Muon's
# fixed-size steps otherwise grow them several-fold in a few thousand steps. With 0.3 (the best of 0.1, 0.3 and
# 1.0 in 6-minute pilots) the piano benchmark's issue config went from 4.53 to 4.43 bits in 20 min (BENCHMARKS.md).
MUON_WEIGHT_DECAY = 0.3


class GramMuon(keras.optimizers.Muon):
    """Keras' Muon with the same Newton-Schulz iteration computed in the Gram space of a wide matrix.

    Each iteration maps the (m, n) update x, m < n, to Q x with Q = a + b A + c A^2 and A = x x^T, an (m, m)
    polynomial in A (symmetric, like A). So x_k = P_k x_0 with P_{k+1} = Q_k P_k and A_{k+1} = Q_k A_k Q_k:
    after one (m, n) product for A_0 the iterations stay (m, m), and one more (m, n) product applies P at the
    end. For the CPU preset's upsampling kernel (256 x 4096) that is 3x fewer multiply-adds; all its Muon
    matrices together take about half the time (`bench/orthogonalise.py`). Nearly square matrices keep Keras'
    form. The update is Keras' to float32 rounding, a little coarser where the singular values span many
    decades (A squares them): off a float64 run by up to 5e-4 of the largest entry there, Keras' own by 1e-5.
    """

    def zeropower_via_newtonschulz5(self, x, steps):
        if not takes_gram_space(x.shape, steps):
            return super().zeropower_via_newtonschulz5(x, steps)
        rows, cols = x.shape
        wide = ops.transpose(x) if rows > cols else x  # (m, n), m < n, as Keras' own form transposes
        wide = wide / (ops.norm(wide) + 1e-7)  # Frobenius norm: every singular value at most 1
        gram = ops.matmul(wide, ops.transpose(wide))  # (m, m)
        eye = ops.eye(gram.shape[0], dtype=gram.dtype)
        poly = None
        for i in range(steps):
            step = self.muon_a * eye + self.muon_b * gram + self.muon_c * ops.matmul(gram, gram)
            poly = step if poly is None else ops.matmul(step, poly)
            if i < steps - 1:
                gram = ops.matmul(ops.matmul(step, gram), step)
        out = ops.matmul(poly, wide)  # (m, n)
        return ops.transpose(out) if rows > cols else out


def newton_schulz_cost(m, n, steps):
    """Multiply-adds of `steps` iterations on an (m, n) matrix, m <= n: (Keras' form, the Gram-space form).

    Keras': per step x x^T and B x (m^2 n each) and A^2 (m^3). Gram: x x^T and P x once, then per step A^2 and
    Q P (m^3 each; no Q P in the first) and Q A Q (2 m^3; none in the last).
    """
    return steps * (2 * m * m * n + m ** 3), 2 * m * m * n + (4 * steps - 3) * m ** 3


def takes_gram_space(shape, steps):
    """Whether `GramMuon` orthogonalises a matrix of `shape` in Gram space: 2-D, and fewer multiply-adds so."""
    if len(shape) != 2:
        return False
    plain, gram = newton_schulz_cost(min(shape), max(shape), steps)
    return gram < plain


def make_optimizer(options):
    """The optimizer of `options` (gradient clipping is the train step's: it sees the all-replica gradient)."""
    kwargs = {"learning_rate": options.learning_rate}
    if options.optimizer == "adam":
        return keras.optimizers.Adam(**kwargs)
    if options.optimizer == "muon":
        # Every Muon argument is spelled out (Keras 3.13's values but the decays and exclusions) because Keras
        # changed several defaults between releases (3.12 -> 3.13: adam_lr_ratio 0.1 -> 1, ns_steps 6 -> 5).
        return GramMuon(weight_decay=MUON_WEIGHT_DECAY, adam_weight_decay=0.0,
                        exclude_layers=MUON_EXCLUDED, exclude_embeddings=True,
                        momentum=0.95, nesterov=True, ns_steps=5,
                        muon_a=3.4445, muon_b=-4.7750, muon_c=2.0315, rms_rate=0.2,
                        adam_beta_1=0.9, adam_beta_2=0.999, epsilon=1e-7, adam_lr_ratio=1.0, **kwargs)
    if options.optimizer == "sgd":
        return keras.optimizers.SGD(momentum=options.momentum, **kwargs)
    return keras.optimizers.RMSprop(momentum=options.momentum, **kwargs)
