"""A PostgreSQL server of the test's own, on its own port, that the test may stop and start.

The shared server on 5432 must stay up for every other test; an outage is tried on this one.
It is made with the machine's `initdb` and `pg_ctl` (Debian's PostgreSQL); as root they run as
the `postgres` user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from glob import glob
from pathlib import Path

from tests.support.smtp import free_port


def _bin(name: str) -> str:
    found = sorted(glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} is not installed")
    return found[-1]


class OwnPostgres:
    def __init__(self) -> None:
        self.port = free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="taalhuis-pg-"))
        self.data = self.directory / "data"
        self._as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self._as_postgres:
            shutil.chown(self.directory, "postgres", "postgres")

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as_postgres, *command], check=True, capture_output=True, timeout=120)

    def create(self) -> None:
        self._run(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync")
        self.start()

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.directory / "log"),
                  "-w", "start")  # fmt: skip

    def stop(self) -> None:
        """As an outage: connections are cut, new ones refused until `start`."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        subprocess.run([*self._as_postgres, _bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                       capture_output=True, check=False, timeout=60)  # fmt: skip
        shutil.rmtree(self.directory, ignore_errors=True)
