"""CIFAR-10 networks (standard and depthwise separable) and their whitening stem.

The network follows the fast CIFAR-10 "airbench" family (Jordan, 2024, after
Page, 2018, and hlb-CIFAR10), scaled for a CPU:

    normalise -> 2x2 conv, frozen, initialised to whiten 2x2 patches -> GELU
    -> 3 blocks [3x3 conv -> max-pool 2 -> BN -> GELU -> 3x3 conv -> BN -> GELU]
    -> global max-pool -> linear (no bias) -> x 1/9  = logits

BatchNorm layers learn only a shift (no scale), as in airbench. With
`separable=True` every 3x3 conv of the blocks is a `SeparableConv2D`
(depthwise 3x3 then pointwise 1x1); everything else is identical, so the
comparison isolates the convolution type.

Their training recipe (SGD with Nesterov momentum, a triangular
learning-rate schedule, decoupled weight decay and label smoothing) is
`tfcnn.training.fit.compile_cifar`.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from tfcnn.models.checks import check_input_shape, check_positive

# Per-channel statistics of the CIFAR-10 training images, in pixel units [0, 255].
CIFAR10_MEAN = (125.31, 122.95, 113.87)
CIFAR10_STD = (62.99, 62.09, 66.70)
CIFAR10_SHAPE = (32, 32, 3)


def normalise(images: np.ndarray) -> np.ndarray:
    """Pixels in [0, 255] -> zero mean, unit variance per channel (float32)."""
    return (
        (np.asarray(images, np.float32) - np.float32(CIFAR10_MEAN))
        / np.float32(CIFAR10_STD)
    ).astype(np.float32)


def whitening_kernel(
    images: np.ndarray, patch_size: int = 2, eps: float = 5e-4
) -> np.ndarray:
    """A conv kernel that whitens `patch_size` x `patch_size` patches (Page, 2018).

    The covariance of all patches (flattened in (row, col, channel) order)
    has eigenvectors `v_i` and eigenvalues `l_i`; filter `i` is
    `v_i / sqrt(l_i + eps)`, so the filter responses are uncorrelated with
    unit variance. The negated filters are appended, so that a GELU after
    the layer keeps both signs: 2 * patch_size^2 * C filters in all.

    Args:
        images: normalised images (n, H, W, C), e.g. `normalise(x[:5000])`.
        patch_size: the patch (and kernel) size. Defaults to 2.
        eps: added to the eigenvalues, so that near-constant directions are
            not blown up. Defaults to 5e-4.

    Returns:
        A (patch_size, patch_size, C, 2 patch_size^2 C) kernel, Keras layout.
    """
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 4:
        raise ValueError(f"images must be (n, H, W, C), got shape {images.shape}.")
    channels = images.shape[-1]
    windows = np.lib.stride_tricks.sliding_window_view(
        images, (patch_size, patch_size), axis=(1, 2)
    )
    patches = np.moveaxis(windows, 3, -1).reshape(
        -1, patch_size * patch_size * channels
    )
    covariance = patches.T @ patches / len(patches)
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    # One filter per row, the direction of largest variance first.
    filters = (eigenvectors / np.sqrt(eigenvalues + eps)).T[::-1]
    kernel = filters.reshape(-1, patch_size, patch_size, channels).transpose(1, 2, 3, 0)
    return np.concatenate([kernel, -kernel], axis=-1).astype(np.float32)


def _conv(filters: int, separable: bool, name: str):
    if separable:
        return layers.SeparableConv2D(
            filters, 3, padding="same", use_bias=False, name=name
        )
    return layers.Conv2D(filters, 3, padding="same", use_bias=False, name=name)


def build_cifar_net(
    widths: tuple[int, ...] = (64, 256, 256),
    separable: bool = False,
    stem_kernel: np.ndarray | None = None,
    stem_width: int = 24,
    batchnorm_momentum: float = 0.6,
    logit_scale: float = 1 / 9,
    num_classes: int = 10,
    input_shape: tuple[int, int, int] = CIFAR10_SHAPE,
    name: str | None = None,
) -> keras.Model:
    """The airbench-style CIFAR network; input pixels in [0, 255], output logits.

    Args:
        widths: filters of the three blocks. Defaults to (64, 256, 256), the
            airbench94 widths; narrower widths trade accuracy for speed.
        separable: use `SeparableConv2D` for the blocks' 3x3 convs. Defaults
            to False.
        stem_kernel: a (2, 2, C, stem_width) kernel for the first conv, which
            is then frozen (e.g. `whitening_kernel(...)`); None trains it from
            a random start. Defaults to None.
        stem_width: filters of the 2x2 stem conv. Defaults to 24
            (= 2 * 2 * 2 * 3, the whitening kernel's size).
        batchnorm_momentum: Keras' BatchNormalization momentum (weight of the
            old running statistics). Defaults to 0.6, fast for short training.
        logit_scale: the logits are multiplied by this. Defaults to 1/9.
        num_classes: output logits. Defaults to 10.
        input_shape: (H, W, C). Defaults to (32, 32, 3).
        name: the model's name. Defaults to "cifar_separable" or
            "cifar_standard".
    """
    h, w, c = check_input_shape(input_shape)
    check_positive(
        stem_width=stem_width,
        num_classes=num_classes,
        **{f"widths[{i}]": n for i, n in enumerate(widths)},
    )
    if min(h, w) - 1 < 2 ** len(widths):
        raise ValueError(
            f"input_shape {input_shape} is too small for {len(widths)} blocks of 2x2 pooling."
        )
    if stem_kernel is not None and np.shape(stem_kernel) != (2, 2, c, stem_width):
        raise ValueError(
            f"stem_kernel must have shape {(2, 2, c, stem_width)}, got {np.shape(stem_kernel)}."
        )
    std = np.asarray(CIFAR10_STD if c == 3 else [CIFAR10_STD[0]] * c, dtype=np.float32)
    mean = np.asarray(
        CIFAR10_MEAN if c == 3 else [CIFAR10_MEAN[0]] * c, dtype=np.float32
    )

    inputs = keras.Input(input_shape, name="pixels")
    x = layers.Rescaling(
        scale=(1 / std).tolist(), offset=(-mean / std).tolist(), name="normalise"
    )(inputs)
    stem = layers.Conv2D(stem_width, 2, padding="valid", use_bias=False, name="stem")
    x = stem(x)
    if stem_kernel is not None:
        stem.set_weights([np.asarray(stem_kernel, np.float32)])
        stem.trainable = False
    x = layers.Activation("gelu", name="stem_gelu")(x)
    for block, filters in enumerate(widths, start=1):
        x = _conv(filters, separable, f"block{block}_conv1")(x)
        x = layers.MaxPooling2D(2, name=f"block{block}_pool")(x)
        x = layers.BatchNormalization(
            momentum=batchnorm_momentum, scale=False, name=f"block{block}_bn1"
        )(x)
        x = layers.Activation("gelu", name=f"block{block}_gelu1")(x)
        x = _conv(filters, separable, f"block{block}_conv2")(x)
        x = layers.BatchNormalization(
            momentum=batchnorm_momentum, scale=False, name=f"block{block}_bn2"
        )(x)
        x = layers.Activation("gelu", name=f"block{block}_gelu2")(x)
    x = layers.GlobalMaxPooling2D(name="global_max")(x)
    x = layers.Dense(num_classes, use_bias=False, name="linear")(x)
    outputs = layers.Rescaling(logit_scale, dtype="float32", name="logits")(x)
    default_name = "cifar_separable" if separable else "cifar_standard"
    return keras.Model(inputs, outputs, name=name or default_name)
