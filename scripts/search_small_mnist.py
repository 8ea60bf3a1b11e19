"""Set C, question 3: the smallest shallow and deep networks that keep 95 % on MNIST.

For each candidate size and seed, trains with one shared schedule (Adam 3e-3
with cosine decay to 0, batch 128, 6,000 iterations, about 14 epochs), and
records train/validation/test metrics every 250 iterations. The winner is
chosen on *validation* accuracy (mean over seeds >= 95 %, fewest parameters);
test accuracy is only reported. One JSON per run, so an interrupted search
resumes where it stopped (finished runs are skipped; with --resume, the run
that was killed continues from its last checkpoint).

    python scripts/search_small_mnist.py --family shallow   # C3.1
    python scripts/search_small_mnist.py --family shallow --resume  # after a kill
    python scripts/search_small_mnist.py --family deep      # C3.2
    python scripts/search_small_mnist.py --family shallow --quick
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from tfcnn import build_reduced_deep, build_shallow, set_seed
from tfcnn.cli import add_resume_arguments, non_negative_int, training_backup
from tfcnn.data.splits import load_split
from tfcnn.results import results_dir, write_result
from tfcnn.training.devices import add_distribute_argument, set_threads, use_strategy
from tfcnn.training.fit import train_and_record

# Builder arguments of each candidate, largest first. Shallow: one conv (ReLU),
# one max-pool, one dense layer. Deep: conv-pool-conv-pool-dense-dense, 'valid'.
CANDIDATES = {
    "shallow": {
        "f2_k5_p4": dict(filters=2, kernel_size=5, pool_size=4),
        "f3_k5_p6": dict(filters=3, kernel_size=5, pool_size=6),
        "f5_k5_p8": dict(filters=5, kernel_size=5, pool_size=8),
        "f8_k5_p12": dict(filters=8, kernel_size=5, pool_size=12),
        "f4_k5_p8": dict(filters=4, kernel_size=5, pool_size=8),
    },
    "deep": {
        "f2-4_u8": dict(filters=(2, 4), dense_units=8),
        "f2-4_u6": dict(filters=(2, 4), dense_units=6),
        "f2-3_u8": dict(filters=(2, 3), dense_units=8),
        "f2-4_u4": dict(filters=(2, 4), dense_units=4),
    },
}


@dataclasses.dataclass
class Config:
    family: str = "shallow"
    candidate: str = ""
    builder_args: dict = dataclasses.field(default_factory=dict)
    iterations: int = 6000
    batch_size: int = 128
    optimizer: str = "adam"
    learning_rate: float = 3e-3
    cosine_decay: bool = True
    record_every: int = 250
    val_fraction: float = 0.1
    train_eval_size: int = 2000
    seed: int = 0
    distribute: str = "none"


def build(family: str, builder_args: dict):
    if family == "shallow":
        return build_shallow(**builder_args, name="shallow")
    return build_reduced_deep(**builder_args, padding="valid")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--family",
        choices=sorted(CANDIDATES),
        required=True,
        help="shallow (C3.1) or deep (C3.2)",
    )
    parser.add_argument(
        "--seeds",
        type=non_negative_int,
        nargs="+",
        default=[0, 1, 2],
        help="seeds, one run each (default: 0 1 2)",
    )
    parser.add_argument(
        "--candidates",
        nargs="+",
        default=None,
        help="only these candidate names (default: all of the family)",
    )
    parser.add_argument(
        "--threads",
        type=non_negative_int,
        default=0,
        help="TensorFlow threads (default: 0, all cores)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="500 iterations, one seed, under runs/quick (never the site's results)",
    )
    add_resume_arguments(parser)
    add_distribute_argument(parser)
    args = parser.parse_args(argv)
    set_threads(args.threads)
    use_strategy(args.distribute)
    root = Path("runs/quick") if args.quick else results_dir()
    names = args.candidates or list(CANDIDATES[args.family])
    unknown = sorted(set(names) - set(CANDIDATES[args.family]))
    if unknown:
        parser.error(
            f"unknown candidates {unknown}; choose from {list(CANDIDATES[args.family])}"
        )
    seeds = args.seeds[:1] if args.quick else args.seeds
    for name in names:
        for seed in seeds:
            out = f"{args.family}_{name}_seed{seed}"
            if (root / "c3" / f"{out}.json").exists() and not args.quick:
                print(f"{out}: done already, skipped")
                continue
            config = Config(
                args.family,
                name,
                CANDIDATES[args.family][name],
                seed=seed,
                distribute=args.distribute,
            )
            if args.quick:
                config = dataclasses.replace(config, iterations=500)
            set_seed(seed)
            model = build(config.family, config.builder_args)
            print(f"{out}: {model.count_params()} parameters", flush=True)
            run = train_and_record(
                model,
                load_split("mnist", config.val_fraction, seed),
                iterations=config.iterations,
                batch_size=config.batch_size,
                optimizer=config.optimizer,
                learning_rate=config.learning_rate,
                cosine_decay=config.cosine_decay,
                record_every=config.record_every,
                seed=seed,
                train_eval_size=config.train_eval_size,
                callbacks=[training_backup(args, "c3", out)],
                verbose=0,
            )
            final = run["final"]
            print(
                f"  val {final['val_accuracy']:.4f} test {final['test_accuracy']:.4f} "
                f"in {run['wall_seconds']:.0f} s",
                flush=True,
            )
            write_result(
                "c3",
                out,
                run,
                config=config,
                seed=seed,
                wall_seconds=run["wall_seconds"],
                root=root,
            )


if __name__ == "__main__":
    main()
