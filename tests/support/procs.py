"""Run the relay as a real subprocess (``python -m server serve``) for tests.

``start_server_process(data_dir)`` returns once the server printed its
``iop-server listening on ws://HOST:PORT/`` line; ``.kill()`` sends SIGKILL
(a crash), ``.stop()`` SIGTERM (a clean shutdown).
"""

from __future__ import annotations

import os
import re
import resource
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = ["REPO", "ServerProcess", "start_serve", "start_server_process", "run_cli"]

REPO = Path(__file__).resolve().parents[2]
LISTENING = re.compile(r"^iop-server listening on (ws://\S+/)$")


def _env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This checkout's environment for a child ``python -m server``, plus ``extra``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra or {})
    return env


def run_cli(*args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    """Run ``python -m server ARGS`` to completion and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "server", *args], cwd=REPO, env=_env(),
        capture_output=True, text=True, timeout=timeout,
    )


class ServerProcess:
    def __init__(self, proc: subprocess.Popen, url: str, first_line: str, stderr_file) -> None:
        self.proc = proc
        self.url = url
        self.first_line = first_line
        self._stderr = stderr_file

    @property
    def pid(self) -> int:
        return self.proc.pid

    def stderr_text(self) -> str:
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode(errors="replace")

    def kill(self) -> None:
        """SIGKILL: the server gets no chance to clean up."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM and wait: the server closes connections with 1001 and exits."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def __enter__(self) -> ServerProcess:
        return self

    def __exit__(self, *exc) -> None:
        if self.proc.poll() is None:
            self.kill()
        if self.proc.stdout:
            self.proc.stdout.close()
        self._stderr.close()


def start_server_process(data_dir: Path, port: int = 0, *extra: str, timeout: float = 20, open_files: int | None = None) -> ServerProcess:
    """Start ``python -m server serve`` on ``data_dir`` and wait for its listening line.

    ``open_files`` caps the process's open files (soft and hard), as a small machine would.
    """
    return start_serve(["--port", str(port), "--data", str(data_dir), *extra], timeout=timeout, open_files=open_files)


def start_serve(
    args: list[str], env: dict[str, str] | None = None, *, timeout: float = 20, open_files: int | None = None,
) -> ServerProcess:
    """Start ``python -m server serve ARGS`` (with ``env`` added to this checkout's environment)
    and wait for its listening line; its stderr is kept in a temporary file (``stderr_text``)."""
    stderr_file = tempfile.TemporaryFile()

    def limit_files() -> None:
        if open_files is not None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))

    proc = subprocess.Popen(
        [sys.executable, "-m", "server", "serve", *args],
        cwd=REPO, env=_env(env), stdout=subprocess.PIPE, stderr=stderr_file, preexec_fn=limit_files,
    )
    assert proc.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    buffer = b""
    try:
        while b"\n" not in buffer:
            left = deadline - time.monotonic()
            if left <= 0 or proc.poll() is not None:
                proc.kill()
                proc.wait()
                stderr_file.seek(0)
                raise RuntimeError(f"the server did not start: {stderr_file.read().decode(errors='replace')[-2000:]}")
            if selector.select(min(left, 0.5)):
                buffer += os.read(proc.stdout.fileno(), 4096)
    finally:
        selector.close()
    line = buffer.split(b"\n", 1)[0].decode()
    match = LISTENING.match(line)
    if not match:
        proc.kill()
        proc.wait()
        raise RuntimeError(f"unexpected first line from the server: {line!r}")
    return ServerProcess(proc, match.group(1), line, stderr_file)
