"""Regenerates every result of the site in one command, timing each script.

Runs the scripts in the order of `tfcnn.site.run_all.TABLE` (each as a child
process, its output in a log file under runs/run_all/logs or
runs/quick/run_all/logs), shows which one runs and for how long, and ends
with a table of the wall and CPU time of each. A full run of everything (no
--only/--skip, every script ok) writes that table to
docs/results/run_all/summary.json, any other run under runs/. The
full run trains every network at full size: many hours on two cores, see the
performance page. With --quick every script runs in its smoke mode, writing
only under runs/quick: a few minutes in all.

--seeds N runs one seed of every answer: each full-size protocol with the one
seed N (in place of the seed lists of a full run), every script writing under
runs/seed<N> and reading from there, and writes the wall and CPU seconds of
each script to docs/results/run_all/seed<N>.json (to runs/seed<N>/run_all/ if
--only, --skip or a failed script make it incomplete; that file is also
rewritten as each script ends). The scripts it leaves
out (benchmarks of the performance page, the error catalogue, fuzzing, the
TensorBoard picture, the notebooks) are printed with the reason.

--jobs N runs up to N scripts at once, in the table's order, each script's
backend capped at its share of the cores (TFCNN_THREADS, unless the script
has its own --threads); a script that reads another's results waits for it.
On two cores, `--jobs 2` puts the one-thread scripts of sets A and D side by side.

--tally runs nothing: it adds up the wall times recorded in the `meta` of the
committed result files, prints them and writes runs/run_all/recorded.json
(--results-dir docs/results refreshes the site's copy instead).

    python scripts/run_all.py --dry-run                 # list the commands
    python scripts/run_all.py --quick                   # smoke run of all
    python scripts/run_all.py --only train_mnist_deep.py report_set_c.py
    python scripts/run_all.py                           # everything (hours)
    python scripts/run_all.py --dry-run --seeds 0       # one seed's commands
    python scripts/run_all.py --seeds 0                 # one seed of every answer
    python scripts/run_all.py --seeds 0 --jobs 2        # two scripts at a time
    python scripts/run_all.py --tally                   # time of the committed results
"""

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    cli.add_flag(
        parser, "--quick", "every script's smoke mode, writing only under runs/quick"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="SCRIPT",
        help="run only these scripts (file names)",
    )
    parser.add_argument(
        "--skip", nargs="+", metavar="SCRIPT", help="leave these scripts out"
    )
    parser.add_argument(
        "--seeds",
        type=cli.non_negative_int,
        metavar="N",
        help="one seed of every answer: full-size runs of seed N under runs/seedN "
        "(default: a full run of every seed)",
    )
    parser.add_argument(
        "--jobs",
        type=cli.positive_int,
        default=1,
        metavar="N",
        help="scripts running at once, each with its share of the cores; a "
        "script that reads another's results waits for it (default: 1)",
    )
    cli.add_flag(parser, "--dry-run", "list the commands and stop")
    cli.add_flag(
        parser,
        "--keep-going",
        "go on after a script fails (default: stop at the first failure)",
    )
    cli.add_flag(
        parser, "--tally", "run nothing; add up the wall times of the committed results"
    )
    cli.add_results_dir_argument(
        parser, "with --tally: where run_all/recorded.json goes (default: runs)"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.site.run_all", parse_args())
