"""Loss functions written plainly in NumPy, and as functions of the margin.

Regression losses take a target `y` and a prediction `y_hat`. For binary
classification with labels `y` in {-1, +1} and a real score `f`, a loss that
depends on `m = y * f` only (the margin) is a *margin loss*; it is a surrogate of
the 0-1 loss `1[m <= 0]` when it is easier to minimise (convex, with useful
gradients) and minimising it also minimises the misclassification rate.
"""

from __future__ import annotations

import numpy as np


def mse(y, y_hat) -> float:
    """Mean squared error `mean((y - y_hat)^2)`."""
    residual = np.asarray(y, np.float64) - np.asarray(y_hat, np.float64)
    return float(np.mean(residual**2))


def mae(y, y_hat) -> float:
    """Mean absolute error `mean(|y - y_hat|)`."""
    residual = np.asarray(y, np.float64) - np.asarray(y_hat, np.float64)
    return float(np.mean(np.abs(residual)))


def huber(y, y_hat, delta: float = 1.0) -> float:
    """Huber loss: `r^2 / 2` for `|r| <= delta`, `delta * (|r| - delta / 2)` beyond.

    Args:
        y: targets.
        y_hat: predictions.
        delta: where the quadratic part turns linear. Defaults to 1.0.
    """
    if not delta > 0:
        raise ValueError(f"delta must be > 0, got {delta}.")
    r = np.abs(np.asarray(y, np.float64) - np.asarray(y_hat, np.float64))
    return float(np.mean(np.where(r <= delta, 0.5 * r**2, delta * (r - 0.5 * delta))))


def categorical_cross_entropy(y_onehot, probabilities, eps: float = 1e-12) -> float:
    """`-mean_i sum_k y_ik log p_ik` (note the minus sign: each term is <= 0 before it).

    Args:
        y_onehot: one-hot (or soft) targets, (n, classes).
        probabilities: predicted probabilities, (n, classes), rows summing to 1.
        eps: floor on the probabilities, so that log(0) is finite. Defaults to 1e-12.
    """
    p = np.clip(np.asarray(probabilities, np.float64), eps, 1.0)
    return float(
        -np.mean(np.sum(np.asarray(y_onehot, np.float64) * np.log(p), axis=-1))
    )


def binary_cross_entropy_from_logits(y01, logits) -> float:
    """`-mean[y log s(z) + (1 - y) log(1 - s(z))]` with `s` the logistic sigmoid, computed stably.

    Args:
        y01: labels in {0, 1}.
        logits: real scores z.
    """
    y, z = np.asarray(y01, np.float64), np.asarray(logits, np.float64)
    # -log s(z) = log(1 + e^-z) and -log(1 - s(z)) = log(1 + e^z).
    return float(np.mean(y * np.logaddexp(0.0, -z) + (1 - y) * np.logaddexp(0.0, z)))


def multiclass_hinge(labels, scores, margin: float = 1.0) -> float:
    """Crammer-Singer hinge: `mean_i max(0, margin + max_{k != y_i} s_ik - s_iy_i)`.

    Args:
        labels: integer labels, (n,).
        scores: real scores, (n, classes).
        margin: the required gap. Defaults to 1.0.
    """
    s = np.asarray(scores, np.float64)
    labels = np.asarray(labels).reshape(-1).astype(int)
    true = s[np.arange(len(labels)), labels]
    others = s.copy()
    others[np.arange(len(labels)), labels] = -np.inf
    return float(np.mean(np.maximum(0.0, margin + others.max(axis=1) - true)))


# Margin losses phi(m), m = y f(x), y in {-1, +1}. Cross-entropy is in bits
# (log base 2) so that, like the others, it is 1 at m = 0 and bounds 1[m <= 0].
MARGIN_LOSSES = {
    "0-1": lambda m: (m <= 0).astype(np.float64),
    "hinge": lambda m: np.maximum(0.0, 1.0 - m),
    "cross-entropy (logistic, bits)": lambda m: np.logaddexp(0.0, -m) / np.log(2.0),
    "squared (MSE on ±1 targets)": lambda m: (1.0 - m) ** 2,
    "absolute (MAE on ±1 targets)": lambda m: np.abs(1.0 - m),
    "2 × Huber (δ = 1) on ±1 targets": lambda m: (
        2 * np.where(np.abs(1 - m) <= 1, 0.5 * (1 - m) ** 2, np.abs(1 - m) - 0.5)
    ),
}


def margin_curves(margins) -> dict:
    """Each of `MARGIN_LOSSES` evaluated at `margins`: name -> array."""
    m = np.asarray(margins, np.float64)
    return {name: phi(m) for name, phi in MARGIN_LOSSES.items()}


def slope_at_zero(name: str, h: float = 1e-6) -> float:
    """phi'(0) by central differences: a convex phi is classification-calibrated
    (minimising it gives the Bayes classifier) iff phi'(0) exists and is < 0
    (Bartlett, Jordan and McAuliffe, 2006)."""
    phi = MARGIN_LOSSES[name]
    return float((phi(np.array([h])) - phi(np.array([-h])))[0] / (2 * h))
