"""Performance page: tfcnn's Keras training step against the same networks in PyTorch.

Times ms per training step of PyTorch (float32, channels-last, torch.compile,
bfloat16 autocast) and of tfcnn's Keras path under several settings (steps per
execution, XLA, oneDNN, threads, input pipeline, mixed bfloat16, the JAX
backend) on the deep network in both paddings, the set A, set D and B2.4
CIFAR-10 networks, each variant in its own process, in rotating order; trains
each PyTorch setting briefly to see which keep float32's accuracy; reports
ratios to PyTorch's best such setting, FLOPs, the fraction of the float32 peak
and a per-layer profile of the deep 'same' network. Needs a quiet machine
(load <= 0.5, unless --allow-busy). Writes docs/results/bench/{summary.json,
bench.png,layer_profile.json}; about 2 h on 2 cores (--layer-profile alone: a
minute or two). --accuracy VARIANT trains C1 under that variant's precision
against C1's float32 runs (docs/results/bench/accuracy_*.json).

    python scripts/bench.py                       # the full benchmark
    python scripts/bench.py --quick               # smoke run under runs/quick
    python scripts/bench.py --layer-profile       # the per-layer profile alone
    python scripts/bench.py --accuracy keras_bf16 --seeds 0 1 2
"""

from tfcnn import cli
from tfcnn.bench.variants import VARIANTS

# The C1 run of --accuracy trains on TensorFlow, at the variant's precision.
KERAS_VARIANTS = [
    n
    for n, v in VARIANTS.items()
    if v.framework == "keras" and v.keras_backend == "tensorflow"
]


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    parser.add_argument(
        "--networks",
        nargs="+",
        help="networks to time: deep_same, deep_valid, set_a, set_d, cifar10 "
        "(default: all)",
    )
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=list(VARIANTS),
        metavar="VARIANT",
        help="settings to time, always with 'torch' and 'keras' (default: all)",
    )
    cli.add_option(
        parser,
        "--repeats",
        cli.positive_int,
        7,
        "rounds (timed passes per variant and network)",
    )
    cli.add_output_arguments(
        parser, "4 variants, 2 rounds of 10 steps, written under runs/quick"
    )
    cli.add_flag(
        parser,
        "--allow-busy",
        "write the site's results even if the load average is above 0.5",
    )
    cli.add_option(
        parser,
        "--wait-for-quiet",
        cli.positive_float,
        0,
        "wait up to this long for the load average to fall to 0.5",
        metavar="MINUTES",
    )
    cli.add_flag(
        parser,
        "--layer-profile",
        "only profile the deep 'same' network layer by layer, forward and backward",
    )
    cli.add_option(
        parser,
        "--profile-repeats",
        cli.positive_int,
        None,
        "timed calls per layer and pass of the profile (default: 50; 5 with --quick)",
    )
    parser.add_argument(
        "--accuracy",
        choices=KERAS_VARIANTS,
        help="instead of timing: the C1 run at this variant's precision against C1",
    )
    cli.add_option(
        parser,
        "--seeds",
        cli.non_negative_int,
        [0, 1, 2],
        "seeds of the --accuracy runs",
        nargs="+",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.performance", parse_args())
