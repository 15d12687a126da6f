"""Training under tf.distribute, for notebook 09: pick a strategy, split the CPU into replicas, train under it.

Run as ``python -m utils.distribute '<json>'`` this module is a worker: it trains the character LSTM of
notebook 02 for a given number of steps (under ``MultiWorkerMirroredStrategy`` when ``TF_CONFIG`` is set)
and writes its losses, step count and weights to the folder named in the JSON. Starting, watching and killing
such worker processes is ``utils.workers``' job.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
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


JOB_KEYS = {"chars", "seq_len", "global_batch", "seed", "embedding_dim", "units", "learning_rate", "steps", "out"}


def train_job(job: dict) -> dict:
    """Train as ``job`` says; the result dict (losses or last loss, steps, resumed_from, replicas, weights)."""
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
    result: dict = {"replicas": strategy.num_replicas_in_sync}
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
    """Worker entry point: ``python -m utils.distribute '<job as JSON>'``; writes ``<out>/<name>.json``."""
    if len(argv) != 1:
        raise SystemExit("usage: python -m utils.distribute '<job as JSON>'")
    job = json.loads(argv[0])
    with full_float32():                          # TF32 off, should a job ever run on an Ampere-or-newer GPU
        result = train_job(job)
    result.update(about_this_process())           # its pid and, while its gRPC server still runs, its sockets
    Path(job["out"], f"{job.get('name', 'worker')}.json").write_text(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
