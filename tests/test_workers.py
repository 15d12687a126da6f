"""utils.workers (notebook 09): worker processes that never outlive a call, on every platform's code path.

The platform guards are exercised by pretending to be elsewhere (``os.name``, ``sys.platform``, ``shutil.which``)
and by killing without any process group or session, as on Windows: only psutil's process tree is used.
"""

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil
import pytest

from utils import distribute, workers
from utils.numerics import float32_tolerance

# A stand-in worker: starts a child process (Python, so it exists on every platform), records both process ids,
# then either hangs, or finishes with a result file, leaving its child behind (an orphan once it has exited).
FAKE_WORKER = textwrap.dedent("""
    import json, os, subprocess, sys, time
    job = json.loads(sys.argv[1])
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    with open(os.path.join(job["out"], "pids.json"), "w") as f:
        json.dump({"worker": os.getpid(), "child": child.pid}, f)
    if job["mode"] == "hang":
        time.sleep(300)
    if job["mode"] == "count":                       # a training loop that reports every step
        for step in range(1, 1000):
            print(f"step {step}", flush=True)
            time.sleep(0.02)
    time.sleep(1.0)                                  # long enough for run_workers to see the child
    with open(os.path.join(job["out"], job["name"] + ".json"), "w") as f:
        json.dump({"done": True}, f)
""")


@pytest.fixture
def fake_worker(tmp_path) -> list[str]:
    script = tmp_path / "fake_worker.py"
    script.write_text(FAKE_WORKER)
    return [sys.executable, str(script)]


def fake_job(tmp_path: Path, mode: str, name: str = "fake") -> dict:
    return {"mode": mode, "out": str(tmp_path), "name": name}


def pids_of(tmp_path: Path) -> list[int]:
    deadline = time.monotonic() + 20
    while not (tmp_path / "pids.json").is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    return list(json.loads((tmp_path / "pids.json").read_text()).values())


def running(pid: int) -> bool:
    """True if ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def session_members(sessions: set[int]) -> list[int]:
    """Live processes in any of ``sessions`` (POSIX: each worker leads a session, which its children inherit)."""
    found = []
    for process in psutil.process_iter():
        try:
            if os.getsid(process.pid) in sessions and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process.pid)
        except (ProcessLookupError, PermissionError, psutil.NoSuchProcess):
            continue
    return found


def test_run_workers_kills_a_hung_worker_and_its_child(tmp_path, fake_worker):
    before = len(workers.STARTED)
    with pytest.raises(RuntimeError, match="worker fake did not finish within 3 s"):
        workers.run_workers([fake_job(tmp_path, "hang")], timeout=3, command=fake_worker)
    worker, child = pids_of(tmp_path)
    assert worker in [p.pid for p in workers.STARTED[before:]]
    assert child in [p.pid for p in workers.STARTED[before:]]      # seen while it ran, so tracked
    assert not running(worker) and not running(child)
    assert workers.still_running() == []
    if os.name == "posix":                                          # nothing left in its session either
        assert session_members({worker}) == []


def test_run_workers_kills_what_a_finished_worker_left_behind(tmp_path, fake_worker):
    results, run = workers.run_workers([fake_job(tmp_path, "finish")], timeout=60, command=fake_worker)
    worker, child = pids_of(tmp_path)
    assert results == [{"done": True}] and run["pids"] == [worker]
    assert not running(child), "the orphaned child of a finished worker survived the call"
    assert workers.still_running() == []


def test_run_workers_reports_a_crashed_worker(tmp_path):
    with pytest.raises(workers.WorkerFailed, match="worker bad exited with code 1") as failure:
        workers.run_workers([{"out": str(tmp_path), "name": "bad"}], timeout=60)
    assert failure.value.name == "bad" and failure.value.code == 1
    assert "ValueError: job 'bad' lacks ['chars'," in (tmp_path / "bad.log").read_text()
    assert workers.still_running() == []


def test_run_workers_needs_distinct_names(tmp_path):
    with pytest.raises(ValueError, match="distinct 'name'"):
        workers.run_workers([{"out": str(tmp_path)}], timeout=1)
    with pytest.raises(ValueError, match="distinct 'name'"):
        workers.run_workers([{"out": str(tmp_path), "name": "a"}, {"out": str(tmp_path), "name": "a"}], timeout=1)


def test_kill_tree_needs_no_process_group_as_on_windows(tmp_path):
    # Windows has no sessions or killpg: a worker started in the caller's own group must still die with its child.
    parent = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        open({str(tmp_path / 'child.pid')!r}, "w").write(str(child.pid))
        time.sleep(300)
    """)])
    deadline = time.monotonic() + 20
    while not (tmp_path / "child.pid").is_file() and time.monotonic() < deadline:
        time.sleep(0.05)
    child = int((tmp_path / "child.pid").read_text())
    if os.name == "posix":
        assert os.getpgid(parent.pid) == os.getpgid(0)              # no group of its own to kill
    workers.kill_tree(psutil.Process(parent.pid))
    parent.wait(timeout=10)
    assert not running(parent.pid) and not running(child)


