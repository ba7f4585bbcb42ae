"""Start a throwaway pgbouncer in front of a test PostgresServer.

    with PostgresServer() as pg, PgBouncerServer(pg, users=["erp_admin"]) as bouncer:
        subprocess.run(["psql", ...], env=bouncer.client_env("dolibarr"))

The pooler is real: Debian's `pgbouncer` (1.18 on Debian 12) started in the foreground on
127.0.0.1 at a free port, every database (`* = host=127.0.0.1 port=<pg.port>`) routed to the
test server. Clients authenticate against a userlist file holding each role's secret as the
server stores it (`pg_authid.rolpassword`: the SCRAM-SHA-256 verifier, or an md5 hash), so the
plain password is never written to disk; with `auth_type = scram-sha-256` pgbouncer then logs in
to PostgreSQL with the client's own SCRAM proof (pgbouncer >= 1.14).

`pool_mode` is `session` unless told otherwise (`transaction` for the tests that show why
pg_dump must not go through it); `ignore_startup_parameters` is empty unless given, which is
what makes pgbouncer refuse a client's `options` startup parameter (PGOPTIONS):
`FATAL: unsupported startup parameter: options`.

Root: pgbouncer refuses to run as root, so when this process is root it runs as the same
unprivileged user as the PostgresServer (setuid/setgid by subprocess), and its temp dir is
chowned to that user. A pgbouncer that cannot be found or started raises PgBouncerError (a test
failure, never a skip). `stop()` (also `__exit__`, and at interpreter exit as a last resort)
sends SIGTERM (immediate shutdown), SIGKILL after a grace period, and removes the temp dir.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
import time

from listening import wait_for_listening_port
from managed_server import ManagedServer
from postgres_server import PostgresServer, free_port

START_TIMEOUT = 30  # seconds to wait for pgbouncer to accept TCP connections
STOP_TIMEOUT = 10
PORT_ATTEMPTS = 5


class PgBouncerError(RuntimeError):
    """pgbouncer could not be found, configured or started."""


def find_pgbouncer() -> str:
    for candidate in (os.environ.get("ERP_TEST_PGBOUNCER"), shutil.which("pgbouncer"),
                      "/usr/sbin/pgbouncer"):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise PgBouncerError("pgbouncer not found (hint: apt-get install pgbouncer, or set "
                         "ERP_TEST_PGBOUNCER; scripts/install-test-deps.sh installs it)")


class PgBouncerServer(ManagedServer):
    """pgbouncer on 127.0.0.1 in front of `pg`, as a context manager.

    Attributes after start(): host ("127.0.0.1"), port, workdir, log_path, pool_mode.
    """

    log_label = "pgbouncer"

    def __init__(self, pg: PostgresServer, *, users: list[str] | None = None,
                 pool_mode: str = "session", auth_type: str = "scram-sha-256",
                 ignore_startup_parameters: str = "", settings: dict[str, str] | None = None):
        """users: the roles that may log in through the pooler (default: pg's superuser); their
        secrets are read from pg_authid when the pooler starts, so create them first.
        settings: extra [pgbouncer] lines, e.g. {"default_pool_size": "1"}."""
        self.pg = pg
        self.program = find_pgbouncer()
        self.users = list(users or [pg.superuser])
        self.pool_mode = pool_mode
        self.auth_type = auth_type
        self.ignore_startup_parameters = ignore_startup_parameters
        self.settings = dict(settings or {})
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.workdir: str | None = None
        self.log_path: str | None = None
        self._process: subprocess.Popen | None = None
        self._run_as = pg._run_as  # the PostgresServer's OS user when this process is root

    # -- lifecycle -------------------------------------------------------------------------------
    def start(self) -> None:
        if self._process is not None:
            raise PgBouncerError("pgbouncer already started")
        self.workdir = tempfile.mkdtemp(prefix="erp-pgbouncer-", dir=self.pg.base_dir)
        atexit.register(self.stop)
        self.log_path = os.path.join(self.workdir, "pgbouncer.log")
        userlist = os.path.join(self.workdir, "userlist.txt")
        self._write(userlist, self._userlist())
        if self._run_as is not None:
            os.chown(self.workdir, self._run_as.pw_uid, self._run_as.pw_gid)

        last_error = ""
        for _ in range(PORT_ATTEMPTS):
            self.port = free_port()
            ini = os.path.join(self.workdir, "pgbouncer.ini")
            self._write(ini, self._ini(userlist))
            kwargs = {}
            if self._run_as is not None:
                kwargs = dict(user=self._run_as.pw_uid, group=self._run_as.pw_gid, extra_groups=[])
            env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
            self._process = subprocess.Popen([self.program, ini], cwd=self.workdir, env=env,
                                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.DEVNULL, **kwargs)
            if self._wait_until_listening():
                return
            last_error = self.log_text()[-4000:]
            self._terminate()
            if "Address already in use" not in last_error:
                break
        raise PgBouncerError(f"pgbouncer did not start on 127.0.0.1:{self.port}:\n{last_error}")

    def _wait_until_listening(self) -> bool:
        """True once *this* pgbouncer process listens on the port (its own socket, seen in /proc:
        another server that took the port meanwhile does not count) and accepts a connection;
        False when pgbouncer exited or the deadline passed (the log then says why)."""
        deadline = time.monotonic() + START_TIMEOUT
        if wait_for_listening_port(self._process.pid, deadline, alive=lambda: self._process.poll() is None,
                                   port=self.port) is None:
            return False
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                return False
            try:
                with socket.create_connection((self.host, self.port), timeout=1):
                    return True
            except OSError:
                time.sleep(0.05)  # polling a condition with a deadline, not a fixed wait
        return False

    def _terminate(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()  # SIGTERM: pgbouncer shuts down immediately
            try:
                self._process.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(STOP_TIMEOUT)
        self._process = None

    def stop(self) -> None:
        """Idempotent; safe after a failed start."""
        self._terminate()
        self.remove_workdir()
        atexit.unregister(self.stop)

    # -- configuration ---------------------------------------------------------------------------
    def _write(self, path: str, text: str) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
        if self._run_as is not None:
            os.chown(path, self._run_as.pw_uid, self._run_as.pw_gid)

    def _userlist(self) -> str:
        lines = []
        for user in self.users:
            secret = self.pg.scalar("postgres", "select rolpassword from pg_authid where rolname = "
                                    + "'" + user.replace("'", "''") + "'")
            if not secret:
                raise PgBouncerError(f"role {user!r} has no password in pg_authid; create it with one")
            lines.append(f'"{_userlist_quote(user)}" "{_userlist_quote(secret)}"')
        return "\n".join(lines) + "\n"

    def _ini(self, userlist: str) -> str:
        settings = {
            "listen_addr": self.host,
            "listen_port": str(self.port),
            "unix_socket_dir": "",  # TCP only: never /var/run/postgresql
            "auth_type": self.auth_type,
            "auth_file": userlist,
            "pool_mode": self.pool_mode,
            "ignore_startup_parameters": self.ignore_startup_parameters,
            "logfile": self.log_path,
            "pidfile": "",
            "admin_users": "",
            "log_connections": "1",
            "log_disconnections": "1",
            "server_login_retry": "1",
            **self.settings,
        }
        body = "[databases]\n"
        body += f"* = host={self.pg.host} port={self.pg.port}\n\n[pgbouncer]\n"
        body += "".join(f"{k} = {v}\n" for k, v in settings.items())
        return body

    # -- what a test hands to a client -------------------------------------------------------------
    def env(self, db: str | None = "postgres", *, user: str | None = None) -> dict:
        """libpq variables for `db` through the pooler (the role's password as PostgresServer knows it)."""
        env = self.pg.env(db, user=user)
        env.update(PGHOST=self.host, PGPORT=str(self.port))
        return env

    def client_env(self, db: str | None = "postgres", *, user: str | None = None) -> dict:
        env = self.pg.client_env(db, user=user)
        env.update(PGHOST=self.host, PGPORT=str(self.port))
        return env


def _userlist_quote(text: str) -> str:
    return text.replace('"', '""')
