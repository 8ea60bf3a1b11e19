"""Small numerical companions to derivations about softmax, least squares and convolutions.

Each function is the closed form a derivation on the site arrives at, so
that tests can check it against an independent computation (automatic
differentiation, `numpy.linalg.lstsq`, Keras' `count_params()`, TensorFlow's
FLOP profiler):

- softmax, its Jacobian `y_i (delta_ij - y_j)` and the cross-entropy gradient
  with respect to the logits, `y_hat * sum(y) - y` (= `y_hat - y` for targets
  that sum to one);
- the least-squares weights of a linear model (normal equations and the
  pseudo-inverse) and plain gradient descent on the mean squared error;
- the parameter and multiply-add counts of standard and depthwise separable
  convolutions;
- the classic 3x3 edge filters, and a bank of filters applied in one
  `tf.nn.conv2d` call (the independent check of `tfcnn.analysis.conv`).
"""

from __future__ import annotations

import numpy as np

_DERIVATIVE = np.array([-1.0, 0.0, 1.0])  # left-to-right central difference
EDGE_FILTERS = {
    # "vertical" filters respond to intensity changing from left to right, i.e.
    # to vertical edges; "horizontal" ones to changes from top to bottom.
    "prewitt_vertical": np.outer([1.0, 1.0, 1.0], _DERIVATIVE),
    "prewitt_horizontal": np.outer(_DERIVATIVE, [1.0, 1.0, 1.0]),
    "sobel_vertical": np.outer([1.0, 2.0, 1.0], _DERIVATIVE),
    "sobel_horizontal": np.outer(_DERIVATIVE, [1.0, 2.0, 1.0]),
}


def correlate_bank_tf(
    image, kernels, padding: str = "same", stride: int = 1
) -> np.ndarray:
    """Applies a bank of 2-D filters to one grey image with a single `tf.nn.conv2d`.

    This is what a `Conv2D` layer with `len(kernels)` filters computes (without
    bias), and serves as the independent check of `tfcnn.analysis.conv`.

    Args:
        image: (H, W) array.
        kernels: a sequence of (k, k) arrays of the same size.
        padding: "same" or "valid" (TensorFlow's rules). Defaults to "same".
        stride: the step in both directions. Defaults to 1.

    Returns:
        (len(kernels), H', W') outputs, in the order of `kernels`.
    """
    import tensorflow as tf

    kernels = np.asarray(list(kernels), dtype=np.float64)
    if kernels.ndim != 3:
        raise ValueError(
            f"kernels must be a list of 2-D arrays of one size, got {kernels.shape}."
        )
    x = tf.constant(np.asarray(image, dtype=np.float64)[None, :, :, None])
    bank = tf.constant(np.transpose(kernels, (1, 2, 0))[:, :, None, :])  # (k, k, 1, N)
    out = tf.nn.conv2d(x, bank, strides=stride, padding=padding.upper())
    return np.transpose(out.numpy()[0], (2, 0, 1))