def test_session_options_per_platform(monkeypatch):
    monkeypatch.setattr(os, "name", "nt")
    assert workers.session_options() == {"creationflags": 0x200}   # CREATE_NEW_PROCESS_GROUP
    monkeypatch.setattr(os, "name", "posix")
    assert workers.session_options() == {"start_new_session": True}


@pytest.mark.parametrize("pretend", ["darwin", "win32", "no tools", "isolate=False", "environment"])
def test_private_network_is_skipped_where_it_cannot_work(monkeypatch, pretend):
    def no_process(*args, **kwargs):
        raise AssertionError(f"tried to start {args[0]} although {pretend}")

    monkeypatch.setattr(subprocess, "Popen", no_process)
    isolate = pretend != "isolate=False"
    if pretend in ("darwin", "win32"):
        monkeypatch.setattr(sys, "platform", pretend)
    elif pretend == "no tools":
        monkeypatch.setattr(sys, "platform", "linux")
        monkeypatch.setattr(workers.shutil, "which", lambda tool: None if tool == "unshare" else f"/usr/bin/{tool}")
    elif pretend == "environment":
        monkeypatch.setenv("RNN_NOTEBOOKS_ISOLATE", "0")
    network, why = workers.private_network(isolate)
    assert network is None
    expected = {"darwin": "Linux-only, this is darwin", "win32": "Linux-only, this is win32",
                "no tools": "unshare is not on the PATH", "isolate=False": "turned off by isolate=False",
                "environment": "turned off by RNN_NOTEBOOKS_ISOLATE=0"}[pretend]
    assert expected in why
    if pretend in ("darwin", "win32"):
        assert workers.network_namespace() is None


