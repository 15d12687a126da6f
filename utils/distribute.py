"""Training under tf.distribute: pick a strategy, split the CPU into replicas, run and stop worker processes.

Run as ``python -m utils.distribute '<json>'`` this module is a worker: it trains the character LSTM of
notebook 02 for a given number of steps (under ``MultiWorkerMirroredStrategy`` when ``TF_CONFIG`` is set)
and writes its losses, step count and weights to the folder named in the JSON.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np

from .paths import ROOT


# --------------------------------------------------------------------------- devices and strategies
def split_cpu(n: int = 2) -> list[str]:
    """Make the CPU appear as ``n`` logical devices (before TensorFlow starts its runtime); their names."""
    if n < 1:
        raise ValueError(f"need n >= 1 logical CPU devices, got {n}")
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    wanted = [tf.config.LogicalDeviceConfiguration() for _ in range(n)]
    try:
        tf.config.set_logical_device_configuration(cpu, wanted)
    except RuntimeError as error:
        have = tf.config.list_logical_devices("CPU")
        if len(have) != n:
            raise RuntimeError(f"TensorFlow already runs with {len(have)} logical CPU device(s), not {n}: call "
                               "split_cpu() before any TensorFlow operation (restart the kernel)") from error
    return [d.name for d in tf.config.list_logical_devices("CPU")]


def tpu_resolver():
    """A ``TPUClusterResolver`` for a TPU attached to this machine (Colab TPU runtime, Cloud TPU VM), or None.

    Only tried where a TPU is hinted at (``/dev/accel*``, ``/dev/vfio`` or ``TPU_NAME``), so that a machine
    without one never waits for a cloud metadata server. Colab's TPU runtime is a TPU VM: ``tpu="local"``.
    """
    import tensorflow as tf

    name = os.environ.get("TPU_NAME")
    if not (name or glob.glob("/dev/accel*") or glob.glob("/dev/vfio/[0-9]*")):
        return None
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=name or "local")
        if name:                                   # a TPU on another host (TPU node): connect to it first
            tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        print(f"a TPU is hinted at but could not be initialised ({type(error).__name__}: {error}); not using it")
        return None
    return resolver


def pick_strategy(cpu_replicas: bool = False, verbose: bool = True):
    """The strategy for this machine: TPUStrategy, MirroredStrategy over all local GPUs, or the default one.

    With ``cpu_replicas=True`` and no accelerator, several logical CPU devices (``split_cpu``) are mirrored
    too, to rehearse data parallelism on a laptop. Prints what it chose.
    """
    import tensorflow as tf

    resolver = tpu_resolver()
    if resolver is not None:
        strategy = tf.distribute.TPUStrategy(resolver)
        chosen = f"TPUStrategy over {strategy.num_replicas_in_sync} TPU cores"
    elif gpus := tf.config.list_logical_devices("GPU"):
        strategy = tf.distribute.MirroredStrategy([d.name for d in gpus])
        chosen = f"MirroredStrategy over {len(gpus)} GPU(s)"
    elif cpu_replicas and len(cpus := tf.config.list_logical_devices("CPU")) > 1:
        strategy = tf.distribute.MirroredStrategy([d.name for d in cpus])
        chosen = f"MirroredStrategy over {len(cpus)} logical CPU devices"
    else:
        strategy = tf.distribute.get_strategy()
        chosen = "the default strategy (one device, no replication)"
    if verbose:
        print(f"strategy: {chosen}; {strategy.num_replicas_in_sync} replica(s) in sync")
    return strategy


@contextlib.contextmanager
def dtype_policy(name: str):
    """Build layers under the Keras dtype policy ``name`` (e.g. ``"mixed_bfloat16"``), then restore the old one."""
    import keras

    old = keras.config.dtype_policy()
    keras.mixed_precision.set_global_policy(name)
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(old)


def with_layer_config(model, layer_type, **config):
    """A copy of ``model`` (new weights) whose layers of ``layer_type`` get ``config``, e.g. ``use_cudnn=False``."""
    import keras

    def clone(layer):
        settings = layer.get_config()
        if isinstance(layer, layer_type):
            settings.update(config)
        return layer.__class__.from_config(settings)

    return keras.models.clone_model(model, clone_function=clone)


# --------------------------------------------------------------------------- the character model under a strategy
def char_dataset(ids: np.ndarray, seq_len: int, global_batch: int, seed: int):
    """Endless tf.data of (ids, next ids) batches of exactly ``global_batch`` windows of ``seq_len`` (static shape)."""
    import tensorflow as tf

    from .text import next_token_dataset

    windows = (len(ids) - 1) // (seq_len + 1)
    if windows < global_batch:
        raise ValueError(f"{len(ids)} ids make {windows} windows of {seq_len + 1}: fewer than one batch of "
                         f"{global_batch}")
    ds = next_token_dataset(ids, seq_len, global_batch, seed=seed)
    return ds.rebatch(global_batch, drop_remainder=True).repeat().prefetch(tf.data.AUTOTUNE)


def compiled_char_lstm(vocab_size: int, embedding_dim: int, units: int, learning_rate: float, optimizer: str = "adam"):
    """notebook 02's ``char_lstm``, compiled with ``optimizer`` ("adam" or "sgd") on logits; build it in a scope."""
    import keras

    from .text import char_lstm

    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    model = char_lstm(vocab_size, embedding_dim, units)
    opt = keras.optimizers.Adam(learning_rate) if optimizer == "adam" else keras.optimizers.SGD(learning_rate)
    model.compile(optimizer=opt, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


# --------------------------------------------------------------------------- worker processes
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tf_config(n_workers: int, ports: list[int] | None = None) -> list[dict]:
    """One ``TF_CONFIG`` per worker of a cluster of ``n_workers`` on 127.0.0.1 (a real cluster: one per host)."""
    if n_workers < 1:
        raise ValueError(f"need at least one worker, got {n_workers}")
    ports = ports or [free_port() for _ in range(n_workers)]
    if len(ports) != n_workers or len(set(ports)) != n_workers:
        raise ValueError(f"need {n_workers} distinct ports, got {ports}")
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    return [{"cluster": cluster, "task": {"type": "worker", "index": i}} for i in range(n_workers)]


STARTED: list[int] = []  # process ids of every worker this module started (tests check none survives)


def still_running() -> list[int]:
    """The process ids this module started that still run (a zombie, finished but not yet reaped, counts as gone)."""
    running = []
    for pid in STARTED:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if state != "Z":
            running.append(pid)
    return running


def private_network() -> subprocess.Popen | None:
    """A process holding a new network namespace with only a loopback interface (up), or None where impossible.

    Workers entered into it (``nsenter``) can reach each other on 127.0.0.1, but their gRPC servers, which
    TensorFlow binds to all interfaces, are unreachable from any other machine: the namespace has no other
    interface. Needs ``unshare``, ``nsenter`` and ``ip`` (util-linux, iproute2) and the right to create
    namespaces (root, or unprivileged user namespaces); where that fails (e.g. some containers), None.
    """
    import shutil

    if not all(shutil.which(tool) for tool in ("unshare", "nsenter", "ip")):
        return None
    user = [] if os.geteuid() == 0 else ["--map-root-user"]
    holder = subprocess.Popen(["unshare", "--net", *user, "sh", "-c",
                               "ip link set lo up && echo ready && exec sleep 100000"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, start_new_session=True)
    STARTED.append(holder.pid)
    ready = holder.stdout.readline().strip() == "ready"     # unshare or ip fail at once if not allowed
    holder.stdout.close()
    if not ready:
        _stop(holder)
        return None
    return holder


def _start(job: dict, env: dict | None, log: Path, network: subprocess.Popen | None = None,
           stdout=subprocess.DEVNULL) -> subprocess.Popen:
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(ROOT),
                   "CUDA_VISIBLE_DEVICES": "", **(env or {})}   # workers rehearse on the CPU, never grab a GPU
    command = [sys.executable, "-m", "utils.distribute", json.dumps(job)]
    if network is not None:                                     # nsenter execs the worker: same process id
        user = [] if os.geteuid() == 0 else ["--user", "--preserve-credentials"]
        command = ["nsenter", f"--target={network.pid}", "--net", *user, *command]
    with open(log, "w") as err:   # the child keeps its own copy of the file descriptor
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=stdout, stderr=err, text=True,
                                   start_new_session=True)   # its own process group, so killpg gets its children
    STARTED.append(process.pid)
    return process


