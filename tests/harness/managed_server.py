"""Context-manager life cycle shared by the test servers (PostgresServer, S3Front, PgBouncerServer,
PushgatewayServer).

A subclass provides start() and stop() (safe to call after a failed start; it ends with
remove_workdir()), names itself in `log_label` and sets `workdir` and `log_path` in start(); on a
failing test the log tail goes to stderr.
"""

from __future__ import annotations

import shutil
import sys


class ManagedServer:
    log_label = "server"
    workdir: str | None = None  # the server's temp dir, made by start()
    log_path: str | None = None  # the log file the server writes (inside workdir)

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def log_text(self) -> str:
        """What the server wrote to `log_path` ("" before it has one, or once it is removed)."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def remove_workdir(self) -> None:
        """Removes the temp dir; idempotent. The last step of stop()."""
        if self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            sys.stderr.write(f"--- {self.log_label} log tail ---\n{self.log_text()[-6000:]}\n")
        self.stop()
