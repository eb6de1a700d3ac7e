"""One module per workflow stage, each with ``run(job)``.

A rule runs its stage through ``workflow/scripts/stage.py`` (Snakemake's ``script:``), which calls
:func:`run_job` with the ``snakemake`` object: ``job.input``, ``job.output``, ``job.params`` (real
Python values: dicts, lists, numbers), ``job.wildcards``, ``job.threads`` and ``job.log``. Every
stage reads its files and values from those by name; nothing goes through a shell string or argv.
Tests build the same object with :func:`make_job` and call :func:`run_job` the way a rule does.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import traceback
from types import SimpleNamespace
from typing import Any

# rule -> stage module, where they differ (explain_lan runs the explain stage on the LAN explainer)
RULE_STAGE = {"prepare_dataset": "prepare", "train_classifier": "train", "explain_lan": "explain",
              "download_weights": "download", "download_data": "download"}


def stage_of(rule: str) -> str:
    """The module name under ``xaiadv.stages`` that rule ``rule`` runs."""
    return RULE_STAGE.get(rule, rule)


def make_job(rule: str, input: dict | None = None, output: dict | None = None, params: dict | None = None,
             wildcards: dict | None = None, threads: int = 1, log: list[str] | None = None,
             resources: dict | None = None) -> SimpleNamespace:
    """A stand-in for the ``snakemake`` object a rule's script receives (for tests and notebooks): each of
    ``input``, ``output``, ``params``, ``wildcards``, ``resources`` becomes a namespace whose attributes are the
    dict's keys."""
    ns = lambda d: SimpleNamespace(**(d or {}))  # noqa: E731
    return SimpleNamespace(rule=rule, input=ns(input), output=ns(output), params=ns(params),
                           wildcards=ns(wildcards), threads=threads, log=list(log or []), resources=ns(resources))


def run_job(job: Any, fd_level: bool = False) -> None:
    """Run the stage of ``job.rule`` with ``job``. When ``job.log`` names a file, the stage's output goes there,
    and so does the traceback of a failure, which is then re-raised so that Snakemake marks the job failed.

    ``fd_level``: the process is the job's own (the rule's script): redirect its file descriptors 1 and 2 (what
    the C libraries print too) and keep freed memory for reuse (:func:`xaiadv.runtime.keep_freed_memory`).
    Otherwise (tests, notebooks) Python's ``sys.stdout`` and ``sys.stderr`` are redirected for the call and
    restored after it. Either way a job that asks for GPUs gets its own first (:func:`xaiadv.gpus.claim_for_job`).

    Under ``make run`` the rule's script (workflow/scripts/stage.py) first hands the job to the fork server
    (:mod:`xaiadv.forkserver`), whose child calls this function; this module never imports the server.
    """
    from .. import runtime
    from ..gpus import claim_for_job

    if fd_level:  # the job's own process (a rule's script): keep freed memory, before torch allocates anything,
        # and hold BLAS / OpenMP pools to the job's threads, before the stage imports numpy (unless a server did)
        runtime.keep_freed_memory()
        runtime.limit_native_threads(job.threads)
    stage = importlib.import_module(f"xaiadv.stages.{stage_of(job.rule)}")
    claim_for_job(job)  # before the stage initialises CUDA: this job's own GPU(s) on a local multi-GPU machine
    log = list(job.log)[0] if len(job.log) else None
    if log is None:
        stage.run(job)
        return
    sys.stdout.flush()
    sys.stderr.flush()
    with open(log, "w") as f:
        if fd_level:
            os.dup2(f.fileno(), 1)
            os.dup2(f.fileno(), 2)
            _run_logged(stage, job)
            return
        with contextlib.redirect_stdout(f), contextlib.redirect_stderr(f):
            _run_logged(stage, job)


def _run_logged(stage, job) -> None:
    try:
        stage.run(job)
    except BaseException:
        traceback.print_exc()
        raise
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
