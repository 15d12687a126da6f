"""Seeding and a one-line report of the software and device a notebook runs on."""

from __future__ import annotations

import os
import platform


def versions_line() -> str:
    """'Python x | TensorFlow y | Keras z | NumPy w | device: ...' for the machine in use."""
    import keras
    import numpy as np
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = [tf.config.experimental.get_device_details(g).get("device_name", g.name) for g in gpus]
        device = f"GPU ({', '.join(names)})"
    else:
        device = f"CPU ({os.cpu_count()} cores)"
    return (
        f"Python {platform.python_version()} | TensorFlow {tf.__version__} | "
        f"Keras {keras.__version__} | NumPy {np.__version__} | device: {device}"
    )


def setup(seed: int = 42) -> None:
    """Seed Python, NumPy and Keras/TensorFlow with ``seed`` and print the versions line."""
    import keras

    keras.utils.set_random_seed(seed)
    print(versions_line())
