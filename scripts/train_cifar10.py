"""Set B, questions B2.4 and B2.5: a fast CIFAR-10 network on two CPU cores.

Trains the airbench-style network of `tfcnn.models.cifar` (standard 3x3 convs,
or with `--separable` depthwise separable ones) on 45,000 training images with
flips and 2-pixel translations, keeping 5,000 for validation, for a fixed
number of epochs; the test set is evaluated once, at the end. Writes, per
seed, `docs/results/<id>/<variant>_seed<S>.json` and, over the seeds,
`<variant>_summary.json`, `<variant>_curves.png` and `<variant>_confusion.png`
(<id>: b2-4 standard, b2-5 separable; <variant>: "standard" or "separable",
with "_float32" in float32). Full run, per seed on two cores: about 17 min in
bfloat16 on a CPU with AMX, 33 min in float32; --quick: a few minutes.

    python scripts/train_cifar10.py --seeds 0 1 2               # B2.4
    python scripts/train_cifar10.py --separable --seeds 0 1 2   # B2.5
    python scripts/train_cifar10.py --quick                     # smoke run, runs/quick
    python scripts/train_cifar10.py --seeds 0 1 2 --resume      # after a kill

With --resume, seeds whose result file holds the same configuration are read
back, and the seed that was killed continues from its last epoch's checkpoint.
"""

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    cli.add_flag(parser, "--separable", "depthwise separable 3x3 convs (B2.5)")
    cli.add_option(
        parser, "--seeds", cli.non_negative_int, [0], "seeds, one run each", nargs="+"
    )
    parser.add_argument(
        "--seed", type=cli.non_negative_int, help="a single seed (same as --seeds S)"
    )
    cli.add_option(parser, "--epochs", cli.positive_int, 8, "epochs")
    cli.add_option(
        parser, "--widths", cli.positive_int, [48, 192, 192], "block filters", nargs=3
    )
    cli.add_option(parser, "--batch-size", cli.positive_int, 512, "images per step")
    cli.add_precision_argument(parser)
    cli.add_option(
        parser,
        "--time-budget",
        cli.positive_float,
        20.0,
        "minutes of training after which a run stops, marked cut short",
    )
    cli.add_threads_argument(parser)
    cli.add_distribute_argument(parser)
    cli.add_output_arguments(
        parser, "2 epochs on 2,000 training images, written under runs/quick"
    )
    cli.add_resume_arguments(parser)
    cli.add_tensorboard_argument(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.set_b.b2_4_b2_5_cifar", parse_args())
