"""Issue 12: backup, verify and restore through a real pgbouncer in front of the test PostgreSQL.

pgbouncer 1.18 (Debian's) in session pooling, clients authenticated against a userlist holding the
roles' SCRAM verifiers, answers `FATAL: unsupported startup parameter: options` to any client that
sets PGOPTIONS. The backup's pre-flight tries the read-only belt (`options=-c
default_transaction_read_only=on`), meets that refusal, and starts pg_dump once without it: the
dump still runs in pg_dump's own READ ONLY transaction, and the log says so. A pooler told to
ignore the parameter accepts it and drops it; the pre-flight sees the setting off and says that.
Transaction pooling shares server sessions between clients, which pg_dump's session-level settings
cannot survive; the pre-flight proves the sharing and refuses before anything starts.

Real parts only: PostgreSQL (PostgresServer), pgbouncer (PgBouncerServer), moto behind the
signature-verifying front (S3Front), the erp-backup binary.
"""

from __future__ import annotations

import json
import re
import unittest

from erp_cli import clean_env, run_erp  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402
from pgbouncer_server import PgBouncerServer  # noqa: E402

ENV_NAME = "prod"
PREFIX = f"erp/{ENV_NAME}/"
TARGET_USER = "sandbox_pgbouncer"
TARGET_PASSWORD = "erpTEST-target-pgbouncer-Zq8"


