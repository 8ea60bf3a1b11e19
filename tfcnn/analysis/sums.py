"""How a two-digit-sum network's accuracy depends on the sum it has to name."""

from __future__ import annotations

import numpy as np


def decompositions(total: int) -> int:
    """Ordered digit pairs (a, b), 0 <= a, b <= 9, with a + b = `total`."""
    if not 0 <= total <= 18:
        raise ValueError(f"a sum of two digits is 0 to 18, got {total}.")
    return 10 - abs(total - 9)


def predicted_sums(predictions) -> np.ndarray:
    """(n,) sums from (n,) predicted sums or (n, 2) predicted digits."""
    predictions = np.asarray(predictions)
    return predictions if predictions.ndim == 1 else predictions.sum(axis=1)


def accuracy_by_sum(digits, predictions) -> dict[int, float]:
    """Accuracy of the predicted sum among the test pairs of each true sum.

    Args:
        digits: (n, 2) true digits.
        predictions: (n,) predicted sums or (n, 2) predicted digits.

    Returns:
        `{sum: accuracy}` for every sum that occurs in `digits`.
    """
    truth = np.asarray(digits).sum(axis=1)
    right = predicted_sums(predictions) == truth
    return {int(s): float(right[truth == s].mean()) for s in np.unique(truth)}


def right_sum_from_wrong_digits(digits, predicted_digits) -> int:
    """Pairs whose two predicted digits are not both right but add up right."""
    digits, predicted_digits = np.asarray(digits), np.asarray(predicted_digits)
    wrong_digits = (digits != predicted_digits).any(axis=1)
    right_sum = digits.sum(axis=1) == predicted_digits.sum(axis=1)
    return int((wrong_digits & right_sum).sum())
