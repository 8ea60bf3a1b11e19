"""The layers of the NumPy network, each with a hand-written `forward` and `backward`.

Images are NHWC (batch, height, width, channels), as in Keras, and weights have
Keras' shapes (conv kernels `(k_h, k_w, C_in, N)`, dense kernels `(d_in, d_out)`),
so a network can be copied into its Keras twin weight for weight.

`forward(x, training)` stores what `backward` needs when `training` is True.
`backward(grad_out)` takes dL/d(output), fills `self.grads` (same keys as
`self.params`) with dL/d(parameter) and returns dL/d(input). Nothing here uses
automatic differentiation: every gradient below is derived on the set D page.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from tfcnn.analysis.conv import output_size, same_padding

INITIALISERS = ("he", "glorot")


def init_weights(shape, fan_in: int, fan_out: int, init: str, rng, dtype) -> np.ndarray:
    """Random weights: He-normal (std sqrt(2/fan_in)) or Glorot-uniform.

    Args:
        shape: the weight array's shape.
        fan_in: inputs of one unit (k_h·k_w·C_in for a conv kernel).
        fan_out: outputs of one unit (k_h·k_w·N for a conv kernel).
        init: "he" (for layers followed by ReLU) or "glorot" (for the
            softmax layer: limit sqrt(6/(fan_in + fan_out))).
        rng: a `numpy.random.Generator`.
        dtype: the array's dtype.
    """
    if init == "he":
        weights = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
    elif init == "glorot":
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        weights = rng.uniform(-limit, limit, size=shape)
    else:
        raise ValueError(f"init must be one of {INITIALISERS}, got {init!r}.")
    return weights.astype(dtype)


class Layer:
    """A layer: `params` and `grads` (dicts of arrays), `forward` and `backward`."""

    def __init__(self, name: str):
        self.name = name
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_out: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        shapes = {key: value.shape for key, value in self.params.items()}
        return f"{type(self).__name__}({self.name!r}, {shapes})"


def im2col(x: np.ndarray, kernel: int, stride: int) -> np.ndarray:
    """The k×k windows of `x` (n, H, W, C) at stride s, as rows (n·H_out·W_out, k·k·C).

    The windows are first a read-only strided view of `x` (no copy); the
    reshape to rows copies them once, in (k_h, k_w, C) order, the order of a
    Keras kernel reshaped to (k·k·C, N).
    """
    n, height, width, channels = x.shape
    out_h, out_w = (
        output_size(height, kernel, 0, stride),
        output_size(width, kernel, 0, stride),
    )
    sn, sh, sw, sc = x.strides
    windows = as_strided(
        x,
        shape=(n, out_h, out_w, kernel, kernel, channels),
        strides=(sn, sh * stride, sw * stride, sh, sw, sc),
        writeable=False,
    )
    return windows.reshape(n * out_h * out_w, kernel * kernel * channels)


class Conv2D(Layer):
    """2-D cross-correlation with bias, computed as one matrix product (im2col).

    Forward: every k×k×C_in window of the padded input becomes a row of a matrix
    `cols` (n·H_out·W_out, k·k·C_in), read through a strided view, and
    `y = cols @ W + b` with `W` reshaped to (k·k·C_in, N).
    Backward: `dW = colsᵀ δ` and `db = Σ δ`; the input gradient is the
    'full' correlation of δ (dilated by the stride) with the kernel rotated by
    180° and its channel axes swapped, again one im2col and one product. No
    Python loop runs over pixels or kernel offsets.

    Args:
        in_channels: C_in.
        filters: N, the number of kernels.
        kernel_size: k (square kernels).
        stride: s in both directions. Defaults to 1.
        padding: "same" (TensorFlow's rule: output ceil(n/s), the odd pixel of
            padding at the end) or "valid". Defaults to "same".
        init: "he" or "glorot". Defaults to "he".
        rng: a `numpy.random.Generator`. Defaults to `default_rng(0)`.
        dtype: parameter dtype. Defaults to float32.
        input_gradient: compute dL/d(input) in `backward`; the first layer of a
            network does not need it. Defaults to True.
        name: defaults to "conv".
    """

    def __init__(
        self,
        in_channels: int,
        filters: int,
        kernel_size: int,
        stride: int = 1,
        padding: str = "same",
        init: str = "he",
        rng=None,
        dtype=np.float32,
        input_gradient: bool = True,
        name: str = "conv",
    ):
        super().__init__(name)
        if padding not in ("same", "valid"):
            raise ValueError(f"padding must be 'same' or 'valid', got {padding!r}.")
        if stride < 1 or kernel_size < 1:
            raise ValueError(
                f"stride and kernel_size must be >= 1, got {stride}, {kernel_size}."
            )
        self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
        self.input_gradient = input_gradient
        rng = rng if rng is not None else np.random.default_rng(0)
        self.init = init
        shape = (kernel_size, kernel_size, in_channels, filters)
        fan_in, fan_out = kernel_size**2 * in_channels, kernel_size**2 * filters
        self.params = {
            "kernel": init_weights(shape, fan_in, fan_out, init, rng, dtype),
            "bias": np.zeros(filters, dtype),
        }

    def _padding(self, size: int) -> tuple[int, int]:
        if self.padding == "valid":
            return (0, 0)
        return same_padding(size, self.kernel_size, self.stride)

    def forward(self, x, training=False):
        k, s = self.kernel_size, self.stride
        pad_h, pad_w = self._padding(x.shape[1]), self._padding(x.shape[2])
        padded = np.pad(x, ((0, 0), pad_h, pad_w, (0, 0)))
        cols = im2col(padded, k, s)
        kernel = self.params["kernel"]
        out = cols @ kernel.reshape(-1, kernel.shape[-1]) + self.params["bias"]
        out_h = output_size(padded.shape[1], k, 0, s)
        out_w = output_size(padded.shape[2], k, 0, s)
        if training:
            self._cache = (x.shape, pad_h[0], pad_w[0], cols)
        return out.reshape(x.shape[0], out_h, out_w, kernel.shape[-1])

    def backward(self, grad_out):
        x_shape, pad_top, pad_left, cols = self._cache
        kernel = self.params["kernel"]
        delta = grad_out.reshape(-1, kernel.shape[-1])
        self.grads["kernel"] = (cols.T @ delta).reshape(kernel.shape)
        self.grads["bias"] = delta.sum(axis=0)
        if not self.input_gradient:
            return None
        # dx[i] = Σ_m E[i + m] W[k-1-m], E = δ dilated by s and placed k-1-pad later.
        n, height, width, _ = x_shape
        k, s = self.kernel_size, self.stride
        out_h, out_w = grad_out.shape[1:3]
        spread = np.zeros(
            (n, height + k - 1, width + k - 1, kernel.shape[-1]), grad_out.dtype
        )
        top, left = k - 1 - pad_top, k - 1 - pad_left
        spread[
            :,
            top : top + s * (out_h - 1) + 1 : s,
            left : left + s * (out_w - 1) + 1 : s,
        ] = grad_out
        rotated = kernel[::-1, ::-1].transpose(0, 1, 3, 2)  # (k, k, N, C_in)
        grad_in = im2col(spread, k, 1) @ rotated.reshape(-1, kernel.shape[2])
        return grad_in.reshape(x_shape)


class ReLU(Layer):
    """max(0, z); the gradient passes where z > 0 and is 0 elsewhere (also at 0)."""

    def __init__(self, name: str = "relu"):
        super().__init__(name)

    def forward(self, x, training=False):
        mask = x > 0
        if training:
            self._mask = mask
        return x * mask

    def backward(self, grad_out):
        return grad_out * self._mask


class MaxPool2D(Layer):
    """Max-pooling over non-overlapping p×p windows (stride p, 'valid').

    The backward pass routes each output gradient to the arg-max of its
    window and gives 0 to the other p²-1 inputs (ties: the first maximum in
    row-major order). Rows and columns beyond the last whole window are
    dropped, as with Keras' 'valid' pooling, and get gradient 0.

    Args:
        pool_size: p. Defaults to 2.
        name: defaults to "pool".
    """

    def __init__(self, pool_size: int = 2, name: str = "pool"):
        super().__init__(name)
        if pool_size < 1:
            raise ValueError(f"pool_size must be >= 1, got {pool_size}.")
        self.pool_size = pool_size

    def _offsets(self, x, out_h: int, out_w: int):
        """The p² strided views x[:, di::p, dj::p] (cropped), one per window offset."""
        p = self.pool_size
        return [
            x[:, di : di + p * out_h : p, dj : dj + p * out_w : p]
            for di in range(p)
            for dj in range(p)
        ]

    def forward(self, x, training=False):
        p = self.pool_size
        out_h, out_w = x.shape[1] // p, x.shape[2] // p
        if out_h == 0 or out_w == 0:
            raise ValueError(
                f"pool_size {p} is larger than the input ({x.shape[1]}x{x.shape[2]})."
            )
        offsets = self._offsets(x, out_h, out_w)
        best = offsets[0].copy()
        argmax = np.zeros(best.shape, dtype=np.int16)  # window offset of the maximum
        for index, candidate in enumerate(offsets[1:], start=1):
            larger = candidate > best  # strictly: ties keep the first maximum
            argmax[larger] = index
            np.maximum(best, candidate, out=best)
        if training:
            self._cache = (x.shape, argmax)
        return best

    def backward(self, grad_out):
        x_shape, argmax = self._cache
        grad_in = np.zeros(x_shape, dtype=grad_out.dtype)
        out_h, out_w = grad_out.shape[1:3]
        for index, view in enumerate(self._offsets(grad_in, out_h, out_w)):
            view[...] = grad_out * (argmax == index)
        return grad_in


class Flatten(Layer):
    """(n, H, W, C) -> (n, H·W·C) in row-major (h, w, c) order, like Keras' Flatten."""

    def __init__(self, name: str = "flatten"):
        super().__init__(name)

    def forward(self, x, training=False):
        if training:
            self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, grad_out):
        return grad_out.reshape(self._shape)


