"""Run the erp-backup binary the way an operator would, for integration tests.

Every run's stdout and stderr are checked for the given secrets: a secret that
leaks into any output fails the test that caused it, not a later grep.
"""

from __future__ import annotations

import os
import subprocess

BINARY = os.environ.get("ERP_BACKUP_BIN") or os.path.join(
    os.environ.get("ERP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), "..", "..")),
    "build", "erp-backup")


def clean_env(extra: dict) -> dict:
    """The caller's environment without any AWS_/S3_/PG settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "S3_", "PG", "LOG_", "BACKUP_", "RESTORE_", "DOCUMENTS_"))}
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
