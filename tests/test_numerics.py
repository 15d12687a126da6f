"""utils.numerics: TF32 switched off inside the block and restored after it; tolerances from float32's unit roundoff."""

import numpy as np
import pytest

from utils import numerics


@pytest.mark.parametrize("before", [True, False])
def test_full_float32_switches_tf32_off_and_restores_the_previous_setting(before):
    import tensorflow as tf

    tf.config.experimental.enable_tensor_float_32_execution(before)
    try:
        with numerics.full_float32():
            assert not tf.config.experimental.tensor_float_32_execution_enabled()
        assert tf.config.experimental.tensor_float_32_execution_enabled() is before
        with pytest.raises(RuntimeError, match="inside"), numerics.full_float32():   # restored after an error too
            raise RuntimeError("an error inside the block")
        assert tf.config.experimental.tensor_float_32_execution_enabled() is before
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(True)    # TensorFlow's default


def test_float32_tolerance_bounds_a_reordered_float32_sum_and_scales_with_the_values():
    rng = np.random.default_rng(0)
    for n in (8, 512, 20_000):
        for scale in (1e-3, 1.0, 1e4):
            terms = (rng.standard_normal((50, n)) * scale).astype(np.float32)
            exact = terms.astype(np.float64).sum(axis=1)
            forward = np.cumsum(terms, axis=1, dtype=np.float32)[:, -1]              # one order, in float32
            backward = np.cumsum(terms[:, ::-1], axis=1, dtype=np.float32)[:, -1]    # the reverse order
            for row in range(len(terms)):
                tolerance = numerics.float32_tolerance(n, np.abs(terms[row]).sum())    # scale: sum |x_i|
                assert abs(forward[row] - backward[row]) <= tolerance
                assert abs(forward[row] - exact[row]) <= tolerance
            worst = max(abs(forward - exact) / np.abs(terms).sum(axis=1))
            assert worst > numerics.float32_tolerance(n, 1.0) / 1e4     # not so loose that anything passes
    u = 2.0 ** -24
    assert numerics.float32_tolerance(10, np.array([-3.0, 2.0]), 1.0) == 10 * 3.0 * u       # worst case n u: smaller
    assert numerics.float32_tolerance(10_000, 1.0) == 7 * 100 * u                           # 7 sqrt(n) u: smaller


def test_float32_tolerance_rejects_what_sets_no_scale():
    with pytest.raises(ValueError, match="terms must be a positive count"):
        numerics.float32_tolerance(0, 1.0)
    with pytest.raises(ValueError, match="give the values"):
        numerics.float32_tolerance(5)
    with pytest.raises(ValueError, match="not finite"):
        numerics.float32_tolerance(5, np.array([1.0, np.nan]))
