"""Set D, D1 to D6: the NumPy CNN of tfcnn.scratch, three optimisers, four batch sizes.

Stages, in this order (`all` runs every one). A training run whose result file
already holds the same settings is read back, not rerun, so a stopped study
resumes, and `--optimizers` splits the training stages over two processes.

  check    D1 parameter table, D3 gradient checks    -> d1/architecture, d3/gradcheck
  tune     η for every optimiser and batch size, chosen on a validation split
           (800/200 of the 1,000 training images; the test images choose nothing)
                                                      -> d5/tuning/*, d5/tuning
  sheet    the sheet's η = 0.001 on all 1,000 images  -> d5/runs/sheet-*
  tuned    the tuned η                                -> d5/runs/tuned-*
  summary  D5 table, curves, time per epoch           -> d5/summary, d5/*.png
  orders   D4: reshuffled, fixed or class-sorted order at the best setting -> d4/*
  maps     D5 activation maps and D6 t-SNE            -> d5/activation_maps*, d6/*

Results go under docs/results/. Full run: about 3 hours of training on one
core (most of it the batch-size-1 runs); the smoke run takes a few minutes.

    OMP_NUM_THREADS=1 nice -n 10 python scripts/train_scratch.py   # everything
    python scripts/train_scratch.py --stage tune --optimizers sgd  # part of a stage
    python scripts/train_scratch.py --quick                        # smoke run
"""

from tfcnn import cli

# As in tfcnn.answers.set_d.d1_d6_stages and tfcnn.scratch (not imported here,
# so that --help answers before TensorFlow starts).
STAGES = ("check", "tune", "sheet", "tuned", "summary", "orders", "maps")
OPTIMIZERS = ("sgd", "momentum", "rmsprop")


def parse_args(argv=None):
    parser = cli.new_parser(__doc__)
    cli.add_choice(
        parser,
        "--stage",
        [*STAGES, "all"],
        ["all"],
        "stages to run, in the order listed above",
        nargs="+",
    )
    parser.add_argument(
        "--seeds",
        type=cli.non_negative_int,
        nargs="+",
        help="seeds of weights and shuffling of the final runs (default: 0 1 2)",
    )
    parser.add_argument(
        "--epochs", type=cli.positive_int, help="epochs per run (default: 15)"
    )
    parser.add_argument(
        "--optimizers",
        nargs="+",
        choices=OPTIMIZERS,
        help="train only these in the tune/sheet/tuned stages, to split the work "
        "over two processes; choosing the rates and the summaries need all three "
        "(default: all three)",
    )
    cli.add_output_arguments(
        parser, "2 epochs, 2 batch sizes, 1 seed, 200 training images; under runs/quick"
    )
    cli.add_tensorboard_argument(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.set_d.d1_d6_stages", parse_args())
