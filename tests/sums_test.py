"""Accuracy by true sum, for the two-digit sum study (set C, 5.3)."""

import itertools

import numpy as np
import tensorflow as tf

from tfcnn.analysis.sums import (
    accuracy_by_sum,
    decompositions,
    predicted_sums,
    right_sum_from_wrong_digits,
)


class SumsTest(tf.test.TestCase):
    def test_decompositions_match_counting_every_pair(self):
        counts = np.zeros(19, int)
        for a, b in itertools.product(range(10), repeat=2):
            counts[a + b] += 1
        self.assertEqual([decompositions(s) for s in range(19)], counts.tolist())
        with self.assertRaisesRegex(ValueError, "0 to 18"):
            decompositions(19)

    def test_accuracy_by_sum_from_sums_and_from_digits(self):
        digits = np.array([[1, 2], [2, 1], [0, 3], [9, 9], [4, 5]])
        said_sums = np.array([3, 4, 3, 18, 0])  # right, wrong, right, right, wrong
        self.assertEqual(
            accuracy_by_sum(digits, said_sums), {3: 2 / 3, 18: 1.0, 9: 0.0}
        )
        said_digits = np.array([[1, 2], [3, 1], [1, 2], [9, 9], [5, 4]])
        self.assertAllEqual(predicted_sums(said_digits), [3, 4, 3, 18, 9])
        self.assertEqual(
            accuracy_by_sum(digits, said_digits), {3: 2 / 3, 18: 1.0, 9: 1.0}
        )
        # [0, 3] read as [1, 2] and [4, 5] read as [5, 4]: wrong digits, right sum.
        self.assertEqual(right_sum_from_wrong_digits(digits, said_digits), 2)


if __name__ == "__main__":
    tf.test.main()
