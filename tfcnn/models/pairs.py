"""Networks that read two digits side by side and name their sum.

Both heads share one trunk, so a comparison of the two isolates what the
output (and the labels it is trained on) changes:

- `head="sum"`: 19 logits, one per possible sum 0..18 (question 5.1);
- `head="digits"`: (2, 10) logits, the left and the right digit, in one
  forward pass; the sum is read off the two predictions (question 5.2).
"""

from __future__ import annotations

import keras
from keras import layers

from tfcnn.models.checks import check_input_shape, check_positive, check_window

PAIR_SHAPE = (28, 56, 1)
HEADS = ("sum", "digits")


def build_pair_net(
    head: str = "sum",
    filters: tuple[int, int] = (32, 64),
    dense_units: int = 256,
    kernel_size: int = 5,
    dropout_rate: float = 0.25,
    input_shape: tuple[int, int, int] = PAIR_SHAPE,
) -> keras.Model:
    """conv-pool-conv-pool-dense ('valid' padding) with a sum or a two-digit head.

    Args:
        head: "sum" (19 logits) or "digits" ((2, 10) logits). Defaults to "sum".
        filters: filters of the two conv layers. Defaults to (32, 64).
        dense_units: width of the hidden dense layer. Defaults to 256.
        kernel_size: square kernel of both conv layers. Defaults to 5.
        dropout_rate: drop rate before the head; 0 for none. Defaults to 0.25.
        input_shape: (height, width, channels). Defaults to (28, 56, 1).
    """
    if head not in HEADS:
        raise ValueError(f"head must be one of {HEADS}, got {head!r}.")
    h, w, _ = check_input_shape(input_shape)
    check_positive(
        filters_conv1=filters[0],
        filters_conv2=filters[1],
        dense_units=dense_units,
        kernel_size=kernel_size,
    )
    if not 0.0 <= dropout_rate < 1.0:
        raise ValueError(f"dropout_rate must be in [0, 1), got {dropout_rate}.")
    for _ in range(2):
        for size in (h, w):
            size = check_window(size, kernel_size, 1, "valid", "kernel_size")
            check_window(size, 2, 2, "valid", "input_shape")
        h, w = (h - kernel_size + 1) // 2, (w - kernel_size + 1) // 2

    inputs = keras.Input(input_shape, name="pair")
    x = inputs
    for i, n in enumerate(filters, start=1):
        x = layers.Conv2D(n, kernel_size, activation="relu", name=f"conv{i}")(x)
        x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(dense_units, activation="relu", name="dense1")(x)
    if dropout_rate:
        x = layers.Dropout(dropout_rate, name="dropout")(x)
    if head == "sum":
        outputs = layers.Dense(19, name="sum_logits")(x)
    else:
        x = layers.Dense(20, name="digit_logits")(x)
        outputs = layers.Reshape((2, 10), name="left_right")(x)
    return keras.Model(inputs, outputs, name=f"pair_{head}")
