"""A screenshot of TensorBoard showing the scalars of a real training run, for the site.

Trains the smoke run of `scripts/train_mnist_deep.py` with `--tensorboard`
into a fresh folder (or, with `--logdir`, shows runs written before), starts `tensorboard --logdir ...` on a free local port, opens
its scalars in headless Chromium (Debian's chromium and chromium-driver),
saves the page and stops TensorBoard. Takes a few minutes, mostly training.

Writes `docs/results/tensorboard/tensorboard.png`.

    python scripts/tensorboard_screenshot.py
    python scripts/tensorboard_screenshot.py --logdir runs/tensorboard --quick
"""

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    parser.add_argument(
        "--logdir",
        type=cli.existing_dir,
        help="TensorBoard runs to show, written before (default: train a smoke run of "
        "train_mnist_deep.py into a fresh folder)",
    )
    cli.add_output_arguments(
        parser, "write the screenshot under runs/quick, not docs/results"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.site.tensorboard_shot", parse_args())
