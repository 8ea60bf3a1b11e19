"""Figures of the two-digit sum study (set C, question 5)."""

from __future__ import annotations

import numpy as np

from tfcnn.analysis.sums import decompositions, predicted_sums
from tfcnn.plots.curves import plot_curves
from tfcnn.plots.style import new_figure

HEAD_LABELS = {"sum": "sum head (19 classes)", "digits": "digit head (2 x 10)"}


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
