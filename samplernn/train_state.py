"""What an exact resume needs besides the weights and the optimizer: the RNN state carried into the next
TBPTT window and the state variables of training (the dropout RNGs, which Keras keeps out of the weights,
and the float16 loss scale).

Saved as a dict of arrays (`checkpoints.save_checkpoint`'s `train_state`): "var_<i>" per state variable,
"carried_<i>" per flattened state tensor (absent when the next window starts from h0).
"""

import keras
import numpy as np

from samplernn import distribute


def state_variables(model, train_step):
    """The variables to save: the model's that are not weights (its dropout `SeedGenerator` states), then
    `train_step.state_variables` (the loss scale), in a fixed order."""
    weights = {id(w) for w in model.weights}
    return [v for v in model.variables if id(v) not in weights] + list(train_step.state_variables)


def capture(variables, carried, strategy):
    """The train state as a dict of arrays. `carried`: the states `train_step` returned (None: from h0);
    under a strategy, each replica's rows are concatenated (padding rows included). A worker of a
    multi-worker run sees only its own replicas' rows: there the carried state is left out (a resumed
    run then starts that window from h0)."""
    arrays = {f"var_{i}": np.asarray(v.numpy()) for i, v in enumerate(variables)}
    if carried is not None:
        parts = [strategy.experimental_local_results(s) for s in keras.tree.flatten(carried)]
        if all(len(rows) == strategy.num_replicas_in_sync for rows in parts):
            for i, rows in enumerate(parts):
                # float32 whatever the compute dtype: an .npz keeps no bfloat16 (it reads back as 2-byte voids)
                arrays[f"carried_{i}"] = np.concatenate([np.asarray(r).astype(np.float32) for r in rows])
    return arrays


def _float32(array):
    """A saved carried state as float32; bfloat16 ones saved before they were converted read back as voids."""
    if array.dtype.kind == "V" and array.dtype.itemsize == 2:
        import ml_dtypes  # TensorFlow's own bfloat16 type for NumPy

        array = array.view(ml_dtypes.bfloat16)
    return array.astype(np.float32)


def restore(arrays, variables, model, strategy):
    """Assigns the saved values to `variables` and returns the carried RNN states for `train_step` (None
    if there are none), split over the replicas of `strategy`."""
    for i, v in enumerate(variables):
        if f"var_{i}" in arrays:
            v.assign(arrays[f"var_{i}"])
    flat = [arrays[f"carried_{i}"] for i in range(sum(k.startswith("carried_") for k in arrays))]
    if not flat:
        return None
    flat = [keras.ops.cast(keras.ops.convert_to_tensor(_float32(s)), model.compute_dtype) for s in flat]
    if strategy.num_replicas_in_sync > 1:
        flat = distribute.split_rows(strategy, *flat)  # it reads the tensors' rows as arrays
    structure = model.initial_states(1)  # [[(1, dim)] per tier]: the nesting train_step returns
    return keras.tree.pack_sequence_as(structure, flat)
