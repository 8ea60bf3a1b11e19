"""Figures of the over-fitting study (set C, question 4.1)."""

from __future__ import annotations

from tfcnn.answers.set_c.overfitting import ratio_curves, series
from tfcnn.plots.curves import plot_curves
from tfcnn.plots.style import new_figure


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
    for label, histories in [
        ("all 54,000", full),
        ("250, original", few),
        (f"250, {chosen_name}", chosen),
    ]:
        xs, ratio = ratio_curves(histories)
        line = ax_ratio.plot(xs, ratio.mean(axis=0), label=label)[0]
        ax_ratio.fill_between(
            xs, ratio.min(axis=0), ratio.max(axis=0), color=line.get_color(), alpha=0.15
        )
    ax_ratio.set_xscale("log")
    ax_ratio.set_xlabel("iteration (log scale)")
    ax_ratio.set_ylabel("test accuracy / train accuracy")
    ax_ratio.set_title("generalisation ratio")
    ax_ratio.legend(fontsize=8)
    fig.tight_layout()
    return fig


def plot_sweep(sweep: dict, variants: list):
    """Validation/test accuracy and test/train ratio against size and keep probability."""
    fig, axes = new_figure(2, 2, width=4.6, height=3.0)
    members = series(variants)
    panels = [
        (
            members["sizes"],
            lambda v: sweep[v.name]["params"],
            "parameters (log scale)",
            True,
        ),
        (members["dropout"], lambda v: v.keep_probability, "keep probability", False),
    ]
    for column, (chosen, x_of, xlabel, log) in enumerate(panels):
        chosen = sorted(chosen, key=x_of)
        xs = [x_of(v) for v in chosen]
        for key, label in [("val_accuracy", "validation"), ("test_accuracy", "test")]:
            means = [sweep[v.name][key]["mean"] for v in chosen]
            stds = [sweep[v.name][key]["std"] for v in chosen]
            axes[column].errorbar(
                xs, means, yerr=stds, marker="o", capsize=3, label=label
            )
        ratios = [sweep[v.name]["test_train_ratio"] for v in chosen]
        axes[2 + column].errorbar(
            xs,
            [r["mean"] for r in ratios],
            yerr=[r["std"] for r in ratios],
            marker="o",
            capsize=3,
            color="C2",
        )
        for ax in (axes[column], axes[2 + column]):
            ax.set_xlabel(xlabel)
            if log:
                ax.set_xscale("log")
        axes[column].set_ylabel("accuracy (mean ± std over runs)")
        axes[column].legend(fontsize=8)
        axes[2 + column].set_ylabel("test / train accuracy")
    axes[0].set_title("shrinking the network (no dropout)")
    axes[1].set_title("dropout on the original network")
    fig.tight_layout()
    return fig