def softmax(z) -> np.ndarray:
    """`exp(z_i) / sum_k exp(z_k)` over the last axis, computed without overflow."""
    z = np.asarray(z, dtype=np.float64)
    shifted = np.exp(z - z.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def log_softmax(z) -> np.ndarray:
    """`log softmax(z)` over the last axis, without overflow or log(0)."""
    z = np.asarray(z, dtype=np.float64)
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax_jacobian(z) -> np.ndarray:
    """`J[..., i, j] = d y_i / d z_j = y_i (delta_ij - y_j)`, i.e. `diag(y) - y y^T`.

    Args:
        z: logits, shape (N,) or (batch, N).

    Returns:
        The Jacobian, shape (N, N) or (batch, N, N).
    """
    y = softmax(z)
    return y[..., :, None] * np.eye(y.shape[-1]) - y[..., :, None] * y[..., None, :]


def cross_entropy(y, z) -> np.ndarray:
    """`L = -sum_k y_k log softmax(z)_k` over the last axis (one value per row).

    Args:
        y: targets (one-hot or any probability vectors), same shape as `z`.
        z: logits.
    """
    return -(np.asarray(y, dtype=np.float64) * log_softmax(z)).sum(axis=-1)


def cross_entropy_grad_logits(y, z) -> np.ndarray:
    """`dL/dz = y_hat * sum_k y_k - y`, which is `y_hat - y` when the targets sum to one.

    Args:
        y: targets, same shape as `z`.
        z: logits.
    """
    y = np.asarray(y, dtype=np.float64)
    return softmax(z) * y.sum(axis=-1, keepdims=True) - y


def mse(x, y, w) -> float:
    """`(1/n) ||X w - y||^2`, the mean squared error of the linear model `y_hat = X w`."""
    residual = np.asarray(x) @ np.asarray(w) - np.asarray(y)
    return float(residual @ residual / len(residual))


def mse_gradient(x, y, w) -> np.ndarray:
    """`dL/dw = (2/n) X^T (X w - y)`."""
    x = np.asarray(x, dtype=np.float64)
    return 2.0 / len(x) * x.T @ (x @ np.asarray(w) - np.asarray(y))


def normal_equation_weights(x, y, rcond: float = 1e-10) -> np.ndarray:
    """Solves the normal equations `X^T X w = X^T y`: the unique minimiser of the MSE.

    Args:
        x: design matrix, (n, d).
        y: targets, (n,).
        rcond: `X^T X` counts as singular when its smallest eigenvalue is below
            `rcond` times its largest. Defaults to 1e-10.

    Raises:
        ValueError: `X^T X` is singular (rank of X below d: fewer samples than
            features, or linearly dependent columns); then the minimiser is
            not unique: use `min_norm_weights` (the pseudo-inverse solution).
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    gram = x.T @ x
    eigenvalues = np.linalg.eigvalsh(gram)
    if eigenvalues[0] <= rcond * eigenvalues[-1]:
        raise ValueError(
            f"X^T X is singular (rank {np.linalg.matrix_rank(x)} < d = {x.shape[1]}), "
            "so the minimiser is not unique; use min_norm_weights(x, y) "
            "(the pseudo-inverse solution) or add a ridge penalty."
        )
    return np.linalg.solve(gram, x.T @ y)


def min_norm_weights(x, y) -> np.ndarray:
    """`w = X^+ y`: of all minimisers of the MSE, the one with the smallest norm."""
    return np.linalg.pinv(np.asarray(x, dtype=np.float64)) @ np.asarray(
        y, dtype=np.float64
    )


def gradient_descent_mse(
    x, y, steps: int, learning_rate: float | None = None, w0=None
) -> dict:
    """Plain gradient descent on the MSE of `y_hat = X w`.

    Args:
        x: design matrix, (n, d).
        y: targets, (n,).
        steps: number of updates.
        learning_rate: step size; defaults to `1/L` with `L = 2 lambda_max(X^T X)/n`,
            the Lipschitz constant of the gradient (any rate below `2/L` converges).
        w0: start, defaults to zeros (which keeps every iterate in the row space
            of X, so that for a singular `X^T X` the limit is the minimum-norm
            solution).

    Returns:
        `{"w": final weights, "weights": (steps + 1, d) iterates,
        "loss": (steps + 1,) MSE values, "learning_rate": the rate used}`.
    """
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if steps < 1:
        raise ValueError(f"steps must be >= 1, got {steps}.")
    if learning_rate is None:
        learning_rate = len(x) / (2.0 * np.linalg.eigvalsh(x.T @ x)[-1])
    w = np.zeros(x.shape[1]) if w0 is None else np.asarray(w0, dtype=np.float64).copy()
    weights, losses = [w.copy()], [mse(x, y, w)]
    for _ in range(steps):
        w = w - learning_rate * mse_gradient(x, y, w)
        weights.append(w.copy())
        losses.append(mse(x, y, w))
    return {"w": w, "weights": np.array(weights), "loss": np.array(losses),
            "learning_rate": float(learning_rate)}  # fmt: skip


def conv_params(k: int, c_in: int, filters: int, bias: bool = True) -> int:
    """Parameters of a k x k convolution with `filters` outputs: `N (k^2 C + 1)`."""
    return filters * (k * k * c_in + (1 if bias else 0))


def separable_params(k: int, c_in: int, filters: int, depth_multiplier: int = 1,
                     bias: bool = True) -> int:  # fmt: skip
    """Parameters of a depthwise separable convolution, as Keras' `SeparableConv2D`.

    `k^2 M d` (one k x k filter per input channel, d of them) plus `M d N`
    (the 1x1 pointwise mixing) plus `N` biases (the depthwise step has none).
    """
    depthwise = k * k * c_in * depth_multiplier
    return depthwise + c_in * depth_multiplier * filters + (filters if bias else 0)


def conv_macs(out_h: int, out_w: int, k: int, c_in: int, filters: int) -> int:
    """Multiply-adds of a standard convolution: `H' W' k^2 M N`."""
    return out_h * out_w * k * k * c_in * filters


def separable_macs(out_h: int, out_w: int, k: int, c_in: int, filters: int,
                   depth_multiplier: int = 1) -> int:  # fmt: skip
    """Multiply-adds of a depthwise separable convolution: `H' W' (k^2 M d + M d N)`."""
    return out_h * out_w * c_in * depth_multiplier * (k * k + filters)


def separable_cost_ratio(k: int, filters: int) -> float:
    """Separable / standard cost (parameters without biases, or multiply-adds): `1/N + 1/k^2`."""
    return 1.0 / filters + 1.0 / (k * k)


def graph_flops(model, input_shape) -> int:
    """Floating-point operations of one forward pass, counted by TensorFlow's profiler.

    The profiler counts a multiply-add as two operations, so a layer's count is
    twice its multiply-adds (biases and activations add a few more).

    Args:
        model: a Keras model (TensorFlow backend).
        input_shape: the shape of one example, without the batch axis.
    """
    import tensorflow as tf

    spec = tf.TensorSpec((1, *input_shape), tf.float32)
    graph = (
        tf.function(lambda x: model(x, training=False))
        .get_concrete_function(spec)
        .graph
    )
    options = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    return int(
        tf.compat.v1.profiler.profile(graph=graph, options=options).total_float_ops
    )
