"""Script options: typed, explained by --help, and checked before any work starts."""

import argparse
import contextlib
import io
import os
import sys
import types
from pathlib import Path
from unittest import mock

import tensorflow as tf
from absl.testing import parameterized

from tfcnn import cli
from tfcnn.site import catalogue
from tfcnn.training.checkpoints import CHECKPOINT_FILE, CheckpointError

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
ALL_SCRIPTS = sorted(p.stem for p in SCRIPTS.glob("*.py"))
# Scripts that train Keras models for minutes to hours: they take --resume.
RESUMABLE = ["search_small_mnist", "train_cifar10", "train_mnist_deep"]


def load_script(name):
    return catalogue.load_script(SCRIPTS / f"{name}.py")


class _Captured(Exception):
    def __init__(self, parser):
        super().__init__()
        self.parser = parser


def script_parser(name) -> argparse.ArgumentParser:
    """The script's parser, caught as its `parse_args` is about to parse."""
    entry = load_script(name).parse_args

    def capture(parser, *args, **kwargs):
        raise _Captured(parser)

    with mock.patch.object(argparse.ArgumentParser, "parse_args", capture):
        try:
            entry([])
        except _Captured as captured:
            return captured.parser
    raise AssertionError(f"{name} parsed no arguments")


def parse_error(name, argv) -> str:
    """The last line argparse prints when the script refuses `argv`."""
    printed = io.StringIO()
    entry = load_script(name).parse_args
    with contextlib.redirect_stderr(printed), mock.patch.object(sys, "argv", [name]):
        with tf.test.TestCase().assertRaises(SystemExit) as raised:
            entry(argv)
    assert raised.exception.code == 2, raised.exception.code
    return printed.getvalue().strip().splitlines()[-1]


class TypesTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.parameters(
        (cli.positive_int, "3", 3),
        (cli.non_negative_int, "0", 0),
        (cli.positive_float, "1e-4", 1e-4),
    )
    def test_accepts(self, convert, text, value):
        self.assertEqual(convert(text), value)

    @parameterized.parameters(
        (cli.positive_int, "0", ">= 1"),
        (cli.positive_int, "-2", ">= 1"),
        (cli.positive_int, "2.5", ">= 1"),
        (cli.non_negative_int, "-1", ">= 0"),
        (cli.non_negative_int, "one", ">= 0"),
        (cli.positive_float, "0", "> 0"),
        (cli.positive_float, "nan", "> 0"),
        (cli.positive_float, "inf", "> 0"),
    )
    def test_rejects_naming_the_rule_and_the_value(self, convert, text, rule):
        with self.assertRaisesRegex(
            argparse.ArgumentTypeError, f"{rule}, got '{text}'"
        ):
            convert(text)

    def test_existing_file(self):
        notes = Path(self.get_temp_dir()) / "notes.txt"
        notes.write_text("x")
        self.assertEqual(cli.existing_file(str(notes)), notes)
        with self.assertRaisesRegex(
            argparse.ArgumentTypeError, "no such file: .*b.txt"
        ):
            cli.existing_file(str(notes.parent / "b.txt"))

    def test_writable_dir_creates_nothing(self):
        root = Path(self.get_temp_dir())
        self.assertEqual(cli.writable_dir(str(root / "a" / "b")), root / "a" / "b")
        self.assertFalse((root / "a").exists())

    def test_writable_dir_refuses_a_file_on_the_path(self):
        notes = Path(self.get_temp_dir()) / "notes.txt"
        notes.write_text("x")
        with self.assertRaisesRegex(argparse.ArgumentTypeError, "notes.txt is a file"):
            cli.writable_dir(str(notes / "results"))

    def test_writable_dir_refuses_a_folder_without_permission(self):
        with mock.patch("os.access", return_value=False):
            with self.assertRaisesRegex(argparse.ArgumentTypeError, "no permission"):
                cli.writable_dir(self.get_temp_dir())


class ScriptOptionsTest(tf.test.TestCase, parameterized.TestCase):
    @parameterized.named_parameters((name, name) for name in ALL_SCRIPTS)
    def test_help_explains_every_option(self, name):
        parser = script_parser(name)
        self.assertTrue(parser.description, f"{name}: no description for --help")
        for action in parser._actions:
            if action.dest != "help":
                self.assertTrue(
                    action.help, f"{name}: {action.option_strings} has no help"
                )

    @parameterized.named_parameters((name, name) for name in ALL_SCRIPTS)
    def test_numbers_and_folders_are_typed(self, name):
        for action in script_parser(name)._actions:
            self.assertNotIn(
                action.type, (int, float, Path), f"{name}: {action.option_strings}"
            )

    @parameterized.named_parameters((name, name) for name in RESUMABLE)
    def test_training_scripts_resume(self, name):
        options = {o for a in script_parser(name)._actions for o in a.option_strings}
        self.assertContainsSubset({"--resume", "--checkpoint-dir"}, options)

    def test_bad_values_stop_before_any_work(self):
        self.assertIn(
            "argument --batch-size: must be a whole number >= 1, got '0'",
            parse_error("train_cifar10", ["--batch-size", "0"]),
        )
        self.assertIn(
            "--iterations must be a multiple of 500",
            parse_error("train_mnist_deep", ["--iterations", "700"]),
        )


