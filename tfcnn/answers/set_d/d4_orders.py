"""Set D, D4: does reshuffling every epoch matter? The best tuned setting trained
with each visiting order (reshuffled, fixed, class-sorted), every seed.

Writes d4/runs/<order>-seed<S>, d4/summary and d4/orders.png.
"""

from __future__ import annotations

from matplotlib.ticker import MaxNLocator

from tfcnn.answers.set_d.d3_d5_study import Study, error_records, summary_cell
from tfcnn.plots import new_figure, plot_curves
from tfcnn.results import save_figure
from tfcnn.results.summary import mean_std
from tfcnn.scratch import ORDERS

# The panels of the figure: series, y label, y limits, y scale (None: linear).
ORDER_PANELS = (
    ("test_accuracy", "test accuracy", (0, 1), None),
    ("train_loss", "training cross-entropy", None, "log"),
)


def order_study(study: Study) -> dict:
    """Trains the best tuned setting in every order and writes the D4 summary."""
    best, cfg = study.tuning()["best"], study.cfg
    spec = {k: best[k] for k in ("optimizer", "learning_rate", "batch_size")}
    runs = {
        order: [
            study.run(
                "d4/runs", f"{order}-seed{s}", {**spec, "seed": s, "order": order}
            )
            for s in cfg.seeds
        ]
        for order in ORDERS
    }
    save_figure(orders_figure(runs), "d4", "orders", study.root)
    result = {
        "setting": best,
        "table": {
            "columns": [
                "order",
                "test accuracy",
                "train accuracy",
                "train cross-entropy",
            ],
            "rows": [
                [
                    order,
                    summary_cell([h["final"]["test_accuracy"] for h in hs]),
                    summary_cell([h["final"]["train_accuracy"] for h in hs]),
                    summary_cell(
                        [h["final"]["train_loss"] for h in hs], percent=False, digits=3
                    ),
                ]
                for order, hs in runs.items()
            ],
        },
        "final_test_accuracy": {
            o: mean_std([h["final"]["test_accuracy"] for h in hs])
            for o, hs in runs.items()
        },
    }
    study.write("d4", "summary", result)
    return result


def orders_figure(runs: dict):
    """Test accuracy and training loss per epoch, a curve per order (mean ± std).

    Args:
        runs: order -> [history per seed].
    """
    fig, axes = new_figure(ncols=len(ORDER_PANELS), width=5.0, height=3.4)
    records = {order: [error_records(h) for h in hs] for order, hs in runs.items()}
    for ax, (key, label, ylim, scale) in zip(axes, ORDER_PANELS, strict=True):
        plot_curves(ax, records, keys=(key,), x="epoch", ylabel=label, ylim=ylim)
        if scale:
            ax.set_yscale(scale)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig
