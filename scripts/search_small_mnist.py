"""Set C, C3: the smallest shallow and deep networks that keep 95 % on MNIST.

Searches one family's grid (kernel size, pool size, filters; hidden units for
the deep pattern) in four stages decided on *validation* accuracy only:
screen every candidate with seed 0 at the longest schedule (20,000
iterations), confirm the survivors with seeds 1 and 2 (smallest first),
train the winner and its next-smaller neighbours for the shorter schedules
(6,000 and 12,000), and train the winner with two more seeds for C3.3's
timing. Test accuracy is only reported. Writes one
`docs/results/c3/<family>_<candidate>_it<N>_seed<S>.json` per run, so a
stopped search resumes where it stopped (finished runs are skipped; with
--resume, the run that was killed continues from its last checkpoint). Full
search: about 40 runs, an hour per family on 2 cores; `scripts/report_set_c.py`
then writes the summary.

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
    cli.add_resume_arguments(parser)
    cli.add_distribute_argument(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.set_c.c3_small_networks", parse_args())
