"""Set B, question B2.1: filters on the 5x5 image, padding, sizes and parameter counts.

Applies 3x3 filters (by default the Prewitt and Sobel vertical and horizontal
edge detectors; any k x k matrix can be given) to the sheet's 5x5 image with
'same' and 'valid' padding and checks each output against `tf.nn.conv2d`; checks
the output-size formula floor((H + 2p - k)/s) + 1 and the parameter formula
N(k^2 C + 1) against Keras layers; counts the parameters of a convolution and
of dense layers on the same image. Writes `docs/results/b2-1/convolutions.json`
and `docs/results/b2-1/filters.png`. Full run: under a minute.

    python scripts/set_b_convolutions.py
    python scripts/set_b_convolutions.py --filters prewitt_vertical "0,1,0;1,-4,1;0,1,0"
    python scripts/set_b_convolutions.py --quick      # writes under runs/quick
"""

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    parser.add_argument(
        "--filters",
        nargs="+",
        help="filters to apply: names (prewitt_vertical, prewitt_horizontal, "
        "sobel_vertical, sobel_horizontal) or square matrices written row by "
        "row, e.g. '1,0,-1;1,0,-1;1,0,-1' (default: all four edge detectors)",
    )
    cli.add_option(
        parser,
        "--seed",
        cli.non_negative_int,
        0,
        "seed of the random equivariance check",
    )
    cli.add_output_arguments(parser, "a small size grid, written under runs/quick")
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.set_b.b2_1_convolutions", parse_args())
