"""The fork server's client side (issue 18); tests/test_workflow.py runs jobs through a real server."""

from __future__ import annotations

import sys

from xaiadv import forkserver


def test_client_uses_only_a_server_of_its_own_interpreter_and_checkout(tmp_path, monkeypatch):
    """A job hands over only to a server running the same Python and the same checkout's package, never inside a
    SLURM job, and runs itself (run_job returns None) when the socket is gone."""
    sock = tmp_path / "s.sock"
    sock.write_text("")  # exists: only the checks below decide
    src = forkserver._src()
    monkeypatch.delenv("SLURM_JOB_ID", raising=False)
    monkeypatch.setenv(forkserver.ENV, f"{sock}|{sys.executable}|{src}")
    assert forkserver._address() == str(sock)
    monkeypatch.setenv(forkserver.ENV, f"{sock}|/usr/bin/false|{src}")  # a rule's conda env runs another Python
    assert forkserver._address() is None
    monkeypatch.setenv(forkserver.ENV, f"{sock}|{sys.executable}|{tmp_path}")  # another checkout's package
    assert forkserver._address() is None
    monkeypatch.setenv(forkserver.ENV, f"{sock}|{sys.executable}|{src}")
    monkeypatch.setenv("SLURM_JOB_ID", "42")
    assert forkserver._address() is None
    monkeypatch.delenv("SLURM_JOB_ID")
    sock.unlink()
    assert forkserver._address() is None and forkserver.run_job(object()) is None
