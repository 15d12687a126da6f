"""Training under tf.distribute, for notebook 09: pick a strategy, scale the learning rate, train in a custom loop.

Run as ``python -m utils.distribute '<json>'`` this module is a worker: it trains the character LSTM of
notebook 02 for a given number of steps under ``pick_strategy()`` (``MultiWorkerMirroredStrategy`` when
``TF_CONFIG`` is set) with ``custom_loop``, optionally checkpointing and resuming, and writes its losses, data
fingerprints, step count and weights to the folder named in the JSON. Starting, watching and killing such worker
processes is ``utils.workers``' job.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import json
import math
import os
import shutil
import sys
from pathlib import Path

import numpy as np

from .numerics import full_float32
from .workers import about_this_process, free_ports


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


def tpu_hinted() -> bool:
    """True where a TPU may be attached (``/dev/accel*``, ``/dev/vfio/N`` or ``TPU_NAME``) and may be used here.

    A worker started with ``TPU_LOAD_LIBRARY=0`` (``utils.workers.start``) must leave the TPU to the notebook.
    """
    if os.environ.get("TPU_LOAD_LIBRARY") == "0":
        return False
    return bool(os.environ.get("TPU_NAME") or glob.glob("/dev/accel*") or glob.glob("/dev/vfio/[0-9]*"))


@functools.cache
def tpu_resolver():
    """A ``TPUClusterResolver`` for a TPU attached to this machine (Colab TPU runtime, Cloud TPU VM), or None.

    Only tried where ``tpu_hinted()``, so that a machine without one never waits for a cloud metadata server. The
    TPU is initialised once per process (the result is cached: initialising again would wipe its state).
    """
    if not tpu_hinted():
        return None
    import tensorflow as tf

    name = os.environ.get("TPU_NAME")
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=name or "local")
        if name:                                   # a TPU on another host (TPU node): connect to it first
            tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, RuntimeError, tf.errors.OpError) as error:
        print(f"a TPU is hinted at but could not be initialised ({type(error).__name__}: {error}); not using it")
        return None
    return resolver


def strategy_plan(tpu: bool, gpus: list[str], cpus: list[str], cpu_replicas: bool = False,
                  tf_config: str | None = None) -> tuple[str, list[str]]:
    """Which strategy ``pick_strategy`` builds from what the machine has: (kind, devices to mirror).

    kind is "multi_worker" (``TF_CONFIG`` set: this process is one worker of a cluster), "tpu", "mirrored" (all
    local GPUs, or with ``cpu_replicas`` several logical CPU devices) or "default" (one device, no replication).
    """
    if tf_config:
        return "multi_worker", []                    # it mirrors this worker's local GPUs (if any) by itself
    if tpu:
        return "tpu", []
    if gpus:
        return "mirrored", list(gpus)
    if cpu_replicas and len(cpus) > 1:
        return "mirrored", list(cpus)
    return "default", []


def pick_strategy(cpu_replicas: bool = False, verbose: bool = True):
    """The strategy for this process: MultiWorkerMirroredStrategy (``TF_CONFIG``), TPUStrategy, MirroredStrategy
    over all local GPUs, or the default one; with ``cpu_replicas=True`` and no accelerator, MirroredStrategy over
    the logical CPU devices of ``split_cpu``, to rehearse data parallelism on a laptop. Prints what it chose.
    """
    import tensorflow as tf

    if tf_config := os.environ.get("TF_CONFIG"):         # before anything starts TensorFlow's runtime
        kind, devices = strategy_plan(False, [], [], cpu_replicas, tf_config)
    else:
        resolver = tpu_resolver()
        kind, devices = strategy_plan(resolver is not None, [d.name for d in tf.config.list_logical_devices("GPU")],
                                      [d.name for d in tf.config.list_logical_devices("CPU")], cpu_replicas)
    if kind == "multi_worker":
        strategy = tf.distribute.MultiWorkerMirroredStrategy()
        chosen = f"MultiWorkerMirroredStrategy, worker {strategy.cluster_resolver.task_id} of a cluster"
    elif kind == "tpu":
        strategy = tf.distribute.TPUStrategy(resolver)
        chosen = f"TPUStrategy over {strategy.num_replicas_in_sync} TPU core(s)"
    elif kind == "mirrored":
        strategy = tf.distribute.MirroredStrategy(devices)
        what = "GPU(s)" if "GPU" in devices[0].upper() else "logical CPU devices"
        chosen = f"MirroredStrategy over {len(devices)} {what}"
    else:
        strategy = tf.distribute.get_strategy()
        chosen = "the default strategy (one device, no replication)"
    if verbose:
        print(f"strategy: {chosen}; {strategy.num_replicas_in_sync} replica(s) in sync")
    return strategy


def scaled_learning_rate(base_rate: float, base_batch: int, global_batch: int, optimizer: str = "adam") -> float:
    """The learning rate for ``global_batch`` from one tuned at ``base_batch``: k = global/base times it for SGD
    (linear rule, Goyal et al. 2017), sqrt(k) times it for Adam (square-root rule, Malladi et al. 2022)."""
    if base_rate <= 0 or base_batch < 1 or global_batch < 1:
        raise ValueError(f"need a positive learning rate and batch sizes, got base_rate={base_rate}, "
                         f"base_batch={base_batch}, global_batch={global_batch}")
    k = global_batch / base_batch
    if optimizer == "sgd":
        return base_rate * k
    if optimizer == "adam":
        return base_rate * math.sqrt(k)
    raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")


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


def replica_share(global_batches, context, global_batch: int):
    """This input pipeline's share of every global batch, cut into per-replica batches.

    For ``strategy.distribute_datasets_from_function``: every worker builds the same ``global_batches`` (same
    seed, same order) and keeps rows ``i, i + n, ...`` of each (``i`` = ``context.input_pipeline_id`` of ``n``),
    then one batch per local replica; together the replicas of all workers hold each global batch once.
    """
    import tensorflow as tf

    n, i = context.num_input_pipelines, context.input_pipeline_id
    per_replica = context.get_per_replica_batch_size(global_batch)     # raises unless the replicas divide it
    mine = global_batches.map(lambda x, y: (x[i::n], y[i::n]))
    return mine.rebatch(per_replica, drop_remainder=True).prefetch(tf.data.AUTOTUNE)


def char_replica_batches(ids: np.ndarray, seq_len: int, global_batch: int, seed: int):
    """``dataset_fn(context, start_step)`` for ``custom_loop``: ``char_dataset``'s batches from ``start_step`` on."""
    def dataset_fn(context, start_step: int = 0):
        return replica_share(char_dataset(ids, seq_len, global_batch, seed).skip(start_step), context, global_batch)

    return dataset_fn


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


