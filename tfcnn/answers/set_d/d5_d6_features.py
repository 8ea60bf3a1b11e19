"""Set D, D5 and D6: activation maps of both conv layers (D5) and t-SNE of the
bottleneck features (D6), with separation numbers, for the best tuned setting
and, for contrast, the sheet's vanilla SGD (η = 0.001) at the same batch size.

Each seeded run repeats the D5 run of the same settings (and checks it ends
the same), keeping the activations of the 100 test images after epochs 0
(initial weights), 1 and the last. Writes d6/<rates>-<optimizer>-seed<S>,
d6/summary, d6/tsne.png, d5/activation_maps.png, d5/activation_maps_sheet.png.
"""

from __future__ import annotations

import time

import numpy as np

from tfcnn.analysis.embedding import embed_and_score
from tfcnn.answers.set_d.d3_d5_study import (
    Study,
    run,
    setting_key,
    sheet_learning_rate,
    summary_cell,
)
from tfcnn.plots.maps import activation_grid, embedding_figure
from tfcnn.results import save_figure, set_seed
from tfcnn.results.bounded import read_json
from tfcnn.results.summary import mean_std
from tfcnn.scratch import BOTTLENECK


def _snapshot_run(
    study: Study, optimizer: str, lr: float, batch_size: int, seed: int, epochs: tuple
) -> tuple[dict, dict]:
    """Trains like `Study.run` and keeps the test images' activations at `epochs`."""
    taken = {}

    def snapshot(epoch, network):
        if epoch in epochs:
            taken[epoch] = network.activations(
                study.test[0], ["relu1", "relu2", BOTTLENECK]
            )

    set_seed(seed)
    history = run(
        *study.full,
        {"test": study.test},
        optimizer=optimizer,
        learning_rate=lr,
        batch_size=batch_size,
        epochs=study.cfg.epochs,
        seed=seed,
        on_epoch_end=snapshot,
        progress=f"{optimizer} seed {seed}",
    )
    return history, taken


def feature_study(study: Study) -> dict:
    """Trains the two settings of the module docstring, every seed, and writes the
    D5 activation maps, the D6 t-SNE figure and the D6 summary."""
    cfg, best = study.cfg, study.tuning()["best"]
    x_test, y_test = study.test
    shown = [int(np.flatnonzero(y_test == c)[0]) for c in cfg.map_classes]
    epochs, bs = (0, 1, cfg.epochs), best["batch_size"]
    settings = (
        ("tuned", best["optimizer"], best["learning_rate"]),
        ("sheet", "sgd", sheet_learning_rate("sgd")),
    )
    table, panels, summary, consistent = [], [], {}, True
    for rates, opt, lr in settings:
        rows = {e: [] for e in epochs}
        for seed in cfg.seeds:
            start = time.perf_counter()
            history, taken = _snapshot_run(study, opt, lr, bs, seed, epochs)
            stored = (
                study.root
                / "d5/runs"
                / f"{rates}-{setting_key(opt, bs)}-seed{seed}.json"
            )
            if stored.exists():  # the same seeded run as in D5: it must end the same
                final = read_json(stored)["history"]["final"]
                consistent &= all(
                    final[k] == history["final"][k]
                    for k in ("test_loss", "test_accuracy")
                )
            scores = {
                e: embed_and_score(taken[e][BOTTLENECK], y_test, seed=seed)
                for e in epochs
            }
            for e in epochs:
                rows[e].append(
                    {
                        f"{space}_{name}": value
                        for space in ("features", "tsne")
                        for name, value in scores[e][space].items()
                    }
                )
                rows[e][-1]["test_accuracy"] = history["test_accuracy"][
                    history["epoch"].index(e)
                ]
            study.write(
                "d6",
                f"{rates}-{opt}-seed{seed}",
                {
                    "optimizer": opt,
                    "learning_rate": lr,
                    "batch_size": bs,
                    "labels": y_test,
                    "epochs": list(epochs),
                    "scores": {
                        str(e): {k: s[k] for k in ("features", "tsne")}
                        for e, s in scores.items()
                    },
                    "embedding": {str(e): s["embedding"] for e, s in scores.items()},
                },
                seed=seed,
                wall=time.perf_counter() - start,
            )
            if seed != cfg.seeds[0]:
                continue
            maps = {
                f"epoch {e}": {k: taken[e][k][shown] for k in ("relu1", "relu2")}
                for e in (1, cfg.epochs)
            }
            fig = activation_grid(
                x_test[shown], maps, [f"digit {y_test[i]}" for i in shown]
            )
            save_figure(
                fig,
                "d5",
                "activation_maps" + ("_sheet" if rates == "sheet" else ""),
                study.root,
            )
            panels += [
                (
                    scores[e]["embedding"],
                    y_test,
                    f"{opt}, η={lr:g}, epoch {e}\n5-NN acc. "
                    f"{scores[e]['tsne']['knn_accuracy']:.2f}, silhouette "
                    f"{scores[e]['tsne']['silhouette']:.2f}",
                )
                for e in epochs
            ]
        summary[rates] = {
            str(e): {k: mean_std([r[k] for r in rows[e]]) for k in rows[e][0]}
            for e in epochs
        }
        for e in epochs:
            table.append(
                [
                    f"{opt}, η={lr:g} ({rates})",
                    e,
                    *(
                        summary_cell(_values(rows[e], k))
                        for k in (
                            "test_accuracy",
                            "features_knn_accuracy",
                            "tsne_knn_accuracy",
                        )
                    ),
                    *(
                        summary_cell(_values(rows[e], k), percent=False, digits=2)
                        for k in ("features_silhouette", "tsne_silhouette")
                    ),
                ]
            )
    save_figure(embedding_figure(panels, ncols=len(epochs)), "d6", "tsne", study.root)
    result = {
        "settings": [
            {"rates": r, "optimizer": o, "learning_rate": lr, "batch_size": bs}
            for r, o, lr in settings
        ],
        "consistent_with_d5": consistent,
        "scores": summary,
        "table": {
            "columns": [
                "setting",
                "epoch",
                "test accuracy",
                "5-NN acc. (49-D)",
                "5-NN acc. (t-SNE)",
                "silhouette (49-D)",
                "silhouette (t-SNE)",
            ],
            "rows": table,
        },
    }
    study.write("d6", "summary", result)
    return result


def _values(rows: list[dict], key: str) -> list[float]:
    return [row[key] for row in rows]
