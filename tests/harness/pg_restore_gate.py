"""A PG_RESTORE for tests that must act at a chosen moment of a restore, deterministically.

    gate = write_pg_restore_gate(workdir, pg, target_db, hold_last_byte=True)
    run_erp(["restore", "db"], {..., "PG_RESTORE": gate.program}, ...)

`pg_restore --list` (the dump check) runs the real pg_restore unchanged. A restore runs the real
pg_restore too, fed the whole dump but its last byte, so that pg_restore has connected, created
the tables and loaded their data, and waits for the end of the last data block before it builds
any index or key. Then, in order:
  1. it waits until pg_restore's session (its PGAPPNAME) shows in pg_stat_activity, read as the
     superuser from the `postgres` database (so that the probe is no session of the target);
  2. the intruder, when given, connects to the target as `intruder_user` with application_name
     `dolibarr-web`, waits inside the server until llx_societe holds rows, and inserts a copy of
     its first row (a duplicate key once pg_restore creates the primary key); its outcome (exit
     code, stderr) goes to gate.intruder_result. With `intruder_stays` it then stays connected
     (a new session: the test kills gate.intruder_pid), else it ends;
  3. gate.marker is created;
  4. with `hold_last_byte` the last byte is never fed (pg_restore stays mid-restore until it is
     killed), else it is, and the gate exits with pg_restore's status.
Every wait polls a real condition with a deadline (60 s) and gives up when pg_restore has exited.

A restore from a file (`restore db --jobs N`: `--jobs=N -L /dev/stdin /dev/fd/3`) runs the real
pg_restore with the same descriptors. With `hold_last_byte` its leader is stopped (SIGSTOP) the
moment it holds its first socket, i.e. while connecting to the target, before it can restore
anything: a small dump restores in a fraction of a second, faster than a psql poll of
pg_stat_activity could see it (such a poll raced and lost under load), so the gate watches the
leader's descriptors in /proc instead. Stopped there it cannot finish (the server waits
authentication_timeout, 60 s, far longer than a test holds it); the marker is then created. A
SIGTERM to the gate continues it, so that the SIGTERM the tool sent to the whole group ends it at
once. Without `hold_last_byte` the gate waits for its session to show, as for a stream.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass

from postgres_server import PostgresServer, quote_literal

DEADLINE = 60.0


@dataclass
class Gate:
    program: str         # what PG_RESTORE names
    marker: str          # created at step 3
    intruder_result: str  # {"returncode": int, "stderr": str} after step 2
    intruder_pid: str    # the staying intruder's pid
    calls_log: str       # one line of arguments per run
    pid_file: str        # the running gate's pid: its process group is the gate and pg_restore

    def calls(self) -> list[str]:
        """Every run's arguments, oldest first (`--list ...` for a dump check)."""
        if not os.path.exists(self.calls_log):
            return []
        with open(self.calls_log) as f:
            return f.read().splitlines()

    def kill(self) -> None:
        """SIGKILL to what is left of the gate's runs and the intruder (a test's cleanup: when the
        tool itself was killed, nothing else stops them)."""
        for path, group in ((self.pid_file, True), (self.intruder_pid, False)):
            if not os.path.exists(path):
                continue
            with open(path) as f:
                pids = [int(line) for line in f.read().split()]
            for pid in pids:
                try:
                    if group:
                        os.killpg(pid, signal.SIGKILL)
                    else:
                        os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass

    def intruder(self) -> dict | None:
        if not os.path.exists(self.intruder_result):
            return None
        with open(self.intruder_result) as f:
            return json.load(f)