# --------------------------------------------------------------------------- a cluster on this machine
def tf_config(n_workers: int, ports: list[int] | None = None) -> list[dict]:
    """One ``TF_CONFIG`` per worker of a cluster of ``n_workers`` on 127.0.0.1 (a real cluster: one per host)."""
    if n_workers < 1:
        raise ValueError(f"need at least one worker, got {n_workers}")
    ports = ports or free_ports(n_workers)
    if len(ports) != n_workers or len(set(ports)) != n_workers:
        raise ValueError(f"need {n_workers} distinct ports, got {ports}")
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    return [{"cluster": cluster, "task": {"type": "worker", "index": i}} for i in range(n_workers)]


# --------------------------------------------------------------------------- the custom loop and its checkpoints
def checkpoint_folder(directory: str | Path, task_type: str | None, task_id: int | None) -> tuple[Path, bool]:
    """(where this process writes its checkpoints, whether it is the chief).

    The chief (worker 0, or a process outside any cluster) writes into ``directory``; every other worker must
    take part in each save too, so it writes into a temporary folder of its own next to it, deleted after the save.
    """
    directory = Path(directory)
    if task_type in (None, "chief") or (task_type == "worker" and task_id == 0):
        return directory, True
    return directory.parent / f"{directory.name}-temp-{task_type}-{task_id}", False


def data_fingerprint(x):
    """A number that identifies a batch of ids (exact in float32 below 2**24): sum of id x (position + 1)."""
    import tensorflow as tf

    positions = tf.range(1, tf.shape(x)[1] + 1, dtype=tf.float32)
    return tf.reduce_sum(tf.cast(x, tf.float32) * positions)


