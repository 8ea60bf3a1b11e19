"""The linear counterpart of a network: every non-linear part removed."""

from __future__ import annotations

import keras
from keras import layers

# Layers that are linear (or affine) maps of their input at inference.
LINEAR_LAYERS = (
    layers.InputLayer,
    layers.Conv1D,
    layers.Conv2D,
    layers.DepthwiseConv2D,
    layers.SeparableConv2D,
    layers.Dense,
    layers.Flatten,
    layers.Reshape,
    layers.Dropout,
    layers.AveragePooling2D,
    layers.GlobalAveragePooling2D,
    layers.Identity,
    layers.ZeroPadding2D,
    layers.Concatenate,
    layers.Add,
    layers.Cropping2D,
)
ACTIVATION_LAYERS = (
    layers.ReLU,
    layers.LeakyReLU,
    layers.ELU,
    layers.Activation,
    layers.Softmax,
)


def _linear_layer(layer):
    if isinstance(layer, ACTIVATION_LAYERS):
        return layers.Identity(name=layer.name)
    if isinstance(layer, layers.MaxPooling2D):
        # A max-pool becomes the uniform (average) pool of the same window.
        return layers.AveragePooling2D(
            layer.pool_size, layer.strides, layer.padding, name=layer.name
        )
    if not isinstance(layer, LINEAR_LAYERS):
        raise ValueError(
            f"linearise does not know whether layer '{layer.name}' "
            f"({type(layer).__name__}) is linear; add it to LINEAR_LAYERS or "
            "ACTIVATION_LAYERS in tfcnn/analysis/linearise.py."
        )
    config = layer.get_config()
    if config.get("activation", "linear") != "linear":
        config["activation"] = "linear"
    return type(layer).from_config(config)


def linearise(model: keras.Model, copy_weights: bool = False) -> keras.Model:
    """Returns `model` with ReLUs (and other activations) removed and max-pools averaged.

    The result is an affine map of its input: f(x) = A x + c. The softmax of
    the loss is not part of the model (tfcnn's models output logits).

    Args:
        model: a functional or sequential Keras model.
        copy_weights: start from `model`'s weights instead of a fresh
            initialisation. Defaults to False.

    Raises:
        ValueError: a layer whose linearity is unknown (the message names it).
    """
    clone = keras.models.clone_model(model, clone_function=_linear_layer)
    clone.name = f"{model.name}_linear"
    if copy_weights:
        clone.set_weights(model.get_weights())
    return clone
