"""utils.distribute (notebook 09): strategies on two logical CPUs, TF_CONFIG, the worker entry point.

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
    assert result["replicas"] == 1 and result["steps"] == 2 and len(result["losses"]) == 2
    assert result["pid"] == os.getpid() and result["interfaces"]
    assert result["listening"] == []                     # no TF_CONFIG: no gRPC server
    with pytest.raises(SystemExit, match="usage"):
        distribute.main([])
