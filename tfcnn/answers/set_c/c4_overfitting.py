"""Set C, C4.1: over-fitting with 250 training examples.

Draws 250 MNIST training images (25 per class) three times. In each draw, 50
(5 per class) are held out as the validation set and the network is trained
on the other 200: the original deep network without dropout, smaller
versions of it, the original with dropout at several keep probabilities, and
the original with dropout and augmentation. Run k uses draw k and seed k. A
*variant* is one such network setting; the one with the best mean validation
accuracy is retrained on all 250 images of each draw, beside the original
network, and only those runs' test accuracies answer the question. The
full-data curves come from C1's runs.

Writes `docs/results/c4/<variant>_<stage>_draw<k>.json` per run (a stored run
is read, not retrained), `summary.json`, `curves.png` and `sweep.png`.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from tfcnn import cli
from tfcnn.data.augment import with_augmentation
from tfcnn.models import build_deep
from tfcnn.plots.curves import plot_curves, plot_mean_std
from tfcnn.plots.style import new_figure
from tfcnn.results import (
    results_dir,
    save_figure,
    set_seed,
    stored_or_trained,
    write_result,
)
from tfcnn.results.summary import describe, load_runs

RESULT_ID = "c4"
ORIGINAL = (32, 64, 1024)


@dataclasses.dataclass(frozen=True)
class Variant:
    """One network setting of the over-fitting study.

    Args:
        filters: filters of the two conv layers.
        dense_units: width of the hidden dense layer.
        keep_probability: probability that a hidden unit is kept by dropout;
            Keras' `Dropout` takes the drop rate, 1 - keep. 1.0 is no dropout.
        augment: random shifts (2 px) and rotations (10 degrees) in training.
    """

    filters: tuple[int, int] = ORIGINAL[:2]
    dense_units: int = ORIGINAL[2]
    keep_probability: float = 1.0
    augment: bool = False

    @property
    def name(self) -> str:
        size = f"f{self.filters[0]}-{self.filters[1]}_u{self.dense_units}"
        name = f"{size}_keep{round(100 * self.keep_probability)}"
        return name + ("_aug" if self.augment else "")

    @property
    def label(self) -> str:
        """A readable description, e.g. 'filters 32, 64; 1024 units; keep 0.5'."""
        label = (
            f"filters {self.filters[0]}, {self.filters[1]}; {self.dense_units} "
            f"units; keep {self.keep_probability:g}"
        )
        return label + ("; augmented" if self.augment else "")

    @property
    def drop_rate(self) -> float:
        return round(1.0 - self.keep_probability, 6)

    def build(self, padding: str = "valid"):
        """The deep network of set C with this variant's size and dropout."""
        model = build_deep(
            filters=self.filters,
            dense_units=self.dense_units,
            padding=padding,
            dropout_rate=self.drop_rate,
        )
        return with_augmentation(model) if self.augment else model


def study_variants(
    sizes,
    keep_probabilities,
    augment_keep: float | None,
    dense_units=(),
    conv_filters=(),
) -> list:
    """The variants of the study.

    Args:
        sizes: (filters, filters, dense units) of networks shrunk as a whole,
            without dropout.
        keep_probabilities: keep probabilities of the original network.
        augment_keep: the keep probability of the augmented original network;
            None for no augmented variant.
        dense_units: widths of the dense layer alone (original convolutions).
            Defaults to none.
        conv_filters: (filters, filters) of the convolutions alone (original
            dense layer). Defaults to none.
    """
    variants = [Variant(tuple(s[:2]), s[2]) for s in sizes]
    variants += [Variant(dense_units=units) for units in dense_units]
    variants += [Variant(filters=tuple(filters)) for filters in conv_filters]
    variants += [Variant(keep_probability=p) for p in keep_probabilities]
    if augment_keep is not None:
        variants.append(Variant(keep_probability=augment_keep, augment=True))
    unique = {v.name: v for v in variants}
    return list(unique.values())


def with_ratio(history: list[dict]) -> list[dict]:
    """Adds `test_train_ratio` (test accuracy / train accuracy) to each record."""
    return [
        {**row, "test_train_ratio": row["test_accuracy"] / row["train_accuracy"]}
        for row in history
    ]