def test_listening_sockets_are_found_by_pid_and_only_theirs(tmp_path):
    server = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import socket, sys, time
        s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()
        print(s.getsockname()[1], flush=True); time.sleep(300)
    """)], stdout=subprocess.PIPE, text=True)
    try:
        theirs = int(server.stdout.readline())
        with socket.socket() as mine:                      # a listener of this process: not the child's
            mine.bind(("127.0.0.1", 0))
            mine.listen()
            assert workers.listening_sockets(server.pid) == [f"127.0.0.1:{theirs}"]
            assert f"127.0.0.1:{mine.getsockname()[1]}" in workers.listening_sockets(os.getpid())
    finally:
        server.kill()
        server.wait()
        server.stdout.close()
    assert workers.listening_sockets(server.pid) == []      # gone: nothing


def test_free_ports_are_distinct():
    ports = workers.free_ports(5)
    assert len(set(ports)) == 5
    with pytest.raises(ValueError, match="n >= 1"):
        workers.free_ports(0)


def test_exposure_names_only_the_workers_ports():
    run = {"isolated": False, "why_not": "turned off by isolate=False", "listen_seconds": 7.4,
           "listening": [[":::5001"], ["0.0.0.0:5002"], []]}
    sentence = workers.exposure(run, ["worker 0", "worker 1", ""])
    assert sentence == ("no private network namespace here (turned off by isolate=False): the servers of worker 0 "
                        "and worker 1 listened on all interfaces of this machine, ports 5001 and 5002, for 7 s")
    inside = workers.exposure({**run, "isolated": True, "why_not": None}, ["worker 0", "worker 1", ""])
    assert inside.startswith("private network namespace with loopback only") and "unreachable" in inside


TINY_JOB = {"chars": 5000, "seq_len": 8, "global_batch": 4, "seed": 0, "embedding_dim": 4, "units": 8,
            "learning_rate": 1e-3, "steps": 2}


def two_workers(tmp_path: Path, isolate: bool) -> tuple[list[dict], dict, list[int]]:
    configs = distribute.tf_config(2)
    ports = [workers.port(a) for a in configs[0]["cluster"]["worker"]]
    results, run = workers.run_workers([{**TINY_JOB, "out": str(tmp_path), "name": f"w{i}"} for i in range(2)],
                                       envs=[{"TF_CONFIG": json.dumps(c)} for c in configs], timeout=180,
                                       isolate=isolate)
    assert [r["replicas"] for r in results] == [2, 2] and [r["steps"] for r in results] == [2, 2]
    assert [r["pid"] for r in results] == run["pids"]
    import numpy as np

    w0, w1 = (list(np.load(r["weights"]).values()) for r in results)   # the all-reduce keeps them identical
    assert all(np.array_equal(a, b) for a, b in zip(w0, w1, strict=True))
    return results, run, ports


def test_two_workers_without_namespace_report_only_their_own_listeners(tmp_path, monkeypatch):
    monkeypatch.setattr(workers, "private_network", lambda isolate: (None, "forced off by the test"))
    with socket.socket() as other:                         # another server of this machine: never reported
        other.bind(("127.0.0.1", 0))
        other.listen()
        results, run, ports = two_workers(tmp_path, isolate=True)
        assert not run["isolated"] and run["why_not"] == "forced off by the test"
        # Each worker, found by its pid, listened on its own TF_CONFIG port and nothing else.
        assert [sorted({workers.port(a) for a in found}) for found in run["listening"]] == [[p] for p in ports]
        assert other.getsockname()[1] not in {workers.port(a) for found in run["listening"] for a in found}
        assert run["listen_seconds"] > 0
        sentence = workers.exposure(run, ["w0", "w1"])
        assert sentence.startswith("no private network namespace here (forced off by the test)")
        assert str(other.getsockname()[1]) not in sentence and all(str(p) in sentence for p in ports)
    assert workers.still_running() == []
    if os.name == "posix":
        assert session_members(set(run["pids"])) == []


def test_two_workers_are_reachable_only_through_loopback_when_isolated(tmp_path):
    network, why = workers.private_network()
    if network is None:
        pytest.skip(f"no private network namespace on this machine: {why}")
    workers.stop(network)
    results, run, ports = two_workers(tmp_path, isolate=True)
    assert run["isolated"]
    # The servers listen on all interfaces, but in a namespace of their own that has nothing but loopback.
    assert results[0]["network_namespace"] == results[1]["network_namespace"] != workers.network_namespace()
    assert all(r["interfaces"] == ["lo"] for r in results)
    assert [sorted({workers.port(a) for a in found}) for found in run["listening"]] == [[p] for p in ports]
    assert workers.still_running() == []
    if os.name == "posix":
        assert session_members(set(run["pids"])) == []


def test_listening_sockets_says_when_it_may_not_look(monkeypatch):
    def denied(self, kind="inet"):
        raise psutil.AccessDenied(self.pid)

    name = "net_connections" if hasattr(psutil.Process, "net_connections") else "connections"   # psutil < 6
    monkeypatch.setattr(psutil.Process, name, denied)
    with pytest.raises(PermissionError, match=f"may not list the sockets of process {os.getpid()}"):
        workers.listening_sockets(os.getpid())


def test_listening_sockets_with_a_psutil_older_than_6(monkeypatch):
    # psutil 5.9 (Colab's) has Process.connections but no net_connections
    import socket

    if not hasattr(psutil.Process, "net_connections"):
        pytest.skip("this psutil is older than 6 already: every other test of listening_sockets covers it")
    original = psutil.Process.net_connections
    monkeypatch.setattr(psutil.Process, "connections", lambda self, kind="inet": original(self, kind), raising=False)
    monkeypatch.delattr(psutil.Process, "net_connections")
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert f"127.0.0.1:{server.getsockname()[1]}" in workers.listening_sockets(os.getpid())


def test_a_dead_worker_stops_the_job_and_the_restart_resumes_from_the_chiefs_checkpoint(tmp_path):
    # Worker 1 kills itself after step 3; checkpoints every 2 steps: the restart resumes at step 2 and ends at 5.
    job = {**TINY_JOB, "steps": 5, "checkpoint_dir": str(tmp_path / "ckpt"), "checkpoint_every": 2}
    first = [{**job, "out": str(tmp_path / "first"), "name": f"w{i}"} for i in range(2)]
    first[1]["crash_after_step"] = 3
    with pytest.raises(workers.WorkerFailed) as failure:
        workers.run_workers(first, envs=[{"TF_CONFIG": json.dumps(c)} for c in distribute.tf_config(2)], timeout=180)
    assert failure.value.name == "w1" and failure.value.code not in (0, None)
    assert workers.still_running() == []                   # the surviving worker was stopped too
    logged = [json.loads(line) for line in (tmp_path / "first" / "w1.steps.jsonl").read_text().splitlines()]
    assert [entry["step"] for entry in logged] == [1, 2, 3]
    assert sorted(p.name for p in (tmp_path / "ckpt").glob("*.index")) == ["ckpt-2.index"]
    assert not list(tmp_path.glob("ckpt-temp-*"))          # worker 1's own copies are deleted after each save
    results, _ = workers.run_workers([{**job, "out": str(tmp_path / "again"), "name": f"w{i}"} for i in range(2)],
                                     envs=[{"TF_CONFIG": json.dumps(c)} for c in distribute.tf_config(2)], timeout=180)
    assert [(r["resumed_from"], r["steps"]) for r in results] == [(2, 5), (2, 5)]
    assert results[0]["data"][0] == logged[2]["data"]      # step 3 again: the same batch, not the first one
    assert results[0]["data"][0] != logged[0]["data"]
    n = TINY_JOB["global_batch"] * TINY_JOB["seq_len"]     # the loss is a mean of n terms, as in notebook 09
    assert abs(results[0]["losses"][0] - logged[2]["loss"]) <= float32_tolerance(n, logged[2]["loss"])
    assert workers.still_running() == []
