"""Set B, questions B2.2, B2.3 and B2.5: the derivations, checked numerically.

- B2.2: the softmax Jacobian and the cross-entropy gradient dL/dz = y_hat - y,
  against `tf.GradientTape` on random logits and targets.
- B2.3: the least-squares weights w = (X^T X)^-1 X^T y against
  `numpy.linalg.lstsq`, gradient descent, and the singular cases.
- B2.5: DepthwiseConv2D + 1x1 Conv2D equals SeparableConv2D; the parameter and
  multiply-add formulas against `count_params()` and TensorFlow's profiler.

Writes `docs/results/b2-2/softmax.json`, `docs/results/b2-3/least_squares.json`,
`docs/results/b2-3/gradient_descent.png` and `docs/results/b2-5/separable.json`.
Full run: about a minute.

    python scripts/set_b_theory.py
    python scripts/set_b_theory.py --quick     # fewer trials, written under runs/quick
"""

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    cli.add_option(
        parser, "--seed", cli.non_negative_int, 0, "seed of all random inputs"
    )
    cli.add_option(parser, "--trials", cli.positive_int, 200, "random softmax draws")
    cli.add_output_arguments(
        parser, "20 trials and a small grid, written under runs/quick"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.set_b.b2_2_b2_3_b2_5_theory", parse_args())
