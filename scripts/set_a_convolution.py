"""Set A, questions A1 and A2: the 6x6 input convolved with the 3x3 anti-diagonal kernel.

A1: Z = x * K ('valid', stride 1) by independent routes (tfcnn's NumPy code,
`scipy.signal`, `tf.nn.conv2d`, exact fractions), as convolution and as
cross-correlation; and a kernel without half-turn symmetry, for which the two
differ. A2: heat-maps of x, K and Z, a test pattern that shows the direction
the kernel smooths, and a Fashion-MNIST image.

Writes `docs/results/a1/convolution.json` and figures in `docs/results/a2/`.
Takes a few seconds.

    python scripts/set_a_convolution.py
    python scripts/set_a_convolution.py --quick    # same, written under runs/quick
"""

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    parser.add_argument(
        "--fashion-index",
        type=cli.non_negative_int,
        default=0,
        help="which Fashion-MNIST test image to filter (default: 0)",
    )
    parser.add_argument(
        "--seed",
        type=cli.non_negative_int,
        default=0,
        help="seed (nothing here is random; default: 0)",
    )
    cli.add_output_arguments(parser, "write under runs/quick, not docs/results")
    return parser.parse_args(argv)


def main(argv=None) -> None:
    cli.launch("tfcnn.answers.set_a.a1_a2_convolution", parse_args(argv))


if __name__ == "__main__":
    main()
