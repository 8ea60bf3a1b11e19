"""Set A (A3, A4): summaries, tables and figures of the stride runs of `tfcnn.answers.set_a.strides`.

For each recipe the epoch is chosen per stride as the one with the best
seed-mean validation accuracy; only the weights of that epoch are evaluated on
the full training set and the test set.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tfcnn.answers.set_a.strides import (
    RESULT_ID,
    Recipe,
    evaluate_epoch,
    read_run,
    run_name,
)
from tfcnn.plots import new_figure, plot_curves
from tfcnn.plots.samples import (
    confusion_matrix,
    per_class_recall,
    pick_examples,
    plot_confusion,
    plot_examples,
)
from tfcnn.results import save_figure, write_result
from tfcnn.results.summary import by_epoch, format_mean_std, mean_std
from tfcnn.training.metrics import best_epoch
from tfcnn.training.timing import epoch_timing

PLURAL = {"success": "successes", "failure": "failures"}
BACKENDS = {"tensorflow": "TensorFlow", "torch": "PyTorch"}


def summary_name(backend: str, recipe: Recipe) -> str:
    return f"summary_{backend}" + ("" if recipe.name == "plain" else "_tuned")


def summarise(config, split, recipe: Recipe, root, examples: bool = True) -> dict:
    """Chooses the epoch of each stride on validation, evaluates it, writes the summary.

    Writes `summary_<backend>[_tuned].json` (per stride: chosen epoch, train /
    val / test metrics, timing, per-class recall; a results table and a recall
    table) and the curves and confusion figures; with `examples`, grids of
    random test successes and failures (first seed).
    """
    backend, names = config.backend, split.class_names
    suffix = summary_name(backend, recipe).removeprefix(f"summary_{backend}")
    runs = {
        s: [read_run(root, run_name(backend, recipe, s, k)) for k in config.seeds]
        for s in config.strides
    }
    summary = {
        "backend": backend,
        "seeds": list(config.seeds),
        "recipe": {**dataclasses.asdict(recipe), "description": recipe.describe()},
    }
    rows, confusions = [], {}
    for stride, seed_runs in runs.items():
        epoch = best_epoch([r["history"] for r in seed_runs])
        chosen = [
            evaluate_epoch(config, split, recipe, stride, k, epoch)
            for k in config.seeds
        ]
        matrices = [
            confusion_matrix(split.y_test, c["test_predicted"], len(names))
            for c in chosen
        ]
        recalls = np.array([per_class_recall(m) for m in matrices])
        entry = {
            "chosen_epoch": epoch,
            "epochs_trained": recipe.epochs,
            "params": seed_runs[0]["params"],
            **epoch_timing(seed_runs, len(split.x_train)),
            "per_class_recall": {
                n: mean_std(recalls[:, i]) for i, n in enumerate(names)
            },
        }
        for part in ("train", "val", "test"):
            for metric in ("accuracy", "loss"):
                entry[f"{part}_{metric}"] = mean_std([c[part][metric] for c in chosen])
        entry["test_accuracy_by_seed"] = [c["test"]["accuracy"] for c in chosen]
        entry["test_accuracy_range"] = {
            "min": min(entry["test_accuracy_by_seed"]),
            "max": max(entry["test_accuracy_by_seed"]),
        }
        summary[f"stride{stride}"] = entry
        rows.append(
            [
                f"{stride}",
                f"{entry['params']:,}",
                f"{epoch} of {recipe.epochs}",
                format_mean_std(entry["train_accuracy"], ".2%"),
                format_mean_std(entry["val_accuracy"], ".2%"),
                format_mean_std(entry["test_accuracy"], ".2%"),
                format_mean_std(entry["test_loss"], ".3f"),
                format_mean_std(entry["epoch_cpu_seconds"], ".1f"),
            ]
        )
        confusions[stride] = np.sum(matrices, axis=0)
        if examples:
            save_examples(config, split, stride, chosen[0], root)
    summary["table"] = {
        "columns": [
            "stride",
            "parameters",
            "epoch (chosen on val.)",
            "train acc.",
            "val. acc.",
            "test acc.",
            "test loss",
            "CPU s / epoch",
        ],
        "rows": rows,
    }
    summary["recall_table"] = recall_table(summary, config.strides, names)
    summary["confusion"] = {f"stride{s}": m for s, m in confusions.items()}
    write_result(
        RESULT_ID, summary_name(backend, recipe), summary, config=config, root=root
    )
    plot_training(config, runs, summary, suffix, root)
    plot_confusions(config, confusions, names, suffix, root)
    return summary


def recall_table(summary: dict, strides, names) -> dict:
    rows = []
    for name in names:
        cells = [summary[f"stride{s}"]["per_class_recall"][name] for s in strides]
        change = 100 * (cells[-1]["mean"] - cells[0]["mean"])
        rows.append(
            [name, *(format_mean_std(c, ".1%") for c in cells), f"{change:+.1f}"]
        )
    return {
        "columns": [
            "class",
            *(f"recall, stride {s}" for s in strides),
            "change (points)",
        ],
        "rows": rows,
    }


def save_examples(config, split, stride: int, chosen: dict, root) -> None:
    """Grids of random test successes and failures of one seed's chosen weights."""
    for kind in ("success", "failure"):
        shown = pick_examples(
            split.y_test,
            chosen["test_predicted"],
            kind,
            config.examples_shown,
            seed=config.seeds[0],
        )
        fig = plot_examples(
            split.x_test,
            split.y_test,
            chosen["test_probabilities"],
            shown,
            split.class_names,
            f"stride {stride}: random test {PLURAL[kind]} (seed {config.seeds[0]})",
        )
        save_figure(fig, RESULT_ID, f"{kind}_stride{stride}_{config.backend}", root)


