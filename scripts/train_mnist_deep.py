"""Set C, C1 and C2: the deep MNIST network (or its linear counterpart).

Trains conv5x5x32 - pool - conv5x5x64 - pool - dense1024 - dense10 (ReLU) with
Adam (1e-4) at batch 50 for 20,000 iterations, recording train (a fixed
2,000-image sample), validation and test accuracy and loss every 500
iterations. Writes `docs/results/<c1|c2>/<deep|linear>_<padding>_seed<S>.json`
and ends by printing the final accuracies beside the site's. Full run: 20 to
45 minutes per seed on a shared 2-core machine (the smoke run: 1-2 minutes).

    python scripts/train_mnist_deep.py                  # C1, seed 0
    python scripts/train_mnist_deep.py --linear --seed 1  # C2
    python scripts/train_mnist_deep.py --quick          # a 1,000-iteration smoke run
    python scripts/train_mnist_deep.py --resume         # continue a killed run
"""

from __future__ import annotations

from tfcnn import cli

RECORD_EVERY = 500


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    cli.add_flag(parser, "--linear", "train the linearised network (C2)")
    cli.add_choice(
        parser,
        "--padding",
        ["valid", "same"],
        "valid",
        "conv padding: Keras' default 'valid' (the sheet's 'defaults') "
        "or the classic tutorial's 'same'",
    )
    cli.add_option(
        parser, "--seed", cli.non_negative_int, 0, "seed of weights, split and order"
    )
    cli.add_option(
        parser,
        "--iterations",
        cli.positive_int,
        20_000,
        f"training steps, a multiple of {RECORD_EVERY}",
    )
    cli.add_threads_argument(parser)
    cli.add_output_arguments(
        parser, "1,000 iterations written under runs/quick (never the site's results)"
    )
    cli.add_resume_arguments(parser)
    cli.add_distribute_argument(parser)
    cli.add_tensorboard_argument(parser)
    args = parser.parse_args(argv)
    if args.iterations % RECORD_EVERY:
        parser.error(f"--iterations must be a multiple of {RECORD_EVERY}")
    return args


if __name__ == "__main__":
    cli.launch("tfcnn.answers.set_c.c1_c2_deep", parse_args())
