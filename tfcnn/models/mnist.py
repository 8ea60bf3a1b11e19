"""Builders for MNIST-style networks: the two-conv "deep" network and a one-conv one.

Every builder is a pure function that returns an uncompiled `keras.Model` whose
output is logits (the softmax lives in the loss: use `from_logits=True`).
"""

from __future__ import annotations

import keras
from keras import layers

from tfcnn.models.checks import check_input_shape, check_positive, check_window

MNIST_SHAPE = (28, 28, 1)


def _pool(kind: str, size: int, name: str = "pool1"):
    if kind == "max":
        return layers.MaxPooling2D(size, name=name)
    if kind == "average":
        return layers.AveragePooling2D(size, name=name)
    raise ValueError(f"pool must be 'max' or 'average', got {kind!r}.")


def build_deep(
    filters: tuple[int, int] = (32, 64),
    dense_units: int = 1024,
    kernel_size: int = 5,
    padding: str = "same",
    pool_size: int = 2,
    dropout_rate: float = 0.0,
    num_classes: int = 10,
    input_shape: tuple[int, int, int] = MNIST_SHAPE,
    name: str = "deep",
) -> keras.Model:
    """conv-pool-conv-pool-dense-dense with ReLU: the classic deep MNIST network.

    Args:
        filters: filters of the two conv layers. Defaults to (32, 64).
        dense_units: width of the hidden dense layer. Defaults to 1024.
        kernel_size: square kernel of both conv layers. Defaults to 5.
        padding: "same" (the classic TF tutorial) or "valid" (Keras' default).
            Defaults to "same".
        pool_size: max-pool window and stride. Defaults to 2.
        dropout_rate: Keras' drop rate (1 - keep probability) after every
            hidden layer; 0 adds no dropout layers. Defaults to 0.0.
        num_classes: output logits. Defaults to 10.
        input_shape: (height, width, channels). Defaults to (28, 28, 1).
        name: the model's name. Defaults to "deep".
    """
    h, w, _ = check_input_shape(input_shape)
    if len(filters) != 2:
        raise ValueError(
            f"filters must hold two counts (conv1, conv2), got {filters!r}."
        )
    check_positive(
        filters_conv1=filters[0],
        filters_conv2=filters[1],
        dense_units=dense_units,
        kernel_size=kernel_size,
        pool_size=pool_size,
        num_classes=num_classes,
    )
    if not 0.0 <= dropout_rate < 1.0:
        raise ValueError(f"dropout_rate must be in [0, 1), got {dropout_rate}.")
    for _ in range(2):
        h = check_window(h, kernel_size, 1, padding, "kernel_size")
        w = check_window(w, kernel_size, 1, padding, "kernel_size")
        h = check_window(h, pool_size, pool_size, "valid", "pool_size")
        w = check_window(w, pool_size, pool_size, "valid", "pool_size")

    inputs = keras.Input(input_shape, name="image")
    x = inputs
    for i, n in enumerate(filters, start=1):
        x = layers.Conv2D(n, kernel_size, padding=padding, name=f"conv{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
        x = layers.MaxPooling2D(pool_size, name=f"pool{i}")(x)
        if dropout_rate:
            x = layers.Dropout(dropout_rate, name=f"dropout{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense_units, name="dense1")(x)
    x = layers.ReLU(name="relu3")(x)
    if dropout_rate:
        x = layers.Dropout(dropout_rate, name="dropout3")(x)
    outputs = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)


def build_reduced_deep(
    filters: tuple[int, int] = (4, 8), dense_units: int = 16, **kwargs
) -> keras.Model:
    """The deep pattern with few filters and units.

    Args:
        filters: filters of the two conv layers. Defaults to (4, 8).
        dense_units: width of the hidden dense layer. Defaults to 16.
        **kwargs: any other `build_deep` argument.
    """
    kwargs.setdefault("name", "reduced_deep")
    return build_deep(filters=filters, dense_units=dense_units, **kwargs)


def build_shallow(
    filters: int = 32,
    kernel_size: int = 5,
    strides: int = 1,
    padding: str = "valid",
    pool_size: int | None = None,
    pool: str = "max",
    num_classes: int = 10,
    input_shape: tuple[int, int, int] = MNIST_SHAPE,
    name: str = "shallow",
) -> keras.Model:
    """One conv layer (+ ReLU, optional pooling) and one dense layer to the logits.

    The defaults: 32 filters of 5x5, stride 1.

    Args:
        filters: conv filters. Defaults to 32.
        kernel_size: square kernel. Defaults to 5.
        strides: conv stride. Defaults to 1.
        padding: "valid" or "same". Defaults to "valid".
        pool_size: pooling window and stride after the ReLU; None for no
            pooling. Defaults to None.
        pool: "max" or "average". Defaults to "max".
        num_classes: output logits. Defaults to 10.
        input_shape: (height, width, channels). Defaults to (28, 28, 1).
        name: the model's name. Defaults to "shallow".
    """
    h, w, _ = check_input_shape(input_shape)
    check_positive(
        filters=filters,
        kernel_size=kernel_size,
        strides=strides,
        num_classes=num_classes,
    )
    h = check_window(h, kernel_size, strides, padding, "kernel_size")
    w = check_window(w, kernel_size, strides, padding, "kernel_size")
    inputs = keras.Input(input_shape, name="image")
    x = layers.Conv2D(
        filters, kernel_size, strides=strides, padding=padding, name="conv1"
    )(inputs)
    x = layers.ReLU(name="relu1")(x)
    if pool_size is not None:
        check_positive(pool_size=pool_size)
        check_window(h, pool_size, pool_size, "valid", "pool_size")
        check_window(w, pool_size, pool_size, "valid", "pool_size")
        x = _pool(pool, pool_size)(x)
    x = layers.Flatten(name="flatten")(x)
    outputs = layers.Dense(num_classes, name="logits")(x)
    return keras.Model(inputs, outputs, name=name)
