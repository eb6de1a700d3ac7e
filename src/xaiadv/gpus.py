"""One GPU per job on a machine with several: each job that asks for ``gpu: n`` holds ``n`` of them.

Snakemake's local executor counts the ``gpu`` resource (``--resources gpu=<GPUs>``, which ``make run`` sets to
the visible GPUs) but does not say which GPU a job gets, so every job would land on ``cuda:0``. Before the
stage imports torch, :func:`claim` takes an exclusive lock per GPU (``flock`` on a file per device, released by
the kernel when the job's process ends, even on a crash) and sets ``CUDA_VISIBLE_DEVICES`` to the GPUs it holds.
Under SLURM the scheduler does this (``--gpus``), and :func:`claim_for_job` leaves the job alone.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from pathlib import Path

_HELD: list[int] = []  # lock file descriptors, open for the life of the process


def visible_gpus() -> list[str]:
    """The GPUs this process may use: ``CUDA_VISIBLE_DEVICES`` if set, else one index per NVIDIA device the
    driver lists (``/proc/driver/nvidia/gpus``; no CUDA initialisation), else none."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [g.strip() for g in env.split(",") if g.strip() and g.strip() != "-1"]
    proc = Path("/proc/driver/nvidia/gpus")
    return [str(i) for i in range(len(list(proc.iterdir())))] if proc.is_dir() else []


def lock_dir() -> Path:
    """Where the per-GPU lock files live: ``$XAIADV_GPU_LOCKS`` or ``<tmp>/xaiadv-gpu-locks-<uid>`` (one set per
    machine and user, so two workflows on one machine share the GPUs too)."""
    import tempfile

    d = os.environ.get("XAIADV_GPU_LOCKS") or os.path.join(tempfile.gettempdir(), f"xaiadv-gpu-locks-{os.getuid()}")
    Path(d).mkdir(parents=True, exist_ok=True)
    return Path(d)


def claim(n: int, gpus: list[str] | None = None, locks: Path | None = None, timeout: float | None = None,
          poll: float = 1.0) -> list[str]:
    """Hold ``n`` of ``gpus`` (default :func:`visible_gpus`) for this process and set ``CUDA_VISIBLE_DEVICES`` to
    them; returns their ids. Waits while all are held by other jobs (at most ``timeout`` seconds; None: for
    ever). Raises ``RuntimeError`` when fewer than ``n`` GPUs exist or the wait times out. Call before torch
    initialises CUDA."""
    gpus = visible_gpus() if gpus is None else list(gpus)
    if n > len(gpus):
        raise RuntimeError(f"the job asks for {n} GPU(s); {len(gpus)} visible ({','.join(gpus) or 'none'}): "
                           "lower resources.gpu or set device: cpu")
    locks = lock_dir() if locks is None else Path(locks)
    start, said = time.monotonic(), False
    while True:
        got: list[tuple[str, int]] = []
        for g in gpus:
            fd = os.open(locks / f"gpu-{g}.lock", os.O_CREAT | os.O_RDWR, 0o666)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                os.close(fd)
                continue
            got.append((g, fd))
            if len(got) == n:
                break
        if len(got) == n:
            _HELD.extend(fd for _, fd in got)
            ids = [g for g, _ in got]
            os.environ["CUDA_VISIBLE_DEVICES"] = ",".join(ids)
            print(f"GPU {','.join(ids)} of {','.join(gpus)} (locks in {locks})", file=sys.stderr, flush=True)
            return ids
        for _, fd in got:
            os.close(fd)  # closing releases the flock
        if timeout is not None and time.monotonic() - start > timeout:
            raise RuntimeError(f"no {n} free GPU(s) of {','.join(gpus)} within {timeout:.0f} s (locks in {locks})")
        if not said:
            print(f"waiting for {n} free GPU(s) of {','.join(gpus)}", file=sys.stderr, flush=True)
            said = True
        time.sleep(poll)


def claim_for_job(job) -> list[str]:
    """:func:`claim` the job's ``resources.gpu`` GPUs when it runs on a local machine; nothing under SLURM
    (``SLURM_JOB_ID`` set: the allocation's ``CUDA_VISIBLE_DEVICES`` stands), for a job that asks for none, or on
    a machine without GPUs (the job runs on the CPU with ``device: auto``; ``device: cuda`` fails in
    :func:`xaiadv.runtime.setup` with its own message)."""
    n = int(getattr(getattr(job, "resources", None), "gpu", 0) or 0)
    if n <= 0 or os.environ.get("SLURM_JOB_ID"):
        return []
    gpus = visible_gpus()
    return claim(n, gpus) if gpus else []
