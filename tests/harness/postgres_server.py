"""Start a throwaway PostgreSQL server for integration tests.

    with PostgresServer() as pg:
        pg.create_database("erp")
        pg.psql("erp", "create table t (id int primary key)")
        subprocess.run([pg.bin("pg_dump"), "-Fc"], env={**clean_env(pg.env("erp"))}, check=True)
        before = pg.table_fingerprints("erp")

The server is real: `initdb` into a fresh temp dir, started with `pg_ctl -w` (which waits until the
postmaster reports it accepts connections; no sleeps), listening on 127.0.0.1 at a free port (a
bind failure retries another; the port is accepted only once the postmaster's own socket holds
it, tests/harness/listening.py, and it serves this data directory), with
its unix socket inside the temp dir (never /var/run/postgresql). Every connection, TCP or socket,
is authenticated with SCRAM: the superuser's password is distinctive (`erpTEST-pgpass-<hex>`) so a
test can grep logs, argv and manifests for it (`secrets()`). Passwords reach psql and pg_dump through
PGPASSWORD in the environment, never argv. `PostgresServer(tls=True)` takes TCP connections over
TLS only, with a server certificate from a CA made for this run (tests/harness/throwaway_ca.py).

Root: PostgreSQL refuses to run as root, so when this process is root, initdb, pg_ctl and the
server run as the unprivileged `postgres` user (setuid/setgid with no supplementary groups, done by
subprocess itself; `ERP_TEST_PG_USER` picks another user) and the temp dir is chowned to that user.
The temp dir's parent (`ERP_TEST_PG_TMPDIR`, else tempfile's) must be traversable by that user.
Client programs (psql, pg_dump, pg_restore) run as the caller.

Binaries come from `ERP_TEST_PG_BINDIR`, else `pg_config --bindir`, else the newest
/usr/lib/postgresql/*/bin. A server that cannot be found or started raises PostgresServerError:
a test failure, never a skip. `stop()` (also run by `__exit__` and, as a last resort, at
interpreter exit) shuts the server down fast and removes the temp dir.
"""

from __future__ import annotations

import atexit
import concurrent.futures
import glob
import json
import os
import pwd
import re
import secrets as _secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from listening import wait_for_listening_port
from managed_server import ManagedServer
from throwaway_ca import ThrowawayCA

START_TIMEOUT = 60  # seconds pg_ctl waits for the server to accept connections
STOP_TIMEOUT = 30
PORT_ATTEMPTS = 5  # a free port can be taken between probing and binding: retry with another
REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")

# Settings for a disposable server: durability off (speed), loopback only, quiet logs.
SERVER_SETTINGS = {
    "listen_addresses": "'127.0.0.1'",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "'4GB'",
    "checkpoint_timeout": "'30min'",
    "max_connections": "40",
    "timezone": "'UTC'",
    "log_timezone": "'UTC'",
    "lc_messages": "'C'",
    "log_line_prefix": "'%m [%p] %q%u@%d '",
    "password_encryption": "'scram-sha-256'",
}


class PostgresServerError(RuntimeError):
    """The server could not be found, started or stopped."""


class PsqlError(RuntimeError):
    """psql exited non-zero. `stderr` holds its message (the server's ERROR line)."""

    def __init__(self, message: str, returncode: int, stderr: str):
        super().__init__(message)
        self.returncode = returncode
        self.stderr = stderr


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def quote_ident(name: str) -> str:
    """An SQL identifier, always quoted: `quote_ident('a"b')` == '"a""b"'."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(value: str) -> str:
    """An SQL string literal (standard_conforming_strings is on)."""
    return "'" + value.replace("'", "''") + "'"


def _version_key(path: str) -> tuple:
    m = re.search(r"/postgresql/(\d+)(?:\.(\d+))?/bin$", path)
    return (int(m.group(1)), int(m.group(2) or 0)) if m else (0, 0)


def find_bindir(explicit: str | None = None) -> str:
    """The directory holding initdb, pg_ctl and postgres.

    Order: `explicit`, $ERP_TEST_PG_BINDIR, `pg_config --bindir`, the newest /usr/lib/postgresql/*/bin.
    Raises PostgresServerError naming every place it looked.
    """
    candidates: list[tuple[str, str]] = []
    if explicit:
        candidates.append(("bindir argument", explicit))
    elif os.environ.get("ERP_TEST_PG_BINDIR"):
        candidates.append(("ERP_TEST_PG_BINDIR", os.environ["ERP_TEST_PG_BINDIR"]))
    else:
        pg_config = shutil.which("pg_config")
        if pg_config:
            try:
                out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True,
                                     timeout=30, check=True).stdout.strip()
                if out:
                    candidates.append(("pg_config --bindir", out))
            except (subprocess.SubprocessError, OSError):
                pass
        for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True):
            candidates.append(("/usr/lib/postgresql/*/bin", d))
    looked = []
    for source, d in candidates:
        missing = [b for b in REQUIRED_BINARIES if not os.access(os.path.join(d, b), os.X_OK)]
        if not missing:
            return d
        looked.append(f"{d} ({source}; missing {', '.join(missing)})")
    raise PostgresServerError(
        "no PostgreSQL server binaries found; looked in: " + ("; ".join(looked) or "nothing")
        + " (hint: apt-get install postgresql, or set ERP_TEST_PG_BINDIR to the directory holding initdb)")