def plot_training(config, runs: dict, summary: dict, suffix: str, root) -> None:
    fig, axes = new_figure(ncols=2, width=5.0, height=3.6)
    group = {f"stride {s}": [r["history"] for r in runs[s]] for s in config.strides}
    for ax, metric in zip(axes, ("accuracy", "loss")):
        plot_curves(
            ax,
            group,
            keys=(f"train_{metric}", f"val_{metric}"),
            x="epoch",
            ylabel="cross-entropy" if metric == "loss" else metric,
        )
        for i, stride in enumerate(config.strides):
            epoch = summary[f"stride{stride}"]["chosen_epoch"]
            ax.axvline(epoch, color=f"C{i}", lw=0.8, alpha=0.6)
    fig.suptitle(
        f"Keras {config.backend} backend, {summary['recipe']['description']}; "
        "vertical lines: epoch chosen on validation",
        fontsize=9,
    )
    save_figure(fig, RESULT_ID, f"curves_{config.backend}{suffix}", root=root)


def plot_confusions(config, confusions: dict, names, suffix: str, root) -> None:
    fig, axes = new_figure(ncols=len(confusions), width=5.4, height=4.8)
    for ax, (stride, matrix) in zip(np.atleast_1d(axes), confusions.items()):
        plot_confusion(ax, matrix, names, f"stride {stride}: % of each true class")
    fig.suptitle(
        f"test set, summed over {len(config.seeds)} seed(s), "
        f"Keras {config.backend} backend",
        fontsize=9,
    )
    fig.tight_layout()
    save_figure(fig, RESULT_ID, f"confusion_{config.backend}{suffix}", root=root)


def compare_recipes(root, backend: str, strides=(1, 2)) -> None:
    """`recipes_<backend>.json`: the plain and the tuned recipe side by side, per stride."""
    rows = []
    for stride in strides:
        for name in (f"summary_{backend}", f"summary_{backend}_tuned"):
            summary = read_run(root, name)
            entry = summary[f"stride{stride}"]
            rows.append(
                [
                    f"{stride}",
                    summary["recipe"]["name"],
                    summary["recipe"]["description"],
                    f"{len(summary['seeds'])}",
                    f"{entry['chosen_epoch']}",
                    format_mean_std(entry["train_accuracy"], ".2%"),
                    format_mean_std(entry["val_accuracy"], ".2%"),
                    format_mean_std(entry["test_accuracy"], ".2%"),
                    format_mean_std(entry["test_loss"], ".3f"),
                ]
            )
    columns = [
        "stride",
        "recipe",
        "training",
        "seeds",
        "epoch (val.)",
        "train acc.",
        "val. acc.",
        "test acc.",
        "test loss",
    ]
    table = {"columns": columns, "rows": rows}
    write_result(RESULT_ID, f"recipes_{backend}", {"table": table}, root=root)


def compare_backends(root, strides=(1, 2)) -> None:
    """`backends.json`: both backends' plain summaries, and validation accuracy by epoch.

    Does nothing until both backends have a summary.
    """
    summaries = {}
    for backend in BACKENDS:
        try:
            summaries[backend] = read_run(root, f"summary_{backend}")
        except FileNotFoundError:
            return
    rows, epoch_rows = [], []
    for stride in strides:
        histories = {}
        for backend, summary in summaries.items():
            entry = summary[f"stride{stride}"]
            rows.append(
                [
                    BACKENDS[backend],
                    f"{stride}",
                    f"{len(summary['seeds'])}",
                    f"{entry['params']:,}",
                    f"{entry['chosen_epoch']}",
                    format_mean_std(entry["train_accuracy"], ".2%"),
                    format_mean_std(entry["val_accuracy"], ".2%"),
                    format_mean_std(entry["test_accuracy"], ".2%"),
                    format_mean_std(entry["epoch_cpu_seconds"], ".1f"),
                ]
            )
            histories[backend] = [
                read_run(root, f"{backend}_stride{stride}_seed{k}")["history"]
                for k in summary["seeds"]
            ]
        means = {
            b: (by_epoch(h, "val_accuracy"), by_epoch(h, "val_loss"))
            for b, h in histories.items()
        }
        epochs = min(len(acc) for acc, _ in means.values())
        for e in range(epochs):
            epoch_rows.append(
                [
                    f"{stride}",
                    f"{e + 1}",
                    *(format_mean_std(means[b][0][e], ".2%") for b in BACKENDS),
                    *(format_mean_std(means[b][1][e], ".3f") for b in BACKENDS),
                ]
            )
    table = {
        "columns": [
            "backend",
            "stride",
            "seeds",
            "parameters",
            "epoch (val.)",
            "train acc.",
            "val. acc.",
            "test acc.",
            "CPU s / epoch",
        ],
        "rows": rows,
    }
    epochs_table = {
        "columns": [
            "stride",
            "epoch",
            *(f"val. acc., {BACKENDS[b]}" for b in BACKENDS),
            *(f"val. loss, {BACKENDS[b]}" for b in BACKENDS),
        ],
        "rows": epoch_rows,
    }
    write_result(
        RESULT_ID, "backends", {"table": table, "epochs_table": epochs_table}, root=root
    )
