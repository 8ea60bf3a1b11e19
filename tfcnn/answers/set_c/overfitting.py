"""Over-fitting with few examples: network size, dropout and augmentation (set C, 4.1).

A *variant* is a named network setting (filters, units, keep probability,
augmentation). Each is trained on the same small draws; the choice among
variants is made on the validation images held out of each draw, never on
the test set.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tfcnn.data.augment import with_augmentation
from tfcnn.models import build_deep
from tfcnn.results.summary import describe

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


def study_variants(sizes, keep_probabilities, augment_keep: float | None) -> list:
    """The variants: each size without dropout, the original size at each keep
    probability, and optionally the original size with augmentation."""
    variants = [Variant(tuple(s[:2]), s[2]) for s in sizes]
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


def choose(summaries: dict[str, dict]) -> str:
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
    """The series of the study: each size without dropout, the original size at
    each keep probability, and the augmented variants."""
    plain = [v for v in variants if not v.augment]
    return {
        "sizes": [v for v in plain if v.keep_probability == 1.0],
        "dropout": [v for v in plain if v.filters == Variant().filters],
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


def ratio_curves(histories: list[list[dict]]) -> tuple[np.ndarray, np.ndarray]:
    """`(iterations, ratio[run, record])` of test/train accuracy."""
    rows = [with_ratio(h) for h in histories]
    xs = np.array([row["iteration"] for row in rows[0]], dtype=float)
    return xs, np.array([[row["test_train_ratio"] for row in h] for h in rows])
