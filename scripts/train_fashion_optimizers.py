"""Set A, question A6: SGD vs RMSProp on Fashion-MNIST at batch 32, 1,000 and 10,000.

The model is one 5x5 conv layer with 32 filters ('valid'), a ReLU and a dense
layer to 10 logits, trained with cross-entropy for 10 epochs. For every
optimiser, batch size and seed, accuracy and loss on a fixed 10,000-image
sample of the training set and on the validation set are recorded after every
epoch, with the training time of every epoch (wall and CPU, evaluation
excluded). All runs of one seed share the initial weights and the split.

Each run is written as `docs/results/a6/<optimizer>_b<batch>_<scaling>_seed<S>.json`
(runs already written are skipped, so an interrupted sweep resumes); then
`summary_<scaling>.json` and the figures are made from all of them.

    python scripts/train_fashion_optimizers.py                      # the sweep
    python scripts/train_fashion_optimizers.py --lr-scaling sqrt    # scaled variant
    python scripts/train_fashion_optimizers.py --quick              # smoke run
"""

from __future__ import annotations

import dataclasses

from tfcnn.answers.set_a.optimizers import (
    LABELS,
    RESULT_ID,
    SCALINGS,
    run_sweep,
    summarise,
)
from tfcnn.answers.set_a.optimizers_plots import plot_speed, plot_sweep_curves
from tfcnn.cli import positive_int, results_root, script_parser, seeds_of
from tfcnn.data.splits import load_split
from tfcnn.results import save_figure
from tfcnn.training.devices import add_distribute_argument, set_threads, use_strategy


@dataclasses.dataclass
class Config:
    optimizers: tuple = ("sgd", "rmsprop")
    # Keras' defaults, kept fixed over batch sizes unless lr_scaling says otherwise.
    base_learning_rates: dict = dataclasses.field(
        default_factory=lambda: {"sgd": 0.01, "rmsprop": 0.001}
    )
    base_batch_size: int = 32
    batch_sizes: tuple = (32, 1000, 10_000)
    lr_scaling: str = "none"
    epochs: int = 10
    seeds: tuple = (0, 1, 2)
    split_seed: int = 0
    val_fraction: float = 0.1
    train_eval_size: int = 10_000
    threads: int = 1
    distribute: str = "none"
    quick: bool = False


def parse_args(argv=None):
    parser = script_parser(__doc__)
    parser.add_argument(
        "--epochs", type=positive_int, default=10, help="epochs per run (default: 10)"
    )
    parser.add_argument(
        "--batch-sizes",
        type=positive_int,
        nargs="+",
        default=[32, 1000, 10_000],
        help="batch sizes, trained in this order (default: 32 1000 10000)",
    )
    parser.add_argument(
        "--lr-scaling",
        choices=SCALINGS,
        default="none",
        help="scale each optimiser's batch-32 learning rate by sqrt(B/32) or B/32 "
        "(default: none, the same rate at every batch size)",
    )
    parser.add_argument(
        "--summarise-only",
        action="store_true",
        help="only rebuild the summary and figures from runs already written",
    )
    add_distribute_argument(parser)
    args = parser.parse_args(argv)
    config = Config(
        seeds=seeds_of(args),
        batch_sizes=tuple(args.batch_sizes),
        epochs=args.epochs,
        lr_scaling=args.lr_scaling,
        threads=args.threads,
        distribute=args.distribute,
        quick=args.quick,
    )
    if args.quick:  # 2 epochs at batch 32 and 1,000
        config = dataclasses.replace(config, epochs=2, batch_sizes=(32, 1000))
    return config, results_root(args), args.summarise_only


def main(argv=None) -> None:
    config, root, summarise_only = parse_args(argv)
    set_threads(config.threads)
    use_strategy(config.distribute)
    if not summarise_only:
        split = load_split("fashion_mnist", config.val_fraction, config.split_seed)
        run_sweep(config, split, root)
    runs = summarise(config, root)
    figures = {"curves": plot_sweep_curves, "speed": plot_speed}
    for name, plot in figures.items():
        fig = plot(runs, config.optimizers, config.batch_sizes, LABELS)
        save_figure(fig, RESULT_ID, f"{name}_{config.lr_scaling}", root=root)
    print(f"wrote {root / RESULT_ID}", flush=True)


if __name__ == "__main__":
    main()
