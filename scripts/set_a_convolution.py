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
    cli.add_option(
        parser,
        "--fashion-index",
        cli.non_negative_int,
        0,
        "which Fashion-MNIST test image to filter",
    )
    cli.add_option(parser, "--seed", cli.non_negative_int, 0, "nothing here is random")
    cli.add_output_arguments(parser, "write under runs/quick, not docs/results")
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.set_a.a1_a2_convolution", parse_args())
