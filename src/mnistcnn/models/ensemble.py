"""Ensembles: several trained networks as one Keras model that averages their probabilities.

An ensemble is an ordinary model (input -> every member -> mean), so it saves as one
`.h5`, and `evaluate` and `predict` use it like any other model; `members()` takes
it apart again to report each member.
"""

from mnistcnn.core import ENSEMBLE_NAME
from mnistcnn.core import import_keras

keras = import_keras()
from keras import layers  # noqa: E402


def combine(members: list) -> keras.Model:
    """One model whose output is the mean of the members' softmax outputs."""
    if len(members) < 2:
        raise ValueError(f"an ensemble needs at least 2 members, got {len(members)}")
    for index, member in enumerate(members, start=1):
        # Layer names must be unique within the combined model.
        member.name = f"member_{index}"
    inputs = keras.Input(members[0].input_shape[1:])
    # float32: under mixed precision the mean would otherwise be taken in bfloat16.
    outputs = layers.Average(dtype="float32", name="mean_probability")([member(inputs) for member in members])
    return keras.Model(inputs, outputs, name=ENSEMBLE_NAME)


def members(model: keras.Model) -> list:
    """The member networks of an ensemble made by `combine`; [] for a single model."""
    if model.name != ENSEMBLE_NAME:
        return []
    return [layer for layer in model.layers if isinstance(layer, keras.Model)]
