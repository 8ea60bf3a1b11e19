"""Results files are no older than the code they claim to come from.

Every `docs/results/**/*.json` records in `meta.git_commit` the commit its
script ran at (with "+dirty" when `tfcnn/` or `scripts/` had uncommitted
changes). The recorded commit must exist in this repository's history, and the
JSON must have been committed at or after it: the recorded commit is an
ancestor of (or equal to) the last commit that changed the file. A file whose
commit is not in the history was produced by code nobody can check out; a file
committed before the commit it names claims code that did not exist yet.

Skipped outside a git checkout; files with a null commit and files not yet
committed are skipped one by one.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import unittest
from pathlib import Path

import tensorflow as tf

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, timeout=60
    )


def in_git_checkout() -> bool:
    if shutil.which("git") is None:
        return False
    done = git("rev-parse", "--is-inside-work-tree")
    return done.returncode == 0 and done.stdout.strip() == "true"


def recorded_commit(path: Path) -> str | None:
    """The commit named in the file's meta, without a "+dirty" suffix."""
    data = json.loads(path.read_text())
    commit = (
        (data.get("meta") or {}).get("git_commit") if isinstance(data, dict) else None
    )
    return commit.split("+", 1)[0] if commit else None


def last_commits() -> dict[str, str]:
    """Repository-relative path -> the last commit that changed it, in one git call."""
    out = git(
        "log", "--format=commit %H", "--name-only", "--", "docs/results"
    ).stdout.splitlines()
    last: dict[str, str] = {}
    commit = None
    for line in out:
        if line.startswith("commit "):
            commit = line.split()[1]
        elif line.strip() and commit:
            last.setdefault(line.strip(), commit)  # newest first: keep the first
    return last


@unittest.skipUnless(in_git_checkout(), "not in a git checkout")
class ResultsFreshnessTest(tf.test.TestCase):
    def test_recorded_commits_exist_and_precede_the_file(self):
        files = sorted(RESULTS.rglob("*.json"))
        self.assertNotEmpty(files)
        last = last_commits()
        uncommitted = set(
            git(
                "ls-files", "--others", "--modified", "--", "docs/results"
            ).stdout.split()
        )
        missing, too_early, checked = [], [], 0
        known: dict[str, bool] = {}
        for path in files:
            relative = path.relative_to(ROOT).as_posix()
            commit = recorded_commit(path)
            if commit is None or relative not in last or relative in uncommitted:
                continue
            if commit not in known:
                known[commit] = (
                    git("cat-file", "-e", f"{commit}^{{commit}}").returncode == 0
                )
            if not known[commit]:
                missing.append(f"{relative}: {commit}")
                continue
            ancestor = git("merge-base", "--is-ancestor", commit, last[relative])
            if ancestor.returncode != 0:
                too_early.append(
                    f"{relative}: made at {commit}, committed in {last[relative]}"
                )
            checked += 1
        self.assertEqual(
            missing,
            [],
            "results name commits that are not in the history; rerun their "
            "scripts from a committed tree",
        )
        self.assertEqual(
            too_early,
            [],
            "results committed before the commit they record; rerun their scripts",
        )
        if last:
            self.assertGreater(checked, 0, "no committed results file was checked")

    def test_the_check_catches_a_commit_after_the_file(self):
        """The ancestry test itself: HEAD is not an ancestor of its own parent."""
        head = git("rev-parse", "HEAD").stdout.strip()
        parent = git("rev-parse", "--verify", "--quiet", "HEAD~1").stdout.strip()
        if not parent:
            self.skipTest("the history has a single commit")
        self.assertEqual(git("merge-base", "--is-ancestor", parent, head).returncode, 0)
        self.assertNotEqual(
            git("merge-base", "--is-ancestor", head, parent).returncode, 0
        )
        self.assertNotEqual(git("cat-file", "-e", "0" * 40 + "^{commit}").returncode, 0)

    def test_recorded_commit_drops_the_dirty_mark(self):
        path = Path(self.get_temp_dir()) / "r.json"
        path.write_text(json.dumps({"meta": {"git_commit": "abc123+dirty"}}))
        self.assertEqual(recorded_commit(path), "abc123")
        path.write_text(json.dumps({"meta": {"git_commit": None}}))
        self.assertIsNone(recorded_commit(path))
