"""Set C, C4.1: over-fitting with 250 training examples.

Draws 250 MNIST training images (25 per class) three times. In each draw,
50 (5 per class) are held out as the validation set and the network is
trained on the other 200: the original deep network without dropout,
smaller versions of it, the original with dropout at several keep
probabilities, and the original with dropout and augmentation. The variant
with the best mean validation accuracy is then retrained on all 250 images of
each draw, beside the original network, and only those runs' test accuracies
answer the question. The full-data curves come from C1's runs
(`scripts/train_mnist_deep.py`). Stored runs are read, not retrained.

Writes `docs/results/c4/<variant>_<stage>_draw<k>.json` per run, and
`summary.json`, `curves.png`, `sweep.png`. Full run: about 30 minutes.

    python scripts/train_mnist_overfit.py           # the whole study
    python scripts/train_mnist_overfit.py --quick   # a smoke run under runs/quick
    python scripts/train_mnist_overfit.py --draws 0 --results-dir runs/seed0
"""

from __future__ import annotations

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    cli.add_option(
        parser, "--iterations", cli.positive_int, 2000, "training steps per run"
    )
    cli.add_option(
        parser,
        "--draws",
        cli.non_negative_int,
        [0, 1, 2],
        "the draws of 250 images (run k: draw k, seed k)",
        nargs="+",
    )
    cli.add_output_arguments(
        parser, "two variants, 100 iterations, written under runs/quick"
    )
    cli.add_tensorboard_argument(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.set_c.c4_overfitting", parse_args())
