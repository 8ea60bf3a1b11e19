"""Set A, A3 and A4: the one-conv-layer network at stride 1 and 2 on Fashion-MNIST.

The network is conv k×k (`filters`, stride s) + ReLU + dense to 10 logits.
Every run trains for a fixed number of epochs, records train and validation
metrics after every epoch and saves the weights. The epoch used is then
chosen per stride as the one with the best seed-mean validation accuracy;
only the weights of that epoch are evaluated on the full training set and
the test set.

A `Recipe` adds training changes that leave the parameters as they are
(augmentation, dropout, weight decay, a learning-rate schedule);
`search_recipes` compares candidate recipes on the validation set only.

Writes under `<root>/a3/`: `<backend>[_<recipe>]_stride<S>_seed<K>.json`
(runs already written are skipped), `search_<backend>.json`,
`summary_<backend>[_tuned].json`, `recipes_<backend>.json`, `params.json`,
the figures, and `backends.json` once two backends (of TensorFlow, PyTorch
and JAX) have a summary.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
from pathlib import Path

import keras
import numpy as np

from tfcnn import cli
from tfcnn.analysis import parameter_table, total_parameters
from tfcnn.analysis.conv import output_size, same_padding
from tfcnn.answers.set_a import load_fashion_split, write_run
from tfcnn.data.augment import shift_by
from tfcnn.models import build_shallow
from tfcnn.plots import new_figure, plot_curves, plot_mean_std
from tfcnn.plots.samples import (
    confusion_matrix,
    per_class_recall,
    pick_examples,
    plot_confusion,
    plot_examples,
)
from tfcnn.results import save_figure, set_seed, write_result
from tfcnn.results.bounded import read_json
from tfcnn.results.summary import by_epoch, format_mean_std, mean_std
from tfcnn.training.devices import use_strategy
from tfcnn.training.fit import train_epochs
from tfcnn.training.metrics import accuracy_and_loss, best_epoch, predict_probabilities
from tfcnn.training.timing import epoch_timing

RESULT_ID = "a3"
PLURAL = {"success": "successes", "failure": "failures"}
BACKENDS = {"tensorflow": "TensorFlow", "torch": "PyTorch", "jax": "JAX"}


@dataclasses.dataclass(frozen=True)
class Recipe:
    """How a model is trained; nothing here changes its parameters.

    Args:
        name: the recipe's name in file names ("plain" is the sheet's set-up).
        epochs: epochs trained; the epoch used is chosen on validation.
        max_shift: random shifts of up to this many pixels. Defaults to 0.
        flip: random left-right mirroring. Defaults to False.
        dropout: dropout rate on the flattened features. Defaults to 0.
        weight_decay: decoupled weight decay. Defaults to 0.
        cosine_decay: learning rate decayed to 0 along a cosine. Defaults to False.
    """

    name: str = "plain"
    epochs: int = 10
    max_shift: int = 0
    flip: bool = False
    dropout: float = 0.0
    weight_decay: float = 0.0
    cosine_decay: bool = False

    def describe(self) -> str:
        """The recipe in words, e.g. 'shifts ≤ 2 px, flips, dropout 0.5, 30 epochs'."""
        parts = [
            f"shifts ≤ {self.max_shift} px" if self.max_shift else "",
            "flips" if self.flip else "",
            f"dropout {self.dropout:g}" if self.dropout else "",
            f"weight decay {self.weight_decay:g}" if self.weight_decay else "",
            "cosine decay" if self.cosine_decay else "",
            f"{self.epochs} epochs",
        ]
        return ", ".join(p for p in parts if p)


@dataclasses.dataclass
class Config:
    """The settings of A3 and A4 (the sheet's network and training, and the search).

    Args:
        strides: the strides compared. Defaults to (1, 2).
        padding: padding of the conv layer. Defaults to "valid".
        filters: filters of the conv layer. Defaults to 32.
        kernel_size: side of its kernels. Defaults to 5.
        optimizer: defaults to "adam".
        learning_rate: defaults to 1e-3.
        batch_size: defaults to 64.
        max_epochs: epochs of the plain recipe. Defaults to 10.
        candidates: the recipes of the search.
        search_stride: the stride the search trains. Defaults to 1.
        search_seed: the seed the search trains. Defaults to 0.
        search_backend: the backend whose search chooses the tuned recipe.
            Defaults to "tensorflow".
        seeds: seeds of the final runs. Defaults to (0, 1, 2).
        split_seed: seed of the validation split. Defaults to 0.
        val_fraction: share of the training set held out. Defaults to 0.1.
        train_eval_size: training images measured every epoch. Defaults to 10,000.
        examples_shown: test images in each grid of examples. Defaults to 18.
        threads: CPU threads of the backend. Defaults to 1.
        backend: the Keras backend. Defaults to the one in use.
        checkpoints: folder of the weights of every epoch.
        distribute: "none" or "mirrored". Defaults to "none".
        train_size: train on a balanced sample of this many images. Defaults
            to None (the whole training part).
    """

    strides: tuple = (1, 2)
    padding: str = "valid"
    filters: int = 32
    kernel_size: int = 5
    optimizer: str = "adam"
    learning_rate: float = 1e-3
    batch_size: int = 64
    max_epochs: int = 10
    # None of the candidates changes the network's parameters. The first one
    # (shifts and dropout together) left the model under-fitting (train
    # accuracy = validation accuracy), so the others regularise less; flips
    # were dropped for the same reason (the shoes of this data set point
    # left: mirrored ones are variation the test set does not have).
    candidates: tuple = (
        Recipe("shift_dropout", 20, max_shift=2, dropout=0.5, cosine_decay=True),
        Recipe("shift1", 20, max_shift=1, cosine_decay=True),
        Recipe("shift2", 20, max_shift=2, cosine_decay=True),
        Recipe("dropout", 20, dropout=0.5, cosine_decay=True),
    )
    search_stride: int = 1
    search_seed: int = 0
    search_backend: str = "tensorflow"
    seeds: tuple = (0, 1, 2)
    split_seed: int = 0
    val_fraction: float = 0.1
    train_eval_size: int = 10_000
    examples_shown: int = 18
    threads: int = 1
    backend: str = dataclasses.field(default_factory=keras.backend.backend)
    checkpoints: str = "runs/checkpoints/a3"
    distribute: str = "none"
    train_size: int | None = None

    def quick(self) -> Config:
        """The smoke run: one seed, 2,000 training images, 2 epochs, 2 candidates."""
        return dataclasses.replace(
            self,
            seeds=self.seeds[:1],
            max_epochs=2,
            candidates=tuple(
                dataclasses.replace(r, epochs=2) for r in self.candidates[:2]
            ),
            checkpoints="runs/quick/checkpoints/a3",
            train_size=2000,
        )

    def plain(self) -> Recipe:
        """The sheet's recipe, trained for `max_epochs`."""
        return Recipe(epochs=self.max_epochs)


def build_stride_model(
    config: Config, stride: int, dropout: float = 0.0, padding: str | None = None
):
    """The network at `stride`; with `dropout`, a Dropout layer before the dense one.

    Dropout has no parameters and is the identity at inference, so the model
    computes the same function of the same parameters.

    Args:
        config: the settings (filters, kernel size, padding).
        stride: stride of the conv layer.
        dropout: dropout rate. Defaults to 0 (no Dropout layer).
        padding: overrides `config.padding`. Defaults to None.
    """
    model = build_shallow(
        filters=config.filters,
        kernel_size=config.kernel_size,
        strides=stride,
        padding=padding or config.padding,
        name=f"stride{stride}",
    )
    if not dropout:
        return model
    dropped = keras.layers.Dropout(dropout, name="dropout")(
        model.get_layer("flatten").output
    )
    return keras.Model(model.input, model.get_layer("logits")(dropped), name=model.name)


def stride_run_name(backend: str, recipe: Recipe, stride: int, seed: int) -> str:
    """`<backend>_stride<S>_seed<K>` for the plain recipe, else with the recipe's name."""
    variant = "" if recipe.name == "plain" else f"{recipe.name}_"
    return f"{backend}_{variant}stride{stride}_seed{seed}"


def checkpoint_dir(config: Config, recipe: Recipe, stride: int, seed: int) -> Path:
    """`<checkpoints>/<backend>/[<recipe>_]stride<S>_seed<K>`: one run's weights."""
    name = stride_run_name(config.backend, recipe, stride, seed)
    return Path(config.checkpoints) / config.backend / name.split("_", 1)[1]


def read_run(root: Path, name: str) -> dict:
    """The result `<root>/a3/<name>.json`; FileNotFoundError if not written yet."""
    path = Path(root) / RESULT_ID / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: train that run first.")
    return read_json(path)


def train_runs(config: Config, split, recipe: Recipe, strides, seeds, root: Path):
    """Trains every (seed, stride) of `recipe` not yet written, saving weights per epoch.

    A run is skipped when its result file and its last epoch's weights exist.

    Args:
        config: the settings.
        split: the data (a `tfcnn.data.splits.Split`).
        recipe: how to train.
        strides: the strides to train.
        seeds: the seeds to train.
        root: the results folder.
    """
    for seed in seeds:
        for stride in strides:
            name = stride_run_name(config.backend, recipe, stride, seed)
            folder = checkpoint_dir(config, recipe, stride, seed)
            last = folder / f"epoch{recipe.epochs}.weights.h5"
            if (Path(root) / RESULT_ID / f"{name}.json").exists() and last.exists():
                print(f"--- {name}: already written, skipped", flush=True)
                continue
            print(f"--- {name}: {recipe.describe()}", flush=True)
            set_seed(seed)
            run = train_epochs(
                build_stride_model(config, stride, recipe.dropout),
                split,
                epochs=recipe.epochs,
                batch_size=config.batch_size,
                optimizer=config.optimizer,
                learning_rate=config.learning_rate,
                train_eval_size=config.train_eval_size,
                seed=config.split_seed,
                checkpoint_dir=folder,
                max_shift=recipe.max_shift,
                flip=recipe.flip,
                weight_decay=recipe.weight_decay,
                cosine_decay=recipe.cosine_decay,
                augment_seed=seed,
            )
            run["recipe"] = dataclasses.asdict(recipe)
            write_run(RESULT_ID, name, run, config, seed, root)


def search_recipes(config: Config, split, root: Path) -> Recipe:
    """Trains each candidate recipe once and returns the best on the validation set.

    Each of `config.candidates` is trained at `config.search_stride` and
    `config.search_seed` and scored by its best validation accuracy over its
    epochs (early stopping on validation). The plain recipe of the same
    stride and seed is listed for reference, not chosen. The test set is not
    used. Writes `search_<backend>.json` with a table and `chosen_recipe`.

    Args:
        config: the settings, with the candidates and where they are trained.
        split: the data.
        root: the results folder.
    """
    stride, seed, candidates = (
        config.search_stride,
        config.search_seed,
        config.candidates,
    )
    plain = config.plain()
    rows, scores = [], {}
    for recipe in (plain, *candidates):
        train_runs(config, split, recipe, [stride], [seed], root)
        name = stride_run_name(config.backend, recipe, stride, seed)
        history = read_run(root, name)["history"]
        epoch = best_epoch([history])
        row = history[epoch - 1]
        if recipe is not plain:
            scores[recipe.name] = row["val_accuracy"]
        rows.append(
            [
                recipe.name,
                recipe.describe(),
                f"{epoch}",
                f"{row['train_accuracy']:.2%}",
                f"{row['val_accuracy']:.2%}",
                f"{row['val_loss']:.3f}",
            ]
        )
    chosen = max(candidates, key=lambda r: scores[r.name])
    columns = [
        "recipe",
        "settings",
        "best epoch (val.)",
        "train acc.",
        "val. acc.",
        "val. loss",
    ]
    write_result(
        RESULT_ID,
        f"search_{config.backend}",
        {
            "stride": stride,
            "seed": seed,
            "val_accuracy": scores,
            "chosen_recipe": dataclasses.asdict(chosen),
            "table": {"columns": columns, "rows": rows},
        },
        config=config,
        seed=seed,
        root=root,
    )
    return chosen


def chosen_recipe(root: Path, backend: str = "tensorflow") -> Recipe:
    """The recipe `search_recipes` chose, read back from its result file.

    Args:
        root: the results folder.
        backend: the backend whose search is read. Defaults to "tensorflow".
    """
    return Recipe(**read_run(root, f"search_{backend}")["chosen_recipe"])


def parameter_counts(config: Config, root: Path) -> None:
    """`params.json`: counts by formula, checked against Keras, per padding and stride."""
    counts = {}
    k, filters = config.kernel_size, config.filters
    for padding in ("valid", "same"):
        for stride in config.strides:
            model = build_stride_model(config, stride, padding=padding)
            side = (
                output_size(28, k, 0, stride)
                if padding == "valid"
                else -(-28 // stride)
            )
            by_formula, by_keras = total_parameters(model), int(model.count_params())
            if by_formula != by_keras:
                raise AssertionError(
                    f"{padding} stride {stride}: formula {by_formula} != Keras {by_keras}"
                )
            counts[f"{padding}_stride{stride}"] = {
                "table": parameter_table(model),
                "total": by_formula,
                "count_params": by_keras,
                "side": side,
                "flat": side * side * filters,
                "same_padding": same_padding(28, k, stride),
                # Multiply-adds of one forward pass: each output of the conv layer
                # is a k·k·C_in dot product; each logit a flat-length one.
                "conv_macs": side * side * k**2 * filters,
                "dense_macs": side * side * filters * 10,
                "macs": side * side * filters * (k**2 + 10),
            }
    write_result(RESULT_ID, "params", counts, config=config, root=root)


def load_epoch(config: Config, recipe: Recipe, stride: int, seed: int, epoch: int):
    """The network of a run with the weights saved after `epoch` (counted from 1)."""
    model = build_stride_model(config, stride, recipe.dropout)
    model.load_weights(
        checkpoint_dir(config, recipe, stride, seed) / f"epoch{epoch}.weights.h5"
    )
    return model


def evaluate_epoch(
    config: Config, split, recipe: Recipe, stride: int, seed: int, epoch: int
) -> dict:
    """Metrics of the weights saved after `epoch` on all three sets, and test predictions.

    Args:
        config: the settings.
        split: the data.
        recipe: the recipe the run was trained with.
        stride: the run's stride.
        seed: the run's seed.
        epoch: the epoch whose saved weights are loaded, counted from 1.

    Returns:
        `train`, `val` and `test` (each `accuracy` and `loss`),
        `test_probabilities` and `test_predicted`.
    """
    model = load_epoch(config, recipe, stride, seed, epoch)
    result = {}
    for part in ("train", "val", "test"):
        probabilities = predict_probabilities(model, getattr(split, f"x_{part}"))
        result[part] = accuracy_and_loss(probabilities, getattr(split, f"y_{part}"))
    result["test_probabilities"] = probabilities
    result["test_predicted"] = np.argmax(probabilities, axis=1)
    return result


def summary_name(backend: str, recipe: Recipe) -> str:
    """`summary_<backend>`, with `_tuned` for any recipe but the plain one."""
    return f"summary_{backend}" + ("" if recipe.name == "plain" else "_tuned")


def summarise_strides(
    config: Config, split, recipe: Recipe, root: Path, examples: bool = True
) -> dict:
    """Chooses the epoch of each stride on validation, evaluates it, writes the summary.

    Writes `summary_<backend>[_tuned].json` (per stride: chosen epoch, train /
    val / test metrics, timing, per-class recall; a results table and a recall
    table) and the curves and confusion figures.

    Args:
        config: the settings (strides, seeds, backend, ...).
        split: the data the runs were trained on.
        recipe: the recipe whose runs are summarised.
        root: the results folder.
        examples: also draw grids of random test successes and failures
            (first seed). Defaults to True.

    Returns:
        The summary written.
    """
    backend, names = config.backend, split.class_names
    suffix = summary_name(backend, recipe).removeprefix(f"summary_{backend}")
    runs = {
        s: [
            read_run(root, stride_run_name(backend, recipe, s, k)) for k in config.seeds
        ]
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


SHIFT_DIRECTIONS = [(dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx]


def shifted_accuracy(model, x, y, pixels: int) -> float:
    """Test accuracy on `x` moved by `pixels` in each of the 8 directions, averaged."""
    if not pixels:
        return accuracy_and_loss(predict_probabilities(model, x), y)["accuracy"]
    return float(
        np.mean(
            [
                accuracy_and_loss(
                    predict_probabilities(model, shift_by(x, pixels * dy, pixels * dx)),
                    y,
                )["accuracy"]
                for dy, dx in SHIFT_DIRECTIONS
            ]
        )
    )


def shift_tolerance(
    config: Config, split, recipe: Recipe, summary: dict, root, shifts=(0, 1, 2)
) -> dict:
    """A4: test accuracy of each stride's chosen epoch on shifted test images.

    Each test image is moved by 1 and 2 pixels in each of the 8 directions
    (zeros moved in); the accuracy is the mean over directions, per seed.

    Args:
        config: the settings.
        split: the data.
        recipe: the recipe of the runs.
        summary: its `summarise_strides` summary (the chosen epochs).
        root: the results folder.
        shifts: the shifts in pixels. Defaults to (0, 1, 2).
    """
    out = {"shifts": list(shifts), "seeds": list(config.seeds)}
    by_stride = {}
    for stride in config.strides:
        epoch = summary[f"stride{stride}"]["chosen_epoch"]
        models = [load_epoch(config, recipe, stride, k, epoch) for k in config.seeds]
        by_seed = np.array(
            [
                [shifted_accuracy(m, split.x_test, split.y_test, d) for d in shifts]
                for m in models
            ]
        )
        by_stride[stride] = by_seed
        out[f"stride{stride}"] = {
            "by_seed": by_seed.tolist(),
            "accuracy": [mean_std(by_seed[:, i]) for i in range(len(shifts))],
            "drop": [
                mean_std(by_seed[:, 0] - by_seed[:, i]) for i in range(len(shifts))
            ],
        }
    first, last = by_stride[config.strides[0]], by_stride[config.strides[-1]]
    # Per seed: how much more the last stride loses than the first at each shift.
    extra = (last[:, :1] - last) - (first[:, :1] - first)
    out["extra_drop"] = [mean_std(extra[:, i]) for i in range(len(shifts))]
    out["table"] = {
        "columns": ["stride", *(f"test acc., shift {d} px" for d in shifts)],
        "rows": [
            [
                f"{s}",
                *(format_mean_std(a, ".2%") for a in out[f"stride{s}"]["accuracy"]),
            ]
            for s in config.strides
        ],
    }
    write_result(RESULT_ID, "shift_tolerance", out, config=config, root=root)
    fig, ax = new_figure(width=5, height=3.4)
    for s in config.strides:
        plot_mean_std(ax, shifts, out[f"stride{s}"]["accuracy"], label=f"stride {s}")
    ax.set_xticks(list(shifts))
    ax.set_xlabel("shift of every test image (pixels, mean of 8 directions)")
    ax.set_ylabel("test accuracy")
    ax.legend()
    save_figure(fig, RESULT_ID, "shift_tolerance", root)
    return out


def recall_table(summary: dict, strides, names) -> dict:
    """Per class: recall at each stride, and its change from the first to the last."""
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


def save_examples(config: Config, split, stride: int, chosen: dict, root: Path) -> None:
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


def plot_training(config: Config, runs: dict, summary: dict, suffix: str, root) -> None:
    """`curves_<backend><suffix>.png`: accuracy and loss by epoch, chosen epochs marked."""
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


def plot_confusions(
    config: Config, confusions: dict, names, suffix: str, root: Path
) -> None:
    """`confusion_<backend><suffix>.png`: one test confusion matrix per stride."""
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


def compare_recipes(root: Path, backend: str, strides=(1, 2)) -> None:
    """`recipes_<backend>.json`: the plain and the tuned recipe side by side, per stride.

    Args:
        root: the results folder, holding both summaries of `backend`.
        backend: the backend compared.
        strides: the strides compared. Defaults to (1, 2).
    """
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
                    *accuracy_cells(entry),
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


def accuracy_cells(entry: dict) -> list[str]:
    """Train, validation and test accuracy of a stride's summary, as 'mean ± std' %."""
    return [
        format_mean_std(entry[f"{p}_accuracy"], ".2%") for p in ("train", "val", "test")
    ]


def compare_backends(root: Path, strides=(1, 2)) -> None:
    """`backends.json`: the plain summaries of every backend that has one, and
    validation accuracy by epoch.

    Does nothing until at least two backends have a summary.

    Args:
        root: the results folder.
        strides: the strides compared. Defaults to (1, 2).
    """
    summaries = {}
    for backend in BACKENDS:
        with contextlib.suppress(FileNotFoundError):
            summaries[backend] = read_run(root, f"summary_{backend}")
    if len(summaries) < 2:
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
                    *accuracy_cells(entry),
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
                    *(format_mean_std(means[b][0][e], ".2%") for b in summaries),
                    *(format_mean_std(means[b][1][e], ".3f") for b in summaries),
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
            *(f"val. acc., {BACKENDS[b]}" for b in summaries),
            *(f"val. loss, {BACKENDS[b]}" for b in summaries),
        ],
        "rows": epoch_rows,
    }
    write_result(
        RESULT_ID, "backends", {"table": table, "epochs_table": epochs_table}, root=root
    )


def run_strides(
    config: Config, root: Path, stage: str = "all", recipes=("plain", "tuned")
) -> None:
    """Runs the search and/or the final runs with their summaries and comparisons.

    Args:
        config: the settings.
        root: the results folder.
        stage: "search" (the candidates on one seed), "final" (the recipes on
            every seed and stride, and the summaries) or "all" (both).
            Defaults to "all".
        recipes: recipes of the final stage; "tuned" needs the search's
            result. Defaults to ("plain", "tuned").
    """
    use_strategy(config.distribute)
    split = load_fashion_split(
        config.val_fraction, config.split_seed, config.train_size
    )
    if stage in ("search", "all"):
        search_recipes(config, split, root)
    if stage in ("final", "all"):
        # The counts and A4's shift test belong to the page's main backend;
        # another backend's final stage adds its own runs and summary only.
        main_backend = config.backend == config.search_backend
        if main_backend:
            parameter_counts(config, root)
        for name in recipes:
            if name == "plain":
                recipe = config.plain()
            else:
                recipe = chosen_recipe(root, config.search_backend)
            train_runs(config, split, recipe, config.strides, config.seeds, root)
            summary = summarise_strides(
                config, split, recipe, root, examples=name == "plain"
            )
            if name == "plain" and main_backend:
                shift_tolerance(config, split, recipe, summary, root)
        if set(recipes) == {"plain", "tuned"}:
            compare_recipes(root, config.backend, config.strides)
        compare_backends(root, config.strides)


def main(args: argparse.Namespace) -> None:
    """Runs A3 and A4 from the options of `scripts/train_fashion_strides.py`."""
    config = Config(
        seeds=cli.seeds_of(args),
        max_epochs=args.max_epochs,
        threads=args.threads,
        distribute=args.distribute,
    )
    if args.quick:
        config = config.quick()
    root = cli.results_root(args)
    run_strides(config, root, args.stage, args.recipes)
    print(f"wrote {root / RESULT_ID}", flush=True)
