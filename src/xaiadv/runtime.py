"""Device, threads, seeds and per-job timing, shared by every stage."""

from __future__ import annotations

import json
import os
import random
import sys
import time
from contextlib import contextmanager

T_PROCESS = time.time()  # set when xaiadv.runtime is first imported (start of the job, before torch)
# images per forward(+backward) pass, the default of every stage's inner batches (explainers' passes, defenses'
# decisions, the adaptive attack's surrogate, training micro-batches, rectified images' predictions): on this
# project's 2-core VMs the MNIST CNN runs forward+backward passes 2.2x faster per image at 64 than at 512 (1,040 vs
# 473 images/s on 1 thread, 1,875 vs 832 on 2) and forward passes 1.6x faster than at 256 (cache-sized batches;
# benchmarks/bench_efficiency.py). Larger inputs are bounded further by memory (explainers.base.images_per_pass).
PASS_IMAGES = 64

# Top-level modules already imported when the job's own code starts: the runner's (Snakemake's script preamble
# imports snakemake from Snakemake's own search path, not from the rule's env), not the stage's.
PRELOADED = frozenset(m.split(".")[0] for m in list(sys.modules))
# whether the job runs in a child of the fork server (xaiadv.forkserver): then PRELOADED holds the server's libraries
FORKED = False


def setup(seed: int = 0, threads: int | None = None, device: str = "auto", deterministic: bool = True):
    """Seed python/numpy/torch, set torch threads and deterministic algorithms; return the torch device.

    ``device``: "auto" picks CUDA when visible, else CPU; "cuda" without a GPU raises ``RuntimeError``.
    ``deterministic`` (config key): True enforces deterministic algorithms (a nondeterministic op raises
    ``RuntimeError``; see :mod:`xaiadv.determinism` for the ops replaced) with ``CUBLAS_WORKSPACE_CONFIG``
    set before cuBLAS starts; False allows the fastest kernels (``cudnn.benchmark``).
    """
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if threads:
        torch.set_num_threads(threads)
    if deterministic:
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    use_deterministic_algorithms(bool(deterministic))
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("device = 'cuda' but no GPU is visible (set device: auto or cpu)")
    if device == "cuda":
        torch.backends.cudnn.benchmark = not deterministic
    return torch.device(device)


NATIVE_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def limit_native_threads(threads: int) -> None:
    """Hold the BLAS and OpenMP thread pools of numpy, scipy and scikit-learn to the job's ``threads`` (torch's own
    pool is ``torch.set_num_threads``): the environment variables for libraries loaded later, threadpoolctl for
    those already loaded (under the fork server numpy, scipy and scikit-learn are, with OpenBLAS's default of one
    thread per core). Snakemake sets these variables for ``shell:`` jobs only; :func:`xaiadv.stages.run_job` calls
    this in every job's own process, whether or not its stage calls :func:`setup` (detect, for one, does not).
    Measured on this project's 2-core VM (issue 18): scipy's L-BFGS-B ran OpenBLAS on both cores for 784-element
    vectors, so the ``lbfgs_targeted`` attack of the default took 43 s with 1.28 cores beside another job; on one
    thread 0.24 s per digit, 1.0 core."""
    for var in NATIVE_THREAD_VARS:
        os.environ[var] = str(threads)
    if "numpy" in sys.modules:
        from threadpoolctl import threadpool_limits

        threadpool_limits(threads)


def end_job(status: int = 0) -> None:
    """End the job's own process now, after its stage succeeded (workflow/scripts/stage.py): flush Python's and the C
    library's stdio (the job's fds 1 and 2 are its log file), then ``os._exit(0)``, skipping the interpreter's
    teardown: with torch, torchvision and scikit-learn loaded it took 1.3-1.5 s per job after the job's last line on
    this project's 2-core VM (issue 18; benchmarks/bench_job_startup.py). Outputs must already be written and closed
    (the stages write them atomically); no ``atexit`` handler runs. ``status``: the exit status (a job handed to the
    fork server exits with its child's). Never returns."""
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # no C runtime to flush through ctypes (e.g. Windows)
        pass
    os._exit(status)


