"""Worker processes for notebook 09: start them, bound them by a timeout, and kill them with all they started.

Portable (Linux, macOS, Windows) through psutil: a worker and every process it started are found by process id
(``Process.children(recursive=True)``), killed (``Process.kill``) and reaped (``psutil.wait_procs``); its
listening TCP sockets are found the same way (``Process.net_connections``), so only what this module started is
ever reported, never the machine's other servers. On POSIX each worker leads a session of its own, on Windows a
new process group, so that a Ctrl-C in the notebook does not reach it.

One optional Linux-only extra: a private network namespace with nothing but loopback (``private_network``), in
which TensorFlow's gRPC servers, which listen on all interfaces, cannot be reached from another machine. It is
tried only on Linux with ``unshare``, ``nsenter`` and ``ip`` present, and never required: where it cannot be made
(macOS, Windows, most containers, non-root without user namespaces) the workers run in the machine's own network
and ``exposure`` says so. ``isolate=False`` or the environment variable ``RNN_NOTEBOOKS_ISOLATE=0`` skips it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import weakref
from pathlib import Path

import psutil

from .paths import ROOT

WORKER = [sys.executable, "-m", "utils.distribute"]   # the worker entry point; the job is its one argument (JSON)
STARTED: list[psutil.Process] = []   # every process this module started (psutil tells a reused process id apart)
HANDLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Popen -> its psutil.Process, taken at start
SCAN_EVERY = 0.2                     # seconds between two looks at the workers' child processes and sockets


# --------------------------------------------------------------------------- ports, processes, sockets
def free_ports(n: int) -> list[int]:
    """``n`` distinct TCP ports of 127.0.0.1 that nothing listens on right now (all held until all are chosen)."""
    if n < 1:
        raise ValueError(f"need n >= 1 ports, got {n}")
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) for _ in range(n)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def session_options(os_name: str | None = None) -> dict:
    """``subprocess.Popen`` options that detach a worker from the notebook's Ctrl-C: a new session or process group."""
    if (os_name or os.name) == "nt":
        return {"creationflags": getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0x200)}
    return {"start_new_session": True}


def alive(process: psutil.Process) -> bool:
    """True while ``process`` runs (a zombie, finished but not yet reaped, counts as gone)."""
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def still_running() -> list[int]:
    """The process ids of every process this module started (or saw its workers start) that still runs."""
    return [process.pid for process in STARTED if alive(process)]


def descendants(process: psutil.Process) -> list[psutil.Process]:
    """Every process started by ``process``, its children's children included, while it still runs; else []."""
    try:
        return process.children(recursive=True) if process.is_running() else []   # not a reused process id
    except psutil.NoSuchProcess:
        return []


def kill_tree(process: psutil.Process, known: list[psutil.Process] = (), timeout: float = 10.0) -> None:
    """Kill ``process``, every process it started and the ``known`` ones (seen earlier), and reap them.

    The parent is stopped first (it makes no more progress and starts nothing more), then its children are listed
    (once it is gone they would belong to another parent), then all are killed. Raises RuntimeError naming the
    survivors if any outlive ``timeout``.
    """
    with contextlib.suppress(psutil.NoSuchProcess):
        process.suspend()                        # SIGSTOP on POSIX, NtSuspendProcess on Windows: takes effect at once
    family = [process, *descendants(process), *known]
    for member in family:
        with contextlib.suppress(psutil.NoSuchProcess):
            member.kill()
    for member in family[1:]:                        # anything they started in between
        for late in descendants(member):
            with contextlib.suppress(psutil.NoSuchProcess):
                late.kill()
            family.append(late)
    deadline = time.monotonic() + timeout
    while (left := [p for p in family if alive(p)]) and time.monotonic() < deadline:
        psutil.wait_procs(left, timeout=0.05)        # reaps those that are this process's children
    if left:
        raise RuntimeError(f"processes {[p.pid for p in left]} (started by {process.pid}) survived a kill")


def listening_sockets(pid: int) -> list[str]:
    """``address:port`` of every TCP socket on which process ``pid`` or a process it started listens; [] if gone.

    psutil reads the sockets of this process's own network: the sockets of a process in a private network
    namespace are not seen from outside it (the worker reports them itself, ``about_this_process``).
    """
    try:
        family = [psutil.Process(pid)]
        family += descendants(family[0])
    except psutil.NoSuchProcess:
        return []
    found = set()
    for member in family:
        try:
            # psutil >= 6 names it net_connections; older releases (5.9 in Colab) only have connections
            sockets = getattr(member, "net_connections", None) or member.connections
            connections = sockets(kind="tcp")
        except psutil.NoSuchProcess:
            continue
        except psutil.AccessDenied as error:
            raise PermissionError(f"may not list the sockets of process {member.pid} (started by {pid}): {error}; "
                                  "a process of another user or user namespace reports its own") from error
        found.update(f"{c.laddr.ip}:{c.laddr.port}" for c in connections if c.status == psutil.CONN_LISTEN)
    return sorted(found)


