"""Set C, C5.1-C5.3: the sum of two handwritten digits side by side.

MNIST digits are paired into 28x56 images (training pairs from the training
images, validation pairs from the held-out validation images, test pairs from
the test images, so no test pair holds a training image) and one network is
trained twice: with a 19-way head that predicts the sum (C5.1) and with a 2x10
head that predicts both digits in one forward pass, whose predictions are
added (C5.2). Both share the same trunk, optimiser and budget, and are
evaluated on the same 10,000 test pairs, at three training-set sizes (C5.3).
The largest size is trained twice, with 3,000 and 6,000 iterations; the
longest schedule of each size is the one compared.

Writes `docs/results/c5/<head>_n<pairs>_it<iterations>_seed<S>.json` per run
(a stored run is read, not retrained), and `summary.json`, `curves.png`,
`efficiency.png`, `by_sum.png`, `failures_<head>.png`.
"""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

import numpy as np

from tfcnn import cli
from tfcnn.analysis.sums import (
    accuracy_by_sum,
    decompositions,
    predicted_sums,
    right_sum_from_wrong_digits,
)
from tfcnn.models.pairs import HEADS, build_pair_net
from tfcnn.plots.curves import plot_curves
from tfcnn.plots.style import new_figure
from tfcnn.results import save_figure, set_seed, stored_or_trained, write_result
from tfcnn.results.summary import describe

RESULT_ID = "c5"
HEAD_LABELS = {"sum": "sum head (19 classes)", "digits": "digit head (2 x 10)"}


@dataclasses.dataclass
class Config:
    """The two-digit sum study of C5.

    Args:
        train_pairs: training pairs of each group of runs.
        iterations: training steps of each group (same length as `train_pairs`).
        seeds: Defaults to (0, 1, 2).
        batch_size: Defaults to 64.
        learning_rate: Adam's initial rate, decayed to 0. Defaults to 1e-3.
        record_every: iterations between records. Defaults to 250.
        filters: filters of the trunk's two conv layers. Defaults to (32, 64).
        dense_units: width of the trunk's dense layer. Defaults to 256.
        dropout_rate: Keras' drop rate before the head. Defaults to 0.25.
        val_pairs: validation pairs. Defaults to 5,000.
        test_pairs: test pairs. Defaults to 10,000.
    """

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

    def quick(self) -> Config:
        """The smoke run: 2 sizes (the larger at 2 schedules), 1 seed, 100-150 iterations."""
        return dataclasses.replace(
            self,
            train_pairs=(500, 2000, 2000),
            iterations=(100, 100, 150),
            seeds=(0,),
            record_every=50,
            val_pairs=500,
            test_pairs=1000,
        )


def train_pair_head(
    head: str, n_train: int, iterations: int, seed: int, split_digits, config, root
) -> dict:
    """Trains one head on `n_train` pairs, or reads the stored run.

    Args:
        head: "sum" or "digits".
        n_train: training pairs.
        iterations: training steps.
        seed: the seed of the weights and of the training pairs.
        split_digits: the single-digit split the pairs are drawn from.
        config: the study's `Config`.
        root: the results folder.
    """
    from tfcnn.data.splits import make_pair_split
    from tfcnn.training.fit import train_and_record
    from tfcnn.training.metrics import pair_metrics

    def train() -> dict:
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
        result.update(head=head, train_pairs=n_train, iterations=iterations)
        return result

    name = f"{head}_n{n_train}_it{iterations}_seed{seed}"
    return stored_or_trained(
        RESULT_ID,
        name,
        train,
        lambda r: f"test sum accuracy {r['final']['test_sum_accuracy']:.4f}",
        config=config,
        seed=seed,
        root=root,
    )


def pair_summary_table(runs: dict) -> dict:
    """Rows of (head, pairs, iterations) with the final metrics, mean ± std over seeds.

    Args:
        runs: (head, pairs, iterations) -> runs, one per seed.
    """

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


def chosen_schedules(all_runs: dict) -> dict:
    """The iterations of each (head, size) whose seed-mean final validation
    sum accuracy is highest (the shorter schedule on a tie); the test pairs
    play no part.

    Args:
        all_runs: (head, pairs, iterations) -> runs, one per seed.
    """
    best: dict = {}
    for (head, n, iterations), seeds in sorted(
        all_runs.items(), key=lambda kv: kv[0][2]
    ):
        score = float(np.mean([r["final"]["val_sum_accuracy"] for r in seeds]))
        if (head, n) not in best or score > best[head, n][1]:
            best[head, n] = (iterations, score)
    return {key: iterations for key, (iterations, _) in best.items()}


