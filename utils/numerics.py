"""Float32 rounding checks that hold on any device: TF32 off for the check, tolerances from the unit roundoff.

Serves every notebook that compares two float32 computations of the same thing (a NumPy cell with Keras, a step
model with the trained model, two replicas with one device): 01, 02, 06, 07, 08 and 09.

On NVIDIA GPUs of the Ampere generation and newer (A100, L4, H100), TensorFlow runs float32 matrix products and
cuDNN RNNs in TF32 by default: 10 mantissa bits instead of 23, so results round to about 1e-3 rather than 6e-8.
``full_float32()`` switches TF32 off for a check and restores the previous setting afterwards; inside it, the
tolerances of ``float32_tolerance``, derived from float32's unit roundoff, hold on a CPU and on any GPU.
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


LAMBDA = 7.0   # probabilistic rounding bound: exceeded with probability at most 2 exp(-LAMBDA**2 / 2) ~ 5e-11


def float32_tolerance(terms: int, *magnitudes) -> float:
    """How far two float32 evaluations of the same sums may differ: ``min(n, 7 sqrt(n)) * u * max |value|``.

    A sum of ``n`` float32 terms has a rounding error of at most ``n * u * sum |x_i|`` (the classical worst case,
    u = 2**-24), and, when the rounding errors are independent with mean zero, of at most
    ``lambda * sqrt(n) * u * sum |x_i|`` with probability at least ``1 - 2 exp(-lambda**2 / 2)`` (Higham and Mary,
    "A new approach to probabilistic rounding error analysis", SIAM J. Sci. Comput., 2019). With lambda = 7 that
    probability is 1 - 5e-11, and the bound is far tighter for long chains of sums, such as a recurrent network
    run over hundreds of steps, where the worst case grows linearly and would let any error pass. The smaller
    of the two is used. ``terms`` is the number of terms summed along the longest chain of sums leading to the
    compared values; the largest absolute value among ``magnitudes`` (arrays or numbers: the values compared, or
    a bound on the size of the terms) sets the scale, so the tolerance follows the actual size of the numbers
    instead of a fixed constant.
    """
    if terms < 1:
        raise ValueError(f"terms must be a positive count of summed terms, got {terms}")
    if not magnitudes:
        raise ValueError("give the values whose size sets the tolerance")
    scale = max(float(np.max(np.abs(np.asarray(m, dtype=np.float64)))) for m in magnitudes)
    if not np.isfinite(scale):
        raise ValueError(f"the values that set the tolerance are not finite (largest magnitude {scale})")
    return min(terms, LAMBDA * np.sqrt(terms)) * UNIT_ROUNDOFF * scale