def variant_summary(runs: list[dict]) -> dict:
    """Mean and spread of the final train/val/test accuracy and test/train ratio."""
    finals = [with_ratio(run["history"])[-1] for run in runs]
    keys = ["train_accuracy", "test_accuracy", "test_train_ratio"]
    if "val_accuracy" in finals[0]:
        keys.insert(1, "val_accuracy")
    summary = {key: describe(row[key] for row in finals) for key in keys}
    summary["params"] = runs[0]["params"]
    return summary


def choose_variant(summaries: dict[str, dict]) -> str:
    """The variant with the best mean validation accuracy (ties: fewer parameters)."""
    if not summaries:
        raise ValueError("no variants to choose from: run the sweep first.")
    return max(
        summaries,
        key=lambda name: (
            round(summaries[name]["val_accuracy"]["mean"], 6),
            -summaries[name]["params"],
        ),
    )


def series(variants: list) -> dict[str, list]:
    """The series of the study, each holding the original network where it fits.

    "sizes": every layer shrunk at once; "dense": the dense layer alone;
    "convs": the convolutions alone (all three without dropout); "dropout":
    the original size at each keep probability; "augmented": the augmented
    variants (not one of the sheet's options, reported apart).
    """
    original = Variant()
    plain = [v for v in variants if not v.augment]
    undropped = [v for v in plain if v.keep_probability == 1.0]
    same_filters = [v.filters == original.filters for v in undropped]
    same_units = [v.dense_units == original.dense_units for v in undropped]
    return {
        "sizes": [v for v, f, u in zip(undropped, same_filters, same_units) if f == u],
        "dense": [v for v, f in zip(undropped, same_filters) if f],
        "convs": [v for v, u in zip(undropped, same_units) if u],
        "dropout": [
            v
            for v in plain
            if v.filters == original.filters and v.dense_units == original.dense_units
        ],
        "augmented": [v for v in variants if v.augment],
    }


def best_in_series(sweep: dict[str, dict], variants: list) -> dict:
    """For each series and each of validation accuracy, test accuracy and
    test/train ratio, the variant with the highest mean and that mean."""
    best = {}
    for series_name, members in series(variants).items():
        if not members:
            continue
        best[series_name] = {}
        for metric in ("val_accuracy", "test_accuracy", "test_train_ratio"):
            winner = max(members, key=lambda v: sweep[v.name][metric]["mean"])
            best[series_name][metric] = {
                **dataclasses.asdict(winner),
                "name": winner.name,
                "label": winner.label,
                "params": sweep[winner.name]["params"],
                "mean": sweep[winner.name][metric]["mean"],
            }
    return best


def plot_full_vs_few(full, few, chosen, chosen_name: str):
    """Train/test accuracy on all data and on 250 images, and their ratio.

    Args:
        full: histories of the runs on the full training set.
        few: histories of the original network on 250 images.
        chosen: histories of the chosen variant on 250 images.
        chosen_name: the chosen variant's name, for the legend.
    """
    fig, (ax_full, ax_few, ax_ratio) = new_figure(3, 1, width=4.6, height=3.6)
    plot_curves(ax_full, {"all 54,000": full}, ylim=(0.9, 1.001))
    ax_full.set_title("full training set, no dropout")
    plot_curves(ax_few, {"250, original": few, f"250, {chosen_name}": chosen})
    ax_few.set_ylim(0.5, 1.01)
    ax_few.set_title("250 training images")
    ratios = {
        label: [with_ratio(h) for h in histories]
        for label, histories in [
            ("all 54,000", full),
            ("250, original", few),
            (f"250, {chosen_name}", chosen),
        ]
    }
    plot_curves(
        ax_ratio,
        ratios,
        keys=("test_train_ratio",),
        ylabel="test accuracy / train accuracy",
        label_keys=False,
    )
    ax_ratio.set_xscale("log")
    ax_ratio.set_xlabel("iteration (log scale)")
    ax_ratio.set_title("generalisation ratio")
    fig.tight_layout()
    return fig


SIZE_SERIES = {
    "sizes": "all layers",
    "dense": "dense layer only",
    "convs": "convolutions only",
}