class TrainingBackupOptionTest(tf.test.TestCase):
    def args(self, *argv):
        parser = argparse.ArgumentParser()
        parser.add_argument("--quick", action="store_true")
        cli.add_resume_arguments(parser)
        return parser.parse_args(argv)

    def test_default_folders(self):
        self.assertEqual(
            cli.training_backup(self.args(), "c1", "run").directory,
            Path("checkpoints/c1/run"),
        )
        self.assertEqual(
            cli.training_backup(self.args("--quick"), "c1", "run").directory,
            Path("runs/quick/checkpoints/c1/run"),
        )

    def test_leftover_checkpoint_needs_resume(self):
        root = Path(self.get_temp_dir())
        (root / "c1" / "run").mkdir(parents=True)
        (root / "c1" / "run" / CHECKPOINT_FILE).write_bytes(b"")
        with self.assertRaisesRegex(CheckpointError, "pass --resume"):
            cli.training_backup(self.args("--checkpoint-dir", str(root)), "c1", "run")
        backup = cli.training_backup(
            self.args("--checkpoint-dir", str(root), "--resume"), "c1", "run"
        )
        self.assertEqual(backup.path, root / "c1" / "run" / CHECKPOINT_FILE)


class LaunchTest(tf.test.TestCase):
    """`cli.launch`: the environment it sets up, and what a user error prints."""

    def setUp(self):
        super().setUp()
        self.seen = {}
        module = types.ModuleType("fake_answer")
        module.main = self.fake_main
        self.enter_context(mock.patch.dict(sys.modules, {"fake_answer": module}))
        self.enter_context(mock.patch.dict(os.environ))
        for name in ("TF_CPP_MIN_LOG_LEVEL", "TFCNN_DATA_DIR", cli.THREADS_ENV):
            os.environ.pop(name, None)
        self.error = None

    def fake_main(self, args):
        self.seen = {
            k: os.environ.get(k) for k in ("TF_CPP_MIN_LOG_LEVEL", "TFCNN_DATA_DIR")
        }
        if self.error:
            raise self.error

    def launch(self, *argv):
        args = cli.new_parser("A fake script.").parse_args(argv)
        printed = io.StringIO()
        with contextlib.redirect_stderr(printed):
            cli.launch("fake_answer", args)
        return printed.getvalue()

    def test_user_error_is_one_line_and_exit_status_1(self):
        self.error = ValueError("no data in /x:\n  set TFCNN_DATA_DIR")
        with self.assertRaises(SystemExit) as raised:
            printed = io.StringIO()
            with contextlib.redirect_stderr(printed):
                cli.launch("fake_answer", cli.new_parser("A fake.").parse_args([]))
        self.assertEqual(raised.exception.code, 1)
        lines = printed.getvalue().splitlines()
        self.assertLen(lines, 1)
        self.assertStartsWith(lines[0], "error: no data in /x: set TFCNN_DATA_DIR")

    def test_debug_shows_the_error_itself(self):
        self.error = OSError("cannot write here")
        with self.assertRaisesRegex(OSError, "cannot write here"):
            self.launch("--debug")

    def test_a_bug_is_not_hidden(self):
        self.error = KeyError("missing key")
        with self.assertRaises(KeyError):
            self.launch()

    def test_tensorflow_log_is_silenced_by_default(self):
        self.assertEqual(self.launch(), "")
        self.assertEqual(self.seen["TF_CPP_MIN_LOG_LEVEL"], "3")

    def test_verbose_keeps_the_tensorflow_log(self):
        self.launch("--verbose")
        self.assertIsNone(self.seen["TF_CPP_MIN_LOG_LEVEL"])

    def test_the_users_own_log_level_wins(self):
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "1"
        self.launch()
        self.assertEqual(self.seen["TF_CPP_MIN_LOG_LEVEL"], "1")

    def test_data_dir_becomes_the_environment_variable(self):
        data = self.get_temp_dir()
        self.launch("--data-dir", data)
        self.assertEqual(self.seen["TFCNN_DATA_DIR"], data)

    def test_threads_cap_the_backend_before_main(self):
        args = cli.new_parser("A fake.")
        cli.add_threads_argument(args)
        with mock.patch("tfcnn.training.devices.set_threads") as set_threads:
            cli.launch("fake_answer", args.parse_args(["--threads", "2"]))
            cli.launch("fake_answer", args.parse_args([]))
        set_threads.assert_called_once_with(2)

    def test_without_threads_the_environment_caps_the_backend(self):
        parser = cli.new_parser("A fake.")
        cli.add_threads_argument(parser)
        with (
            mock.patch.dict(os.environ, {cli.THREADS_ENV: "1"}),
            mock.patch("tfcnn.training.devices.set_threads") as set_threads,
        ):
            cli.launch("fake_answer", parser.parse_args([]))
            cli.launch("fake_answer", parser.parse_args(["--threads", "2"]))
        self.assertEqual(set_threads.call_args_list, [mock.call(1), mock.call(2)])

    def test_a_thread_count_that_is_not_a_number_is_one_line(self):
        with mock.patch.dict(os.environ, {cli.THREADS_ENV: "two"}):
            with self.assertRaisesRegex(ValueError, "is not a thread count"):
                cli.threads_from_env()
        with mock.patch.dict(os.environ, {cli.THREADS_ENV: ""}):
            self.assertEqual(cli.threads_from_env(), 0)


class DistributeArgumentTest(tf.test.TestCase):
    def test_choices_and_default(self):
        parser = argparse.ArgumentParser()
        cli.add_distribute_argument(parser)
        self.assertEqual(parser.parse_args([]).distribute, "none")
        self.assertEqual(
            parser.parse_args(["--distribute", "mirrored"]).distribute, "mirrored"
        )
        with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
            parser.parse_args(["--distribute", "all"])


if __name__ == "__main__":
    tf.test.main()
