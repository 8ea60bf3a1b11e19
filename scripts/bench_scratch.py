"""Set D, D5 (speed): time per epoch of the NumPy network and of its Keras twin.

Both train the set D network from the same initial weights on the same 1,000
MNIST images with SGD (η = 0.001), for each mini-batch size, on one thread
each (NumPy's BLAS and TensorFlow's thread pools limited to `--threads`),
timed alternately `--repeats` times. Wall-clock and process CPU time are both
recorded; the comparison uses CPU time. Each timing's first epoch is reported
apart: for Keras it includes tracing and compiling the training step. Not a
test: the numbers depend on the machine. Writes
docs/results/bench_scratch/{summary.json,bench.png}. Full run: about 4 min.

    OMP_NUM_THREADS=1 nice -n 10 python scripts/bench_scratch.py
    python scripts/bench_scratch.py --quick
"""

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    cli.add_option(
        parser, "--repeats", cli.positive_int, 3, "timings per batch size and framework"
    )
    cli.add_option(
        parser,
        "--epochs",
        cli.positive_int,
        4,
        "epochs per timing, the first reported apart",
    )
    cli.add_threads_argument(parser, 1)
    cli.add_output_arguments(
        parser, "batch sizes 10 and 100, 2 epochs, 1 repeat; writes under runs/quick"
    )
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.set_d.d5_speed", parse_args())
