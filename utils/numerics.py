"""Float32 rounding checks that hold on any device: TF32 off for the check, tolerances from the unit roundoff.

Serves every notebook that compares two float32 computations of the same thing (a NumPy cell with Keras, a step
model with the trained model, two replicas with one device): 01, 02, 06, 07, 08 and 09.

On NVIDIA GPUs of the Ampere generation and newer (A100, L4, H100), TensorFlow runs float32 matrix products and
cuDNN RNNs in TF32 by default: 10 mantissa bits instead of 23, so results round to about 1e-3 rather than 6e-8.
``full_float32()`` switches TF32 off for a check and restores the previous setting afterwards; inside it, the
tolerances of ``float32_tolerance`` hold on a CPU and on any GPU.
"""

from __future__ import annotations

import contextlib

import numpy as np

UNIT_ROUNDOFF = 2.0 ** -24   # float32: relative error of one rounding, half the spacing of numbers near 1


@contextlib.contextmanager
def full_float32():
    """Run float32 matrix products in full float32 (TF32 off) inside the block; the previous setting after it."""
    import tensorflow as tf

    previous = tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        yield
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(previous)


def float32_tolerance(terms: int, *magnitudes) -> float:
    """How far two float32 evaluations of the same sums may differ: ``terms * u * max |value|``.

    Adding ``terms`` float32 numbers in two different orders gives results that differ by at most about
    ``terms * u * sum |x_i|`` (the classical bound, u = 2**-24). This uses the largest absolute value among
    ``magnitudes`` (arrays or numbers: the values compared, or the terms summed) as the scale, so the tolerance
    follows the actual size of the numbers instead of a fixed constant. ``terms`` is the length of the longest
    sum (a dot product, a batch mean) on the way to the compared values.
    """
    if terms < 1:
        raise ValueError(f"terms must be a positive count of summed terms, got {terms}")
    if not magnitudes:
        raise ValueError("give the values whose size sets the tolerance")
    scale = max(float(np.max(np.abs(np.asarray(m, dtype=np.float64)))) for m in magnitudes)
    if not np.isfinite(scale):
        raise ValueError(f"the values that set the tolerance are not finite (largest magnitude {scale})")
    return terms * UNIT_ROUNDOFF * scale