class Dense(Layer):
    """y = x W + b with W of shape (d_in, d_out).

    Args:
        in_features: d_in.
        units: d_out.
        init: "he" or "glorot". Defaults to "he".
        rng: a `numpy.random.Generator`. Defaults to `default_rng(0)`.
        dtype: parameter dtype. Defaults to float32.
        name: defaults to "dense".
    """

    def __init__(
        self,
        in_features: int,
        units: int,
        init: str = "he",
        rng=None,
        dtype=np.float32,
        name: str = "dense",
    ):
        super().__init__(name)
        rng = rng if rng is not None else np.random.default_rng(0)
        self.init = init
        self.params = {
            "kernel": init_weights(
                (in_features, units), in_features, units, init, rng, dtype
            ),
            "bias": np.zeros(units, dtype),
        }

    def forward(self, x, training=False):
        if training:
            self._x = x
        return x @ self.params["kernel"] + self.params["bias"]

    def backward(self, grad_out):
        self.grads["kernel"] = self._x.T @ grad_out
        self.grads["bias"] = grad_out.sum(axis=0)
        return grad_out @ self.params["kernel"].T


class SoftmaxCrossEntropy:
    """Softmax of the logits and the mean cross-entropy against one-hot labels.

    L = -(1/n) Σ_i Σ_k y_ik log softmax(z_i)_k, and dL/dz = (softmax(z) - y) / n.
    The log-softmax is computed as z - max z - log Σ exp(z - max z), so large
    logits do not overflow.
    """

    def forward(self, logits: np.ndarray, one_hot: np.ndarray) -> float:
        if logits.shape != one_hot.shape:
            raise ValueError(
                f"logits {logits.shape} and one_hot {one_hot.shape} must match."
            )
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self._cache = (np.exp(log_probs), one_hot)
        return float(-(one_hot * log_probs).sum() / len(logits))

    def backward(self) -> np.ndarray:
        probs, one_hot = self._cache
        return ((probs - one_hot) / len(probs)).astype(probs.dtype)


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, computed stably."""
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
