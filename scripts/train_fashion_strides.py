"""Set A, questions A3 and A4: one conv layer at stride 1 vs stride 2 on Fashion-MNIST.

Each model is conv 5x5 with 32 filters ('valid' padding, stride 1 or 2) + ReLU +
a dense layer to 10 logits, trained with Adam (1e-3) at batch 64; the epoch
used is chosen on validation. Two recipes are trained for both strides and
every seed: "plain" (the sheet's set-up, 10 epochs) and "tuned", the best of a
few candidates (shifts, dropout, a cosine schedule, more epochs) chosen on the
validation accuracy of one seed at stride 1 (stage "search").

Runs on any Keras backend (`KERAS_BACKEND=torch` or `jax` too). Writes
`docs/results/a3/`: every run's JSON (runs already written are skipped), the
search, the summaries, `params.json` and figures. Full run: about 2 hours on
one thread; --quick (2,000 training images, 2 epochs) about a minute.

    python scripts/train_fashion_strides.py                    # search, then both recipes
    python scripts/train_fashion_strides.py --stage search     # the search only
    KERAS_BACKEND=torch python scripts/train_fashion_strides.py --stage final --recipes plain
    KERAS_BACKEND=jax python scripts/train_fashion_strides.py --stage final --recipes plain
    python scripts/train_fashion_strides.py --quick            # smoke run
"""

from tfcnn import cli


def parse_args(argv=None):
    parser = cli.script_parser(__doc__, threads=1)
    cli.add_option(
        parser, "--max-epochs", cli.positive_int, 10, "epochs of the plain recipe"
    )
    cli.add_choice(
        parser,
        "--stage",
        ["search", "final", "all"],
        "all",
        "'search': the candidate recipes on one seed; 'final': the plain and "
        "tuned recipes on every seed and stride, and the summaries; 'all': both",
    )
    cli.add_choice(
        parser,
        "--recipes",
        ["plain", "tuned"],
        ["plain", "tuned"],
        "recipes of the final stage; 'tuned' needs the search's result",
        nargs="+",
    )
    cli.add_distribute_argument(parser)
    return parser.parse_args(argv)


if __name__ == "__main__":
    cli.launch("tfcnn.answers.set_a.a3_a4_strides", parse_args())