def compared_runs(all_runs: dict) -> dict:
    """The compared runs of each (head, size): those of its validation-chosen schedule.

    Args:
        all_runs: (head, pairs, iterations) -> runs, one per seed.
    """
    chosen = chosen_schedules(all_runs)
    return {
        (head, n): seeds
        for (head, n, iterations), seeds in all_runs.items()
        if chosen[head, n] == iterations
    }


def pair_summary(all_runs: dict, test_digits, by_sum: dict, config: Config) -> dict:
    """C5's summary: final metrics, the heads' gaps, the by-sum table, the schedules.

    Args:
        all_runs: (head, pairs, iterations) -> runs, one per seed.
        test_digits: (n, 2) true digits of the test pairs.
        by_sum: (head, pairs) -> {sum: accuracy}, as from `mean_by_sum`.
        config: the study's settings.
    """
    runs = compared_runs(all_runs)
    sizes = sorted(set(config.train_pairs))
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
    gaps = {
        f"n{n}": final[f"digits_n{n}"]["test_sum_accuracy"]["mean"]
        - final[f"sum_n{n}"]["test_sum_accuracy"]["mean"]
        for n in sizes
    }
    return {
        "final": final,
        "digits_minus_sum": gaps,
        "digits_win_at_every_size": all(gap > 0 for gap in gaps.values()),
        "by_sum": by_sum_table(test_digits, by_sum, sizes),
        "right_sum_from_wrong_digits": describe(
            right_sum_from_wrong_digits(test_digits, r["test_predictions"])
            for r in runs["digits", largest]
        ),
        "schedules": {
            f"{head}_it{iterations}": {
                k: describe(r["final"][k] for r in seeds)
                for k in ("train_sum_accuracy", "val_sum_accuracy", "test_sum_accuracy")
            }
            for (head, n, iterations), seeds in all_runs.items()
            if n == largest
        },
        "chosen_iterations": {
            head: iterations
            for (head, n), iterations in chosen_schedules(all_runs).items()
            if n == largest
        },
        "table": pair_summary_table(all_runs),
        "largest": largest,
        "test_pairs": config.test_pairs,
    }


def save_pair_figures(runs: dict, by_sum: dict, test, root: Path) -> None:
    """Writes `curves`, `efficiency`, `by_sum` and `failures_<head>` PNGs of C5.

    Args:
        runs: (head, pairs) -> the compared runs, as from `compared_runs`.
        by_sum: (head, pairs) -> {sum: accuracy}.
        test: the split holding the test pairs and their digits.
        root: the results folder.
    """
    largest = max(n for _, n in runs)
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


def run_pair_study(config: Config, root: Path) -> None:
    """Trains (or reads) every run of the study; writes its summary and figures.

    Args:
        config: the study's settings.
        root: the results folder.
    """
    from tfcnn.data.splits import load_split, make_pair_split

    started = time.perf_counter()
    digits = load_split("mnist", seed=0)
    all_runs = {
        (head, n, iterations): [
            train_pair_head(head, n, iterations, seed, digits, config, root)
            for seed in config.seeds
        ]
        for n, iterations in zip(config.train_pairs, config.iterations)
        for head in HEADS
    }
    runs = compared_runs(all_runs)
    test = make_pair_split(digits, 1, config.val_pairs, config.test_pairs)
    by_sum = {
        key: mean_by_sum(test.y_test, [r["test_predictions"] for r in seeds])
        for key, seeds in runs.items()
    }
    write_result(
        RESULT_ID,
        "summary",
        pair_summary(all_runs, test.y_test, by_sum, config),
        config=config,
        wall_seconds=time.perf_counter() - started,
        root=root,
    )
    save_pair_figures(runs, by_sum, test, root)


def plot_pair_curves(histories: dict):
    """Train and test sum accuracy during training for each head, and the loss.

    Args:
        histories: head -> list of histories (one per seed).
    """
    fig, (ax_acc, ax_loss) = new_figure(2, 1, width=5.2, height=3.6)
    labelled = {HEAD_LABELS[h]: runs for h, runs in histories.items()}
    plot_curves(ax_acc, labelled, keys=("train_sum_accuracy", "test_sum_accuracy"))
    if "digits" in histories:
        plot_curves(
            ax_acc,
            {"digit head": histories["digits"]},
            keys=("test_digit_accuracy",),
            first_color=2,  # after the two heads' colours
        )
    ax_acc.set_ylim(0.8, 1.002)
    ax_acc.set_title("sum accuracy (digit head: also per-digit)")
    plot_curves(
        ax_loss, labelled, keys=("train_loss", "test_loss"), ylabel="cross-entropy"
    )
    ax_loss.set_yscale("log")
    ax_loss.set_title("loss (digit head: mean over its two digits)")
    fig.tight_layout()
    return fig