def plot_sweep(sweep: dict, variants: list):
    """Validation/test accuracy and test/train ratio against size and keep probability.

    The left column shows the three ways of shrinking the network (validation
    accuracy solid with its spread, test accuracy dashed); the right column
    the dropout series.
    """
    fig, axes = new_figure(2, 2, width=4.6, height=3.0)
    members = series(variants)

    def params(v):
        return sweep[v.name]["params"]

    for colour, (key, label) in enumerate(SIZE_SERIES.items()):
        points = sorted(members[key], key=params)
        if len(points) < 2:
            continue
        xs = [params(v) for v in points]
        plot_mean_std(
            axes[0],
            xs,
            [sweep[v.name]["val_accuracy"] for v in points],
            color=f"C{colour}",
            label=f"{label}, validation",
        )
        axes[0].plot(
            xs,
            [sweep[v.name]["test_accuracy"]["mean"] for v in points],
            linestyle="--",
            color=f"C{colour}",
            label=f"{label}, test",
        )
        plot_mean_std(
            axes[2],
            xs,
            [sweep[v.name]["test_train_ratio"] for v in points],
            color=f"C{colour}",
            label=label,
        )
    points = sorted(members["dropout"], key=lambda v: v.keep_probability)
    xs = [v.keep_probability for v in points]
    for key, label in [("val_accuracy", "validation"), ("test_accuracy", "test")]:
        plot_mean_std(axes[1], xs, [sweep[v.name][key] for v in points], label=label)
    plot_mean_std(
        axes[3], xs, [sweep[v.name]["test_train_ratio"] for v in points], color="C2"
    )
    for column, xlabel in enumerate(["parameters (log scale)", "keep probability"]):
        for ax in (axes[column], axes[2 + column]):
            ax.set_xlabel(xlabel)
        axes[column].set_ylabel("accuracy (mean ± std over runs)")
        axes[column].legend(fontsize=7)
        axes[2 + column].set_ylabel("test / train accuracy")
    for ax in (axes[0], axes[2]):
        ax.set_xscale("log")
    axes[2].legend(fontsize=7)
    axes[0].set_title("shrinking the network (no dropout)")
    axes[1].set_title("dropout on the original network")
    fig.tight_layout()
    return fig


@dataclasses.dataclass
class Config:
    """The over-fitting study of C4.1.

    Args:
        per_class: images of each class in a draw. Defaults to 25 (250 in all).
        val_per_class: of those, held out for validation in the sweep. Defaults to 5.
        draws: the draws (run k uses draw k and seed k). Defaults to (0, 1, 2).
        iterations: training steps per run. Defaults to 2,000.
        record_every: iterations between records. Defaults to 250.
        batch_size: Defaults to 50.
        learning_rate: Adam's rate. Defaults to 1e-4.
        padding: the conv padding. Defaults to "valid".
        sizes: (filters, filters, dense units) of the networks shrunk as a
            whole, the original first.
        dense_units: widths of the dense layer shrunk alone.
        conv_filters: (filters, filters) of the convolutions shrunk alone.
        keep_probabilities: the dropout series' keep probabilities.
        augment_keep: the keep probability of the augmented variant.
            Defaults to 0.5.
    """

    per_class: int = 25
    val_per_class: int = 5
    draws: tuple = (0, 1, 2)
    iterations: int = 2000
    record_every: int = 250
    batch_size: int = 50
    learning_rate: float = 1e-4
    padding: str = "valid"
    sizes: tuple = ((32, 64, 1024), (16, 32, 256), (8, 16, 64), (4, 8, 32), (2, 4, 16))
    dense_units: tuple = (256, 64, 16)
    conv_filters: tuple = ((16, 32), (8, 16), (4, 8))
    keep_probabilities: tuple = (0.1, 0.2, 0.3, 0.5, 0.7, 0.9, 1.0)
    augment_keep: float = 0.5

    def quick(self) -> Config:
        """The smoke run: one draw, two variants, 100 iterations."""
        return dataclasses.replace(
            self,
            iterations=100,
            record_every=50,
            draws=(0,),
            sizes=((4, 8, 32),),
            dense_units=(),
            conv_filters=(),
            keep_probabilities=(0.5,),
        )


