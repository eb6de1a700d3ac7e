"""A fork server for the workflow's jobs (issue 18: "import less per job").

Every job is a fresh Python process (Snakemake's ``script:``) that imports torch, numpy, pandas, pyarrow,
scikit-learn and captum before it computes anything: 1.5-3.5 s on this project's 2-core VM, ~245 s of the
default's ~2,600 s of job time in 254 jobs. ``make run`` starts this server first (:func:`main`, ``python -m
xaiadv.forkserver -- <command>``): it imports those third-party libraries once (never this package's own modules,
so a job always runs the code on disk), listens on a Unix socket and runs the command with
``XAIADV_FORKSERVER`` naming the socket. Each job's script (workflow/scripts/stage.py) hands its job object and its
file descriptors 0-2 to the server (:func:`run_job`); the server forks a child that runs the stage exactly as the
script would (``xaiadv.stages.run_job(..., fd_level=True)``) and returns its exit status to the script, which exits
with it. A job whose script dies (Snakemake cancelling it) has its child killed.

The script runs the stage itself — as without a server — when ``XAIADV_FORKSERVER`` is unset, names no live
socket, or the server runs another Python or another checkout (a rule's conda env, a second checkout), or inside
a SLURM job (its allocation, not the server's node, must run it): :func:`run_job` returns None then. The job
(workflow/scripts/stage.py, unchanged) hands over in :func:`xaiadv.stages.run_job`. The server only forks: it never runs torch code, so no thread pool
exists to be copied into a child; it serves the user who started it (the socket is mode 0600 in a private
directory).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import struct
import sys
import time

ENV = "XAIADV_FORKSERVER"
# what a job imports that costs the most (measured on the default's jobs: torch 1.5-1.8 s, + scikit-learn, pandas and
# pyarrow 1.2-1.6 s, + captum 0.3-0.4 s); matplotlib and seaborn only where tables and figures are drawn
PRELOAD = ("numpy", "torch", "safetensors.torch", "scipy.stats", "pandas", "pyarrow.parquet", "sklearn.ensemble",
           "sklearn.linear_model", "sklearn.metrics", "captum.attr", "tqdm")
_LEN = struct.Struct("!Q")
_CODE = struct.Struct("!i")


def _src() -> str:
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # .../src: the checkout this package is in


def _address() -> str | None:
    """The socket of a server this process may use, from ``XAIADV_FORKSERVER`` ("<socket>|<python>|<src>"), or
    None when unset or when the server runs another interpreter or another checkout's package."""
    if os.environ.get("SLURM_JOB_ID"):  # a cluster job runs inside its own allocation, never in a server's child
        return None
    value = os.environ.get(ENV, "")
    parts = value.split("|")
    if len(parts) != 3 or not os.path.exists(parts[0]):
        return None
    path, python, src = parts
    if os.path.realpath(python) != os.path.realpath(sys.executable) or os.path.realpath(src) != os.path.realpath(_src()):
        return None
    return path


def run_job(job, t_start: float | None = None) -> int | None:
    """Run Snakemake's ``job`` (the script's ``snakemake`` object) in a child of the server; returns the child's exit
    status, or None when no usable server is there (the caller then runs the stage itself). Blocks until the child
    ends. ``t_start``: the job's start (for its TIMING line). Its file descriptors 0-2 become the child's."""
    import pickle

    path = _address()
    if path is None:
        return None
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(path)
    except OSError:
        conn.close()
        return None
    payload = pickle.dumps(job)  # Snakemake's own job object, to our own server (the preamble unpickled it)
    header = json.dumps({"cwd": os.getcwd(), "env": dict(os.environ), "argv": sys.argv,
                         "t_start": t_start or time.time(), "payload": len(payload)}).encode()
    sys.stdout.flush()
    sys.stderr.flush()
    message = _LEN.pack(len(header)) + header + payload
    sent = socket.send_fds(conn, [message], [0, 1, 2])
    conn.sendall(message[sent:])  # a stream socket may take a long message in parts
    data = b""
    while len(data) < _CODE.size:
        chunk = conn.recv(_CODE.size - len(data))
        if not chunk:
            print(f"xaiadv.forkserver: the server at {path} closed the connection without an exit status",
                  file=sys.stderr)
            return 1
        data += chunk
    conn.close()
    return _CODE.unpack(data)[0]


def _recv_exact(conn, n: int, data: bytes = b"") -> bytes:
    while len(data) < n:
        chunk = conn.recv(min(1 << 20, n - len(data)))
        if not chunk:
            raise ConnectionError("client closed the connection mid-message")
        data += chunk
    return data


