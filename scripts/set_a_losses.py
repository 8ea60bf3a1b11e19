"""Set A, question A5: four loss functions, and which can stand in for the 0-1 loss.

Plots the regression losses (MSE, MAE, Huber) against the residual and the
classification losses against the margin m = y f(x), beside the 0-1 loss;
checks numerically which margin losses lie above the 0-1 loss and their slope
at m = 0 (the calibration condition); and fits one constant to data with an
outlier under MSE, MAE and Huber, to show what "robust to outliers" means.

Writes `docs/results/a5/losses.json` and `docs/results/a5/losses.png`.
Takes a few seconds.

    python scripts/set_a_losses.py
    python scripts/set_a_losses.py --quick     # same, written under runs/quick
"""

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    cli.add_option(parser, "--seed", cli.non_negative_int, 0, "nothing here is random")
    cli.add_output_arguments(parser, "write under runs/quick, not docs/results")
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.set_a.a5_losses", parse_args())
