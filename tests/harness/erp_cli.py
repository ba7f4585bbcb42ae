"""Run the erp-backup binary the way an operator would, for integration tests.

Every run's stdout and stderr are checked for the given secrets: a secret that
leaks into any output fails the test that caused it, not a later grep.
"""

from __future__ import annotations

import calendar
import json
import os
import re
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


_SET_ID = re.compile(r"^\d{8}T\d{6}Z$")


def set_id_of(run: subprocess.CompletedProcess) -> str | None:
    """The set ID a `backup` run logged on its "backup starting" line (LOG_FORMAT text:
    `... backup starting id=ID ...`; json: {"msg": "backup starting", "id": "ID"}), or None when
    it stopped before choosing one (a configuration error, exit 2)."""
    for line in (run.stderr or b"").decode(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            found = entry.get("id") if entry.get("msg") == "backup starting" else None
        else:
            words = line.split(" ")
            starting = " backup starting " in f" {line} " and "backup" in words
            found = next((w[3:] for w in words if w.startswith("id=")), None) if starting else None
        if found and _SET_ID.match(found):
            return found
    return None


def wait_for_a_new_set_id(run) -> None:
    """Returns once the wall clock has left the second of the run's own set ID.

    `run`: the finished backup (its CompletedProcess: the ID is read from its log) or that ID.
    A backup set's ID is its start second, and a backup whose ID already exists is refused before
    any stream runs. A test whose next backup must run (or fail) for its own reason calls this
    after the previous one: it waits for the clock itself to pass the second that run took, at
    most about a second after the run (the ID is the run's first clock reading)."""
    if isinstance(run, (int, float)):
        raise TypeError("wait_for_a_new_set_id takes the backup run (or its set ID), not a start time: "
                        "a run can choose its ID seconds after the caller read the clock")
    set_id = run if isinstance(run, str) else set_id_of(run)
    if set_id is None:
        return  # the run chose no ID: nothing to leave behind
    next_second = calendar.timegm(time.strptime(set_id, "%Y%m%dT%H%M%SZ")) + 1
    deadline = time.monotonic() + 5
    while time.time() < next_second:
        if time.monotonic() > deadline:
            raise AssertionError(f"the clock has not left the second of set {set_id} "
                                 "5 s after the run (is the ID from this machine's clock?)")
        time.sleep(0.05)
