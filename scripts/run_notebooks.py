"""Executes the walkthrough notebooks in place, so that the site shows fresh outputs.

Runs every cell of each notebook (by default all of `docs/notebooks/*.ipynb`)
in a fresh Python kernel and stops at the first cell that raises; TensorFlow's
start-up messages are dropped from the saved outputs (`tfcnn.site.notebooks`).
Rewrites the notebooks in place. The notebooks need the data sets: pass
--data-dir or set `TFCNN_DATA_DIR`. Takes a few minutes.

    python scripts/run_notebooks.py --data-dir /path/to/data
    python scripts/run_notebooks.py docs/notebooks/set-b-softmax.ipynb
"""

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=cli.existing_file,
        help="notebooks to run (default: every docs/notebooks/*.ipynb)",
    )
    cli.add_option(
        parser,
        "--timeout",
        cli.positive_int,
        600,
        "seconds one cell may take before the run fails",
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.site.notebooks", parse_args())