def network_namespace(pid: int | str = "self") -> str | None:
    """The network namespace of a process, e.g. ``net:[4026531840]`` (Linux); None where there is no such thing."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return os.readlink(f"/proc/{pid}/ns/net")
    except OSError:
        return None


def about_this_process() -> dict:
    """What a worker reports about itself: its pid, listening sockets, network namespace and interfaces."""
    return {"pid": os.getpid(), "listening": listening_sockets(os.getpid()),
            "network_namespace": network_namespace(), "interfaces": sorted(psutil.net_if_stats())}


# --------------------------------------------------------------------------- the optional private network (Linux)
def isolation_refused(isolate: bool = True) -> str | None:
    """Why no private network namespace is tried here (a short reason), or None if it may be tried."""
    if not isolate:
        return "turned off by isolate=False"
    if os.environ.get("RNN_NOTEBOOKS_ISOLATE", "1") == "0":
        return "turned off by RNN_NOTEBOOKS_ISOLATE=0"
    if not sys.platform.startswith("linux"):
        return f"network namespaces are Linux-only, this is {sys.platform}"
    missing = [tool for tool in ("unshare", "nsenter", "ip") if not shutil.which(tool)]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        return f"{', '.join(missing)} {verb} not on the PATH; util-linux and iproute2 provide them"
    return None


def private_network(isolate: bool = True, wait: float = 10.0) -> tuple[subprocess.Popen | None, str | None]:
    """(a process holding a new network namespace whose only interface is loopback, None) or (None, why not).

    Workers entered into it (``nsenter``) reach each other on 127.0.0.1, but no other machine reaches them: the
    namespace has no other interface. Needs root or unprivileged user namespaces; many containers allow neither.
    The holder reads its stdin until this process closes it or dies, so it never outlives the notebook's kernel.
    """
    refused = isolation_refused(isolate)
    if refused:
        return None, refused
    import select

    user = [] if os.geteuid() == 0 else ["--map-root-user"]
    holder = subprocess.Popen(["unshare", "--net", *user, "sh", "-c",
                               "ip link set lo up && echo ready && exec cat >/dev/null"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                              start_new_session=True)
    _register(holder)
    ready = False
    try:
        if select.select([holder.stdout], [], [], wait)[0]:      # unshare or ip fail at once where not allowed
            ready = holder.stdout.readline().strip() == "ready"
    finally:
        holder.stdout.close()
        if not ready:
            stop(holder)
    if not ready:
        return None, "this machine refused to create one, as many containers and locked-down systems do"
    return holder, None


# --------------------------------------------------------------------------- starting, watching, stopping workers
def start(command: list[str], log: Path, env: dict | None = None, network: subprocess.Popen | None = None,
          stdout=subprocess.DEVNULL) -> subprocess.Popen:
    """Start ``command`` as a worker on the CPU only (no GPU, no TPU), its stderr in ``log``, inside ``network``."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": path,
                   "CUDA_VISIBLE_DEVICES": "", "TPU_LOAD_LIBRARY": "0", **(env or {})}
    if network is not None:                                     # nsenter execs the worker: same process id
        user = [] if os.geteuid() == 0 else ["--user", "--preserve-credentials"]
        command = ["nsenter", f"--target={network.pid}", "--net", *user, *command]
    with open(log, "w") as err:   # the child keeps its own copy of the file descriptor
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdin=subprocess.DEVNULL, stdout=stdout,
                                   stderr=err, text=True, **session_options())
    _register(process)
    return process


def _register(process: subprocess.Popen) -> None:
    # Not yet reaped, so the process id is still this process's (a zombie at worst): psutil ties it to its start time.
    with contextlib.suppress(psutil.NoSuchProcess):       # (Windows forgets a process that ended at once)
        HANDLES[process] = psutil.Process(process.pid)
        STARTED.append(HANDLES[process])


def stop(process: subprocess.Popen, known: list[psutil.Process] = ()) -> None:
    """Kill a worker with every process it started (and the ``known`` ones), and reap it."""
    if process in HANDLES:
        kill_tree(HANDLES[process], known)    # psutil refuses to signal a process id that was reused meanwhile
    for orphan in known:
        with contextlib.suppress(psutil.NoSuchProcess):
            kill_tree(orphan)
    process.wait()
    for stream in (process.stdin, process.stdout):
        if stream:
            stream.close()


class WorkerFailed(RuntimeError):
    """A worker exited with an error code or ran out of time; ``name`` and ``code`` (None on a timeout) say which."""

    def __init__(self, message: str, name: str, code: int | None = None):
        super().__init__(message)
        self.name, self.code = name, code


def _failure(name: str, log: Path, what: str, code: int | None = None) -> WorkerFailed:
    tail = log.read_text(errors="replace").strip().splitlines()[-15:] if log.is_file() else []
    return WorkerFailed(f"worker {name} {what}; last lines of {log}:\n" + "\n".join(tail), name, code)


