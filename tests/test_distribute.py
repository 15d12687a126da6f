"""utils.distribute: strategies on two logical CPUs, TF_CONFIG, and worker processes that never outlive a call."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import utils
from utils import distribute


def alive(pid: int) -> bool:
    """True if ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


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


def hang_job(tmp_path: Path) -> dict:
    return {"mode": "hang", "out": str(tmp_path), "name": "hang"}


def wait_for(path: Path, seconds: float = 20.0) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not path.is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert path.is_file(), f"{path} never appeared"


def test_run_workers_kills_a_hung_worker_and_its_children(tmp_path):
    before = len(distribute.STARTED)
    with pytest.raises(RuntimeError, match="did not finish within 3 s"):
        distribute.run_workers([hang_job(tmp_path)], timeout=3)
    wait_for(tmp_path / "child.pid", 0)
    pids = distribute.STARTED[before:] + [int((tmp_path / "child.pid").read_text())]
    assert len(pids) == 2 + distribute.LAST_RUN["isolated"]       # worker, child (and the namespace holder)
    assert not any(alive(pid) for pid in pids), [pid for pid in pids if alive(pid)]
    assert distribute.still_running() == []


def test_run_until_killed_gives_up_and_cleans_up(tmp_path):
    before = len(distribute.STARTED)
    with pytest.raises(RuntimeError, match="did not reach step 5 within 3 s"):
        distribute.run_until_killed(hang_job(tmp_path), kill_at_step=5, timeout=3)
    pids = distribute.STARTED[before:] + [int((tmp_path / "child.pid").read_text())]
    assert not any(alive(pid) for pid in pids)


def test_run_workers_reports_a_crashed_worker(tmp_path):
    with pytest.raises(RuntimeError, match="worker bad exited with code 1"):
        distribute.run_workers([{"out": str(tmp_path), "name": "bad"}], timeout=60)
    assert "ValueError: job 'bad' lacks ['chars'," in (tmp_path / "bad.log").read_text()


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


def survivors(sessions: set[int]) -> list[int]:
    """Live processes in any of ``sessions`` (each worker leads a session of its own, which its children inherit)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _, _, session = stat.read_text().rsplit(")", 1)[1].split()[:4]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(session) in sessions and state != "Z":
            found.append(int(stat.parent.name))
    return found


def test_hung_worker_leaves_no_process_in_its_session(tmp_path):
    with pytest.raises(RuntimeError, match="did not finish"):
        distribute.run_workers([hang_job(tmp_path)], timeout=3)
    wait_for(tmp_path / "child.pid", 0)
    sessions = set(distribute.LAST_RUN["pids"]) | {distribute.LAST_RUN["network_pid"]} - {None}
    assert survivors(sessions) == []


def test_two_workers_listen_on_loopback_only_and_leave_no_orphans(tmp_path):
    job = {"chars": 5000, "seq_len": 8, "global_batch": 4, "seed": 0, "embedding_dim": 4, "units": 8,
           "learning_rate": 1e-3, "steps": 2, "out": str(tmp_path)}
    configs = distribute.tf_config(2)
    ports = {int(w.rsplit(":", 1)[1]) for w in configs[0]["cluster"]["worker"]}
    results = distribute.run_workers([{**job, "name": f"w{i}"} for i in range(2)],
                                     envs=[{"TF_CONFIG": json.dumps(c)} for c in configs], timeout=180)
    assert [r["replicas"] for r in results] == [2, 2] and [r["steps"] for r in results] == [2, 2]
    for r in results:                      # each worker's gRPC server listens (read from its /proc/net/tcp*)
        assert ports & {int(a.rsplit(":", 1)[1]) for a in r["listening"]}, r["listening"]
    if distribute.LAST_RUN["isolated"]:
        # The servers bind all interfaces, but in a namespace of their own that has nothing but loopback.
        assert results[0]["network_namespace"] == results[1]["network_namespace"] != distribute.network_namespace()
        assert all(r["interfaces"] == ["lo"] for r in results)
    else:                                  # no private namespace here: then every listener must be on loopback
        assert all(a.startswith(("127.0.0.1:", "::1:")) for r in results for a in r["listening"])
    sessions = set(distribute.LAST_RUN["pids"]) | {distribute.LAST_RUN["network_pid"]} - {None}
    assert survivors(sessions) == [] and distribute.still_running() == []


def test_listening_sockets_reads_proc_net(tmp_path):
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        assert f"127.0.0.1:{s.getsockname()[1]}" in distribute.listening_sockets()
