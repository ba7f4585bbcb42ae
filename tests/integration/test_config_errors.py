"""Issue 17, WP-D: settings are judged before anything starts, with the real binary.

ConfigErrorsOnMoto: typos and malformed values. Each refused run must exit 2 *before anything
started*: the S3 front recorded no request of the run, and pg_dump (PG_DUMP points at a wrapper that
leaves a mark when run) never ran. Against a real PostgreSQL (tiny ERP fixture, connected as its
superuser) and moto behind the signature-checking front, so that the old binary, which ignored these
settings, really went on: it dumped as a superuser with exit 0 despite BACKUP_REQUIRE_READONLY_ROLES,
and found PGPORT=abc and DOCUMENTS_DIR=/nonexistent only when a stream failed (exit 3).
A URL's userinfo must never be printed: run_erp fails on any secret in the output.

StallBound: an endpoint that accepts TCP connections and never answers (a listening socket of this
test that reads and never writes). Every command must give up, non-zero, within a bound computed
from its settings (S3_STALL_TIMEOUT, S3_MAX_ATTEMPTS, the push's fixed 3 attempts of 10 s), with a
generous margin; nothing faster is timed. The commands run side by side (they only wait), so the
class takes about as long as its slowest command, the Pushgateway push (~31 s).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import unittest

from docs_fixture import generate_documents_tree  # noqa: E402
from erp_cli import BINARY, SecretLeak, clean_env, run_erp  # noqa: E402
from integration_case import ERP_DB, IntegrationCase  # noqa: E402

ENV_NAME = "prod"
PREFIX = f"erp/{ENV_NAME}/"
PASSWORD_IN_URL = "erpTEST-url-password-Zq8Kx"


class ConfigErrorsOnMoto(IntegrationCase, unittest.TestCase):
    workdir_prefix = "erp-config-errors-test-"
    postgres = True
    erp_scale = "tiny"
    clear_prefix = PREFIX

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.docs = os.path.join(cls.workdir, "documents")
        generate_documents_tree(cls.docs, large_files=())
        # pg_dump behind a wrapper that marks every run: "no pg_dump started" is then a file that
        # does not exist, not an absence of log lines.
        cls.pg_dump_mark = os.path.join(cls.workdir, "pg_dump-ran")
        cls.pg_dump = os.path.join(cls.workdir, "pg_dump-marking")
        real = os.path.join(cls.pg.bindir, "pg_dump")
        with open(cls.pg_dump, "w", encoding="utf-8") as f:
            f.write(f'#!/bin/sh\necho "$@" >> "{cls.pg_dump_mark}"\nexec "{real}" "$@"\n')
        os.chmod(cls.pg_dump, 0o755)

    def setUp(self):
        super().setUp()
        if os.path.exists(self.pg_dump_mark):
            os.unlink(self.pg_dump_mark)

    # -- helpers ---------------------------------------------------------------------------------
    def env(self, **extra):
        settings = {**self.front.env(), **self.pg.env(ERP_DB), "BACKUP_ENV": ENV_NAME,
                    "DOCUMENTS_DIR": self.docs, "PRUNE_AFTER_BACKUP": "false", "PG_DUMP": self.pg_dump}
        settings.update(extra)
        return clean_env({k: v for k, v in settings.items() if v is not None})

    def erp(self, *args, secrets=(), **extra):
        return run_erp(list(args), self.env(**extra), self.secrets() + list(secrets), timeout=300)

    def last_request(self) -> int:
        records = self.front.requests()
        return max((r["seq"] for r in records), default=0)

    def assert_refused_before_anything_started(self, args: list[str], *expected: str, **extra):
        """Runs the tool; asserts exit 2, each `expected` text in its stderr, no request to the
        store, no pg_dump, nothing in the bucket. Returns the stderr."""
        before = self.last_request()
        result = self.erp(*args, **extra)
        stderr = result.stderr.decode()
        self.assertEqual(result.returncode, 2, f"{args}: {stderr}")
        for text in expected:
            self.assertIn(text, stderr)
        self.assertEqual(self.front.requests(since=before), [], f"{args} sent requests to the store")
        self.assertFalse(os.path.exists(self.pg_dump_mark), f"{args} started pg_dump")
        self.assertEqual(self.keys(), [])
        return stderr

    # -- item 11: typos ------------------------------------------------------------------------
    def test_a_misspelt_safety_setting_stops_the_backup_and_every_other_command(self):
        # One S too many: the old binary dumped as a superuser and exited 0.
        typo = {"BACKUP_REQUIRE_READONLY_ROLES": "true"}
        self.assert_refused_before_anything_started(
            ["backup"], "unknown variable BACKUP_REQUIRE_READONLY_ROLES (hint: did you mean "
                        "BACKUP_REQUIRE_READONLY_ROLE?", **typo)
        # A read-only command refuses it too: it is a safety setting.
        self.assert_refused_before_anything_started(["list"], "did you mean BACKUP_REQUIRE_READONLY_ROLE?",
                                                    **typo)
        self.assert_refused_before_anything_started(
            ["prune", "--dry-run"], "did you mean RETENTION_MIN_KEEP?", RETENTION_MIN_KEPP="10")

    def test_any_unknown_variable_stops_a_command_that_writes_and_is_a_warning_elsewhere(self):
        typo = {"S3_STALL_TIMOUT": "5s"}
        for args in (["backup"], ["rm", f"{PREFIX}x"], ["restore", "docs", "latest",
                                                         "--target-dir", os.path.join(self.workdir, "t")]):
            with self.subTest(args=args):
                self.assert_refused_before_anything_started(
                    args, "unknown variable S3_STALL_TIMOUT (hint: did you mean S3_STALL_TIMEOUT?", **typo)
        listed = self.erp("list", **typo)
        self.assertEqual(listed.returncode, 0, listed.stderr.decode())
        self.assertIn(b"warn", listed.stderr)
        self.assertIn(b"unknown variable S3_STALL_TIMOUT", listed.stderr)

    def test_a_setting_of_a_later_version_is_named_as_such(self):
        self.assert_refused_before_anything_started(
            ["backup"], "AGE_RECIPIENTS is a setting of a later erp-backup", AGE_RECIPIENTS="age1x")

    def test_object_lock_settings_are_checked_before_anything_starts(self):
        self.assert_refused_before_anything_started(
            ["backup"], "malformed OBJECT_LOCK_MODE 'Compliance' (hint: off, governance or compliance",
            OBJECT_LOCK_MODE="Compliance")
        self.assert_refused_before_anything_started(
            ["prune"], "malformed OBJECT_LOCK_MARGIN '30m'", OBJECT_LOCK_MODE="governance",
            OBJECT_LOCK_MARGIN="30m")

    def test_object_lock_on_a_bucket_without_it_is_refused_before_pg_dump(self):
        # The bucket pre-flight asks the store, so requests are sent; nothing is written.
        result = self.erp("backup", OBJECT_LOCK_MODE="governance")
        stderr = result.stderr.decode()
        self.assertEqual(result.returncode, 2, stderr)
        self.assertIn("OBJECT_LOCK_MODE=GOVERNANCE", stderr)
        self.assertIn("does not have Object Lock enabled", stderr)
        self.assertIn("--object-lock-enabled-for-bucket", stderr)
        self.assertFalse(os.path.exists(self.pg_dump_mark))
        self.assertEqual(self.keys(), [])

    # -- malformed values: exit 2 before anything starts -----------------------------------------
    def test_malformed_source_database_settings_stop_the_backup_before_pg_dump(self):
        # The old binary found these in the db stream, after the docs were uploaded: exit 3.
        self.assert_refused_before_anything_started(
            ["backup"], "malformed PGPORT 'abc' (hint: a port number from 1 to 65535", PGPORT="abc")
        self.assert_refused_before_anything_started(
            ["backup"], "malformed PGSSLMODE 'verify_full'", PGSSLMODE="verify_full")

    def test_a_missing_documents_dir_stops_a_backup_that_archives_it(self):
        missing = os.path.join(self.workdir, "no-such-documents")
        self.assert_refused_before_anything_started(
            ["backup"], f"DOCUMENTS_DIR '{missing}': No such file or directory", "backup --only db",
            DOCUMENTS_DIR=missing)
        # Decided: a database-only backup does not archive it, so it does not check it.
        only_db = self.erp("backup", "--only", "db", DOCUMENTS_DIR=missing)
        self.assertEqual(only_db.returncode, 0, only_db.stderr.decode())
        self.assertTrue(os.path.exists(self.pg_dump_mark))

    def test_malformed_s3_settings_are_found_before_any_request(self):
        cases = [
            (["backup"], {"AWS_REGION": "eu west"}, "malformed AWS_REGION 'eu west'"),
            (["list"], {"AWS_REGION": "eu west"}, "malformed AWS_REGION 'eu west'"),
            (["backup"], {"S3_BUCKET": f"s3://{self.front.bucket}"}, "the bucket's name alone"),
            (["ls"], {"AWS_ENDPOINT_URL_S3": "http://127.0.0.1:port"}, "the port must be a number"),
            # A session token that cannot be valid gets a hint instead of an InvalidToken later.
            (["backup"], {"AWS_SESSION_TOKEN": "None"}, "AWS_SESSION_TOKEN is 'None', a placeholder"),
            (["status"], {"AWS_SESSION_TOKEN": self.front.session_token + "\r"},
             "AWS_SESSION_TOKEN holds a space, a line break or another character"),
        ]
        for args, extra, expected in cases:
            with self.subTest(args=args, extra=list(extra)):
                self.assert_refused_before_anything_started(args, expected, **extra)

    def test_a_session_token_the_store_refuses_stops_the_backup_with_a_hint_before_pg_dump(self):
        # Well-formed, so only the store can tell: the bucket pre-flight's refusal names the setting.
        wrong = "FwoGZXIvYXdzEBYaDKtruncatedZq8Kx"
        with self.front.expect_rejections("InvalidToken"):
            result = self.erp("backup", secrets=[wrong], AWS_SESSION_TOKEN=wrong)
        stderr = result.stderr.decode()
        self.assertEqual(result.returncode, 2, stderr)
        self.assertIn("InvalidToken", stderr)
        self.assertIn("(hint: the session token was refused: with static keys check AWS_SESSION_TOKEN", stderr)
        self.assertFalse(os.path.exists(self.pg_dump_mark), "pg_dump started")
        self.assertEqual(self.keys(), [])

    def test_a_malformed_restore_target_port_stops_the_restore_before_it_reads_the_bucket(self):
        database, role, password = self.restore_target()
        target = {"RESTORE_PGHOST": self.pg.host, "RESTORE_PGPORT": "abc", "RESTORE_PGDATABASE": database,
                  "RESTORE_PGUSER": role, "RESTORE_PGPASSWORD": password}
        self.assert_refused_before_anything_started(
            ["restore", "db", "latest"], "malformed RESTORE_PGPORT 'abc'", **target)

    def test_a_metrics_textfile_in_a_missing_directory_stops_the_backup_before_it_starts(self):
        missing = os.path.join(self.workdir, "no-such-textfile-dir", "erp.prom")
        self.assert_refused_before_anything_started(
            ["backup"], f"METRICS_TEXTFILE '{missing}': its directory", METRICS_TEXTFILE=missing)

    # -- a URL's userinfo is never printed -------------------------------------------------------
    def test_no_url_setting_is_ever_echoed_with_its_userinfo(self):
        for name in ("PUSHGATEWAY_URL", "AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL"):
            url = f"http://backup:{PASSWORD_IN_URL}@127.0.0.1:9091"
            with self.subTest(setting=name):
                before = self.last_request()
                extra = {name: url, "AWS_ENDPOINT_URL_S3": None} if name == "AWS_ENDPOINT_URL" else {name: url}
                try:
                    result = self.erp("backup", secrets=[PASSWORD_IN_URL], **extra)
                except SecretLeak:
                    self.fail(f"the refusal of {name} printed the URL's password")
                self.assertEqual(result.returncode, 2, result.stderr.decode())
                self.assertIn(f"malformed {name} 'http://<redacted>@127.0.0.1:9091'".encode(), result.stderr)
                self.assertEqual(self.front.requests(since=before), [])
        container = f"http://pod:{PASSWORD_IN_URL}@127.0.0.1:9/creds"
        try:
            result = self.erp("list", secrets=[PASSWORD_IN_URL], AWS_ACCESS_KEY_ID=None,
                              AWS_SECRET_ACCESS_KEY=None, AWS_SESSION_TOKEN=None,
                              AWS_CONTAINER_CREDENTIALS_FULL_URI=container)
        except SecretLeak:
            self.fail("the refusal of AWS_CONTAINER_CREDENTIALS_FULL_URI printed the URL's password")
        self.assertEqual(result.returncode, 2, result.stderr.decode())
        self.assertIn(b"malformed AWS_CONTAINER_CREDENTIALS_FULL_URI", result.stderr)


class SilentEndpoint:
    """A TCP listener on 127.0.0.1 that accepts every connection, reads what comes, and never
    writes a byte: a load balancer whose backend hangs, or a brown-out."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}"

    def _accept(self):
        while not self.closed.is_set():
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(connection)
            threading.Thread(target=self._drain, args=(connection,), daemon=True).start()

    @staticmethod
    def _drain(connection: socket.socket):
        try:
            while connection.recv(65536):
                pass
        except OSError:
            pass

    def close(self):
        self.closed.set()
        self.sock.close()
        for connection in self.connections:
            connection.close()