def _stop(process: subprocess.Popen) -> None:
    """Kill a worker's whole process group (if still there) and reap it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    if process.stdout:
        process.stdout.close()


def _failure(job: dict, log: Path, what: str) -> RuntimeError:
    tail = log.read_text(errors="replace").strip().splitlines()[-15:] if log.is_file() else []
    return RuntimeError(f"worker {job.get('name', '?')} {what}; last lines of {log}:\n" + "\n".join(tail))


LAST_RUN: dict = {}  # what the latest run_workers call did: "isolated" (private network) and "pids"


def run_workers(jobs: list[dict], envs: list[dict] | None = None, timeout: float = 120.0,
                isolate: bool = True) -> list[dict]:
    """Run one worker process per job at once; their result dicts. All are killed on timeout or failure.

    With ``isolate`` (the default) the workers share a private network namespace (``private_network``), so
    their servers are reachable from this machine's loopback only; where that is impossible they run in
    this machine's network, and ``LAST_RUN["isolated"]`` is False.
    """
    envs = envs or [{} for _ in jobs]
    if len(envs) != len(jobs):
        raise ValueError(f"need one environment per job, got {len(envs)} for {len(jobs)} jobs")
    logs = [Path(job["out"]) / f"{job.get('name', i)}.log" for i, job in enumerate(jobs)]
    processes: list[subprocess.Popen] = []
    network = private_network() if isolate else None
    LAST_RUN.clear()
    LAST_RUN.update(isolated=network is not None, pids=[], network_pid=network.pid if network else None)
    try:
        for job, env, log in zip(jobs, envs, logs, strict=True):
            Path(job["out"]).mkdir(parents=True, exist_ok=True)
            processes.append(_start(job, env, log, network))
            LAST_RUN["pids"].append(processes[-1].pid)
        deadline = time.monotonic() + timeout
        while True:                                   # poll all: the first failure ends the run at once
            for job, process, log in zip(jobs, processes, logs, strict=True):
                code = process.poll()
                if code not in (None, 0):
                    raise _failure(job, log, f"exited with code {code}")
            if all(process.returncode == 0 for process in processes):
                break
            if time.monotonic() > deadline:
                late = next(job for job, process in zip(jobs, processes, strict=True) if process.returncode is None)
                log = logs[jobs.index(late)]
                raise _failure(late, log, f"did not finish within {timeout:.0f} s")
            time.sleep(0.05)
        return [json.loads((Path(job["out"]) / f"{job.get('name', i)}.json").read_text())
                for i, job in enumerate(jobs)]
    finally:
        for process in processes:
            _stop(process)
        if network is not None:
            _stop(network)


def run_until_killed(job: dict, kill_at_step: int, timeout: float = 120.0) -> int:
    """Start one worker, SIGKILL it once it reports step ``kill_at_step``; the last step it reported."""
    out = Path(job["out"])
    out.mkdir(parents=True, exist_ok=True)
    log = out / f"{job.get('name', 'worker')}.log"
    process = _start(job, None, log, stdout=subprocess.PIPE)
    lines: queue.Queue = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in process.stdout] + [lines.put(None)], daemon=True)
    reader.start()                                        # the worker prints "step N" after every step
    last = 0
    try:
        deadline = time.monotonic() + timeout
        while last < kill_at_step:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise _failure(job, log, f"did not reach step {kill_at_step} within {timeout:.0f} s") from None
            if line is None:
                raise _failure(job, log, f"ended before step {kill_at_step} (code {process.wait()})")
            if line.startswith("step "):
                last = int(line.split()[1])
        os.killpg(process.pid, signal.SIGKILL)            # no warning, no clean-up: as when a machine dies
        process.wait()
        reader.join(timeout=5)
        while not lines.empty():                          # steps it finished while the signal was on its way
            line = lines.get()
            if line and line.startswith("step "):
                last = max(last, int(line.split()[1]))
        return last
    finally:
        _stop(process)


# --------------------------------------------------------------------------- the worker itself
def custom_loop(strategy, model, dataset, steps: int, global_batch: int) -> list[float]:
    """Train ``model`` (built in ``strategy.scope()``) for ``steps`` steps with ``strategy.run``; the losses.

    Each replica averages its per-character losses over the *global* batch, so the all-reduced (summed)
    gradients are those of the mean loss over the global batch, whatever the number of replicas.
    """
    import keras
    import tensorflow as tf

    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)

    def replica_step(x, y):
        with tf.GradientTape() as tape:
            per_char = loss_fn(y, model(x, training=True))                 # (replica batch, seq_len)
            loss = tf.reduce_sum(per_char) / tf.cast(global_batch * tf.shape(per_char)[1], per_char.dtype)
        model.optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        return loss

    @tf.function
    def step(iterator):
        return strategy.reduce("SUM", strategy.run(replica_step, args=next(iterator)), axis=None)

    iterator = iter(strategy.experimental_distribute_dataset(dataset))
    return [float(step(iterator)) for _ in range(steps)]


def listening_sockets() -> list[str]:
    """``address:port`` of every TCP socket listening in this process's network namespace (/proc/net/tcp, tcp6)."""
    found = []
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for row in Path(table).read_text().splitlines()[1:]:
                local, state = row.split()[1], row.split()[3]
                if state != "0A":                             # 0A = LISTEN
                    continue
                address, port = local.split(":")
                raw = bytes.fromhex(address)                  # 32-bit words in host (little-endian) order
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
                family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
                found.append(f"{socket.inet_ntop(family, words)}:{int(port, 16)}")
    return sorted(found)


