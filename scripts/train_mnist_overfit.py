"""Set C, question 4.1: over-fitting with 250 training examples.

Draws 250 MNIST training images (25 per class) three times. In each draw,
50 (5 per class) are held out as the validation set and the network is
trained on the other 200: the original deep network without dropout,
smaller versions of it, the original with dropout at several keep
probabilities, and the original with dropout and augmentation. Run k uses
draw k and seed k. The variant with the best mean validation accuracy is then
retrained on all 250 images of each draw, beside the original network, and
only those runs' test accuracies answer the question. The full-data curves
come from C1's runs (`scripts/train_mnist_deep.py`).

Writes `docs/results/c4/<variant>_<stage>_draw<k>.json` per run, and
`summary.json`, `curves.png`, `sweep.png`.

    python scripts/train_mnist_overfit.py           # the whole study (~30 min)
    python scripts/train_mnist_overfit.py --quick   # a smoke run under runs/quick
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

from tfcnn import set_seed
from tfcnn.answers.set_c.overfitting import (
    Variant,
    best_in_series,
    choose,
    series,
    study_variants,
    variant_summary,
)
from tfcnn.answers.set_c.overfitting_plots import plot_full_vs_few, plot_sweep
from tfcnn.cli import add_output_arguments, positive_int, results_root
from tfcnn.data.splits import few_example_split, load_split
from tfcnn.results import save_figure, write_result
from tfcnn.results.summary import load_runs
from tfcnn.training.fit import train_and_record

RESULT_ID = "c4"


@dataclasses.dataclass
class Config:
    per_class: int = 25
    val_per_class: int = 5
    draws: tuple = (0, 1, 2)
    iterations: int = 2000
    record_every: int = 250
    batch_size: int = 50
    learning_rate: float = 1e-4
    padding: str = "valid"
    sizes: tuple = ((32, 64, 1024), (16, 32, 256), (8, 16, 64), (4, 8, 32), (2, 4, 16))
    keep_probabilities: tuple = (0.3, 0.5, 0.7, 0.9, 1.0)
    augment_keep: float = 0.5
    quick: bool = False


def run_variant(variant, split, config, stage, draw, root) -> dict:
    """Trains one variant on one draw (seed = draw), or reads the stored run."""
    path = root / RESULT_ID / f"{variant.name}_{stage}_draw{draw}.json"
    if path.exists():
        return json.loads(path.read_text())
    val_per_class = config.val_per_class if stage == "sweep" else 0
    small = few_example_split(split, config.per_class, val_per_class, draw)
    set_seed(draw)
    started = time.perf_counter()
    print(
        f"{stage} {variant.name} draw {draw}: {len(small.y_train)} images", flush=True
    )
    result = train_and_record(
        variant.build(config.padding),
        small,
        iterations=config.iterations,
        batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        record_every=config.record_every,
        seed=draw,
        train_eval_size=len(small.y_train),
        verbose=0,
    )
    result["params"] = variant.build(config.padding).count_params()
    result.update(variant=dataclasses.asdict(variant), stage=stage, draw=draw)
    final = result["final"]
    print(
        f"  train {final['train_accuracy']:.3f} test {final['test_accuracy']:.4f} "
        f"({time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    write_result(
        RESULT_ID,
        path.stem,
        result,
        config=config,
        seed=draw,
        wall_seconds=time.perf_counter() - started,
        root=root,
    )
    return result


def main(config: Config, root: Path) -> None:
    started = time.perf_counter()
    split = load_split("mnist", seed=0)
    variants = study_variants(
        config.sizes, config.keep_probabilities, config.augment_keep
    )
    sweep = {
        v.name: variant_summary(
            [run_variant(v, split, config, "sweep", d, root) for d in config.draws]
        )
        for v in variants
    }
    chosen = choose(sweep)
    by_name = {v.name: v for v in [Variant(), *variants]}
    final = {}
    for name in dict.fromkeys([Variant().name, chosen]):
        runs = [
            run_variant(by_name[name], split, config, "final", d, root)
            for d in config.draws
        ]
        final[name] = {"summary": variant_summary(runs), "runs": runs}
    full = list(load_runs("c1", "deep_valid").values())
    summary = {
        "sweep": sweep,
        "chosen": chosen,
        "chosen_label": by_name[chosen].label,
        "chosen_variant": dataclasses.asdict(by_name[chosen]),
        "final_original": final[Variant().name]["summary"],
        "final_chosen": final[chosen]["summary"],
        "full_data": variant_summary(full),
        "best": best_in_series(sweep, variants),
        "tables": sweep_tables(sweep, variants),
    }
    write_result(
        RESULT_ID,
        "summary",
        summary,
        config=config,
        wall_seconds=time.perf_counter() - started,
        root=root,
    )
    save_figure(
        plot_full_vs_few(
            [r["history"] for r in full],
            [r["history"] for r in final[Variant().name]["runs"]],
            [r["history"] for r in final[chosen]["runs"]],
            chosen,
        ),
        RESULT_ID,
        "curves",
        root=root,
    )
    save_figure(plot_sweep(sweep, variants), RESULT_ID, "sweep", root=root)


def sweep_tables(sweep: dict, variants: list) -> dict:
    """Page tables: the size series and the dropout series."""

    def cells(s):
        return [
            f"{100 * s[k]['mean']:.1f} ± {100 * s[k]['std']:.1f}"
            for k in ("train_accuracy", "val_accuracy", "test_accuracy")
        ] + [f"{s['test_train_ratio']['mean']:.3f}"]

    head = ["train acc. %", "val. acc. %", "test acc. %", "test / train"]
    members = series(variants)
    return {
        "sizes": {
            "columns": ["filters", "dense units", "parameters", *head],
            "rows": [
                [
                    f"{v.filters[0]}, {v.filters[1]}",
                    v.dense_units,
                    f"{sweep[v.name]['params']:,}",
                    *cells(sweep[v.name]),
                ]
                for v in members["sizes"]
            ],
        },
        "dropout": {
            "columns": ["keep probability", "Keras rate", "augmented", *head],
            "rows": [
                [
                    f"{v.keep_probability:g}",
                    f"{v.drop_rate:g}",
                    "yes" if v.augment else "no",
                    *cells(sweep[v.name]),
                ]
                for v in members["dropout"] + members["augmented"]
            ],
        },
    }


def parse_args(argv=None) -> tuple[Config, Path]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--iterations",
        type=positive_int,
        default=Config.iterations,
        help=f"training steps per run (default: {Config.iterations})",
    )
    add_output_arguments(
        parser, "two variants, 100 iterations, written under runs/quick"
    )
    args = parser.parse_args(argv)
    config = Config(iterations=args.iterations, quick=args.quick)
    if args.quick:
        config = dataclasses.replace(
            config,
            iterations=100,
            record_every=50,
            draws=(0,),
            sizes=((4, 8, 32),),
            keep_probabilities=(0.5,),
        )
    root = results_root(args)
    return config, root


if __name__ == "__main__":
    main(*parse_args())