def plot_efficiency(runs: dict):
    """Test sum accuracy against the number of training pairs, per head.

    Args:
        runs: (head, pairs) -> list of run results (one per seed).
    """
    fig, ax = new_figure(1, 1, width=5.2, height=3.6)
    for index, head in enumerate(sorted({h for h, _ in runs}, reverse=True)):
        sizes = sorted(n for h, n in runs if h == head)
        values = np.array(
            [[r["final"]["test_sum_accuracy"] for r in runs[head, n]] for n in sizes]
        )
        ax.errorbar(
            sizes,
            values.mean(1),
            yerr=values.std(1, ddof=1) if values.shape[1] > 1 else None,
            marker="o",
            capsize=3,
            color=f"C{index}",
            label=HEAD_LABELS[head],
        )
    ax.set_xscale("log")
    ax.set_xlabel("training pairs (log scale)")
    ax.set_ylabel("test sum accuracy (mean ± std)")
    ax.set_title("data efficiency")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_failures(images, digits, predictions, head: str, count: int = 12):
    """Test pairs whose predicted sum is wrong, with the truth and the prediction.

    Args:
        images: (n, 28, 56[, 1]) test pairs.
        digits: (n, 2) true digits.
        predictions: (n,) predicted sums, or (n, 2) predicted digits.
        head: "sum" or "digits", for the title.
        count: how many failures to show. Defaults to 12.
    """
    predicted_sum = predicted_sums(predictions)
    wrong = np.flatnonzero(predicted_sum != digits.sum(1))[:count]
    ncols = 4
    nrows = max(1, -(-len(wrong) // ncols))
    fig, axes = new_figure(ncols, nrows, width=2.2, height=1.5)
    axes = np.atleast_1d(axes)
    for ax in axes:
        ax.axis("off")
    for ax, i in zip(axes, wrong):
        ax.imshow(np.squeeze(images[i]), cmap="gray_r")
        guess = (
            f"{predicted_sum[i]}"
            if predictions.ndim == 1
            else f"{predictions[i][0]}+{predictions[i][1]}={predicted_sum[i]}"
        )
        ax.set_title(
            f"true {digits[i][0]}+{digits[i][1]}={digits[i].sum()}, said {guess}",
            fontsize=8,
        )
    fig.suptitle(f"{HEAD_LABELS[head]}: first {len(wrong)} wrong test sums")
    fig.tight_layout()
    return fig


def plot_accuracy_by_sum(by_sum: dict):
    """Test accuracy for each true sum, per head and training size.

    Args:
        by_sum: (head, pairs) -> {sum: accuracy}, the mean over seeds.
    """
    fig, ax = new_figure(1, 1, width=5.6, height=4.2)
    sizes = sorted({n for _, n in by_sum})
    styles = {sizes[0]: "--", sizes[-1]: "-"}  # the smallest and the largest
    for (head, n), accuracy in sorted(by_sum.items(), key=lambda item: item[0][1]):
        if n not in styles:
            continue
        sums = sorted(accuracy)
        ax.plot(
            sums,
            [accuracy[s] for s in sums],
            styles[n],
            marker="o",
            markersize=3,
            color="C0" if head == "sum" else "C1",
            label=f"{HEAD_LABELS[head]}, {n:,} pairs",
        )
    twin = ax.twinx()
    sums = np.arange(19)
    twin.bar(sums, [decompositions(s) for s in sums], color="0.6", alpha=0.25)
    twin.set_ylabel("digit pairs with this sum", color="0.4")
    ax.set_zorder(twin.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.set_xticks(sums)
    ax.set_xlabel("true sum")
    ax.set_ylabel("test sum accuracy (mean over seeds)")
    ax.set_title("accuracy by sum (bars: ways to make the sum)")
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2)
    fig.tight_layout()
    return fig


def main(args: argparse.Namespace) -> None:
    """Runs the study (`--seeds`, `--quick`, `--results-dir`).

    Args:
        args: the parsed options.
    """
    config = Config(seeds=tuple(args.seeds))
    run_pair_study(config.quick() if args.quick else config, cli.results_root(args))