STALL_S = 1
ATTEMPTS = 2


def request_bound(stall_s: float, attempts: int) -> float:
    """How long one request may take against a silent endpoint (src/http/curl_transport.h and
    retry.h): each attempt ends within stall + ~1 s (libcurl's progress calls), and the backoff
    before attempt n+1 is at most 0.25 s * 2^(n-1) (capped at 20 s)."""
    backoff = sum(min(20.0, 0.25 * 2 ** (n - 1)) for n in range(1, attempts))
    return attempts * (stall_s + 1) + backoff


class StallBound(IntegrationCase, unittest.TestCase):
    workdir_prefix = "erp-stall-test-"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.silent = SilentEndpoint()
        cls.addClassCleanup(cls.silent.close)
        cls.docs = os.path.join(cls.workdir, "documents")
        os.makedirs(cls.docs)
        cls.token_file = os.path.join(cls.workdir, "web-identity-token")
        with open(cls.token_file, "w", encoding="utf-8") as f:
            f.write("a-projected-service-account-token")

    def env(self, **extra):
        settings = {
            "S3_BUCKET": "erp-backups", "AWS_ACCESS_KEY_ID": "AKIDSTALL", "AWS_SECRET_ACCESS_KEY": "stall-secret",
            "AWS_ENDPOINT_URL_S3": self.silent.url(), "AWS_REGION": "us-east-1", "BACKUP_ENV": ENV_NAME,
            "S3_STALL_TIMEOUT": f"{STALL_S}s", "S3_MAX_ATTEMPTS": str(ATTEMPTS),
            "DOCUMENTS_DIR": self.docs, "PRUNE_AFTER_BACKUP": "false",
            "PGHOST": "127.0.0.1", "PGPORT": "1", "PGDATABASE": "never-reached",
            "RESTORE_PGHOST": "127.0.0.1", "RESTORE_PGPORT": "1", "RESTORE_PGDATABASE": "never-reached",
            "RESTORE_PGUSER": "nobody", "RESTORE_DOCUMENTS_DIR": os.path.join(self.workdir, "restored"),
        }
        settings.update(extra)
        return clean_env({k: v for k, v in settings.items() if v is not None})

    def test_every_command_gives_up_on_a_silent_endpoint_within_its_bound(self):
        one_request = request_bound(STALL_S, ATTEMPTS)
        margin = 8.0  # process start, a loaded 2-core machine
        without_keys = {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None}
        runs = {
            # name: (args, extra env, stdin, bound in seconds)
            "put": (["put", "k"], {}, b"data", one_request),
            "cat": (["cat", "k"], {}, None, one_request),
            "ls": (["ls"], {}, None, one_request),
            "rm": (["rm", "k"], {}, None, one_request),
            "backup": (["backup"], {}, None, one_request),
            "list": (["list"], {}, None, one_request),
            "prune": (["prune"], {}, None, one_request),
            "status": (["status"], {}, None, one_request),
            "verify": (["verify", "latest"], {}, None, one_request),
            "restore db": (["restore", "db", "latest"], {}, None, one_request),
            "restore docs": (["restore", "docs", "latest"], {}, None, one_request),
            "refresh-sandbox": (["refresh-sandbox", "--from-env", ENV_NAME], {}, None, one_request),
            # A TLS handshake that never completes: the connect timeout (10 s) is capped by the stall.
            "ls over https": (["ls"], {"AWS_ENDPOINT_URL_S3": self.silent.url("https")}, None, one_request),
            # The credential providers' own endpoints, before any S3 request.
            "web identity": (["ls"], {**without_keys, "AWS_ROLE_ARN": "arn:aws:iam::123456789012:role/erp",
                                      "AWS_WEB_IDENTITY_TOKEN_FILE": self.token_file,
                                      "AWS_ENDPOINT_URL_STS": self.silent.url()}, None, one_request),
            "container credentials": (["ls"], {**without_keys, "AWS_CONTAINER_CREDENTIALS_FULL_URI":
                                               self.silent.url() + "/v1/credentials"}, None, one_request),
            # With metrics on, a failed run also tries to read last-success.json: two requests' bound.
            "backup with metrics": (["backup"], {"METRICS_TEXTFILE": os.path.join(self.workdir, "erp.prom")},
                                    None, 2 * one_request),
            # The store answers; the Pushgateway does not: 3 attempts of at most 10 s (metrics/push.h),
            # backoff at most 0.25 s + 0.5 s.
            "pushgateway": (["ls"], {**self.front.env(), "PUSHGATEWAY_URL": self.silent.url(),
                                     "PUSHGATEWAY_INSTANCE": ENV_NAME}, None, 3 * 10 + 0.75),
        }
        processes = {}
        for number, (name, (args, extra, stdin, bound)) in enumerate(runs.items()):
            log = open(os.path.join(self.workdir, f"run-{number}.log"), "w+b")
            self.addCleanup(log.close)
            process = subprocess.Popen([BINARY, *args], env=self.env(**extra), stdin=subprocess.PIPE,
                                       stdout=subprocess.DEVNULL, stderr=log)
            # `put` reads its stdin to the end; the others never look at it.
            process.stdin.write(stdin or b"")
            process.stdin.close()
            processes[name] = (process, time.monotonic(), bound, log)

        took_by_command = {}
        for name, (process, started, bound, log) in processes.items():
            with self.subTest(command=name):
                deadline = started + bound + margin
                while process.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.05)  # polling the process's own exit, with a deadline
                took = time.monotonic() - started
                still_running = process.poll() is None
                if still_running:
                    process.kill()
                    process.wait()
                log.seek(0)
                stderr = log.read().decode(errors="replace")
                self.assertFalse(still_running, f"{name}: still running after {took:.1f} s "
                                                f"(bound {bound:.1f} s + {margin} s margin)\n{stderr}")
                took_by_command[name] = took
                self.assertNotEqual(process.returncode, 0, f"{name}:\n{stderr}")
                # It gave up on the silent endpoint, not on something else first.
                self.assertTrue("stalled: no byte moved" in stderr or "Timeout was reached" in stderr,
                                f"{name} did not fail on the stalled endpoint:\n{stderr}")
        print(f"\none request's bound {one_request:.2f} s; "
              + ", ".join(f"{name} {took:.1f} s" for name, took in took_by_command.items()), file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
