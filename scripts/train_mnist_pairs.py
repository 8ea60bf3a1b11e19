"""Set C, C5: the sum of two handwritten digits side by side.

Pairs MNIST digits into 28x56 images (training, validation and test pairs
each drawn from their own images, so no test pair holds a training image) and
trains one network twice: with a 19-way head that predicts the sum (C5.1) and
with a 2x10 head that predicts both digits, whose predictions are added
(C5.2), at three training-set sizes (C5.3), three seeds each (`--seeds`). Stored runs are
read, not retrained.

Writes `docs/results/c5/<head>_n<pairs>_it<iterations>_seed<S>.json` per run,
and `summary.json`, `curves.png`, `efficiency.png`, `by_sum.png`,
`failures_<head>.png`. Full run: about 90 minutes.

    python scripts/train_mnist_pairs.py           # the whole study
    python scripts/train_mnist_pairs.py --quick   # a smoke run under runs/quick
    python scripts/train_mnist_pairs.py --seeds 0 --results-dir runs/seed0
"""

from __future__ import annotations

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    cli.add_option(
        parser,
        "--seeds",
        cli.non_negative_int,
        [0, 1, 2],
        "the seeds trained per size and schedule",
        nargs="+",
    )
    cli.add_output_arguments(
        parser,
        "2 sizes (the larger at 2 schedules), 1 seed, 100-150 iterations, under runs/quick",
    )
    cli.add_tensorboard_argument(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.set_c.c5_pairs", parse_args())