def write_pg_restore_gate(workdir: str, pg: PostgresServer, target_db: str, *, hold_last_byte: bool = False,
                          intruder_user: str | None = None, intruder_stays: bool = False) -> Gate:
    n = time.monotonic_ns()
    base = os.path.join(workdir, f"pg-restore-gate-{n}")
    gate = Gate(program=base + ".sh", marker=base + ".started", intruder_result=base + ".intruder.json",
                intruder_pid=base + ".intruder.pid", calls_log=base + ".calls", pid_file=base + ".pids")
    config = {"real": pg.bin("pg_restore"), "psql": pg.bin("psql"), "probe_env": pg.env("postgres"),
              "target_db": target_db, "hold_last_byte": hold_last_byte, "marker": gate.marker,
              "calls": gate.calls_log, "pids": gate.pid_file,
              "intruder": None}
    if intruder_user is not None:
        config["intruder"] = {"env": {**pg.env(target_db, user=intruder_user), "PGAPPNAME": "dolibarr-web"},
                              "stays": intruder_stays, "result": gate.intruder_result,
                              "pid": gate.intruder_pid, "inserted": base + ".inserted"}
    fd = os.open(base + ".json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # holds passwords
    with os.fdopen(fd, "w") as f:
        json.dump(config, f)
    with open(gate.program, "w") as f:
        f.write(f"#!/bin/sh\nexec {sys.executable} {os.path.abspath(__file__)} {base}.json \"$@\"\n")
    os.chmod(gate.program, stat.S_IRWXU)
    return gate


# -- the gate itself (run as PG_RESTORE) ----------------------------------------------------------
def _psql(config: dict, env: dict, sql: str) -> subprocess.CompletedProcess:
    full = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    full.update(env)
    return subprocess.run([config["psql"], "-X", "-q", "-w", "-At", "-v", "ON_ERROR_STOP=1", "-c", sql],
                          env=full, capture_output=True, text=True, timeout=DEADLINE)


def _wait_for(what: str, condition, child: subprocess.Popen) -> bool:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if child.poll() is not None:
            return False
        if time.monotonic() > deadline:
            sys.stderr.write(f"pg_restore gate: gave up waiting for {what}\n")
            return False
        time.sleep(0.02)
    return True


INTRUDER_SQL = r"""
DO $$
DECLARE loaded boolean := false;
BEGIN
  FOR i IN 1..6000 LOOP
    IF to_regclass('public.llx_societe') IS NOT NULL THEN
      EXECUTE 'SELECT EXISTS (SELECT FROM public.llx_societe)' INTO loaded;
    END IF;
    EXIT WHEN loaded;
    COMMIT;  -- lets go of the table: pg_restore's ALTER TABLE ... SET DEFAULT waits for that
    PERFORM pg_sleep(0.01);
  END LOOP;
  INSERT INTO public.llx_societe SELECT * FROM public.llx_societe ORDER BY rowid LIMIT 1;
END $$;
"""


def _wait_for_session(config: dict, child: subprocess.Popen) -> bool:
    """Until pg_restore's session (its PGAPPNAME) shows in the target."""
    app = os.environ.get("PGAPPNAME") or "pg_restore"
    sessions = (f"select count(*) from pg_stat_activity where datname = {quote_literal(config['target_db'])} "
                f"and application_name = {quote_literal(app)}")
    return _wait_for("pg_restore's session", lambda: _psql(config, config["probe_env"], sessions).stdout.strip() != "0",
                     child)


def _intrude(config: dict, child: subprocess.Popen) -> None:
    intruder = config["intruder"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.update(intruder["env"])
    script = INTRUDER_SQL + f"\\! touch {intruder['inserted']}\n"
    if intruder["stays"]:
        script += "SELECT pg_sleep(600);\n"
    err_path = intruder["result"] + ".stderr"
    with open(err_path, "w") as err:
        # Its own session: a staying intruder outlives the gate until the test kills it.
        proc = subprocess.Popen([config["psql"], "-X", "-q", "-w", "-v", "ON_ERROR_STOP=1"],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err, env=env,
                                start_new_session=True, text=True)
        with open(intruder["pid"], "w") as f:
            f.write(str(proc.pid))
        proc.stdin.write(script)
        proc.stdin.close()
        # Done when it inserted (it may stay connected after) or ended (refused, or failed).
        if not _wait_for("the intruder", lambda: os.path.exists(intruder["inserted"]) or proc.poll() is not None,
                         child):
            activity = _psql(config, config["probe_env"],
                             "select pid, application_name, state, wait_event_type, wait_event, left(query, 100) "
                             f"from pg_stat_activity where datname = {quote_literal(config['target_db'])}")
            sys.stderr.write(f"pg_restore gate: the target's sessions:\n{activity.stdout}\n")
    with open(err_path) as f:
        stderr = f.read()
    with open(intruder["result"], "w") as f:
        json.dump({"returncode": proc.poll(), "inserted": os.path.exists(intruder["inserted"]),
                   "stderr": stderr}, f)


def main() -> int:
    with open(sys.argv[1]) as f:
        config = json.load(f)
    args = sys.argv[2:]
    with open(config["calls"], "a") as f:
        f.write(" ".join(args) + "\n")
    if "--list" in args or "--version" in args:
        os.execv(config["real"], [config["real"], *args])
    with open(config["pids"], "a") as f:
        f.write(f"{os.getpid()}\n")
    if any(arg.startswith("--jobs") for arg in args):
        return _from_file(config, args)
    dump = sys.stdin.buffer.read()
    child = subprocess.Popen([config["real"], *args], stdin=subprocess.PIPE, pass_fds=(3,))
    try:
        child.stdin.write(dump[:-1])
        child.stdin.flush()
    except BrokenPipeError:
        return child.wait()
    if not _wait_for_session(config, child):
        return child.wait()
    if config["intruder"]:
        _intrude(config, child)
    open(config["marker"], "w").close()
    if config["hold_last_byte"]:
        return child.wait()  # pg_restore waits for the last byte until it is killed
    try:
        child.stdin.write(dump[-1:])
        child.stdin.close()
    except BrokenPipeError:
        pass
    return child.wait()


def _holds_a_socket(pid: int) -> bool:
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        try:
            if os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:"):
                return True
        except OSError:
            continue
    return False


def _wait_for_socket(child: subprocess.Popen) -> bool:
    """Until pg_restore's leader holds a socket (its first connection), polled every millisecond."""
    deadline = time.monotonic() + DEADLINE
    while not _holds_a_socket(child.pid):
        if child.poll() is not None:
            return False
        if time.monotonic() > deadline:
            sys.stderr.write("pg_restore gate: gave up waiting for pg_restore to connect\n")
            return False
        time.sleep(0.001)
    return True


def _from_file(config: dict, args: list[str]) -> int:
    child = subprocess.Popen([config["real"], *args], pass_fds=(3,))  # stdin: the use list
    waited = _wait_for_socket(child) if config["hold_last_byte"] else _wait_for_session(config, child)
    if not waited:
        return child.wait()
    if config["hold_last_byte"]:
        def resume_and_end(signum, frame):
            os.kill(child.pid, signal.SIGCONT)  # the group's SIGTERM, pending, then ends it
            os._exit(128 + signum)
        signal.signal(signal.SIGTERM, resume_and_end)
        os.kill(child.pid, signal.SIGSTOP)
    open(config["marker"], "w").close()
    return child.wait()


if __name__ == "__main__":
    sys.exit(main())
