"""Set C, C3: the smallest shallow and deep networks that keep 95 % on MNIST.

For each candidate size and seed, trains with one shared schedule (Adam 3e-3
with cosine decay to 0, batch 128, 6,000 iterations, about 14 epochs), and
records train/validation/test metrics every 250 iterations. The winner is
chosen on *validation* accuracy (mean over seeds >= 95 %, fewest parameters);
test accuracy is only reported. Writes one
`docs/results/c3/<family>_<candidate>_seed<S>.json` per run, so an interrupted
search resumes where it stopped (finished runs are skipped; with --resume, the
run that was killed continues from its last checkpoint). Full run: about 4
minutes per run, an hour per family; `scripts/report_set_c.py` then writes
the summary.

    python scripts/search_small_mnist.py --family shallow   # C3.1
    python scripts/search_small_mnist.py --family shallow --resume  # after a kill
    python scripts/search_small_mnist.py --family deep      # C3.2
    python scripts/search_small_mnist.py --family shallow --quick
"""

from __future__ import annotations

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.script_parser(__doc__)
    parser.add_argument(
        "--family",
        choices=["deep", "shallow"],
        required=True,
        help="shallow (C3.1) or deep (C3.2)",
    )
    parser.add_argument(
        "--candidates",
        nargs="+",
        help="only these candidate names (default: all of the family)",
    )
    cli.add_resume_arguments(parser)
    cli.add_distribute_argument(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.set_c.c3_small_networks", parse_args())
