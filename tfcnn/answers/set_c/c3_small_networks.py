"""Set C, C3.1-C3.3: the smallest shallow and deep networks that keep 95 % on MNIST.

The search runs in four stages, each decided on validation accuracy only:

1. **Screen.** Every candidate of the family's grid trains once (seed 0) with
   the longest schedule; it survives if its final validation accuracy
   reaches 95 %.
2. **Confirm.** Survivors, smallest first, train with seeds 1 and 2; the first
   whose every seed reaches 95 % is the winner.
3. **Schedule.** The confirmed candidate, and every smaller survivor that
   missed with a later seed, also train with the shorter schedules (seed by
   seed); the winner is the smallest that passes with every seed at some
   schedule, and its schedule the shortest at which it does. Each
   next-smaller neighbour of the winner (one step along one axis of the grid)
   trains with the shorter schedules too, so that it is shown to fail at
   every schedule, not only the longest.
4. **Time.** The winner trains with two more seeds at its schedule, and C3.3
   reads the CPU seconds each seed took to reach 95 % on validation.

Every run is Adam 3e-3 with cosine decay to 0, batch 128, records every 500
iterations, one file `docs/results/c3/<family>_<candidate>_it<N>_seed<S>.json`;
finished runs are skipped, so a stopped search resumes. Test accuracy is only
reported. About 20 minutes for the shallow family and 35 for the deep one on
2 cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import re
from pathlib import Path

from tfcnn import cli
from tfcnn.analysis import parameter_table
from tfcnn.answers.set_c.c1_c2_deep import TARGET, train_on_mnist
from tfcnn.models.mnist import build_reduced_deep, build_shallow
from tfcnn.plots.curves import plot_curves
from tfcnn.plots.style import new_figure
from tfcnn.results import results_dir, save_figure, set_seed, write_result
from tfcnn.results.bounded import read_json
from tfcnn.results.summary import (
    describe,
    first_reaching,
    format_mean_std,
    pct,
    pct_pm,
    welch_test,
)

SCHEDULES = (6000, 12000, 20000)  # iterations of cosine decay, chosen on validation
SEARCH_SEEDS = (0, 1, 2)  # every one of them must reach the target
QUICK_SCHEDULES = (100, 200)
FAMILIES = ("shallow", "deep")

# The grid of each family: every combination of the axes' values whose
# parameter count lies in the window. Shallow: conv (ReLU) - max-pool - dense.
# Deep: conv-pool-conv-pool-dense-dense with 'valid' padding; pool_size is the
# window and stride of both pools.
AXES = {
    "shallow": {
        "kernel_size": (3, 5, 7),
        "pool_size": (6, 8, 12),
        "filters": (2, 3, 4, 5),
    },
    "deep": {
        "kernel_size": (3, 5),
        "pool_size": (2, 3),
        "filters": ((2, 2), (2, 3), (2, 4)),
        "dense_units": (4, 6, 8),
    },
}
WINDOW = {"shallow": (240, 600), "deep": (300, 700)}


def candidate_name(family: str, args: dict) -> str:
    """A candidate's name from its builder arguments, e.g. `k5_p8_f4`, `k5_p2_f2-3_u6`."""
    if family == "shallow":
        return f"k{args['kernel_size']}_p{args['pool_size']}_f{args['filters']}"
    filters = "-".join(str(f) for f in args["filters"])
    return (
        f"k{args['kernel_size']}_p{args['pool_size']}_f{filters}_u{args['dense_units']}"
    )