def custom_loop(strategy, model, dataset_fn, steps: int, checkpoint_dir: str | Path | None = None,
                checkpoint_every: int = 0, crash_after_step: int | None = None, log: str | Path | None = None) -> dict:
    """Train ``model`` (compiled in ``strategy.scope()``, optimizer built) up to step ``steps`` with ``strategy.run``.

    The loss of a replica is ``tf.nn.compute_average_loss`` of its windows' mean per-character losses: their sum
    divided by (its batch x replicas), so the all-reduced (summed) gradients are those of the global mean. It is
    multiplied by ``optimizer.scale_loss`` before differentiating (the loss scale of a ``LossScaleOptimizer``,
    which divides the gradients by it again; 1 otherwise). With ``checkpoint_dir`` the model and optimizer are
    restored from the latest checkpoint there, the data continue at the batch after it, and a checkpoint is saved
    every ``checkpoint_every`` steps (``tf.train.CheckpointManager``; the chief writes it, see ``checkpoint_folder``).
    ``crash_after_step`` kills this process after that step, as a machine failure would. Each step's global loss and
    data fingerprint are appended to ``log`` (JSON lines) as they happen. Returns {"resumed_from", "steps",
    "losses", "data"} (losses and fingerprints of the steps run here).
    """
    import keras
    import psutil
    import tensorflow as tf

    optimizer = model.optimizer
    manager, start = None, 0
    if checkpoint_dir is not None:
        if checkpoint_every < 1:
            raise ValueError(f"checkpoint_every must be a positive number of steps, got {checkpoint_every}")
        resolver = getattr(strategy, "cluster_resolver", None)
        folder, chief = checkpoint_folder(checkpoint_dir, getattr(resolver, "task_type", None),
                                          getattr(resolver, "task_id", None))
        checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer)
        if latest := tf.train.latest_checkpoint(str(checkpoint_dir)):    # every worker reads the chief's last save
            checkpoint.restore(latest).assert_existing_objects_matched()
        start = int(optimizer.iterations.numpy())
        manager = tf.train.CheckpointManager(checkpoint, str(folder), max_to_keep=2)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)

    def replica_step(x, y):
        with tf.GradientTape() as tape:
            per_window = tf.reduce_mean(loss_fn(y, model(x, training=True)), axis=1)   # (replica batch,)
            loss = tf.nn.compute_average_loss(per_window)          # sum / (replica batch x replicas)
            scaled = optimizer.scale_loss(loss)                     # x the loss scale under mixed_float16
        optimizer.apply(tape.gradient(scaled, model.trainable_variables), model.trainable_variables)
        return loss, data_fingerprint(x)

    @tf.function
    def step(iterator):
        loss, data = strategy.run(replica_step, args=next(iterator))
        return strategy.reduce("SUM", loss, axis=None), strategy.reduce("SUM", data, axis=None)

    iterator = iter(strategy.distribute_datasets_from_function(lambda context: dataset_fn(context, start)))
    result: dict = {"resumed_from": start, "losses": [], "data": []}
    for done in range(start + 1, steps + 1):
        loss, data = (float(v) for v in step(iterator))
        result["losses"].append(loss)
        result["data"].append(data)
        if log is not None:
            with open(log, "a") as file:
                file.write(json.dumps({"step": done, "loss": loss, "data": data}) + "\n")
        if manager is not None and done % checkpoint_every == 0:
            manager.save(checkpoint_number=done)
            if not chief:
                shutil.rmtree(manager.directory, ignore_errors=True)
        if done == crash_after_step:
            psutil.Process().kill()                   # SIGKILL / TerminateProcess: no clean-up, like a dead machine
    result["steps"] = int(optimizer.iterations.numpy())
    return result


# --------------------------------------------------------------------------- the worker itself
JOB_KEYS = {"chars", "seq_len", "global_batch", "seed", "embedding_dim", "units", "learning_rate", "steps", "out",
            "name"}


def train_job(job: dict) -> dict:
    """Train as ``job`` says under ``pick_strategy()``; the result (``custom_loop``'s, plus replicas and weights)."""
    missing = sorted(JOB_KEYS - set(job))
    if missing:
        raise ValueError(f"job {job.get('name', '?')!r} lacks {missing}; a job needs {sorted(JOB_KEYS)}")
    import keras

    from .data import load_text
    from .paths import data_path
    from .text import char_vocabulary, encode

    strategy = pick_strategy(verbose=False)               # MultiWorkerMirroredStrategy when TF_CONFIG is set
    keras.utils.set_random_seed(job["seed"])              # first: the shuffle depends on the global seed too
    text = load_text(data_path("text/tinyshakespeare.txt"))[: job["chars"]]
    to_ids, _ = char_vocabulary(text)
    data = char_replica_batches(encode(text, to_ids), job["seq_len"], job["global_batch"], seed=job["seed"])
    with strategy.scope():
        model = compiled_char_lstm(to_ids.vocabulary_size(), job["embedding_dim"], job["units"], job["learning_rate"])
        model.optimizer.build(model.trainable_variables)      # before a restore, so that its state is restored too
    out = Path(job["out"])
    initial = out / f"{job['name']}_initial.npz"
    np.savez(initial, *model.get_weights())
    result = custom_loop(strategy, model, data, job["steps"], job.get("checkpoint_dir"), job.get("checkpoint_every", 0),
                         job.get("crash_after_step"), log=out / f"{job['name']}.steps.jsonl")
    result.update(replicas=strategy.num_replicas_in_sync, initial_weights=str(initial),
                  weights=str(out / f"{job['name']}.npz"))
    np.savez(result["weights"], *model.get_weights())
    return result


def main(argv: list[str]) -> None:
    """Worker entry point: ``python -m utils.distribute '<job as JSON>'``; writes ``<out>/<name>.json``."""
    if len(argv) != 1:
        raise SystemExit("usage: python -m utils.distribute '<job as JSON>'")
    job = json.loads(argv[0])
    with full_float32():                          # TF32 off, should a job ever run on an Ampere-or-newer GPU
        result = train_job(job)
    result.update(about_this_process())           # its pid and, while its gRPC server still runs, its sockets
    Path(job["out"], f"{job['name']}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
