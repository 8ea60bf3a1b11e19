"""Pytest set-up shared by the tests."""


def pytest_collection_modifyitems(items):
    # tf.test.TestCase defines a `test_session` helper that pytest would
    # otherwise collect and report as skipped in every test class.
    items[:] = [item for item in items if item.name != "test_session"]
