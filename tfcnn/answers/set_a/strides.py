"""Set A (A3, A4): the sheet's one-conv-layer network at stride 1 and 2 on Fashion-MNIST.

The network is conv k×k (`filters`, stride s) + ReLU + dense to 10 logits.
Every run trains for a fixed number of epochs, records train and validation
metrics after every epoch and saves the weights; the epoch used is then
chosen on validation (`tfcnn.answers.set_a.strides_report`). A `Recipe` adds training
changes that leave the parameters as they are (augmentation, dropout, weight
decay, a learning-rate schedule); `search_recipes` compares candidate recipes
on the validation set only.

The experiment's settings come from the calling script's `Config` (any object
with the attributes used: `strides`, `padding`, `filters`, `kernel_size`,
`optimizer`, `learning_rate`, `batch_size`, `split_seed`, `train_eval_size`,
`backend`, `checkpoints`).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import keras
import numpy as np

from tfcnn.analysis import parameter_table, total_parameters
from tfcnn.analysis.conv import output_size, same_padding
from tfcnn.models import build_shallow
from tfcnn.results import set_seed, write_result
from tfcnn.training.fit import train_epochs
from tfcnn.training.metrics import accuracy_and_loss, best_epoch, predict_probabilities

RESULT_ID = "a3"


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


def build(config, stride: int, dropout: float = 0.0, padding: str | None = None):
    """The sheet's network at `stride`; with `dropout`, a Dropout layer before the dense one.

    Dropout has no parameters and is the identity at inference, so the model
    computes the same function of the same parameters.
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


def run_name(backend: str, recipe: Recipe, stride: int, seed: int) -> str:
    """`<backend>_stride<S>_seed<K>` for the plain recipe, else with the recipe's name."""
    variant = "" if recipe.name == "plain" else f"{recipe.name}_"
    return f"{backend}_{variant}stride{stride}_seed{seed}"


def checkpoint_dir(config, recipe: Recipe, stride: int, seed: int) -> Path:
    name = run_name(config.backend, recipe, stride, seed)
    return Path(config.checkpoints) / config.backend / name.split("_", 1)[1]


def read_run(root: Path, name: str) -> dict:
    path = Path(root) / RESULT_ID / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: train that run first.")
    return json.loads(path.read_text())


def train_runs(config, split, recipe: Recipe, strides, seeds, root: Path) -> None:
    """Trains every (seed, stride) of `recipe` not yet written, saving weights per epoch."""
    for seed in seeds:
        for stride in strides:
            name = run_name(config.backend, recipe, stride, seed)
            folder = checkpoint_dir(config, recipe, stride, seed)
            last = folder / f"epoch{recipe.epochs}.weights.h5"
            if (Path(root) / RESULT_ID / f"{name}.json").exists() and last.exists():
                print(f"--- {name}: already written, skipped", flush=True)
                continue
            print(f"--- {name}: {recipe.describe()}", flush=True)
            set_seed(seed)
            run = train_epochs(
                build(config, stride, recipe.dropout),
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
            write_result(
                RESULT_ID,
                name,
                run,
                config=config,
                seed=seed,
                wall_seconds=run["wall_seconds"],
                root=root,
            )


def search_recipes(config, split, candidates, stride: int, seed: int, root: Path):
    """Trains each candidate recipe once and picks the best on the validation set.

    Each candidate is scored by its best validation accuracy over its epochs
    (early stopping on validation). The sheet's plain recipe of the same
    stride and seed is listed for reference, not chosen. The test set is not
    used. Writes `search_<backend>.json` with a table and `chosen_recipe`.
    """
    plain = Recipe(epochs=config.max_epochs)
    rows, scores = [], {}
    for recipe in (plain, *candidates):
        train_runs(config, split, recipe, [stride], [seed], root)
        history = read_run(root, run_name(config.backend, recipe, stride, seed))[
            "history"
        ]
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
    write_result(
        RESULT_ID,
        f"search_{config.backend}",
        {
            "stride": stride,
            "seed": seed,
            "val_accuracy": scores,
            "chosen_recipe": dataclasses.asdict(chosen),
            "table": {
                "columns": [
                    "recipe",
                    "settings",
                    "best epoch (val.)",
                    "train acc.",
                    "val. acc.",
                    "val. loss",
                ],
                "rows": rows,
            },
        },
        config=config,
        seed=seed,
        root=root,
    )
    return chosen


def chosen_recipe(root: Path, backend: str = "tensorflow") -> Recipe:
    """The recipe `search_recipes` chose, read back from its result file."""
    return Recipe(**read_run(root, f"search_{backend}")["chosen_recipe"])


def parameter_counts(config, root: Path) -> None:
    """Counts by formula, checked against Keras, for both paddings and both strides."""
    counts = {}
    for padding in ("valid", "same"):
        for stride in config.strides:
            model = build(config, stride, padding=padding)
            side = (
                output_size(28, config.kernel_size, 0, stride)
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
                "flat": side * side * config.filters,
                "same_padding": same_padding(28, config.kernel_size, stride),
                # Multiply-adds of one forward pass: each output of the conv layer
                # is a k·k·C_in dot product; each logit a flat-length one.
                "conv_macs": side * side * config.kernel_size**2 * config.filters,
                "dense_macs": side * side * config.filters * 10,
                "macs": side * side * config.filters * (config.kernel_size**2 + 10),
            }
    write_result(RESULT_ID, "params", counts, config=config, root=root)


def evaluate_epoch(config, split, recipe: Recipe, stride: int, seed: int, epoch: int):
    """Probabilities and metrics of the weights saved after `epoch`, on all three sets."""
    model = build(config, stride, recipe.dropout)
    model.load_weights(
        checkpoint_dir(config, recipe, stride, seed) / f"epoch{epoch}.weights.h5"
    )
    result = {}
    for part in ("train", "val", "test"):
        probabilities = predict_probabilities(model, getattr(split, f"x_{part}"))
        result[part] = accuracy_and_loss(probabilities, getattr(split, f"y_{part}"))
    result["test_probabilities"] = probabilities
    result["test_predicted"] = np.argmax(probabilities, axis=1)
    return result
