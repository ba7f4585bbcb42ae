"""Context-manager life cycle shared by the test servers (PostgresServer, S3Front).

A subclass provides start(), stop() (safe to call after a failed start) and log_text(),
and names itself in `log_label`; on a failing test the log tail goes to stderr.
"""

from __future__ import annotations

import sys


class ManagedServer:
    log_label = "server"

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def log_text(self) -> str:
        return ""

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
