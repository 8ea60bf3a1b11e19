"""Convolution numerics written plainly in NumPy: correlation, convolution, sizes, Jacobians.

Deep-learning "convolution" layers compute a cross-correlation:
`Y[i, j] = sum_{m, n} K[m, n] X[i*s + m, j*s + n]`. True convolution flips
the kernel by 180 degrees first. Both are here, with TensorFlow's padding rules,
so that results can be checked against `scipy.signal` and `tf.nn.conv2d`.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def output_size(n: int, k: int, padding: int = 0, stride: int = 1) -> int:
    """floor((n + 2p - k) / s) + 1: the output length of a window sweep."""
    if k > n + 2 * padding:
        raise ValueError(
            f"kernel size {k} exceeds the padded input size {n + 2 * padding}."
        )
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}.")
    return (n + 2 * padding - k) // stride + 1


def same_padding(n: int, k: int, stride: int = 1) -> tuple[int, int]:
    """TensorFlow's 'same' padding (before, after): output ceil(n/s), extra on the end."""
    out = -(-n // stride)
    total = max((out - 1) * stride + k - n, 0)
    return total // 2, total - total // 2


def _pad(x: np.ndarray, k_shape, padding, stride) -> np.ndarray:
    if padding == "valid":
        return x
    if padding == "same":
        widths = [same_padding(n, k, stride) for n, k in zip(x.shape[:2], k_shape)]
    elif isinstance(padding, int) and padding >= 0:
        widths = [(padding, padding)] * 2
    else:
        raise ValueError(
            f"padding must be 'valid', 'same' or an int >= 0, got {padding!r}."
        )
    widths += [(0, 0)] * (x.ndim - 2)
    return np.pad(x, widths)


def correlate2d(x, k, padding="valid", stride: int = 1) -> np.ndarray:
    """Cross-correlation `Y[i, j] = sum K[m, n] X[i*s + m, j*s + n]` (what CNN layers compute).

    Args:
        x: input, (H, W) or (H, W, C).
        k: kernel, (kh, kw), or (kh, kw, C) to sum over channels.
        padding: "valid", "same" (TensorFlow's rule) or a number of zeros on
            every side. Defaults to "valid".
        stride: step of the window in both directions. Defaults to 1.
    """
    x, k = np.asarray(x, dtype=np.float64), np.asarray(k, dtype=np.float64)
    if (
        x.ndim != k.ndim
        or x.ndim not in (2, 3)
        or (x.ndim == 3 and x.shape[2] != k.shape[2])
    ):
        raise ValueError(
            f"x {x.shape} and k {k.shape} must both be 2-D, or 3-D with equal channels."
        )
    if stride < 1:
        raise ValueError(f"stride must be >= 1, got {stride}.")
    x = _pad(x, k.shape[:2], padding, stride)
    if k.shape[0] > x.shape[0] or k.shape[1] > x.shape[1]:
        raise ValueError(
            f"kernel {k.shape[:2]} is larger than the (padded) input {x.shape[:2]}."
        )
    windows = sliding_window_view(x, k.shape, axis=tuple(range(k.ndim)))
    windows = windows.reshape(windows.shape[0], windows.shape[1], *k.shape)[
        ::stride, ::stride
    ]
    return np.tensordot(windows, k, axes=k.ndim)


def convolve2d(x, k, padding="valid", stride: int = 1) -> np.ndarray:
    """True convolution: correlation with the kernel rotated by 180 degrees."""
    return correlate2d(x, np.flip(np.asarray(k), axis=(0, 1)), padding, stride)


def correlate1d(signal, f) -> np.ndarray:
    """'valid' 1-D correlation `y[n] = sum_m f[m] I[n + m]`, length len(I) - len(f) + 1."""
    signal, f = np.asarray(signal, dtype=np.float64), np.asarray(f, dtype=np.float64)
    return sliding_window_view(signal, len(f)) @ f


def filter_jacobian_1d(signal, k: int) -> np.ndarray:
    """d(f * I)/df for a 'valid' 1-D correlation with a filter of length k.

    Row n (one output sample) holds `I[n], ..., I[n + k - 1]`: entry (n, m) is
    `I[n + m]`. The matrix is (len(I) - k + 1) x k, a Hankel matrix.
    """
    return sliding_window_view(np.asarray(signal, dtype=np.float64), k).copy()