class ThroughPgBouncer(IntegrationCase, unittest.TestCase):
    workdir_prefix = "erp-pgbouncer-test-"
    postgres = True
    erp_scale = "tiny"
    clear_prefix = PREFIX

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source_fingerprints = cls.pg.table_fingerprints("dolibarr")
        # The restore target's role exists before the pooler starts: its userlist holds it.
        cls.pg.create_role(TARGET_USER, TARGET_PASSWORD)
        cls.bouncer = cls.start_class_server(PgBouncerServer(cls.pg, users=[cls.pg.superuser, TARGET_USER]))

    # -- helpers (after test_backup.py's) --------------------------------------------------------
    def env(self, source: dict, **extra):
        settings = {**self.front.env(), **source, "BACKUP_ENV": ENV_NAME,
                    "DOCUMENTS_DIR": self.workdir, "S3_PART_SIZE": "5MiB", "S3_STALL_TIMEOUT": "3s",
                    "S3_MAX_ATTEMPTS": "3", "PRUNE_AFTER_BACKUP": "false"}
        settings.update(extra)
        return clean_env({k: v for k, v in settings.items() if v is not None})

    def backup(self, source: dict, **extra):
        return run_erp(["backup", "--only", "db"], self.env(source, **extra), self.secrets(),
                       timeout=600)

    def verify(self, source: dict):
        return run_erp(["verify", "latest"], self.env(source), self.secrets(), timeout=600)

    def restore_db(self, host: str, port: int, db: str):
        env = self.env({}, RESTORE_PGHOST=host, RESTORE_PGPORT=str(port), RESTORE_PGDATABASE=db,
                       RESTORE_PGUSER=TARGET_USER, RESTORE_PGPASSWORD=TARGET_PASSWORD,
                       RESTORE_EXCLUDE="FUNCTION pgbouncer user_lookup")
        return run_erp(["restore", "db", "latest"], env, self.secrets(), timeout=600)

    def manifest(self):
        manifests = [k for k in self.keys() if "/manifests/" in k]
        self.assertEqual(len(manifests), 1, manifests)
        return json.loads(self.client().get_object(Bucket=self.front.bucket,
                                                   Key=manifests[0])["Body"].read())

    def assert_nothing_uploaded(self):
        self.assertEqual(self.keys(), [])
        listing = self.client().list_multipart_uploads(Bucket=self.front.bucket, Prefix=PREFIX)
        self.assertEqual(listing.get("Uploads", []), [], "an upload was left open")

    def fresh_target(self, name: str) -> str:
        self.pg.create_database(name, owner=TARGET_USER)
        self.addCleanup(self.pg.drop_database, name)
        return name

    def logins(self, bouncer: PgBouncerServer, db: str) -> int:
        """Client logins pgbouncer accepted for `db` (log_connections)."""
        return len(re.findall(rf"login attempt: db={re.escape(db)} user=\S+", bouncer.log_text()))

    # -- the whole path through the pooler -------------------------------------------------------
    def test_backup_verify_and_restore_through_session_pooling(self):
        source = self.bouncer.env("dolibarr")
        logins_before = self.logins(self.bouncer, "dolibarr")
        result = self.backup(source)
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 0, stderr[-4000:])
        # The belt was refused by the pooler, pg_dump ran once without it, and the log says on
        # what read-only rested.
        self.assertIn("belt=refused session_default=off", stderr)
        self.assertIn('refusal="unsupported startup parameter: options"', stderr)
        self.assertIn("read-only rests on pg_dump's READ ONLY transaction", stderr)
        self.assertNotIn("belt=in_effect", stderr)
        self.assertIn("db stream committed", stderr)
        # Through the pooler: the pre-flight's second attempt, its sharing probe's second
        # connection and pg_dump logged in to pgbouncer (the refused attempt never gets as far
        # as a login).
        self.assertGreaterEqual(self.logins(self.bouncer, "dolibarr") - logins_before, 3)
        self.assertNotIn("could not tell whether the source's server session", stderr)
        manifest = self.manifest()
        self.assertEqual(manifest["status"], "complete")
        self.assertEqual(manifest["database"]["database"], "dolibarr")

        checked = self.verify(source)
        self.assertEqual(checked.returncode, 0, checked.stderr.decode(errors="replace")[-4000:])

        # Restored through the pooler as well, into a database owned by a role that is not a
        # superuser, without pgbouncer's own auth function.
        target = self.fresh_target("restored_via_pgbouncer")
        restored = self.restore_db(self.bouncer.host, self.bouncer.port, target)
        restore_log = restored.stderr.decode(errors="replace")
        self.assertEqual(restored.returncode, 0, restore_log[-4000:])
        self.assertIn("excluded", restore_log)
        self.assertGreaterEqual(self.logins(self.bouncer, target), 1)
        self.assertEqual(self.pg.table_fingerprints(target), self.source_fingerprints)
        self.assertIsNone(self.pg.scalar(target, "select to_regprocedure('pgbouncer.user_lookup(text)')"))
        self.assertIsNotNone(self.pg.scalar("dolibarr", "select to_regprocedure('pgbouncer.user_lookup(text)')"))

    def test_without_a_pooler_the_belt_is_in_effect_and_the_log_says_so(self):
        result = self.backup(self.pg.env("dolibarr"))
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 0, stderr[-4000:])
        self.assertIn("belt=in_effect session_default=on", stderr)
        self.assertIn("read-only enforced by default_transaction_read_only=on for the session and "
                      "pg_dump's READ ONLY transaction", stderr)

    def test_a_pooler_that_drops_the_options_parameter_is_reported(self):
        with PgBouncerServer(self.pg, ignore_startup_parameters="options") as dropping:
            result = self.backup(dropping.env("dolibarr"))
            stderr = result.stderr.decode(errors="replace")
            self.assertEqual(result.returncode, 0, stderr[-4000:])
            self.assertIn("belt=not_in_effect session_default=off", stderr)
            self.assertIn("(a pooler dropped it)", stderr)
            self.assertEqual(self.manifest()["status"], "complete")

    def test_a_role_level_read_only_default_reaches_through_the_pooler_and_is_logged(self):
        # What docs/postgresql.md recommends through a pooler: the server applies the role's own
        # setting, so pg_dump's session defaults to read-only although options was refused.
        self.pg.psql("postgres", f"alter role {self.pg.superuser} in database dolibarr "
                                 "set default_transaction_read_only = on")
        self.addCleanup(self.pg.psql, "postgres", f"alter role {self.pg.superuser} in database "
                                                  "dolibarr reset default_transaction_read_only")
        # A pooler of its own: server sessions opened before the ALTER keep the old default.
        with PgBouncerServer(self.pg) as bouncer:
            result = self.backup(bouncer.env("dolibarr"))
            stderr = result.stderr.decode(errors="replace")
            self.assertEqual(result.returncode, 0, stderr[-4000:])
            self.assertIn("belt=refused session_default=on", stderr)
            self.assertIn("and the role's or database's own default_transaction_read_only=on",
                          stderr)

    def test_transaction_pooling_is_refused_before_pg_dump_starts(self):
        # Alone, pg_dump through transaction pooling happens to work (its settings and its
        # transaction land on the one idle server session); with other clients they need not.
        # The pre-flight proves the sharing instead of hoping, and refuses: exit 2, nothing
        # uploaded, no pg_dump started.
        with PgBouncerServer(self.pg, pool_mode="transaction") as pooled:
            result = self.backup(pooled.env("dolibarr"), PG_DUMP="/nonexistent/pg_dump-never-run")
            stderr = result.stderr.decode(errors="replace")
            self.assertEqual(result.returncode, 2, stderr[-4000:])
            self.assertIn("is shared with other clients", stderr)
            self.assertIn("transaction or statement pooling", stderr)
            self.assertIn("pool_mode=session", stderr)
            self.assertNotIn("/nonexistent/pg_dump-never-run", stderr)
            self.assert_nothing_uploaded()

    def test_a_refused_options_parameter_of_the_operator_fails_naming_pgoptions(self):
        # The operator's own PGOPTIONS is refused just the same: after the one retry without the
        # belt, the db stream fails with the reason and a hint, and nothing is uploaded.
        result = self.backup(self.bouncer.env("dolibarr"), PGOPTIONS="-c statement_timeout=0")
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 1, stderr[-4000:])
        self.assertIn("unsupported startup parameter: options", stderr)
        self.assertIn("unset PGOPTIONS", stderr)
        self.assert_nothing_uploaded()


if __name__ == "__main__":
    unittest.main()
