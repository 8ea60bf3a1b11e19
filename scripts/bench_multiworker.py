"""Performance, "Past one machine": training steps per second on 1 and 2 workers.

Starts a cluster of `--distribute multiworker` workers on this machine for
each cluster size in turn (one process per worker, each with its own
TF_CONFIG on 127.0.0.1, as separate machines would run the same command),
trains the set A network at a global batch of 64 (20 warm-up steps, then the
timed steps) and records steps per second, wall time and the CPU time of all
workers. Writes docs/results/bench/multiworker.json. Full run: about a
minute on 2 cores.

    python scripts/bench_multiworker.py
    python scripts/bench_multiworker.py --workers 1 2 4
    python scripts/bench_multiworker.py --quick     # 20 timed steps, under runs/quick
"""

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    cli.add_option(
        parser,
        "--workers",
        cli.positive_int,
        [1, 2],
        "cluster sizes timed, one after the other",
        nargs="+",
    )
    cli.add_option(parser, "--steps", cli.positive_int, 200, "timed training steps")
    cli.add_output_arguments(parser, "20 timed steps, written under runs/quick")
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.multiworker", parse_args())
