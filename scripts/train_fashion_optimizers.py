"""Set A, question A6: SGD vs RMSProp on Fashion-MNIST at batch 32, 1,000 and 10,000.

The model is one 5x5 conv layer with 32 filters ('valid'), a ReLU and a dense
layer to 10 logits, trained with cross-entropy for 10 epochs. For every
optimiser, batch size and seed, accuracy and loss on a fixed 10,000-image
sample of the training set and on the validation set are recorded after every
epoch, with the training time of every epoch (wall and CPU, evaluation
excluded). All runs of one seed share the initial weights and the split.

Writes `docs/results/a6/<optimizer>_b<batch>_<scaling>_seed<S>.json` per run
(runs already written are skipped, so an interrupted sweep resumes), then
`summary_<scaling>.json` and the figures. Full run: about 3 hours on one
thread; --quick (2,000 training images, 2 epochs) about a minute.

    python scripts/train_fashion_optimizers.py                      # the sweep
    python scripts/train_fashion_optimizers.py --lr-scaling sqrt    # scaled variant
    python scripts/train_fashion_optimizers.py --summarise-only     # summary, figures
    python scripts/train_fashion_optimizers.py --quick              # smoke run
"""

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.script_parser(__doc__, threads=1)
    cli.add_option(parser, "--epochs", cli.positive_int, 10, "epochs per run")
    cli.add_option(
        parser,
        "--batch-sizes",
        cli.positive_int,
        [32, 1000, 10_000],
        "batch sizes, trained in this order",
        nargs="+",
    )
    cli.add_choice(
        parser,
        "--lr-scaling",
        ["none", "sqrt", "linear"],
        "none",
        "scale each optimiser's batch-32 learning rate by sqrt(B/32) or B/32; "
        "none: the same rate at every batch size",
    )
    cli.add_flag(
        parser,
        "--summarise-only",
        "only rebuild the summary and figures from runs already written",
    )
    cli.add_distribute_argument(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.set_a.a6_optimizers", parse_args())