def run_variant(variant, split, config, stage, draw, root) -> dict:
    """Trains one variant on one draw (seed = draw), or reads the stored run.

    Args:
        variant: the `Variant`.
        split: the full MNIST split the draw is taken from.
        config: the study's `Config`.
        stage: "sweep" (validation held out of the draw) or "final" (all of it).
        draw: the draw and seed.
        root: the results folder.
    """
    from tfcnn.data.splits import few_example_split
    from tfcnn.training.fit import train_and_record

    def train() -> dict:
        val_per_class = config.val_per_class if stage == "sweep" else 0
        small = few_example_split(split, config.per_class, val_per_class, draw)
        set_seed(draw)
        print(
            f"{stage} {variant.name} draw {draw}: {len(small.y_train)} images",
            flush=True,
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
        return result

    def describe_run(result: dict) -> str:
        final = result["final"]
        return f"train {final['train_accuracy']:.3f} test {final['test_accuracy']:.4f}"

    return stored_or_trained(
        RESULT_ID,
        f"{variant.name}_{stage}_draw{draw}",
        train,
        describe_run,
        config=config,
        seed=draw,
        root=root,
    )


def sweep_tables(sweep: dict, variants: list) -> dict:
    """Page tables: the three size series and the dropout series (with the
    augmented variants)."""

    def cells(s):
        return [
            f"{100 * s[k]['mean']:.1f} ± {100 * s[k]['std']:.1f}"
            for k in ("train_accuracy", "val_accuracy", "test_accuracy")
        ] + [f"{s['test_train_ratio']['mean']:.3f}"]

    head = ["train acc. %", "val. acc. %", "test acc. %", "test / train"]
    members = series(variants)
    shrunk = [
        (label, v)
        for key, label in SIZE_SERIES.items()
        for v in members[key]
        if v != Variant() or key == "sizes"
    ]
    return {
        "sizes": {
            "columns": ["shrunk", "filters", "dense units", "parameters", *head],
            "rows": [
                [
                    label if v != Variant() else "none (original)",
                    f"{v.filters[0]}, {v.filters[1]}",
                    v.dense_units,
                    f"{sweep[v.name]['params']:,}",
                    *cells(sweep[v.name]),
                ]
                for label, v in shrunk
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


def run_overfitting_study(
    config: Config, root: Path, full_data_root: Path | None = None
) -> None:
    """Trains (or reads) every run of the study; writes its summary and figures.

    Args:
        config: the study's settings.
        root: the results folder the runs and the summary go to.
        full_data_root: the results folder holding C1's runs
            (`c1/deep_valid_seed*.json`). Defaults to `results_dir()`.
    """
    from tfcnn.data.splits import load_split

    started = time.perf_counter()
    split = load_split("mnist", seed=0)
    variants = study_variants(
        config.sizes,
        config.keep_probabilities,
        config.augment_keep,
        config.dense_units,
        config.conv_filters,
    )
    sweep = {
        v.name: variant_summary(
            [run_variant(v, split, config, "sweep", d, root) for d in config.draws]
        )
        for v in variants
    }
    by_name = {v.name: v for v in [Variant(), *variants]}
    # The choice is among the sheet's options (size and dropout); augmentation
    # is reported apart.
    chosen = choose_variant(
        {name: s for name, s in sweep.items() if not by_name[name].augment}
    )
    augmented = [v.name for v in variants if v.augment]
    final = {}
    for name in dict.fromkeys([Variant().name, chosen, *augmented]):
        runs = [
            run_variant(by_name[name], split, config, "final", d, root)
            for d in config.draws
        ]
        final[name] = {"summary": variant_summary(runs), "runs": runs}
    full = list(load_runs("c1", "deep_valid", full_data_root).values())
    summary = {
        "sweep": sweep,
        "chosen": chosen,
        "chosen_label": by_name[chosen].label,
        "chosen_variant": dataclasses.asdict(by_name[chosen]),
        "final_original": final[Variant().name]["summary"],
        "final_chosen": final[chosen]["summary"],
        "final_augmented": {name: final[name]["summary"] for name in augmented},
        "augmented_labels": {name: by_name[name].label for name in augmented},
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


def main(args: argparse.Namespace) -> None:
    """Runs the study (`--iterations`, `--draws`, `--quick`, `--results-dir`).

    Args:
        args: the parsed options.
    """
    config = Config(iterations=args.iterations, draws=tuple(args.draws))
    if args.quick:
        config = config.quick()
    run_overfitting_study(config, cli.results_root(args), results_dir())
