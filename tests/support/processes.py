"""The services as real processes (`python -m <service>`), as operations run them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from taalhuis_shared.runtime import is_healthy

from .waiting import eventually


class ServiceProcess:
    def __init__(self, package: str, env: dict[str, str], workdir: Path) -> None:
        self.package = package
        self.heartbeat = workdir / f"{package}-{id(self)}.alive"
        self.log_path = workdir / f"{package}-{id(self)}.log"
        self.env = {**os.environ, **env, "HEARTBEAT_FILE": str(self.heartbeat), "PYTHONUNBUFFERED": "1"}
        self.process: subprocess.Popen[bytes] | None = None

    async def start(self, timeout: float = 30.0) -> None:
        self.heartbeat.unlink(missing_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", self.package], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        await eventually(self._started, timeout=timeout, what=f"{self.package} to be healthy")

    def _started(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise AssertionError(f"{self.package} exited with {self.process.returncode}:\n{self.log()}")
        return is_healthy(self.heartbeat)

    def kill(self) -> None:
        """SIGKILL: no shutdown, no cleanup, as when a container is killed."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self, timeout: float = 45.0) -> int:
        """SIGTERM and wait: the graceful shutdown operations would do."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path.exists() else ""
