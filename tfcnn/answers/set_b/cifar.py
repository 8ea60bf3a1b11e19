"""Set B, B2.4 and B2.5: seeded CIFAR-10 runs of the fast network, and their summaries.

A run trains `tfcnn.models.cifar.build_cifar_net` (standard or depthwise
separable convs) on the training split with flips and translations, chooses
nothing on the test set, and evaluates it once at the end, with and without
flip test-time augmentation. The configuration is the `Config` dataclass of
`scripts/train_cifar10.py`.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import keras
import numpy as np
from sklearn.metrics import confusion_matrix

from tfcnn.bench.peak import cpu_flags
from tfcnn.data import stratified_subset, train_val_split
from tfcnn.data.augment import evaluation_dataset, measure_throughput, training_dataset
from tfcnn.models.cifar import build_cifar_net, normalise, whitening_kernel
from tfcnn.results import machine, read_result, set_seed
from tfcnn.results.summary import mean_std
from tfcnn.training.callbacks import EpochProgress
from tfcnn.training.checkpoints import TrainingBackup
from tfcnn.training.fit import compile_cifar, fit
from tfcnn.training.metrics import predict_logits

SUMMARY_KEYS = (
    "test_accuracy_tta",
    "test_accuracy",
    "val_accuracy_tta",
    "val_accuracy",
    "train_seconds",
    "seconds_per_epoch",
    "cpu_seconds_per_epoch",
    "pipeline_images_per_second",
)


def variant_name(separable: bool, precision: str) -> str:
    """ "standard" or "separable", with "_<precision>" unless mixed_bfloat16."""
    name = "separable" if separable else "standard"
    return name if precision == "mixed_bfloat16" else f"{name}_{precision}"


def result_id(separable: bool) -> str:
    """The results folder: b2-5 for the separable network, b2-4 for the standard."""
    return "b2-5" if separable else "b2-4"


def resolve_precision(precision: str) -> str:
    """`precision`, with "auto" made mixed_bfloat16 on AMX CPUs and float32 elsewhere."""
    if precision != "auto":
        return precision
    return "mixed_bfloat16" if "amx_bf16" in cpu_flags() else "float32"


def architecture_table(model: keras.Model) -> dict:
    """Every layer with its output shape and Keras' own parameter count."""
    rows = [
        [
            layer.name,
            type(layer).__name__,
            "×".join(str(d) for d in layer.output.shape[1:]),
            layer.count_params(),
        ]
        for layer in model.layers
    ]
    rows.append(["**total**", "", "", model.count_params()])
    return {"columns": ["layer", "type", "output shape", "parameters"], "rows": rows}


def accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    """The share of rows of `logits` whose largest entry is at the label."""
    return float((logits.argmax(axis=1) == labels).mean())


def train_one(config, seed: int, data, backup: TrainingBackup) -> dict:
    """One seeded run: split, whitening, training, and the final evaluations.

    Args:
        config: the script's `Config` (a dataclass).
        seed: the seed of the split, the initial weights and the augmentation.
        data: the CIFAR-10 `ImageDataset`.
        backup: saves the state after every epoch; a run with a checkpoint
            continues from it.

    Returns:
        The run's result: accuracies, history, timing, confusion matrix,
        per-class accuracy and the architecture table.
    """
    set_seed(seed, deterministic=False)
    (x_train, y_train), (x_val, y_val) = train_val_split(
        data.x_train, data.y_train, config.val_fraction, seed
    )
    if config.train_per_class:
        x_train, y_train = stratified_subset(
            x_train, y_train, config.train_per_class, seed
        )
    if config.val_per_class:
        x_val, y_val = stratified_subset(x_val, y_val, config.val_per_class, seed)
    stem = (
        whitening_kernel(normalise(x_train[: config.whitening_images]))
        if config.whitening
        else None
    )
    model = build_cifar_net(
        config.widths,
        separable=config.separable,
        stem_kernel=stem,
        batchnorm_momentum=config.batchnorm_momentum,
    )
    steps = len(x_train) // config.batch_size
    compile_cifar(
        model,
        steps * config.epochs,
        config.batch_size,
        config.learning_rate_per_1024,
        config.momentum,
        config.weight_decay,
        config.label_smoothing,
    )
    stream = training_dataset(
        x_train,
        y_train,
        config.batch_size,
        seed=seed,
        flip=config.flip,
        translate=config.translate,
    )
    pipeline_images_per_second = measure_throughput(stream, batches=20)
    progress = EpochProgress(config.epochs, 60 * config.time_budget_minutes)
    print(
        f"seed {seed}: {config.variant}, {model.count_params():,} parameters, "
        f"{len(x_train)} train / {len(x_val)} val images, {steps} steps per epoch",
        flush=True,
    )
    run = {
        key: value
        for key, value in dataclasses.asdict(config).items()
        if key not in ("seeds", "time_budget_minutes")
    }
    fit(
        model,
        stream,
        epochs=config.epochs,
        steps_per_epoch=steps,
        validation_data=evaluation_dataset(x_val, y_val),
        callbacks=[progress, backup],
        run={**run, "seed": seed},
    )
    train_seconds = progress.elapsed_seconds()  # also before a resume

    val_plain, val_tta = (
        predict_logits(model, x_val, flip_tta=t) for t in (False, True)
    )
    test_plain, test_tta = (
        predict_logits(model, data.x_test, flip_tta=t) for t in (False, True)
    )
    final = test_tta if config.flip_tta else test_plain
    matrix = confusion_matrix(
        data.y_test, final.argmax(axis=1), labels=range(len(data.class_names))
    )
    history = progress.history
    return {
        "seed": seed,
        "parameters": int(model.count_params()),
        "train_images": len(x_train),
        "val_images": len(x_val),
        "test_images": len(data.x_test),
        "epochs_completed": len(history),
        "cut_short": progress.cut_short,
        "history": history,
        "train_seconds": train_seconds,
        "seconds_per_epoch": float(np.mean([r["epoch_seconds"] for r in history])),
        "cpu_seconds_per_epoch": float(
            np.mean([r["epoch_cpu_seconds"] for r in history])
        ),
        "pipeline_images_per_second": pipeline_images_per_second,
        "val_accuracy": accuracy(val_plain, y_val),
        "val_accuracy_tta": accuracy(val_tta, y_val),
        "test_accuracy": accuracy(test_plain, data.y_test),
        "test_accuracy_tta": accuracy(test_tta, data.y_test),
        "confusion_matrix": matrix,
        "architecture": architecture_table(model),
        "per_class_accuracy": dict(
            zip(data.class_names, (matrix.diagonal() / matrix.sum(axis=1)).tolist())
        ),
    }