def count_params(family: str, args: dict) -> int:
    """A candidate's parameter count by formula (weights and biases, 10 classes).

    Args:
        family: "shallow" or "deep".
        args: the candidate's builder arguments.
    """
    k, p = args["kernel_size"], args["pool_size"]
    if family == "shallow":
        f = args["filters"]
        side = (28 - k + 1) // p
        return f * (k * k + 1) + 10 * (side * side * f) + 10
    (f1, f2), units = args["filters"], args["dense_units"]
    side = (((28 - k + 1) // p) - k + 1) // p
    convs = f1 * (k * k + 1) + f2 * (k * k * f1 + 1)
    return convs + (side * side * f2 + 1) * units + (units + 1) * 10


def grid(family: str) -> dict[str, dict]:
    """The family's candidates, name -> builder arguments, fewest parameters first."""
    axes, (low, high) = AXES[family], WINDOW[family]
    out = {}
    for values in itertools.product(*axes.values()):
        args = dict(zip(axes, values))
        if low <= count_params(family, args) <= high:
            out[candidate_name(family, args)] = args
    return dict(sorted(out.items(), key=lambda kv: count_params(family, kv[1])))


def smaller_neighbours(family: str, name: str) -> list[str]:
    """Grid candidates one step from `name` along one axis, with fewer parameters."""
    axes, candidates = AXES[family], grid(family)
    args, own = candidates[name], count_params(family, candidates[name])
    out = []
    for axis, values in axes.items():
        i = values.index(args[axis])
        for j in (i - 1, i + 1):
            if 0 <= j < len(values):
                other = candidate_name(family, {**args, axis: values[j]})
                if (
                    other in candidates
                    and count_params(family, candidates[other]) < own
                ):
                    out.append(other)
    return out


def build_candidate(family: str, builder_args: dict):
    """A search candidate (deep candidates use 'valid' padding).

    Args:
        family: "shallow" or "deep".
        builder_args: the arguments of `build_shallow` or `build_reduced_deep`.
    """
    if family == "shallow":
        return build_shallow(**builder_args)
    args = {**builder_args, "filters": tuple(builder_args["filters"])}
    return build_reduced_deep(**args, padding="valid")


@dataclasses.dataclass
class Config:
    """One search run: a candidate of a family, one schedule, one seed.

    Args:
        family: "shallow" (C3.1) or "deep" (C3.2). Defaults to "shallow".
        candidate: the candidate's name, a key of `grid(family)`.
        builder_args: its builder's arguments.
        iterations: training steps (the cosine schedule's length). Defaults to 20,000.
        batch_size: Defaults to 128.
        optimizer: Defaults to "adam".
        learning_rate: the initial rate, decayed to 0. Defaults to 3e-3.
        cosine_decay: decay the rate over the run. Defaults to True.
        record_every: iterations between records. Defaults to 500.
        val_fraction: share of the training images held out. Defaults to 0.1.
        train_eval_size: training images the "train" metrics use. Defaults to 2,000.
        seed: Defaults to 0.
        distribute: the `tf.distribute` strategy's name. Defaults to "none".
    """

    family: str = "shallow"
    candidate: str = ""
    builder_args: dict = dataclasses.field(default_factory=dict)
    iterations: int = SCHEDULES[-1]
    batch_size: int = 128
    optimizer: str = "adam"
    learning_rate: float = 3e-3
    cosine_decay: bool = True
    record_every: int = 500
    val_fraction: float = 0.1
    train_eval_size: int = 2000
    seed: int = 0
    distribute: str = "none"

    def quick(self) -> Config:
        """The smoke run: records every 50 iterations (schedules come from `QUICK_SCHEDULES`)."""
        return dataclasses.replace(self, record_every=50)

    @property
    def run_name(self) -> str:
        """The run's file name, e.g. `shallow_k5_p8_f4_it20000_seed0`."""
        return f"{self.family}_{self.candidate}_it{self.iterations}_seed{self.seed}"


_RUN_NAME = re.compile(r"^(shallow|deep)_(.+)_it(\d+)_seed(\d+)\.json$")


def load_search(family: str, root=None) -> dict:
    """The family's stored runs: `{(candidate, iterations): {seed: run}}`."""
    folder = Path(root or results_dir()) / "c3"
    out: dict = {}
    for path in sorted(folder.glob(f"{family}_*_it*_seed*.json")):
        match = _RUN_NAME.match(path.name)
        if match and match.group(1) == family:
            key = (match.group(2), int(match.group(3)))
            out.setdefault(key, {})[int(match.group(4))] = read_json(path)
    return out


def passes(runs: dict, seeds, target: float = TARGET) -> bool:
    """Whether every seed in `seeds` ran and ended at >= `target` validation accuracy."""
    return all(s in runs and runs[s]["final"]["val_accuracy"] >= target for s in seeds)


def fails(runs: dict, target: float = TARGET) -> bool:
    """Whether some seed that ran ended below `target` validation accuracy."""
    return any(run["final"]["val_accuracy"] < target for run in runs.values())


def decide(
    family: str,
    search: dict,
    schedules=SCHEDULES,
    target: float = TARGET,
    seeds=SEARCH_SEEDS,
    names=None,
):
    """The search's decisions so far, from validation accuracy alone.

    Args:
        family: "shallow" or "deep".
        search: the stored runs, as from `load_search`.
        schedules: the schedules, shortest first. Defaults to `SCHEDULES`.
        target: the validation accuracy. Defaults to `TARGET` (0.95).
        seeds: the seeds a winner passes with, the first screens; C3.3 adds
            the next two. Defaults to `SEARCH_SEEDS`.
        names: the candidates, fewest parameters first. Defaults to the grid.

    Returns:
        `(winner, schedule, needed)`: the winning candidate's name and its
        schedule (None while undecided), and the runs `(candidate, iterations,
        seed)` still needed to decide further, in order.
    """
    longest, first = schedules[-1], seeds[0]
    timing = (*seeds, max(seeds) + 1, max(seeds) + 2)

    def runs_of(name, its):  # the decisions read the search's seeds only
        return {s: r for s, r in search.get((name, its), {}).items() if s in seeds}

    names = list(grid(family)) if names is None else list(names)
    needed = [(n, longest, first) for n in names if first not in runs_of(n, longest)]
    if needed:
        return None, None, needed
    confirmed = None
    for name in names:
        runs = runs_of(name, longest)
        if fails(runs, target):
            continue
        missing = [(name, longest, s) for s in seeds if s not in runs]
        if missing:
            return None, None, missing[:1]
        confirmed = name
        break
    if confirmed is None:
        return None, None, []
    # Survivors of the screen smaller than the confirmed one failed a seed at
    # the longest schedule: they get the shorter schedules too, seed by seed.
    smaller = names[: names.index(confirmed)]
    contenders = [n for n in smaller if passes(runs_of(n, longest), (first,), target)]
    needed = []
    for its in schedules[:-1]:
        needed += [
            (confirmed, its, s) for s in seeds if s not in runs_of(confirmed, its)
        ]
        for name in contenders:
            runs = runs_of(name, its)
            missing = [s for s in seeds if s not in runs]
            if missing and not fails(runs, target):
                needed.append((name, its, missing[0]))
    if needed:
        return None, None, needed
    winner = next(
        n
        for n in [*contenders, confirmed]
        if any(passes(runs_of(n, its), seeds, target) for its in schedules)
    )
    neighbours = [n for n in smaller_neighbours(family, winner) if n in names]
    needed = [
        (n, its, first)
        for n in neighbours
        for its in schedules[:-1]
        if first not in runs_of(n, its)
    ]
    if needed:
        return winner, None, needed
    schedule = next(
        its for its in schedules if passes(runs_of(winner, its), seeds, target)
    )
    timed = search.get((winner, schedule), {})
    needed = [(winner, schedule, s) for s in timing if s not in timed]
    return winner, schedule, needed


SEARCH_COLUMNS = [
    "candidate",
    "parameters",
    "val. acc., seed 0, longest schedule",
    "seeds ≥ 95 % val. (longest schedule)",
    "verdict",
]
SCHEDULE_COLUMNS = [
    "iterations",
    "val. acc. (chooses)",
    "lowest seed (val.)",
    "test acc. (reported)",
    "seeds ≥ 95 % val.",
]
CONTENDER_COLUMNS = [
    "candidate",
    "parameters",
    "iterations",
    "val. acc. by seed",
    "every seed ≥ 95 %",
]
NEIGHBOUR_COLUMNS = [
    "next-smaller neighbour",
    "parameters",
    "changed",
    "best val. acc.",
]
SEED_COLUMNS = ["seed", "val. acc.", "test acc."]
CONVERGENCE_COLUMNS = [
    "network",
    "parameters",
    "iterations",
    "seeds reaching 95 % val.",
    "iterations to 95 % val.",
    "CPU seconds to 95 % val.",
]


def val_of(run: dict) -> float:
    """A run's final validation accuracy."""
    return run["final"]["val_accuracy"]


def only_search_seeds(runs: dict) -> dict:
    """The runs of `SEARCH_SEEDS` among `{seed: run}` (C3.3's extra seeds left out)."""
    return {s: r for s, r in runs.items() if s in SEARCH_SEEDS}


def verdict(name: str, by_schedule: dict, winner, params: dict, target: float):
    """How the search ended for one candidate, in words.

    Args:
        name: the candidate.
        by_schedule: its runs, `{iterations: {seed: run}}`.
        winner: the winner's name, or None.
        params: name -> parameter count.
        target: the validation accuracy.
    """
    if name == winner:
        return "**smallest that passes**"
    if all(fails(runs, target) for runs in by_schedule.values()):
        return "fails at every schedule" if len(by_schedule) > 1 else "fails"
    if winner is not None and params[name] > params[winner]:
        if any(passes(runs, SEARCH_SEEDS, target) for runs in by_schedule.values()):
            return "passes every seed (larger than the winner)"
        return "passes seed 0 (larger than the winner, not confirmed)"
    return "passes seed 0"


def search_table(family: str, search: dict, winner, longest: int, target: float):
    """The screen: every candidate, fewest parameters first (`SEARCH_COLUMNS`)."""
    candidates = grid(family)
    params = {n: count_params(family, a) for n, a in candidates.items()}
    rows = []
    for name in candidates:
        runs = only_search_seeds(search.get((name, longest), {}))
        if 0 not in runs:
            continue
        passed = sum(val_of(r) >= target for r in runs.values())
        rows.append(
            [
                f"`{name}`",
                f"{params[name]:,}",
                pct(val_of(runs[0])),
                f"{passed}/{len(runs)}",
                verdict(
                    name,
                    {
                        i: only_search_seeds(r)
                        for (n, i), r in search.items()
                        if n == name
                    },
                    winner,
                    params,
                    target,
                ),
            ]
        )
    return {"columns": SEARCH_COLUMNS, "rows": rows}


def schedule_table(runs_by_schedule: dict, target: float) -> dict:
    """The winner at every schedule it ran (`SCHEDULE_COLUMNS`), seeds of the search only."""
    rows = []
    for iterations, runs in sorted(runs_by_schedule.items()):
        runs = {s: r for s, r in runs.items() if s in SEARCH_SEEDS}
        vals = [val_of(r) for r in runs.values()]
        rows.append(
            [
                f"{iterations:,}",
                pct_pm(describe(vals)),
                pct(min(vals)),
                pct_pm(describe(r["final"]["test_accuracy"] for r in runs.values())),
                f"{sum(v >= target for v in vals)}/{len(vals)}",
            ]
        )
    return {"columns": SCHEDULE_COLUMNS, "rows": rows}


def contender_table(family: str, winner: str, search: dict, target: float) -> dict:
    """Candidates smaller than the winner that passed the screen, at every schedule
    they ran (`CONTENDER_COLUMNS`)."""
    candidates, rows = grid(family), []
    longest = max(its for _, its in search)
    own = count_params(family, candidates[winner])
    for name, args in candidates.items():
        screen = search.get((name, longest), {}).get(0)
        if count_params(family, args) >= own or not screen or val_of(screen) < target:
            continue
        for its in sorted(i for n, i in search if n == name):
            runs = only_search_seeds(search[(name, its)])
            rows.append(
                [
                    f"`{name}`",
                    f"{count_params(family, args):,}",
                    f"{its:,}",
                    ", ".join(
                        f"{pct(val_of(r))} (seed {seed})"
                        for seed, r in sorted(runs.items())
                    ),
                    "yes" if passes(runs, SEARCH_SEEDS, target) else "no",
                ]
            )
    return {"columns": CONTENDER_COLUMNS, "rows": rows}


def neighbour_table(family: str, winner: str, search: dict) -> dict:
    """The winner's next-smaller neighbours, each at its best schedule (`NEIGHBOUR_COLUMNS`)."""
    candidates, rows = grid(family), []
    for name in smaller_neighbours(family, winner):
        changed = [
            f"{axis} {candidates[winner][axis]} → {candidates[name][axis]}"
            for axis in AXES[family]
            if candidates[name][axis] != candidates[winner][axis]
        ]
        best = max(
            (val_of(run), its, seed)
            for (other, its), runs in search.items()
            if other == name
            for seed, run in runs.items()
        )
        rows.append(
            [
                f"`{name}`",
                f"{count_params(family, candidates[name]):,}",
                ", ".join(changed).replace("_", " "),
                f"{pct(best[0])} ({best[1]:,} iterations, seed {best[2]})",
            ]
        )
    return {"columns": NEIGHBOUR_COLUMNS, "rows": rows}


def family_summary(family: str, search: dict, target: float = TARGET, root=None):
    """One family's search: tables, winner and its parameters; saves its figures.

    Args:
        family: "shallow" or "deep".
        search: its stored runs (`load_search`), not empty.
        target: the validation accuracy. Defaults to `TARGET` (0.95).
        root: the results folder. Defaults to `results_dir()`.

    Returns:
        The family's part of `c3/summary.json`.
    """
    longest = max(its for _, its in search)
    present = tuple(sorted({its for _, its in search}))
    schedules = SCHEDULES if longest == SCHEDULES[-1] else present
    winner, schedule, needed = decide(family, search, schedules, target)
    out = {
        "table": search_table(family, search, winner, longest, target),
        "candidates": len(grid(family)),
        "runs": sum(len(r) for r in search.values()),
        "wall_minutes": sum(
            r["meta"]["wall_seconds"] for runs in search.values() for r in runs.values()
        )
        / 60,
        "complete": not needed,
        "winner": None,
    }
    if winner is None or schedule is None:
        return out
    args = grid(family)[winner]
    by_schedule = {its: runs for (n, its), runs in search.items() if n == winner}
    chosen = {s: r for s, r in by_schedule[schedule].items() if s in SEARCH_SEEDS}
    model = build_candidate(family, args)
    out["winner"] = {
        "name": winner,
        "builder_args": args,
        "params": int(model.count_params()),
        "iterations": schedule,
        "val_accuracy": describe(val_of(r) for r in chosen.values()),
        "test_accuracy": describe(r["final"]["test_accuracy"] for r in chosen.values()),
        "seeds": {
            str(s): {
                "val_accuracy": val_of(r),
                "test_accuracy": r["final"]["test_accuracy"],
            }
            for s, r in chosen.items()
        },
    }
    out["winner_seeds"] = {
        "columns": SEED_COLUMNS,
        "rows": [
            [s, pct(v["val_accuracy"]), pct(v["test_accuracy"])]
            for s, v in out["winner"]["seeds"].items()
        ],
    }
    out["schedules"] = schedule_table(by_schedule, target)
    out["neighbours"] = neighbour_table(family, winner, search)
    out["contenders"] = contender_table(family, winner, search, target)
    out["winner_params"] = parameter_table(model)
    label = f"{family} {winner} ({out['winner']['params']} params)"
    histories = {label: [r["history"] for r in chosen.values()]}
    save_figure(plot_winner(histories, target), "c3", f"{family}_winner", root)
    return out


def plot_winner(runs: dict, target: float):
    """Loss and accuracy of a search winner, with the target accuracy marked (C3).

    Args:
        runs: label -> list of histories (the winner's seeds).
        target: the validation accuracy the search asked for.
    """
    fig, axes = new_figure(ncols=2, width=5.5, height=3.6)
    plot_curves(axes[0], runs, keys=("train_loss", "val_loss"), ylabel="cross-entropy")
    axes[0].set_title("training loss")
    plot_curves(
        axes[1],
        runs,
        keys=("train_accuracy", "val_accuracy", "test_accuracy"),
        ylim=(0.8, 1.0),
    )
    axes[1].axhline(target, color="grey", lw=0.8)
    axes[1].set_title("accuracy")
    return fig


def plot_search(summaries: dict, searches: dict, target: float = TARGET):
    """Screen accuracy against parameters, one panel per family (C3.1, C3.2).

    Args:
        summaries: family -> its `family_summary`.
        searches: family -> its stored runs (`load_search`).
        target: the validation accuracy, marked. Defaults to `TARGET` (0.95).
    """
    fig, axes = new_figure(ncols=len(summaries), width=4.5, height=3.6)
    axes = axes if len(summaries) > 1 else [axes]
    for ax, (family, summary) in zip(axes, summaries.items()):
        search = searches[family]
        longest = max(its for _, its in search)
        points = [
            (count_params(family, grid(family)[n]), val_of(runs[0]))
            for (n, its), runs in search.items()
            if its == longest and 0 in runs
        ]
        ax.scatter(*zip(*points), s=18, color="C0", label="candidate (seed 0)")
        if summary["winner"]:
            w = summary["winner"]
            ax.scatter(
                [w["params"]],
                [w["val_accuracy"]["mean"]],
                s=60,
                marker="*",
                color="C3",
                label=f"smallest passing ({w['name']}): mean at {w['iterations']:,} it.",
            )
        ax.axhline(target, color="grey", lw=0.8)
        ax.set_xlabel("parameters")
        ax.set_ylabel("validation accuracy")
        ax.set_title(f"{family}: {longest:,} iterations")
        ax.legend(fontsize=7, loc="best")
    return fig


def time_to_target(runs: dict, target: float) -> dict:
    """CPU seconds and iterations to the first record at `target` validation accuracy."""
    hits = [first_reaching(r["history"], "val_accuracy", target) for r in runs.values()]
    hits = [h for h in hits if h]
    return {
        "seeds": len(runs),
        "reached": len(hits),
        "iterations": describe(h["iteration"] for h in hits) if hits else None,
        "cpu_seconds": [h["train_cpu_seconds"] for h in hits],
        "iteration_list": [h["iteration"] for h in hits],
    }


def convergence(
    summaries: dict, searches: dict, target: float = TARGET, root=None
) -> dict:
    """C3.3: each winner's CPU seconds to `target` at its schedule, and Welch's test.

    Args:
        summaries: family -> its `family_summary` (both with a winner).
        searches: family -> its stored runs (`load_search`).
        target: the validation accuracy. Defaults to `TARGET` (0.95).
        root: the results folder. Defaults to `results_dir()`.
    """
    out, rows, curves = {}, [], {}
    for family, summary in summaries.items():
        w = summary["winner"]
        runs = searches[family][(w["name"], w["iterations"])]
        timing = time_to_target(runs, target)
        out[family] = {**timing, "cpu": describe(timing["cpu_seconds"])}
        rows.append(
            [
                f"{family} (`{w['name']}`)",
                f"{w['params']:,}",
                f"{w['iterations']:,}",
                f"{timing['reached']}/{timing['seeds']}",
                format_mean_std(timing["iterations"], ",.0f"),
                format_mean_std(out[family]["cpu"], ".1f"),
            ]
        )
        curves[f"{family} ({w['params']} params)"] = list(runs.values())
    out["table"] = {"columns": CONVERGENCE_COLUMNS, "rows": rows}
    shallow, deep = (out[f]["cpu_seconds"] for f in FAMILIES)
    out["welch"] = welch_test(shallow, deep)
    out["welch_iterations"] = welch_test(*(out[f]["iteration_list"] for f in FAMILIES))
    out["significant_iterations"] = (
        "yes" if out["welch_iterations"]["p"] < 0.05 else "no"
    )
    out["significant"] = "yes" if out["welch"]["p"] < 0.05 else "no"
    save_figure(plot_convergence(curves, target), "c3", "convergence", root)
    return out


def plot_convergence(curves: dict, target: float):
    """Validation accuracy against training CPU seconds, every seed of each winner (C3.3).

    Args:
        curves: label -> list of runs (one per seed).
        target: the validation accuracy the search asked for.
    """
    fig, ax = new_figure(width=7, height=4)
    for i, (label, runs) in enumerate(curves.items()):
        for j, run in enumerate(runs):
            ax.plot(
                [r["train_cpu_seconds"] for r in run["history"]],
                [r["val_accuracy"] for r in run["history"]],
                color=f"C{i}",
                lw=1,
                alpha=0.8,
                label=f"{label}, {len(runs)} seeds" if j == 0 else None,
            )
    ax.set_ylim(0.85, 1.0)
    ax.axhline(target, color="grey", lw=0.8)
    ax.set_xlabel("training CPU seconds (evaluation excluded)")
    ax.set_ylabel("validation accuracy")
    ax.set_title("validation accuracy of the two smallest networks")
    ax.legend(fontsize=8, loc="lower right")
    return fig


def report_search(target: float = TARGET, record=None, root=None) -> None:
    """C3.1-C3.3: writes `c3/summary.json` and the search's figures.

    Args:
        target: the validation accuracy. Defaults to `TARGET` (0.95).
        record: the report's configuration, stored in the summary's metadata.
        root: the results folder. Defaults to `results_dir()`.
    """
    searches = {f: load_search(f, root) for f in FAMILIES}
    searches = {f: search for f, search in searches.items() if search}
    if not searches:
        return
    out = {f: family_summary(f, search, target, root) for f, search in searches.items()}
    save_figure(plot_search(out, searches, target), "c3", "search", root)
    if all(out.get(f, {}).get("winner") for f in FAMILIES) and all(
        out[f]["complete"] for f in FAMILIES
    ):
        out["convergence"] = convergence(out, searches, target, root)
    write_result("c3", "summary", out, config=record, root=root)


def train_candidate(config: Config, backup=None, root: Path | None = None) -> dict:
    """Trains one candidate with one schedule and seed, and writes its run.

    Args:
        config: the run's settings.
        backup: a `TrainingBackup` callback (checkpoints, resume), or None.
        root: the results folder. Defaults to `results_dir()`.
    """
    set_seed(config.seed)
    model = build_candidate(config.family, config.builder_args)
    run, _ = train_on_mnist(model, config, "c3", backup, root, verbose=0)
    final = run["final"]
    print(
        f"{config.run_name} ({run['params']} parameters): val {pct(final['val_accuracy'])}"
        f", test {pct(final['test_accuracy'])}, {run['wall_seconds']:.0f} s",
        flush=True,
    )
    return run


def run_search(
    family: str,
    seeds=SEARCH_SEEDS,
    schedules=SCHEDULES,
    target: float = TARGET,
    names=None,
    quick: bool = False,
    root: Path | None = None,
    backup_of=None,
    distribute: str = "none",
) -> tuple:
    """Runs the four stages of one family's search until all is decided.

    Args:
        family: "shallow" or "deep".
        seeds: the seeds every winner passes with. Defaults to `SEARCH_SEEDS`.
        schedules: iterations, shortest first. Defaults to `SCHEDULES`.
        target: the validation accuracy. Defaults to `TARGET` (0.95).
        names: the candidates to search. Defaults to the whole grid.
        quick: smoke runs (`Config.quick`). Defaults to False.
        root: the results folder. Defaults to `results_dir()`.
        backup_of: `run_name -> TrainingBackup` or None. Defaults to None.
        distribute: the strategy in effect, recorded. Defaults to "none".

    Returns:
        `(winner, schedule)`, as from `decide`.
    """
    candidates = grid(family)
    while True:
        winner, schedule, needed = decide(
            family, load_search(family, root), schedules, target, seeds, names
        )
        if not needed:
            return winner, schedule
        name, iterations, seed = needed[0]
        config = Config(
            family, name, candidates[name], iterations, seed=seed, distribute=distribute
        )
        if quick:
            config = config.quick()
        backup = backup_of(config.run_name) if backup_of else None
        train_candidate(config, backup, root)


def main(args: argparse.Namespace) -> None:
    """Runs one family's search, skipping finished runs.

    Args:
        args: `--family`, the seeds, `--quick`, `--results-dir`, `--distribute`
            and the resume options.
    """
    from tfcnn.training.devices import use_strategy

    use_strategy(args.distribute)
    root = cli.results_root(args)
    quick = dict(
        schedules=QUICK_SCHEDULES, target=0.2, names=list(grid(args.family))[:3]
    )
    winner, schedule = run_search(
        args.family,
        cli.seeds_of(args),
        **(quick if args.quick else {}),
        quick=args.quick,
        root=root,
        backup_of=lambda name: cli.training_backup(args, "c3", name),
        distribute=args.distribute,
    )
    if winner is None:
        print(f"{args.family}: no candidate reached the target on every seed")
    else:
        print(
            f"{args.family}: the smallest is {winner}, trained for {schedule:,} iterations"
        )
