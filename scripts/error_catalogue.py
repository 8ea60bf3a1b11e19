"""What can go wrong: every mistake of the catalogue, made for real, with its message.

Each case (`tfcnn.site.error_cases`) prepares a small situation in a fresh
temporary folder (a damaged data file, an impossible model, a bad option ...),
runs the call that must fail, and records the exception type and the exact
message a user sees (the temporary folder shown as `…`).

Writes `docs/results/errors/catalogue.json` (the table of
`docs/what-can-go-wrong.md`). Takes about a minute (it imports TensorFlow and
trains two tiny models for a few steps).

    python scripts/error_catalogue.py
    python scripts/error_catalogue.py --results-dir runs/quick
"""

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    cli.add_results_dir_argument(
        parser, "where to write errors/catalogue.json (default: docs/results)"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.site.error_cases", parse_args())