def summarise(config, runs: list[dict], class_names) -> dict:
    """Means and spreads over seeds, and the tables the set B page shows.

    Args:
        config: the script's `Config`.
        runs: the results of `train_one`, one per seed.
        class_names: a name per class.
    """
    per_class = {
        name: mean_std([run["per_class_accuracy"][name] for run in runs])
        for name in class_names
    }
    matrix = np.sum([run["confusion_matrix"] for run in runs], axis=0)
    return {
        "variant": config.variant,
        "seeds": [run["seed"] for run in runs],
        "parameters": runs[0]["parameters"],
        "any_cut_short": any(run["cut_short"] for run in runs),
        "epochs_completed": [run["epochs_completed"] for run in runs],
        "architecture": runs[0]["architecture"],
        **{key: mean_std([run[key] for run in runs]) for key in SUMMARY_KEYS},
        "per_class": {
            "columns": ["class", "test accuracy (mean ± std over seeds)"],
            "rows": [[name, value] for name, value in per_class.items()],
        },
        "confusion_matrix": {
            "columns": ["true \\ predicted", *class_names],
            "rows": [[name, *row] for name, row in zip(class_names, matrix.tolist())],
        },
    }


def compare_with_standard(separable: dict, standard: dict) -> dict:
    """How the separable network's summary compares with the standard one's.

    Args:
        separable: a separable summary of `summarise`, with `meta.machine.cpu`.
        standard: the standard summary of the same precision, as written.

    Returns:
        The standard's variant; ratios separable / standard of the parameters
        and of the mean wall and CPU seconds per epoch; differences separable -
        standard of the mean test accuracy with and without flip TTA (as
        fractions); and whether both ran on the same CPU.
    """

    def mean(summary, key):
        return summary[key]["mean"]

    return {
        "standard": standard["variant"],
        "parameters_ratio": separable["parameters"] / standard["parameters"],
        **{
            f"{key}_ratio": mean(separable, key) / mean(standard, key)
            for key in ("seconds_per_epoch", "cpu_seconds_per_epoch")
        },
        **{
            f"{key}_difference": mean(separable, key) - mean(standard, key)
            for key in ("test_accuracy_tta", "test_accuracy")
        },
        "same_machine": separable["meta"]["machine"]["cpu"]
        == standard["meta"]["machine"]["cpu"],
    }


def standard_comparison(
    summary: dict, precision: str, root: Path | None = None
) -> dict | None:
    """`compare_with_standard` of a separable summary made on this machine, or None.

    Args:
        summary: the separable summary of `summarise` (without metadata).
        precision: its precision; the standard summary of the same one is read.
        root: the results folder. Defaults to `tfcnn.results.results_dir()`.

    Returns:
        The comparison, or None if the standard summary has not been written.
    """
    name = f"{variant_name(False, precision)}_summary"
    try:
        standard = read_result(result_id(False), name, root)
    except FileNotFoundError:
        return None
    return compare_with_standard({**summary, "meta": {"machine": machine()}}, standard)


def finished_run(config, seed: int, root: Path | None = None) -> dict | None:
    """A seed's result read back, if its file holds this configuration; else None.

    Args:
        config: the script's `Config`.
        seed: the seed.
        root: the results folder. Defaults to `tfcnn.results.results_dir()`.
    """
    try:
        stored = read_result(config.result_id, f"{config.variant}_seed{seed}", root)
    except FileNotFoundError:
        return None
    same = stored["meta"]["config"] == json.loads(
        json.dumps(dataclasses.asdict(config))
    )
    return stored if same else None
