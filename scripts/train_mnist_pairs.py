"""Set C, question 5: the sum of two handwritten digits side by side.

Pairs MNIST digits into 28x56 images (training pairs from the training
images, validation pairs from the held-out validation images, test pairs from
the test images, so no test pair holds a training image) and trains one
network twice: with a 19-way head that predicts the sum (C5.1) and with a
2x10 head that predicts both digits in one forward pass, whose predictions
are added (C5.2). Both share the same trunk, optimiser and budget, and are
evaluated on the same 10,000 test pairs, at three training-set sizes (C5.3).
The largest size is trained twice, with 3,000 and 6,000 iterations, to show
what the longer schedule changes; the longest schedule of each size is the one
compared.

Writes `docs/results/c5/<head>_n<pairs>_it<iterations>_seed<S>.json` per run,
and `summary.json`, `curves.png`, `efficiency.png`, `failures_<head>.png`.

    python scripts/train_mnist_pairs.py           # the whole study (~90 min)
    python scripts/train_mnist_pairs.py --quick   # a smoke run under runs/quick
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from tfcnn import set_seed
from tfcnn.analysis.sums import (
    accuracy_by_sum,
    decompositions,
    right_sum_from_wrong_digits,
)
from tfcnn.answers.set_c.pairs_plots import (
    plot_accuracy_by_sum,
    plot_efficiency,
    plot_failures,
    plot_pair_curves,
)
from tfcnn.cli import add_output_arguments, results_root
from tfcnn.data.splits import load_split, make_pair_split
from tfcnn.models.pairs import HEADS, build_pair_net
from tfcnn.results import save_figure, write_result
from tfcnn.results.summary import describe
from tfcnn.training.fit import train_and_record
from tfcnn.training.metrics import pair_metrics

RESULT_ID = "c5"


@dataclasses.dataclass
class Config:
    train_pairs: tuple = (1_000, 10_000, 60_000, 60_000)
    iterations: tuple = (1_500, 1_500, 3_000, 6_000)
    seeds: tuple = (0, 1, 2)
    batch_size: int = 64
    learning_rate: float = 1e-3
    record_every: int = 250
    filters: tuple = (32, 64)
    dense_units: int = 256
    dropout_rate: float = 0.25
    val_pairs: int = 5_000
    test_pairs: int = 10_000
    target_sum_head: float = 0.97  # test sum accuracy, largest training set
    target_digits_head: float = 0.984
    quick: bool = False


def run(
    head: str, n_train: int, iterations: int, seed: int, split_digits, config, root
):
    """Trains one head on `n_train` pairs (or reads the stored run)."""
    name = f"{head}_n{n_train}_it{iterations}_seed{seed}"
    path = root / RESULT_ID / f"{name}.json"
    if path.exists():
        return json.loads(path.read_text())
    pairs = make_pair_split(
        split_digits, n_train, config.val_pairs, config.test_pairs, seed
    )
    if head == "sum":
        pairs = dataclasses.replace(
            pairs,
            y_train=pairs.y_train.sum(1),
            y_val=pairs.y_val.sum(1),
            y_test=pairs.y_test.sum(1),
            class_names=tuple(range(19)),
        )
    set_seed(seed)
    model = build_pair_net(
        head, config.filters, config.dense_units, dropout_rate=config.dropout_rate
    )
    print(
        f"{name}: {model.count_params():,} parameters, {iterations} iterations",
        flush=True,
    )
    started = time.perf_counter()
    result = train_and_record(
        model,
        pairs,
        iterations=iterations,
        batch_size=config.batch_size,
        learning_rate=config.learning_rate,
        cosine_decay=True,
        record_every=config.record_every,
        seed=seed,
        evaluate_fn=pair_metrics,
        verbose=0,
    )
    logits = model.predict(pairs.x_test, batch_size=1000, verbose=0)
    result["test_predictions"] = logits.argmax(-1).tolist()
    final = result["final"]
    print(
        f"  test sum accuracy {final['test_sum_accuracy']:.4f} "
        f"({time.perf_counter() - started:.0f} s)",
        flush=True,
    )
    result.update(head=head, train_pairs=n_train, iterations=iterations)
    write_result(
        RESULT_ID,
        name,
        result,
        config=config,
        seed=seed,
        wall_seconds=time.perf_counter() - started,
        root=root,
    )
    return result


def summary_table(runs: dict) -> dict:
    """Rows of (head, pairs, iterations) with the final metrics, mean ± std
    over seeds."""

    def cell(values):
        s = describe(values)
        return f"{100 * s['mean']:.2f} ± {100 * s['std']:.2f}"

    rows = []
    for (head, n, _), seeds in runs.items():
        finals = [r["final"] for r in seeds]
        digit = (
            cell(f["test_digit_accuracy"] for f in finals) if head == "digits" else "–"
        )
        marginal = (
            cell(f["test_sum_accuracy_marginal"] for f in finals)
            if head == "digits"
            else "–"
        )
        rows.append(
            [
                head,
                f"{n:,}",
                seeds[0]["iterations"],
                cell(f["train_sum_accuracy"] for f in finals),
                cell(f["test_sum_accuracy"] for f in finals),
                marginal,
                digit,
            ]
        )
    return {
        "columns": [
            "head",
            "training pairs",
            "iterations",
            "train sum acc. %",
            "test sum acc. %",
            "test sum acc., marginal %",
            "test digit acc. %",
        ],
        "rows": rows,
    }


def mean_by_sum(digits, predictions_per_seed) -> dict[int, float]:
    """Accuracy per true sum, the mean over seeds."""
    per_seed = [accuracy_by_sum(digits, p) for p in predictions_per_seed]
    return {s: float(np.mean([acc[s] for acc in per_seed])) for s in per_seed[0]}


def by_sum_table(digits, by_sum: dict, sizes: tuple) -> dict:
    """Rows of true sum, its decompositions and test pairs, and each head's
    accuracy at the smallest and the largest training size."""
    totals = np.asarray(digits).sum(axis=1)
    ends = (sizes[0], sizes[-1])
    return {
        "columns": [
            "sum",
            "digit pairs (a, b)",
            "test pairs",
            *(f"{head} head, {n:,} pairs %" for n in ends for head in HEADS),
        ],
        "rows": [
            [
                s,
                decompositions(s),
                int((totals == s).sum()),
                *(f"{100 * by_sum[head, n][s]:.1f}" for n in ends for head in HEADS),
            ]
            for s in sorted(by_sum[HEADS[0], sizes[0]])
        ],
    }


def main(config: Config, root: Path) -> None:
    started = time.perf_counter()
    digits = load_split("mnist", seed=0)
    all_runs = {
        (head, n, iterations): [
            run(head, n, iterations, s, digits, config, root) for s in config.seeds
        ]
        for n, iterations in zip(config.train_pairs, config.iterations)
        for head in HEADS
    }
    # The compared run of each size is its longest schedule.
    runs = {
        (head, n): seeds
        for (head, n, _), seeds in sorted(all_runs.items(), key=lambda kv: kv[0][2])
    }
    sizes = sorted(set(config.train_pairs))
    test = make_pair_split(digits, 1, config.val_pairs, config.test_pairs)
    largest = sizes[-1]
    final = {
        f"{head}_n{n}": {
            k: describe(r["final"][k] for r in seeds)
            for k in seeds[0]["final"]
            if k.startswith(("test_", "train_"))
        }
        for (head, n), seeds in runs.items()
    }
    for n in sizes:
        # Sum accuracy if the two digits' errors were independent: p squared.
        final[f"digits_n{n}"]["test_digit_accuracy_squared"] = describe(
            r["final"]["test_digit_accuracy"] ** 2 for r in runs["digits", n]
        )
    by_sum = {
        key: mean_by_sum(test.y_test, [r["test_predictions"] for r in seeds])
        for key, seeds in runs.items()
    }
    lucky = describe(
        right_sum_from_wrong_digits(test.y_test, r["test_predictions"])
        for r in runs["digits", largest]
    )
    gaps = {
        f"n{n}": final[f"digits_n{n}"]["test_sum_accuracy"]["mean"]
        - final[f"sum_n{n}"]["test_sum_accuracy"]["mean"]
        for n in sizes
    }
    schedules = {
        f"{head}_it{iterations}": {
            k: describe(r["final"][k] for r in seeds)
            for k in ("train_sum_accuracy", "test_sum_accuracy")
        }
        for (head, n, iterations), seeds in all_runs.items()
        if n == largest
    }
    write_result(
        RESULT_ID,
        "summary",
        {
            "final": final,
            "digits_minus_sum": gaps,
            "digits_win_at_every_size": all(gap > 0 for gap in gaps.values()),
            "by_sum": by_sum_table(test.y_test, by_sum, sizes),
            "right_sum_from_wrong_digits": lucky,
            "schedules": schedules,
            "targets_met": {
                head: final[f"{head}_n{largest}"]["test_sum_accuracy"]["mean"] >= target
                for head, target in (
                    ("sum", config.target_sum_head),
                    ("digits", config.target_digits_head),
                )
            },
            "table": summary_table(all_runs),
            "largest": largest,
            "test_pairs": config.test_pairs,
        },
        config=config,
        wall_seconds=time.perf_counter() - started,
        root=root,
    )
    save_figure(
        plot_pair_curves({h: [r["history"] for r in runs[h, largest]] for h in HEADS}),
        RESULT_ID,
        "curves",
        root=root,
    )
    save_figure(plot_efficiency(runs), RESULT_ID, "efficiency", root=root)
    save_figure(plot_accuracy_by_sum(by_sum), RESULT_ID, "by_sum", root=root)
    for head in HEADS:
        predictions = np.asarray(runs[head, largest][0]["test_predictions"])
        save_figure(
            plot_failures(test.x_test, test.y_test, predictions, head),
            RESULT_ID,
            f"failures_{head}",
            root=root,
        )


def parse_args(argv=None) -> tuple[Config, Path]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_output_arguments(
        parser,
        "2 sizes (the larger at 2 schedules), 1 seed, 100-150 iterations, under runs/quick",
    )
    args = parser.parse_args(argv)
    config = Config(quick=args.quick)
    if args.quick:
        config = dataclasses.replace(
            config,
            train_pairs=(500, 2000, 2000),
            iterations=(100, 100, 150),
            seeds=(0,),
            record_every=50,
            val_pairs=500,
            test_pairs=1000,
        )
    root = results_root(args)
    return config, root


if __name__ == "__main__":
    main(*parse_args())
