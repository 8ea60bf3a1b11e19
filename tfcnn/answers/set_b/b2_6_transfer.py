"""Set B, B2.6 (bonus), on a stand-in: from eight CIFAR-10 classes to cat against dog.

The dog-breed photos are not on this machine, so the transfer pipeline runs on
images that are: B2.4's network and recipe is trained on the eight CIFAR-10
classes that are neither cat nor dog, for half of B2.4's epochs (the
"pretrained backbone"), then cat
against dog is learnt from a few labelled images in two ways:

- transfer: the frozen backbone's pooled features, and a logistic regression
  on them whose regularisation is chosen on validation;
- scratch: the same network trained from a random start on the same images,
  its number of epochs chosen on validation.

Every budget and seed draws its labelled images from the cat and dog training
images (a balanced subset), validates on 1,000 other ones, and is tested on
CIFAR-10's 2,000 test cats and dogs. Writes `docs/results/b2-6/`. About 20
minutes on two cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile

import keras
import numpy as np
from sklearn.linear_model import LogisticRegression

from tfcnn import cli
from tfcnn.answers.set_b import b2_4_b2_5_cifar as cifar
from tfcnn.data.datasets import ImageDataset
from tfcnn.data.folders import cached_dataset
from tfcnn.results import set_seed, write_result
from tfcnn.results.summary import format_mean_std, mean_std
from tfcnn.training.checkpoints import TrainingBackup

RESULT_ID = "b2-6"
TARGET_CLASSES = ("cat", "dog")


@dataclasses.dataclass
class Config:
    """The stand-in transfer study.

    Args:
        backbone_seed: seed of the backbone's run. Defaults to 0.
        backbone_epochs: the backbone's epochs. Defaults to 4 (half of
            B2.4's schedule, to keep the study short).
        backbone_per_class: training images per class of the backbone; None
            for all. Defaults to None.
        labels_per_class: the label budgets, per class. Defaults to (50, 250).
        seeds: seeds of the few-label runs (each draws its own images).
            Defaults to (0, 1, 2).
        scratch_epochs: epoch counts tried from scratch; validation chooses.
            Defaults to (10, 40).
        scratch_batch_size: images per step from scratch. Defaults to 50.
        probe_c: inverse regularisations tried for the logistic regression;
            validation chooses. Defaults to (0.01, 0.1, 1, 10).
        val_fraction: share of the cat and dog training images held out for
            validation. Defaults to 0.1 (1,000 images).
        precision: the Keras dtype policy of both networks. Defaults to
            "mixed_bfloat16" (B2.4's on a CPU with AMX; the script's
            `--precision auto` takes float32 elsewhere).
    """

    backbone_seed: int = 0
    backbone_epochs: int = 4
    backbone_per_class: int | None = None
    labels_per_class: tuple = (50, 250)
    seeds: tuple = (0, 1, 2)
    scratch_epochs: tuple = (10, 40)
    scratch_batch_size: int = 50
    probe_c: tuple = (0.01, 0.1, 1.0, 10.0)
    val_fraction: float = 0.1
    precision: str = "mixed_bfloat16"

    def quick(self) -> Config:
        """The smoke run: a 2-epoch backbone on 1,600 images, one budget, one seed."""
        return dataclasses.replace(
            self,
            backbone_epochs=2,
            backbone_per_class=200,
            labels_per_class=(50,),
            seeds=(0,),
            scratch_epochs=(2, 4),
        )


def select_classes(data: ImageDataset, names, keep: bool) -> ImageDataset:
    """The images of the classes in `names` (keep) or of all others, relabelled 0, 1, ..."""
    chosen = [n for n in data.class_names if (n in names) == keep]
    index = {data.class_names.index(n): i for i, n in enumerate(chosen)}

    def part(x, y):
        mask = np.isin(y, list(index))
        return x[mask], np.array([index[v] for v in y[mask]], dtype=y.dtype)

    (x_train, y_train), (x_test, y_test) = (
        part(data.x_train, data.y_train),
        part(data.x_test, data.y_test),
    )
    return dataclasses.replace(
        data,
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        class_names=tuple(chosen),
    )


def backbone_config(config: Config) -> cifar.Config:
    """B2.4's network and recipe, one seed."""
    return cifar.Config(
        epochs=config.backbone_epochs,
        train_per_class=config.backbone_per_class,
        precision=config.precision,
        seeds=(config.backbone_seed,),
    )


def scratch_config(config: Config, per_class: int, epochs: int = 1) -> cifar.Config:
    """B2.4's recipe on `per_class` labelled images of each class, for `epochs`."""
    return dataclasses.replace(
        backbone_config(config),
        epochs=epochs,
        batch_size=config.scratch_batch_size,
        train_per_class=per_class,
        val_fraction=config.val_fraction,
    )


def few_labels(config: Config, task: ImageDataset, per_class: int, seed: int):
    """The labelled and the validation images of one budget and seed, as
    `cifar.train_one` draws them for the network trained from scratch."""
    return cifar.training_split(scratch_config(config, per_class), task, seed)


def feature_model(backbone: keras.Model) -> keras.Model:
    """The backbone up to its global-max-pooled features."""
    return keras.Model(backbone.input, backbone.get_layer("global_max").output)


def pooled_features(features: keras.Model, x: np.ndarray) -> np.ndarray:
    """`features(x)` for float pixels, as float32."""
    out = features.predict(x.astype("float32"), batch_size=500, verbose=0)
    return np.asarray(out).astype(np.float32)