class PostgresServer(ManagedServer):
    """A throwaway PostgreSQL cluster on 127.0.0.1, as a context manager.

    Attributes after start(): host ("127.0.0.1"), port, superuser, password, bindir, workdir
    (temp dir removed by stop()), datadir, socket_dir, log_path.
    """

    log_label = "postgres"

    def __init__(self, *, bindir: str | None = None, superuser: str = "erp_admin",
                 run_as: str | None = None, base_dir: str | None = None,
                 settings: dict[str, str] | None = None, tls: bool = False,
                 cert_auth_roles: tuple[str, ...] = ()):
        """run_as: the OS user for the server when this process is root (default $ERP_TEST_PG_USER
        or `postgres`). base_dir: parent of the temp dir. settings: extra postgresql.conf lines
        (values are written verbatim, so quote strings: {"work_mem": "'64MB'"}).

        tls: `ssl = on` with a certificate for 127.0.0.1/localhost from a throwaway CA made for
        this server (`ca`, its certificate `ca_cert`: what a client's PGSSLROOTCERT names), and
        a pg_hba.conf whose TCP lines are all `hostssl`: a connection without TLS is refused.
        cert_auth_roles: roles that must log in over TCP with a client certificate of this CA
        whose CN is the role (`cert` auth; `ca.issue_client(...)` makes one)."""
        self.bindir = find_bindir(bindir)
        self.superuser = superuser
        self.password = f"erpTEST-pgpass-{_secrets.token_hex(12)}"
        self.host = "127.0.0.1"
        self.port: int | None = None
        self.base_dir = base_dir or os.environ.get("ERP_TEST_PG_TMPDIR") or tempfile.gettempdir()
        self.settings = {**SERVER_SETTINGS, **(settings or {})}
        self._run_as = None
        if os.geteuid() == 0:
            name = run_as or os.environ.get("ERP_TEST_PG_USER") or "postgres"
            try:
                self._run_as = pwd.getpwnam(name)
            except KeyError:
                raise PostgresServerError(
                    f"running as root and there is no user {name!r} to run PostgreSQL as "
                    "(hint: useradd --system postgres, or set ERP_TEST_PG_USER)") from None
        self.workdir: str | None = None
        self.datadir: str | None = None
        self.socket_dir: str | None = None
        self.log_path: str | None = None
        self._started = False
        self._role_passwords: dict[str, str] = {superuser: self.password}
        self.tls = tls
        self.cert_auth_roles = tuple(cert_auth_roles)
        if cert_auth_roles and not tls:
            raise PostgresServerError("cert_auth_roles need tls=True")
        self.ca = None  # ThrowawayCA when tls
        self.ca_cert: str | None = None

    # -- lifecycle -----------------------------------------------------------------------------
    @property
    def run_as_uid(self) -> int:
        """The uid the server runs as (the `postgres` user when this process is root)."""
        return self._run_as.pw_uid if self._run_as is not None else os.geteuid()

    def bin(self, name: str) -> str:
        """Path of a PostgreSQL program (psql, pg_dump, pg_restore, ...) of this server's version."""
        path = os.path.join(self.bindir, name)
        if not os.access(path, os.X_OK):
            found = shutil.which(name)
            if not found:
                raise PostgresServerError(f"{name} not found in {self.bindir} nor on PATH")
            return found
        return path

    def start(self) -> None:
        if self._started:
            raise PostgresServerError("server already started")
        self.workdir = tempfile.mkdtemp(prefix="erp-pg-", dir=self.base_dir)
        atexit.register(self.stop)
        self.datadir = os.path.join(self.workdir, "data")
        self.socket_dir = os.path.join(self.workdir, "sock")
        self.log_path = os.path.join(self.workdir, "server.log")
        os.mkdir(self.socket_dir, 0o700)
        pwfile = os.path.join(self.workdir, "pwfile")
        fd = os.open(pwfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.password + "\n")
        if self._run_as is not None:
            for path in (self.workdir, self.socket_dir, pwfile):
                os.chown(path, self._run_as.pw_uid, self._run_as.pw_gid)
            probe = self._run_server_tool(["test", "-w", self.workdir, "-a", "-x", self.workdir])
            if probe.returncode != 0:
                raise PostgresServerError(
                    f"user {self._run_as.pw_name} cannot write {self.workdir} (hint: a parent directory "
                    f"is not traversable by it; set ERP_TEST_PG_TMPDIR to one that is, e.g. /tmp)")

        initdb = self._run_server_tool([
            os.path.join(self.bindir, "initdb"), "-D", self.datadir, "-U", self.superuser,
            f"--pwfile={pwfile}", "--auth-local=scram-sha-256", "--auth-host=scram-sha-256",
            "--encoding=UTF8", "--locale=C", "--no-sync", "--no-instructions"])
        os.unlink(pwfile)
        if initdb.returncode != 0:
            raise PostgresServerError(f"initdb failed (exit {initdb.returncode}):\n{initdb.stdout}{initdb.stderr}")

        with open(os.path.join(self.datadir, "postgresql.conf"), "a") as conf:
            conf.write("\n# erp-backup test server\n")
            for key, value in self.settings.items():
                conf.write(f"{key} = {value}\n")
            conf.write(f"unix_socket_directories = {quote_literal(self.socket_dir)}\n")
        if self.tls:
            self._set_up_tls()

        last = None
        for _ in range(PORT_ATTEMPTS):
            self.port = free_port()
            last = self._run_server_tool([
                os.path.join(self.bindir, "pg_ctl"), "start", "-D", self.datadir, "-l", self.log_path,
                "-w", "-t", str(START_TIMEOUT), "-o", f"-p {self.port}"])
            if last.returncode == 0:
                self._started = True
                break
            if "Address already in use" not in self.log_text():
                break
        if not self._started:
            raise PostgresServerError(
                f"pg_ctl start failed (exit {last.returncode}):\n{last.stdout}{last.stderr}\n"
                f"--- server log ---\n{self.log_text()[-4000:]}")
        # pg_ctl -w saw *our* postmaster (its pid file in our data dir) ready. Prove that the
        # port is its own (a server of another test could have taken it between the probe and
        # the bind), then that password authentication over TCP reaches this very cluster.
        postmaster = self.postmaster_pid()
        if wait_for_listening_port(postmaster, time.monotonic() + START_TIMEOUT, port=self.port) is None:
            raise PostgresServerError(f"postmaster {postmaster} does not listen on port {self.port}\n"
                                      f"--- server log ---\n{self.log_text()[-4000:]}")
        got = self.query("postgres", "select current_user as u, current_setting('data_directory') as d")
        if got != [{"u": self.superuser, "d": self.datadir}]:
            raise PostgresServerError(f"port {self.port} answered {got!r}, expected {self.superuser!r} "
                                      f"on {self.datadir!r}")

    def postmaster_pid(self) -> int:
        """The pid of this cluster's postmaster (the first line of its postmaster.pid)."""
        with open(os.path.join(self.datadir, "postmaster.pid"), encoding="ascii") as f:
            return int(f.readline().strip())

    def _set_up_tls(self) -> None:
        """The CA and server certificate in <workdir>/tls, ssl settings, a TLS-only pg_hba.conf."""
        tls_dir = os.path.join(self.workdir, "tls")
        self.ca = ThrowawayCA(tls_dir, "erp-test-pg-ca")
        self.ca_cert = self.ca.cert
        cert, key = self.ca.issue_server("server", hosts=(self.host, "localhost"))
        if self._run_as is not None:
            for path in (tls_dir, self.ca.cert, cert, key):
                os.chown(path, self._run_as.pw_uid, self._run_as.pw_gid)
        with open(os.path.join(self.datadir, "postgresql.conf"), "a") as conf:
            conf.write("ssl = on\n")
            conf.write(f"ssl_cert_file = {quote_literal(cert)}\n")
            conf.write(f"ssl_key_file = {quote_literal(key)}\n")
            conf.write(f"ssl_ca_file = {quote_literal(self.ca.cert)}\n")  # verifies client certs
        lines = ["# erp-backup test server: TCP only over TLS",
                 "local all all scram-sha-256"]
        for role in self.cert_auth_roles:
            lines.append(f"hostssl all {quote_ident(role)} 127.0.0.1/32 cert")
        lines += ["hostssl all all 127.0.0.1/32 scram-sha-256",
                  "hostssl all all ::1/128 scram-sha-256"]
        with open(os.path.join(self.datadir, "pg_hba.conf"), "w") as hba:
            hba.write("\n".join(lines) + "\n")

    def stop(self) -> None:
        """Fast shutdown (immediate, then SIGKILL of our postmaster, if that fails), then remove
        the temp dir. Idempotent; safe after a failed start."""
        # Also after a failed start: pg_ctl may have given up waiting on a postmaster that runs.
        pidfile = os.path.join(self.datadir, "postmaster.pid") if self.datadir else None
        if self._started or (self.workdir is not None and pidfile and os.path.exists(pidfile)):
            self._started = False
            res = self._run_server_tool([os.path.join(self.bindir, "pg_ctl"), "stop", "-D", self.datadir,
                                         "-m", "fast", "-w", "-t", str(STOP_TIMEOUT)])
            if res.returncode != 0:
                res = self._run_server_tool([os.path.join(self.bindir, "pg_ctl"), "stop", "-D", self.datadir,
                                             "-m", "immediate", "-w", "-t", str(STOP_TIMEOUT)])
            if res.returncode != 0:
                self._kill_postmaster()
        self.remove_workdir()
        atexit.unregister(self.stop)

    def _kill_postmaster(self) -> None:
        try:
            with open(os.path.join(self.datadir, "postmaster.pid")) as f:
                pid = int(f.readline().strip())
            os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass

    def _run_server_tool(self, argv: list[str]) -> subprocess.CompletedProcess:
        """Run initdb/pg_ctl as the server's OS user (when we are root), in the temp dir."""
        kwargs = {}
        if self._run_as is not None:
            kwargs = dict(user=self._run_as.pw_uid, group=self._run_as.pw_gid, extra_groups=[])
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(LC_ALL="C", HOME=self.workdir or "/")
        return subprocess.run(argv, cwd=self.workdir, env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=START_TIMEOUT + 30, **kwargs)

    def is_running(self) -> bool:
        """pg_isready says the server accepts connections."""
        if self.port is None:
            return False
        res = subprocess.run([self.bin("pg_isready"), "-q", "-h", self.host, "-p", str(self.port), "-t", "5"],
                             stdin=subprocess.DEVNULL, capture_output=True)
        return res.returncode == 0

    # -- what a test hands to a client -----------------------------------------------------------
    def env(self, db: str | None = "postgres", *, user: str | None = None, password: str | None = None) -> dict:
        """libpq variables for `db` as `user` (default the superuser with its password)."""
        env = {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": user or self.superuser,
            "PGPASSWORD": password if password is not None else self._role_passwords.get(user or self.superuser, ""),
        }
        if db is not None:
            env["PGDATABASE"] = db
        return env

    def dsn(self, db: str = "postgres", *, user: str | None = None, password: str | None = None) -> str:
        """A libpq key=value conninfo. Holds a password only when `password` is passed: hand
        secrets to programs through env(), not a DSN on a command line."""
        parts = [f"host={self.host}", f"port={self.port}", f"user={_conninfo_value(user or self.superuser)}",
                 f"dbname={_conninfo_value(db)}"]
        if password is not None:
            parts.append(f"password={_conninfo_value(password)}")
        return " ".join(parts)

    def secrets(self) -> list[str]:
        """Values that must never show up in logs, argv, errors or manifests."""
        return list(dict.fromkeys(self._role_passwords.values()))

    def client_env(self, db: str | None = "postgres", *, user: str | None = None,
                   password: str | None = None) -> dict:
        """os.environ without PG*/psqlrc influences, plus env(db) and UTF-8 client encoding."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update(self.env(db, user=user, password=password))
        env.update(PGCLIENTENCODING="UTF8", PGCONNECT_TIMEOUT="10", PGAPPNAME="erp-tests")
        return env

    # -- psql ------------------------------------------------------------------------------------
    def psql(self, db: str, sql: str, *, user: str | None = None, password: str | None = None,
             tuples_only: bool = True, single_transaction: bool = False, args: tuple = (),
             stdin_data: bytes | None = None, timeout: float = 900) -> str:
        """Run `sql` in psql against `db`; return stdout (unaligned; without headers when tuples_only).

        ON_ERROR_STOP=1: the first error stops psql and raises PsqlError carrying its stderr. The SQL
        goes through stdin (no argv size limit); the password through PGPASSWORD.
        stdin_data: instead feed these bytes to psql's stdin and pass `sql` with -c (for COPY FROM STDIN).
        """
        cmd = [self.bin("psql"), "-X", "-q", "-w", "-v", "ON_ERROR_STOP=1", "-A"]
        if tuples_only:
            cmd.append("-t")
        if single_transaction:
            cmd.append("-1")
        cmd += list(args)
        if stdin_data is None:
            cmd += ["-f", "-"]
            data = sql.encode("utf-8")
        else:
            cmd += ["-c", sql]
            data = stdin_data
        res = subprocess.run(cmd, input=data, capture_output=True, env=self.client_env(db, user=user, password=password),
                             timeout=timeout)
        if res.returncode != 0:
            err = res.stderr.decode("utf-8", "replace")
            raise PsqlError(f"psql on {db!r} as {user or self.superuser} failed (exit {res.returncode}): "
                            f"{err.strip()[:4000]}", res.returncode, err)
        return res.stdout.decode("utf-8")

    def copy_in(self, db: str, copy_sql: str, chunks, *, user: str | None = None, timeout: float = 3600) -> None:
        """Run `copy_sql` (a `COPY ... FROM STDIN`) and stream the byte chunks of the iterable `chunks`
        into it, without holding them in memory. Raises PsqlError on failure."""
        cmd = [self.bin("psql"), "-X", "-q", "-w", "-v", "ON_ERROR_STOP=1", "-c", copy_sql]
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=err,
                                    env=self.client_env(db, user=user))
            broken = False
            try:
                for chunk in chunks:
                    proc.stdin.write(chunk)
            except BrokenPipeError:
                broken = True  # psql stopped early: its stderr says why
            finally:
                try:
                    proc.stdin.close()
                except BrokenPipeError:
                    broken = True
            rc = proc.wait(timeout)
            err.seek(0)
            text = err.read().decode("utf-8", "replace")
        if rc != 0 or broken:
            raise PsqlError(f"COPY into {db!r} failed (exit {rc}): {text.strip()[:4000]}", rc, text)

    def scalar(self, db: str, sql: str, **kw) -> str | None:
        """The single value `sql` returns (None for SQL NULL or no row)."""
        rows = self.query(db, f"select ({sql.strip().rstrip(';')}) as v", **kw)
        return None if not rows or rows[0]["v"] is None else _as_text(rows[0]["v"])

    def query(self, db: str, sql: str, **kw) -> list[dict]:
        """Rows of a single SELECT as dicts (through json_agg, so NULLs and unicode are exact).
        Values come back as JSON types: numbers as int/float, text as str, NULL as None."""
        wrapped = f"select coalesce(json_agg(q), '[]'::json) from ({sql.strip().rstrip(';')}) q"
        return json.loads(self.psql(db, wrapped, **kw))

    # -- objects ---------------------------------------------------------------------------------
    def create_database(self, name: str, *, owner: str | None = None, template: str = "template0") -> None:
        sql = f"create database {quote_ident(name)} template {quote_ident(template)} encoding 'UTF8'"
        if owner:
            sql += f" owner {quote_ident(owner)}"
        self.psql("postgres", sql)

    def drop_database(self, name: str) -> None:
        self.psql("postgres", f"drop database if exists {quote_ident(name)} with (force)")

    def create_role(self, name: str, password: str | None = None, *, superuser: bool = False,
                    login: bool = True, createdb: bool = False, extra: str = "") -> None:
        """CREATE ROLE; the password travels in the SQL on psql's stdin. `extra` is appended
        verbatim (e.g. "connection limit 5"). The password joins secrets() and becomes the default
        PGPASSWORD of env(user=name)."""
        opts = ["superuser" if superuser else "nosuperuser", "login" if login else "nologin",
                "createdb" if createdb else "nocreatedb"]
        if password is not None:
            opts.append(f"password {quote_literal(password)}")
            self._role_passwords[name] = password
        self.psql("postgres", f"create role {quote_ident(name)} {' '.join(opts)} {extra}")

    def server_version_num(self) -> int:
        return int(self.scalar("postgres", "select current_setting('server_version_num')"))

    # -- comparing databases ---------------------------------------------------------------------
    def table_fingerprints(self, db: str, *, exclude_schemas: tuple = ()) -> dict[str, tuple[int, str]]:
        """{table: (row_count, md5)} for every ordinary/partitioned table outside the system schemas.

        Tables in `public` are named bare (`llx_societe`), others schema-qualified (`pgbouncer.x`).
        The md5 covers every column of every row: md5 over the sorted md5s of each row's text form
        (`t::text`), so it ignores physical order and stays small for big tables (no 1 GB string).
        """
        skip = ("pg_catalog", "information_schema", "pg_toast", *exclude_schemas)
        tables = self.query(db, f"""
            select n.nspname as schema, c.relname as name
            from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where c.relkind in ('r', 'p') and n.nspname not like 'pg_temp%' and n.nspname not like 'pg_toast%'
              and n.nspname not in ({', '.join(quote_literal(s) for s in skip)})
            order by 1, 2""")
        if not tables:
            return {}
        parts = []
        for t in tables:
            label = t["name"] if t["schema"] == "public" else f"{t['schema']}.{t['name']}"
            rel = f"{quote_ident(t['schema'])}.{quote_ident(t['name'])}"
            parts.append(f"select {quote_literal(label)} as name, count(*) as n, "
                         f"md5(coalesce(string_agg(md5(r::text), '' order by md5(r::text)), '')) as h "
                         f"from {rel} r")
        # Two psql sessions at once (row hashing is CPU-bound; the test machines have 2 cores), each
        # running batches of up to 50 tables as one statement.
        batches = [parts[i:i + 50] for i in range(0, len(parts), 50)]
        result = {}
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            for rows in pool.map(lambda batch: self.query(db, " union all ".join(batch)), batches):
                for row in rows:
                    result[row["name"]] = (int(row["n"]), row["h"])
        return dict(sorted(result.items()))

    def object_counts(self, db: str) -> dict[str, int]:
        """Counts of user objects by kind (tables, llx_tables, views, matviews, sequences, indexes,
        functions, triggers, foreign_keys), for comparing a restore with its source."""
        return {k: int(v) for k, v in self.query(db, OBJECT_COUNTS_SQL)[0].items()}

    def sequence_values(self, db: str) -> dict[str, int | None]:
        """{schema.sequence: last_value} (None when never used)."""
        rows = self.query(db, "select schemaname || '.' || sequencename as s, last_value as v "
                              "from pg_sequences order by 1")
        return {r["s"]: r["v"] for r in rows}


OBJECT_COUNTS_SQL = """
with ns as (select oid from pg_namespace
            where nspname not in ('pg_catalog', 'information_schema') and nspname not like 'pg_toast%'
              and nspname not like 'pg_temp%')
select
  (select count(*) from pg_class where relnamespace in (select oid from ns) and relkind in ('r','p')) as tables,
  (select count(*) from pg_class where relnamespace in (select oid from ns) and relkind in ('r','p')
     and relname like 'llx\\_%') as llx_tables,
  (select count(*) from pg_class where relnamespace in (select oid from ns) and relkind = 'v') as views,
  (select count(*) from pg_class where relnamespace in (select oid from ns) and relkind = 'm') as matviews,
  (select count(*) from pg_class where relnamespace in (select oid from ns) and relkind = 'S') as sequences,
  (select count(*) from pg_class where relnamespace in (select oid from ns) and relkind = 'i') as indexes,
  (select count(*) from pg_proc where pronamespace in (select oid from ns)) as functions,
  (select count(*) from pg_trigger t join pg_class c on c.oid = t.tgrelid
     where not t.tgisinternal and c.relnamespace in (select oid from ns)) as triggers,
  (select count(*) from pg_constraint where contype = 'f' and connamespace in (select oid from ns)) as foreign_keys
"""


def _conninfo_value(v: str) -> str:
    if v and not re.search(r"[\s'\\]", v):
        return v
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _as_text(v) -> str:
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v) if isinstance(v, (dict, list)) else str(v)
