"""nbval settings for the notebooks: quiet TensorFlow, and stderr is never compared."""

import os

# Read by TensorFlow when a notebook's kernel (a child of this process) imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def pytest_collectstart(collector):
    # TensorFlow and absl write start-up notices and warnings to stderr; they are not results.
    if getattr(collector, "path", None) is not None and collector.path.suffix == ".ipynb":
        collector.skip_compare += ("stderr",)

# The translated twins (notebooks/zh/) are generated from the executed English notebooks by tools/i18n.py, with
# the same code and outputs: they are checked by tests/test_i18n.py, not executed again.
collect_ignore = ["zh"]
