"""Random shifts and rotations in front of a model, active only in training."""

from __future__ import annotations

import keras
from keras import layers


def with_augmentation(
    model: keras.Model, shift_pixels: int = 2, rotation_degrees: float = 10.0
) -> keras.Model:
    """`model` behind random translation and rotation layers (no new weights).

    The layers change the images only while training; at inference they pass
    them through, so evaluation sees the real images.

    Args:
        model: a model taking (h, w, c) images.
        shift_pixels: largest shift, in pixels, each way. Defaults to 2.
        rotation_degrees: largest rotation each way. Defaults to 10.0.
    """
    if shift_pixels < 0 or rotation_degrees < 0:
        raise ValueError(
            "shift_pixels and rotation_degrees must be >= 0, got "
            f"{shift_pixels} and {rotation_degrees}."
        )
    h, w, _ = model.input_shape[1:]
    inputs = keras.Input(model.input_shape[1:], name="image")
    x = layers.RandomTranslation(
        shift_pixels / h, shift_pixels / w, fill_mode="constant", name="shift"
    )(inputs)
    x = layers.RandomRotation(
        rotation_degrees / 360.0, fill_mode="constant", name="rotate"
    )(x)
    return keras.Model(inputs, model(x), name=f"{model.name}_augmented")
