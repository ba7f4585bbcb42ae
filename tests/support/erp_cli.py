"""Run the erp-backup binary the way an operator would, for integration tests.

Every run's stdout and stderr are checked for the given secrets: a secret that
leaks into any output fails the test that caused it, not a later grep.
"""

from __future__ import annotations

import os
import subprocess
import time

BINARY = os.environ.get("ERP_BACKUP_BIN") or os.path.join(
    os.environ.get("ERP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
    "build", "erp-backup")


# Every prefix of an environment variable erp-backup reads (SPEC §3).
SETTING_PREFIXES = ("AWS_", "S3_", "PG", "LOG_", "BACKUP_", "RESTORE_", "DOCUMENTS_", "DOCS_",
                    "RETENTION_", "PRUNE_", "STALE_", "METRICS_", "PUSHGATEWAY_", "REFRESH_",
                    "DB_", "OBJECT_LOCK_", "AGE_", "DRILL_")


def clean_env(extra: dict) -> dict:
    """The caller's environment without any setting erp-backup reads, plus `extra`.

    A host's own RETENTION_*, PRUNE_*, DOCS_*, ... must not change what a test exercises."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
    env.update(extra)
    return env


class SecretLeak(AssertionError):
    pass


def run_erp(args: list[str], env: dict, secrets: list[str], input: bytes | None = None,
            stdin=None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `erp-backup ARGS` with exactly `env` (see clean_env) and fail on any secret in its output."""
    result = subprocess.run([BINARY, *args], env=env, input=input, stdin=stdin,
                            capture_output=True, timeout=timeout)
    for secret in secrets:
        needle = secret.encode()
        if needle in result.stdout or needle in result.stderr:
            raise SecretLeak(f"erp-backup {args[:1]} printed a secret value")
    return result


def wait_for_a_new_set_id(started: float) -> None:
    """Returns once the wall clock has left the second `started` (time.time()) fell in.

    A backup set's ID is its start second, and a backup whose ID already exists is refused before
    any stream runs. A test whose next backup must run (or fail) for its own reason calls this
    after the previous one: it waits for the clock itself, the condition that matters, at most
    one second."""
    while int(time.time()) <= int(started):
        time.sleep(0.05)