def linear_probe(features, labelled, val, test, cs) -> dict:
    """Logistic regression on frozen features, its C chosen on validation.

    Args:
        features: the feature model (`feature_model` of the backbone).
        labelled: `(x, y)` to fit on.
        val: `(x, y)` that chooses C.
        test: `(x, y)`, only reported.
        cs: the inverse regularisations tried.
    """
    feats = [pooled_features(features, x) for x, _ in (labelled, val, test)]
    mean, std = feats[0].mean(0), feats[0].std(0) + 1e-6
    f_train, f_val, f_test = ((f - mean) / std for f in feats)
    scores = {}
    for c in cs:
        probe = LogisticRegression(C=c, max_iter=2000).fit(f_train, labelled[1])
        scores[c] = (probe.score(f_val, val[1]), probe.score(f_test, test[1]))
    best = max(cs, key=lambda c: scores[c][0])
    return {
        "chosen_c": best,
        "val_accuracy": scores[best][0],
        "test_accuracy": scores[best][1],
        "val_by_c": {str(c): scores[c][0] for c in cs},
    }


def from_scratch(config: Config, task: ImageDataset, per_class: int, seed: int) -> dict:
    """B2.4's network trained on the labelled images alone, epochs chosen on validation."""
    tried = {
        epochs: train_fresh(scratch_config(config, per_class, epochs), seed, task)[0]
        for epochs in config.scratch_epochs
    }
    best = max(tried, key=lambda e: tried[e]["val_accuracy_tta"])
    return {
        "chosen_epochs": best,
        "val_accuracy": tried[best]["val_accuracy_tta"],
        "test_accuracy": tried[best]["test_accuracy_tta"],
        "val_by_epochs": {str(e): r["val_accuracy_tta"] for e, r in tried.items()},
        "train_seconds": sum(r["train_seconds"] for r in tried.values()),
    }


def train_fresh(config, seed: int, data):
    """`train_one` with a throw-away checkpoint folder (these runs do not resume)."""
    with tempfile.TemporaryDirectory(prefix="tfcnn-b2-6-") as folder:
        return cifar.train_one(config, seed, data, TrainingBackup(folder))


def run_transfer(config: Config, root) -> dict:
    """Trains the backbone, then every budget and seed both ways; writes the summary."""
    keras.mixed_precision.set_global_policy(config.precision)
    data = cached_dataset("cifar10")
    source = select_classes(data, TARGET_CLASSES, keep=False)
    task = select_classes(data, TARGET_CLASSES, keep=True)
    backbone_run, backbone = train_fresh(
        backbone_config(config), config.backbone_seed, source
    )
    print(
        f"backbone on {len(source.class_names)} classes: test accuracy "
        f"{backbone_run['test_accuracy_tta']:.4f}",
        flush=True,
    )
    features = feature_model(backbone)
    rows, budgets = [], {}
    for per_class in config.labels_per_class:
        runs = []
        for seed in config.seeds:
            labelled, val = few_labels(config, task, per_class, seed)
            probe = linear_probe(
                features, labelled, val, (task.x_test, task.y_test), config.probe_c
            )
            set_seed(seed, deterministic=False)
            scratch = from_scratch(config, task, per_class, seed)
            runs.append({"seed": seed, "transfer": probe, "scratch": scratch})
            print(
                f"{2 * per_class} labels, seed {seed}: transfer "
                f"{probe['test_accuracy']:.4f}, scratch {scratch['test_accuracy']:.4f}",
                flush=True,
            )
        stats = {
            way: {
                part: mean_std([r[way][f"{part}_accuracy"] for r in runs])
                for part in ("val", "test")
            }
            for way in ("transfer", "scratch")
        }
        budgets[str(per_class)] = {"runs": runs, **stats}
        rows.append(
            [
                f"{2 * per_class:,}",
                format_mean_std(stats["transfer"]["val"], ".1%"),
                format_mean_std(stats["transfer"]["test"], ".1%"),
                format_mean_std(stats["scratch"]["val"], ".1%"),
                format_mean_std(stats["scratch"]["test"], ".1%"),
            ]
        )
    summary = {
        "source_classes": list(source.class_names),
        "backbone": {
            k: backbone_run[k]
            for k in ("parameters", "train_images", "epochs_completed", "cut_short")
        }
        | {
            "val_accuracy": backbone_run["val_accuracy_tta"],
            "test_accuracy": backbone_run["test_accuracy_tta"],
            "train_seconds": backbone_run["train_seconds"],
        },
        "test_images": len(task.y_test),
        "budgets": budgets,
        "table": {
            "columns": [
                "labelled images (cat + dog)",
                "transfer: val. acc.",
                "transfer: test acc.",
                "from scratch: val. acc.",
                "from scratch: test acc.",
            ],
            "rows": rows,
        },
    }
    write_result(RESULT_ID, "summary", summary, config=config, root=root)
    return summary


def main(args: argparse.Namespace) -> None:
    """Runs the stand-in from the options of `scripts/train_transfer_standin.py`."""
    config = Config(
        seeds=cli.seeds_of(args), precision=cifar.resolve_precision(args.precision)
    )
    if args.quick:
        config = config.quick()
    root = cli.results_root(args)
    run_transfer(config, root)
    print(f"wrote {root / RESULT_ID}", flush=True)
