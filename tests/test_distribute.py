"""utils.distribute (notebook 09): strategies, learning-rate rules, the custom loop (mixed precision, checkpoints),
TF_CONFIG, the worker entry point.

The worker processes themselves (start, timeout, kill, sockets) are tested in test_workers.py."""

import json
import os
import subprocess
import sys
import textwrap

import pytest

import utils
from utils import distribute


def test_pick_strategy_mirrors_two_logical_cpus_in_a_fresh_process():
    # A subprocess, so that splitting the CPU does not touch the TensorFlow of the other tests.
    script = textwrap.dedent("""
        import numpy as np, tensorflow as tf
        from utils import distribute
        print("DEVICES", distribute.split_cpu(2))
        print("AGAIN", distribute.split_cpu(2))                     # a second call with the same n is harmless
        strategy = distribute.pick_strategy(cpu_replicas=True)
        print("CHOSEN", type(strategy).__name__, strategy.num_replicas_in_sync)
        per_replica = strategy.run(lambda: tf.distribute.get_replica_context().replica_id_in_sync_group)
        print("REPLICA_IDS", sorted(int(v) for v in strategy.experimental_local_results(per_replica)))
        default = distribute.pick_strategy()
        print("DEFAULT", type(default).__name__, default.num_replicas_in_sync)
        print("TPU", distribute.tpu_resolver())
        try:
            distribute.split_cpu(3)
        except RuntimeError as error:
            print("ERROR", error)
    """)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(utils.ROOT)}
    env.pop("TPU_NAME", None)
    run = subprocess.run([sys.executable, "-c", script], cwd=utils.ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    assert "DEVICES ['/device:CPU:0', '/device:CPU:1']" in out
    assert "strategy: MirroredStrategy over 2 logical CPU devices; 2 replica(s) in sync" in out
    assert "CHOSEN MirroredStrategy 2" in out and "REPLICA_IDS [0, 1]" in out
    assert "strategy: the default strategy" in out and "DEFAULT _DefaultDistributionStrategy 1" in out
    assert "TPU None" in out
    assert "ERROR TensorFlow already runs with 2 logical CPU device(s), not 3" in out


def test_split_cpu_refuses_zero():
    with pytest.raises(ValueError, match="n >= 1"):
        distribute.split_cpu(0)


def test_tf_config_is_one_config_per_worker_on_localhost():
    configs = distribute.tf_config(2)
    assert [c["task"] for c in configs] == [{"type": "worker", "index": 0}, {"type": "worker", "index": 1}]
    workers = configs[0]["cluster"]["worker"]
    assert all(c["cluster"] == configs[0]["cluster"] for c in configs)
    assert len(set(workers)) == 2 and all(w.startswith("127.0.0.1:") for w in workers)
    json.dumps(configs)                                   # TF_CONFIG is JSON
    with pytest.raises(ValueError, match="distinct ports"):
        distribute.tf_config(2, ports=[5000, 5000])
    with pytest.raises(ValueError, match="at least one worker"):
        distribute.tf_config(0)


def test_with_layer_config_and_dtype_policy():
    import keras

    from utils.layers import cudnn_blockers
    from utils.text import char_lstm

    model = char_lstm(10, 4, 8)
    generic = distribute.with_layer_config(model, keras.layers.LSTM, use_cudnn=False)
    assert cudnn_blockers(model.get_layer("lstm")) == []
    assert cudnn_blockers(generic.get_layer("lstm")) == ["use_cudnn is False"]
    before = keras.config.dtype_policy().name
    with distribute.dtype_policy("mixed_bfloat16"):
        mixed = char_lstm(10, 4, 8)
    assert keras.config.dtype_policy().name == before
    assert mixed.get_layer("lstm").compute_dtype == "bfloat16" and mixed.get_layer("lstm").variable_dtype == "float32"


def test_char_dataset_has_static_global_batches():
    import numpy as np

    ds = distribute.char_dataset(np.arange(1000) % 7, seq_len=9, global_batch=8, seed=0)
    x, y = next(iter(ds))
    assert ds.element_spec[0].shape.as_list() == [8, 9] and x.shape == (8, 9)
    assert np.array_equal(x.numpy()[:, 1:], y.numpy()[:, :-1])
    with pytest.raises(ValueError, match="fewer than one batch of 200"):
        distribute.char_dataset(np.arange(1000), seq_len=9, global_batch=200, seed=0)


def test_tf_config_ports_are_free_and_distinct():
    for _ in range(20):                                   # ports chosen together: never the same one twice
        workers = distribute.tf_config(3)[0]["cluster"]["worker"]
        assert len(set(workers)) == 3


def test_worker_entry_point_writes_its_result_and_what_it_listens_on(tmp_path):
    # One worker without TF_CONFIG, in this process: the default strategy, and no server to listen.
    job = {"chars": 5000, "seq_len": 8, "global_batch": 4, "seed": 0, "embedding_dim": 4, "units": 8,
           "learning_rate": 1e-3, "steps": 2, "out": str(tmp_path), "name": "solo"}
    distribute.main([json.dumps(job)])
    result = json.loads((tmp_path / "solo.json").read_text())
    assert result["replicas"] == 1 and result["steps"] == 2 and len(result["losses"]) == len(result["data"]) == 2
    assert result["resumed_from"] == 0
    assert [json.loads(line)["step"] for line in (tmp_path / "solo.steps.jsonl").read_text().splitlines()] == [1, 2]
    assert result["pid"] == os.getpid() and result["interfaces"]
    assert result["listening"] == []                     # no TF_CONFIG: no gRPC server
    with pytest.raises(SystemExit, match="usage"):
        distribute.main([])
    with pytest.raises(ValueError, match=r"lacks \['name'\]"):
        distribute.train_job({k: v for k, v in job.items() if k != "name"})


# --------------------------------------------------------------------------- strategies and learning rates
def test_strategy_plan_for_every_kind_of_machine():
    gpus, cpus = ["/device:GPU:0", "/device:GPU:1"], ["/device:CPU:0", "/device:CPU:1"]
    plan = distribute.strategy_plan
    assert plan(False, [], ["/device:CPU:0"], cpu_replicas=True) == ("default", [])
    assert plan(False, [], cpus) == ("default", [])                    # logical CPUs only when asked for
    assert plan(False, [], cpus, cpu_replicas=True) == ("mirrored", cpus)
    assert plan(False, gpus, cpus, cpu_replicas=True) == ("mirrored", gpus)   # GPUs before logical CPUs
    assert plan(False, gpus[:1], cpus, cpu_replicas=True) == ("mirrored", gpus[:1])
    assert plan(True, gpus, cpus, cpu_replicas=True) == ("tpu", [])          # a TPU before anything local
    assert plan(True, gpus, cpus, True, tf_config='{"cluster": {}}') == ("multi_worker", [])


def test_tpu_is_tried_only_where_hinted_and_never_in_a_worker(monkeypatch):
    monkeypatch.delenv("TPU_NAME", raising=False)
    monkeypatch.delenv("TPU_LOAD_LIBRARY", raising=False)
    monkeypatch.setattr(distribute.glob, "glob", lambda pattern: [])
    assert not distribute.tpu_hinted()
    monkeypatch.setattr(distribute.glob, "glob", lambda pattern: ["/dev/vfio/0"] if "vfio" in pattern else [])
    assert distribute.tpu_hinted()
    monkeypatch.setenv("TPU_LOAD_LIBRARY", "0")             # what utils.workers.start sets for every worker
    assert not distribute.tpu_hinted()


def test_scaled_learning_rate_is_linear_for_sgd_and_square_root_for_adam():
    assert distribute.scaled_learning_rate(0.1, 32, 256, "sgd") == pytest.approx(0.8)
    assert distribute.scaled_learning_rate(3e-3, 32, 128, "adam") == pytest.approx(6e-3)
    assert distribute.scaled_learning_rate(3e-3, 32, 8 * 128, "adam") == pytest.approx(3e-3 * 32**0.5)
    assert distribute.scaled_learning_rate(3e-3, 32, 32) == 3e-3
    with pytest.raises(ValueError, match="'adam' or 'sgd'"):
        distribute.scaled_learning_rate(3e-3, 32, 64, "rmsprop")
    with pytest.raises(ValueError, match="positive learning rate and batch sizes"):
        distribute.scaled_learning_rate(3e-3, 0, 64)


# --------------------------------------------------------------------------- the input of the custom loop
def test_replica_share_gives_every_row_of_a_global_batch_to_exactly_one_replica():
    import numpy as np
    import tensorflow as tf

    x = np.arange(8 * 3).reshape(8, 3)
    batches = tf.data.Dataset.from_tensors((x, x + 1)).repeat(2)
    rows = []
    for pipeline in range(2):                                 # two workers with two local replicas each
        context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=pipeline,
                                             num_replicas_in_sync=4)
        share = distribute.replica_share(batches, context, global_batch=8)
        got = [xb.numpy() for xb, _ in share]
        assert share.element_spec[0].shape.as_list() == [2, 3] and len(got) == 4   # 2 steps x 2 local replicas
        rows += [tuple(row) for xb in got[:2] for row in xb]     # the first global batch
    assert sorted(rows) == sorted(tuple(row) for row in x)
    with pytest.raises(ValueError):                           # 4 replicas cannot share a batch of 6
        distribute.replica_share(batches, tf.distribute.InputContext(1, 0, 4), global_batch=6)