def use_deterministic_algorithms(mode: bool) -> None:
    """``torch.use_deterministic_algorithms(mode)`` without importing TorchInductor (issue 18).

    The public function first imports ``torch._inductor.config`` to set Inductor's own flag, which pulls in
    TorchDynamo and SymPy: 2.0-2.2 s of CPU in every job on this project's 2-core VM (measured, torch 2.14), ~8 min
    over the default's jobs, for a compiler no stage uses. This sets the same global flag through
    ``torch._C._set_deterministic_algorithms`` and Inductor's flag only where Inductor is already loaded (a later
    import keeps Inductor's default: a stage that compiles must call torch's function itself).
    Falls back to the public function where the private one is missing."""
    import torch

    setter = getattr(torch._C, "_set_deterministic_algorithms", None)
    if setter is None:
        torch.use_deterministic_algorithms(mode)
        return
    if "torch._inductor.config" in sys.modules:
        sys.modules["torch._inductor.config"].deterministic = mode
    setter(mode, warn_only=False)


# glibc's mallopt parameters (malloc.h): M_TRIM_THRESHOLD, M_MMAP_THRESHOLD
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
KEEP_FREED_BYTES = 1 << 30


def keep_freed_memory(threshold: int = KEEP_FREED_BYTES) -> bool:
    """Tell glibc's allocator to keep freed memory for reuse (issue 18): tensors below ``threshold`` bytes come from
    the heap instead of a fresh ``mmap`` each time, and the heap is not trimmed back, so a job stops mapping,
    zero-filling and unmapping the same buffers on every batch. Measured (benchmarks/bench_alloc.py): page faults
    and kernel time of an EfficientNet-Lite0 forward+backward fall to a few percent. Peak RSS stays that of the
    job's largest working set. The same as ``MALLOC_MMAP_THRESHOLD_`` / ``MALLOC_TRIM_THRESHOLD_`` in the
    environment, but set by the job itself (no user setting). Returns False where there is no glibc (macOS,
    musl): nothing changes there."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, int(threshold))) and bool(mallopt(_M_TRIM_THRESHOLD, int(threshold)))


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB (Linux ``VmHWM``; elsewhere ``ru_maxrss``, which on Linux would
    include the parent's peak before ``exec``)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / (1024 if sys.platform == "darwin" else 1)


class Timer:
    """Accumulates wall seconds per phase: ``with timer("compute"): ...``.

    ``report()`` prints one ``TIMING {json}`` line (to the job's log) that
    ``benchmarks/bench_overhead.py`` reads: phases plus ``startup`` (process
    start to the first phase: interpreter, imports) and ``total``.
    """

    def __init__(self):
        self.phases: dict[str, float] = {}
        self.first: float | None = None

    @contextmanager
    def __call__(self, phase: str):
        t = time.time()
        if self.first is None:
            self.first = t
        try:
            yield
        finally:
            self.phases[phase] = self.phases.get(phase, 0.0) + time.time() - t

    def report(self, stage: str, **extra) -> dict:
        now = time.time()
        import resource

        ru = resource.getrusage(resource.RUSAGE_SELF)  # CPU seconds of the job's process: user, kernel
        rec = {"stage": stage, "startup": (self.first or now) - T_PROCESS, "total": now - T_PROCESS, **self.phases,
               "rss_mb": round(peak_rss_mb(), 1), "user": round(ru.ru_utime, 2), "sys": round(ru.ru_stime, 2),
               "minflt": ru.ru_minflt, **({"forked": True} if FORKED else {}), **extra}
        print("TIMING " + json.dumps(rec, sort_keys=True), file=sys.stderr, flush=True)
        print("IMPORTS " + json.dumps(third_party_modules()), file=sys.stderr, flush=True)
        return rec


def third_party_modules() -> list[str]:
    """Top-level third-party modules this process has imported since the job's own code started (not the runner's,
    :data:`PRELOADED`; a test checks them against the rule's conda env)."""
    names = {m.split(".")[0] for m in list(sys.modules)} - PRELOADED
    return sorted(n for n in names if not n.startswith("_") and n not in sys.stdlib_module_names and n != "xaiadv")