def _names(jobs: list[dict]) -> list[str]:
    names = [job.get("name") for job in jobs]
    if not all(isinstance(name, str) and name for name in names) or len(set(names)) != len(names):
        raise ValueError(f"every job needs a distinct 'name' (its log and result files are named after it), got "
                         f"{names}")
    return names


def run_workers(jobs: list[dict], envs: list[dict] | None = None, timeout: float = 120.0, isolate: bool = True,
                command: list[str] = WORKER) -> tuple[list[dict], dict]:
    """Run one worker per job at once (``command + [job as JSON]``); (their result dicts, what the run did).

    Every worker, and every process it starts, is killed and reaped before this returns, on success, on the first
    failure and on timeout; a failure or timeout raises ``WorkerFailed`` naming the worker. The run dict:
    ``isolated`` (in a private network namespace), ``why_not`` (the reason if not), ``pids``, ``listening`` (per
    job: the addresses its process listened on, as the worker reported them and, outside a namespace, as psutil saw
    them from here) and ``listen_seconds`` (from the first listening socket seen, or from the start, to the workers'
    end).
    """
    names = _names(jobs)
    envs = envs or [{} for _ in jobs]
    if len(envs) != len(jobs):
        raise ValueError(f"need one environment per job, got {len(envs)} for {len(jobs)} jobs")
    outs = [Path(job["out"]) for job in jobs]
    logs = [out / f"{name}.log" for out, name in zip(outs, names, strict=True)]
    network, why_not = private_network(isolate)
    run = {"isolated": network is not None, "why_not": why_not, "pids": [], "listening": [set() for _ in jobs],
           "listen_seconds": 0.0}
    processes: list[subprocess.Popen] = []
    known: list[list[psutil.Process]] = [[] for _ in jobs]     # every process each worker was seen to start
    started, first_listener = time.monotonic(), None
    try:
        for job, env, out, log in zip(jobs, envs, outs, logs, strict=True):
            out.mkdir(parents=True, exist_ok=True)
            processes.append(start([*command, json.dumps(job)], log, env, network))
            run["pids"].append(processes[-1].pid)
        deadline, next_scan = time.monotonic() + timeout, 0.0
        while True:                                   # poll all: the first failure ends the run at once
            if time.monotonic() >= next_scan:
                next_scan = time.monotonic() + SCAN_EVERY
                for process, seen, listening in zip(processes, known, run["listening"], strict=True):
                    if process.poll() is None and process in HANDLES:
                        new = [p for p in descendants(HANDLES[process]) if p not in seen]
                        seen += new
                        STARTED.extend(new)
                        if network is None:           # from outside a namespace its sockets are not visible
                            with contextlib.suppress(PermissionError):    # Linux hides an exiting process's
                                listening.update(listening_sockets(process.pid))   # files; it reported them too
                if first_listener is None and any(run["listening"]):
                    first_listener = time.monotonic()
            for name, process, log in zip(names, processes, logs, strict=True):
                code = process.poll()
                if code not in (None, 0):
                    raise _failure(name, log, f"exited with code {code}", code)
            if all(process.returncode == 0 for process in processes):
                break
            if time.monotonic() > deadline:
                late = next(i for i, process in enumerate(processes) if process.returncode is None)
                raise _failure(names[late], logs[late], f"did not finish within {timeout:.0f} s")
            time.sleep(0.05)
        results = [json.loads((out / f"{name}.json").read_text()) for out, name in zip(outs, names, strict=True)]
    finally:
        for process, seen in zip(processes, known, strict=True):
            stop(process, seen)
        if network is not None:
            stop(network)
        run["listen_seconds"] = time.monotonic() - (first_listener or started)
    for result, listening in zip(results, run["listening"], strict=True):
        listening.update(result.get("listening", []))  # what the worker saw itself (also inside a namespace)
    run["listening"] = [sorted(listening) for listening in run["listening"]]
    return results, run


def port(address: str) -> int:
    """The port of an ``address:port`` string (IPv4 or IPv6)."""
    return int(address.rsplit(":", 1)[1])


def exposure(run: dict, names: list[str]) -> str:
    """One sentence: where the servers of the run's workers ``names`` (one per job, "" to leave out) listened."""
    listened = [(name, addresses) for name, addresses in zip(names, run["listening"], strict=True) if name]
    who = " and ".join(name for name, _ in listened)
    addresses = [a for _, some in listened for a in some]
    if not addresses:
        return f"{who} listened on no TCP port"
    hosts = {a.rsplit(":", 1)[0] for a in addresses}
    where = "all interfaces" if hosts & {"0.0.0.0", "::"} else ", ".join(sorted(hosts))
    ports = " and ".join(str(p) for p in sorted({port(a) for a in addresses}))
    if run["isolated"]:
        return (f"private network namespace with loopback only: the servers of {who} listened on {where} of that "
                f"namespace, ports {ports}, unreachable from other machines")
    return (f"no private network namespace here ({run['why_not']}): the servers of {who} listened on {where} of "
            f"this machine, ports {ports}, for {run['listen_seconds']:.0f} s")