def test_data_fingerprint_tells_batches_apart_and_is_exact():
    import numpy as np

    x = np.random.default_rng(0).integers(0, 63, size=(64, 64))
    assert float(distribute.data_fingerprint(x)) == float(np.sum(x * np.arange(1, 65)))   # exact in float32
    assert float(distribute.data_fingerprint(x[:, ::-1])) != float(distribute.data_fingerprint(x))  # order counts


# --------------------------------------------------------------------------- the custom loop
def checkpoint_layout():
    return [distribute.checkpoint_folder("/runs/ckpt", task_type, task_id) for task_type, task_id in
            [(None, None), ("worker", 0), ("chief", 0), ("worker", 1), ("worker", 2)]]


def test_checkpoint_folder_only_the_chief_writes_the_real_one():
    from pathlib import Path

    assert checkpoint_layout() == [(Path("/runs/ckpt"), True), (Path("/runs/ckpt"), True), (Path("/runs/ckpt"), True),
                                   (Path("/runs/ckpt-temp-worker-1"), False), (Path("/runs/ckpt-temp-worker-2"), False)]


def tiny_model(policy: str = "float32", optimizer: str = "sgd", learning_rate: float = 1.0):
    import keras

    keras.utils.set_random_seed(7)
    with distribute.dtype_policy(policy):
        model = distribute.compiled_char_lstm(11, 4, 8, learning_rate, optimizer=optimizer)
    model.optimizer.build(model.trainable_variables)
    return model


