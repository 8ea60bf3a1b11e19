"""Transfer-learning classifiers on a Keras Applications backbone.

`build_transfer_model` puts a new head (global average pool -> dropout ->
dense logits) on an ImageNet-style backbone. Without weights the backbone
starts random (`weights=None`, the default: nothing is downloaded); with
`weights_path` it loads a local file of the headless backbone's weights (for
example the `*_notop.h5` files Keras Applications publishes) and, by default,
freezes it so that only the head trains. The model takes float pixels in
[0, 255] and applies the backbone's own input scaling.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import keras
from keras import layers


@dataclasses.dataclass(frozen=True)
class Backbone:
    """A Keras Applications constructor and the pixel scaling it expects."""

    constructor: str
    scale: float | None  # pixels * scale + offset; None: the backbone scales internally
    offset: float = 0.0
    min_size: int = 32


BACKBONES = {
    "mobilenet_v2": Backbone("MobileNetV2", 1 / 127.5, -1.0, 32),
    "efficientnet_b0": Backbone("EfficientNetB0", None, 0.0, 32),
    "inception_v3": Backbone("InceptionV3", 1 / 127.5, -1.0, 75),
    "xception": Backbone("Xception", 1 / 127.5, -1.0, 71),
}


def build_backbone(
    name: str = "mobilenet_v2",
    input_shape=(224, 224, 3),
    weights_path=None,
    **backbone_kwargs,
) -> keras.Model:
    """The headless backbone (`include_top=False`, global average pooling).

    Args:
        name: one of `BACKBONES`. Defaults to "mobilenet_v2".
        input_shape: (H, W, 3). Defaults to (224, 224, 3).
        weights_path: a local weights file for the headless backbone; None for
            random weights (nothing is downloaded). Defaults to None.
        **backbone_kwargs: passed to the Keras Applications constructor (e.g.
            `alpha=0.35` for MobileNetV2).

    Raises:
        ValueError: unknown name, an input smaller than the backbone allows, or
            a weights path that does not exist.
    """
    if name not in BACKBONES:
        raise ValueError(
            f"unknown backbone {name!r}; choose one of {sorted(BACKBONES)}."
        )
    spec = BACKBONES[name]
    if (
        len(input_shape) != 3
        or input_shape[2] != 3
        or min(input_shape[:2]) < spec.min_size
    ):
        raise ValueError(
            f"input_shape for {name} must be (H, W, 3) with H, W >= {spec.min_size}, got {input_shape}."
        )
    if weights_path is not None and not Path(weights_path).exists():
        raise ValueError(
            f"weights_path {weights_path} does not exist; pass None for random weights."
        )
    constructor = getattr(keras.applications, spec.constructor)
    return constructor(
        include_top=False,
        weights=None if weights_path is None else str(weights_path),
        input_shape=tuple(input_shape),
        pooling="avg",
        **backbone_kwargs,
    )


def build_transfer_model(
    num_classes: int,
    backbone: str = "mobilenet_v2",
    input_shape=(224, 224, 3),
    weights_path=None,
    freeze_backbone: bool | None = None,
    dropout_rate: float = 0.2,
    augmentation: keras.Model | None = None,
    **backbone_kwargs,
) -> keras.Model:
    """pixels [0, 255] -> (augmentation) -> backbone scaling -> backbone -> dropout -> logits.

    Args:
        num_classes: output logits (120 for the Kaggle dog breeds).
        backbone: one of `BACKBONES`. Defaults to "mobilenet_v2".
        input_shape: (H, W, 3). Defaults to (224, 224, 3).
        weights_path: local weights of the headless backbone; None (the
            default) starts from random weights.
        freeze_backbone: train only the head. Defaults to None: frozen when
            `weights_path` is given (transfer learning), trainable otherwise.
        dropout_rate: dropout before the last layer. Defaults to 0.2.
        augmentation: optional layers applied first (active in training only),
            e.g. `tfcnn.data.augment.augmentation_layers()`. Defaults to None.
        **backbone_kwargs: passed to the Keras Applications constructor.
    """
    if num_classes < 2:
        raise ValueError(f"num_classes must be >= 2, got {num_classes}.")
    if not 0.0 <= dropout_rate < 1.0:
        raise ValueError(f"dropout_rate must be in [0, 1), got {dropout_rate}.")
    base = build_backbone(backbone, input_shape, weights_path, **backbone_kwargs)
    base.trainable = not (
        weights_path is not None if freeze_backbone is None else freeze_backbone
    )
    spec = BACKBONES[backbone]
    inputs = keras.Input(tuple(input_shape), name="pixels")
    x = augmentation(inputs) if augmentation is not None else inputs
    if spec.scale is not None:
        x = layers.Rescaling(spec.scale, spec.offset, name="backbone_scaling")(x)
    # training=False keeps a frozen backbone's BatchNorm layers in inference mode.
    x = base(x, training=False if not base.trainable else None)
    x = layers.Dropout(dropout_rate, name="head_dropout")(x)
    outputs = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name=f"{backbone}_transfer")
