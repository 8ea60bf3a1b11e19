"""Fuzzing the readers: damaged and hostile files must be refused with a ValueError.

Each target (an IDX file, a labels CSV file, a results JSON file read by a
page, a checkpoint) is fed mutated files for `--seconds` in its own process,
under atheris' coverage-guided fuzzer (`pip install -e ".[fuzz]"`), or, when
atheris is missing, a plain random mutator (the results file says which).
An exception other than the documented ValueError, a crash, a slow input or a
memory blow-up is recorded as a finding, with the input.

Writes `docs/results/errors/fuzz.json` (the fuzzing figures of
`docs/what-can-go-wrong.md`). Takes `--seconds` per target, plus about 10 s
each to start.

    python scripts/fuzz.py --seconds 120
    python scripts/fuzz.py --seconds 5 --results-dir runs/quick
"""

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    cli.add_option(
        parser, "--seconds", cli.positive_float, 60.0, "fuzzing time per target"
    )
    cli.add_results_dir_argument(
        parser, "where to write errors/fuzz.json (default: docs/results)"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.site.fuzzing", parse_args())
