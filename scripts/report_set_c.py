"""Set C: summaries, tables and figures from the per-seed runs (no training here).

Reads `docs/results/c1`, `c2` and `c3` (written by `train_mnist_deep.py` and
`search_small_mnist.py`) and writes the `summary.json` files, the parameter
tables of C1.1, CT3/CT4's checks and the figures that the set C page shows.
Takes about a minute (the summaries measure step times again).

    python scripts/report_set_c.py
    python scripts/report_set_c.py --results-dir runs/quick   # after smoke runs
"""

from __future__ import annotations

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    cli.add_results_dir_argument(
        parser, "the results folder to read and write (default: docs/results)"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.set_c.report", parse_args())