def network_namespace(pid: int | str = "self") -> str:
    """The network namespace of a process, e.g. ``net:[4026531840]``."""
    return os.readlink(f"/proc/{pid}/ns/net")


def network_interfaces() -> list[str]:
    """The network interfaces of this process's network namespace (/proc/self/net/dev)."""
    rows = Path("/proc/self/net/dev").read_text().splitlines()[2:]
    return sorted(row.split(":")[0].strip() for row in rows)


JOB_KEYS = {"chars", "seq_len", "global_batch", "seed", "embedding_dim", "units", "learning_rate", "steps", "out"}


def train_job(job: dict) -> dict:
    """Train as ``job`` says; the result dict (losses or last loss, steps, resumed_from, replicas, weights)."""
    if job.get("mode") == "hang":                     # for tests: a worker that never ends, with a child
        child = subprocess.Popen(["sleep", "300"])
        Path(job["out"], "child.pid").write_text(str(child.pid))
        time.sleep(300)
    missing = sorted(JOB_KEYS - set(job))
    if missing:
        raise ValueError(f"job {job.get('name', '?')!r} lacks {missing}; a job needs {sorted(JOB_KEYS)}")
    import keras
    import tensorflow as tf

    from .data import load_text
    from .paths import data_path
    from .text import char_vocabulary, encode

    if "TF_CONFIG" in os.environ:
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
    else:
        strategy = tf.distribute.get_strategy()
    keras.utils.set_random_seed(job["seed"])                  # first: the shuffle depends on the global seed too
    text = load_text(data_path("text/tinyshakespeare.txt"))[: job["chars"]]
    to_ids, _ = char_vocabulary(text)
    ds = char_dataset(encode(text, to_ids), job["seq_len"], job["global_batch"], seed=job["seed"])
    with strategy.scope():
        model = compiled_char_lstm(to_ids.vocabulary_size(), job["embedding_dim"], job["units"], job["learning_rate"])
        model.optimizer.build(model.trainable_variables)      # BackupAndRestore restores optimizer state too
    result: dict = {"replicas": strategy.num_replicas_in_sync, "listening": listening_sockets(),
                    "network_namespace": network_namespace(), "interfaces": network_interfaces()}
    if job.get("mode") == "fit":                          # Keras fit, backed up every ``steps_per_epoch`` steps
        callbacks: list = []
        if job.get("backup_dir"):
            callbacks.append(keras.callbacks.BackupAndRestore(job["backup_dir"], save_freq="epoch"))
        done = model.optimizer.iterations
        callbacks.append(keras.callbacks.LambdaCallback(
            on_train_begin=lambda logs: result.setdefault("resumed_from", int(done.numpy())),
            on_train_batch_end=lambda batch, logs: print(f"step {int(done.numpy())}", flush=True)))
        interval = job["steps_per_epoch"]
        history = model.fit(ds, epochs=job["steps"] // interval, steps_per_epoch=interval, verbose=0, shuffle=False,
                            callbacks=callbacks)
        result["losses"] = history.history.get("loss", [])
    else:
        result["initial_weights"] = str(Path(job["out"]) / f"{job.get('name', 'worker')}_initial.npz")
        np.savez(result["initial_weights"], *model.get_weights())
        result["losses"] = custom_loop(strategy, model, ds, job["steps"], job["global_batch"])
    result["steps"] = int(model.optimizer.iterations.numpy())
    result["weights"] = str(Path(job["out"]) / f"{job.get('name', 'worker')}.npz")
    np.savez(result["weights"], *model.get_weights())
    return result


def main(argv: list[str]) -> None:
    """Worker entry point: ``python -m utils.distribute '<job as JSON>'``."""
    if len(argv) != 1:
        raise SystemExit("usage: python -m utils.distribute '<job as JSON>'")
    job = json.loads(argv[0])
    result = train_job(job)
    Path(job["out"], f"{job.get('name', 'worker')}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