def one_batch(batch: int = 16, seq_len: int = 12):
    import numpy as np
    import tensorflow as tf

    ids = np.random.default_rng(1).integers(0, 11, size=(batch, seq_len + 1))
    batches = tf.data.Dataset.from_tensors((ids[:, :-1], ids[:, 1:])).repeat()
    return lambda context, start: distribute.replica_share(batches, context, batch)


def sgd_update(model, data):
    """The change of all weights in one SGD step of custom_loop, as one vector."""
    import numpy as np
    import tensorflow as tf

    before = model.get_weights()
    distribute.custom_loop(tf.distribute.get_strategy(), model, data, steps=1)
    return np.concatenate([(a - b).ravel() for b, a in zip(before, model.get_weights(), strict=True)])


def test_custom_loop_under_mixed_float16_takes_the_float32_step():
    # Loss scaling: the loop multiplies the loss by the LossScaleOptimizer's factor, which divides the gradients
    # by it again; the step is float32's up to float16 rounding (float32's tolerance scale with u = 2**-11).
    import keras
    import numpy as np

    from utils.numerics import float32_tolerance

    data = one_batch()
    reference = sgd_update(tiny_model(), data)
    mixed = tiny_model("mixed_float16")
    assert isinstance(mixed.optimizer, keras.optimizers.LossScaleOptimizer)
    assert float(mixed.optimizer.scale_loss(1.0)) == 2.0**15
    update = sgd_update(mixed, data)
    size = np.linalg.norm(reference)
    tolerance = float32_tolerance(16 * 12, size) * 2.0**13
    assert size > 0 and np.linalg.norm(update - reference) <= tolerance


def test_a_loop_without_loss_scaling_would_step_32768_times_too_short():
    # What custom_loop guards against: gradients of the unscaled loss, which the LossScaleOptimizer still divides.
    import keras
    import numpy as np
    import tensorflow as tf

    data = one_batch()
    reference = sgd_update(tiny_model(), data)
    model = tiny_model("mixed_float16")
    x, y = next(iter(data(tf.distribute.InputContext(), 0)))
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    before = model.get_weights()
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    model.optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
    update = np.concatenate([(a - b).ravel() for b, a in zip(before, model.get_weights(), strict=True)])
    from utils.numerics import float32_tolerance

    ratio = np.linalg.norm(update) / np.linalg.norm(reference)
    tolerance = float32_tolerance(16 * 12, 1.0) * 2.0**13      # relative, float16's u as in the test above
    assert abs(ratio * 2.0**15 - 1) <= tolerance, ratio       # float16 rounding only; the factor 2**-15 is the bug


def test_custom_loop_resumes_from_its_checkpoint_with_the_next_batches(tmp_path):
    import numpy as np
    import tensorflow as tf

    ids = np.random.default_rng(2).integers(0, 11, size=3000)
    data = distribute.char_replica_batches(ids, seq_len=9, global_batch=8, seed=3)
    strategy = tf.distribute.get_strategy()
    whole = distribute.custom_loop(strategy, tiny_model("float32", "adam", 1e-2), data, steps=6)
    first = distribute.custom_loop(strategy, tiny_model("float32", "adam", 1e-2), data, steps=4,
                                   checkpoint_dir=tmp_path / "ckpt", checkpoint_every=2)
    assert first["resumed_from"] == 0 and first["steps"] == 4
    assert sorted(p.name for p in (tmp_path / "ckpt").glob("*.index")) == ["ckpt-2.index", "ckpt-4.index"]
    later = distribute.custom_loop(strategy, tiny_model("float32", "adam", 1e-2), data, steps=6,
                                   checkpoint_dir=tmp_path / "ckpt", checkpoint_every=2)
    assert later["resumed_from"] == 4 and later["steps"] == 6
    assert first["data"] + later["data"] == whole["data"]     # the data go on where the checkpoint was taken
    assert len(set(whole["data"])) == 6
    # Weights and Adam's moments restored: the losses of the run that was never interrupted, up to float32 rounding.
    from utils.numerics import float32_tolerance

    gap = np.max(np.abs(np.subtract(first["losses"] + later["losses"], whole["losses"])))
    assert gap <= float32_tolerance(8 * 9, whole["losses"]), gap
    with pytest.raises(ValueError, match="checkpoint_every must be a positive"):
        distribute.custom_loop(strategy, tiny_model(), data, steps=1, checkpoint_dir=tmp_path / "x")