def _child(header: dict, payload: bytes, fds: list[int]) -> None:
    """In the forked child: become the job's process (its fds, cwd, environment, argv) and run the stage as
    workflow/scripts/stage.py does. Never returns."""
    code = 1
    try:
        for target, fd in zip((0, 1, 2), fds):
            os.dup2(fd, target)
        for fd in fds:
            os.close(fd)
        os.chdir(header["cwd"])
        os.environ.clear()
        os.environ.update(header["env"])
        sys.argv = header["argv"]
        import pickle

        job = pickle.loads(payload)
        from . import runtime

        runtime.T_PROCESS = header["t_start"]
        runtime.FORKED = True  # its TIMING line says so; its IMPORTS line leaves out what the server preloaded
        from .stages import run_job as stage_job

        stage_job(job, fd_level=True)
        runtime.end_job()  # flushes and exits 0
    except SystemExit as e:  # sys.exit(n), sys.exit() = 0, sys.exit("message") = the message and 1
        if e.code is None or isinstance(e.code, int):
            code = e.code or 0
        else:
            print(e.code, file=sys.stderr)
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def serve(path: str, ready=None) -> None:
    """Listen on the Unix socket ``path`` and fork a child per job until SIGTERM / SIGINT. ``ready``: called once
    listening. Single-threaded (a forking process must not have other threads): one ``select`` loop accepts jobs,
    notices scripts that went away (their children are killed) and reaps children (their exit status goes back)."""
    import select

    for name in PRELOAD:
        try:
            __import__(name)
        except ImportError:  # an optional library this environment lacks: its jobs import it themselves, or fail
            pass
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    os.chmod(path, 0o600)
    server.listen(64)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    children: dict[int, socket.socket] = {}  # pid -> the script's connection
    if ready:
        ready()
    try:
        while not stop:
            conns = list(children.values())
            try:
                readable, _, _ = select.select([server, *conns], [], [], 0.05)
            except InterruptedError:
                continue
            for s in readable:
                if s is server:
                    conn, _ = server.accept()
                    fds = []
                    try:
                        data, fds, _, _ = socket.recv_fds(conn, 1 << 16, 3)
                        data = _recv_exact(conn, _LEN.size, data)
                        size = _LEN.unpack(data[:_LEN.size])[0]
                        data = _recv_exact(conn, _LEN.size + size, data)
                        header = json.loads(data[_LEN.size:_LEN.size + size])
                        end = _LEN.size + size + header["payload"]
                        payload = _recv_exact(conn, end, data)[_LEN.size + size:end]
                    except (ConnectionError, ValueError, KeyError, struct.error):
                        for fd in fds:
                            os.close(fd)
                        conn.close()
                        continue
                    pid = os.fork()
                    if pid == 0:
                        server.close()
                        for c in children.values():
                            c.close()
                        conn.close()
                        signal.signal(signal.SIGTERM, signal.SIG_DFL)
                        signal.signal(signal.SIGINT, signal.SIG_DFL)
                        _child(header, payload, fds)
                    for fd in fds:
                        os.close(fd)
                    children[pid] = conn
                else:  # a script's connection is readable only when it closed: the script is gone
                    if not s.recv(1):
                        for pid, c in children.items():
                            if c is s:
                                _kill(pid)
            while children:
                try:
                    pid, status = os.waitpid(-1, os.WNOHANG)
                except ChildProcessError:
                    break
                if pid == 0:
                    break
                conn = children.pop(pid, None)
                if conn is not None:
                    try:
                        conn.sendall(_CODE.pack(os.waitstatus_to_exitcode(status)))
                    except OSError:
                        pass
                    conn.close()
    finally:
        for pid in list(children):
            _kill(pid)
        server.close()
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def main(argv: list[str] | None = None) -> int:
    """``python -m xaiadv.forkserver -- <command...>``: start the server on a socket in a private temporary
    directory, run the command with ``XAIADV_FORKSERVER`` set, stop the server, exit with the command's status.
    Without a command: serve until SIGTERM on ``--socket``."""
    import argparse
    import subprocess
    import tempfile

    p = argparse.ArgumentParser(prog="python -m xaiadv.forkserver", description=main.__doc__.splitlines()[0])
    p.add_argument("--socket", help="socket path (default: a private temporary directory)")
    p.add_argument("command", nargs=argparse.REMAINDER)
    a = p.parse_args(argv)
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    tmp = None
    path = a.socket
    if path is None:
        tmp = tempfile.mkdtemp(prefix="xaiadv-fork-")  # mode 0700
        path = os.path.join(tmp, "server.sock")
    if not cmd:
        serve(path)
        return 0
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the server: its own process, so that the command's process stays free of torch
        os.close(r)
        try:
            serve(path, ready=lambda: (os.write(w, b"1"), os.close(w)))
        finally:
            os._exit(0)
    os.close(w)
    ok = os.read(r, 1)
    os.close(r)
    env = dict(os.environ)
    if ok:
        env[ENV] = f"{path}|{sys.executable}|{_src()}"
    else:
        print("xaiadv.forkserver: the server did not start; jobs import their libraries themselves", file=sys.stderr)
    try:
        return subprocess.call(cmd, env=env)
    finally:
        os.kill(pid, signal.SIGTERM)
        os.waitpid(pid, 0)
        if tmp:
            try:
                os.rmdir(tmp)
            except OSError:
                pass


if __name__ == "__main__":
    sys.exit(main())
