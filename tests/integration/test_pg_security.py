"""Issue 12: the database side of a real deployment, against a real PostgreSQL that accepts TCP
connections over TLS only (`hostssl` lines, a server certificate for 127.0.0.1 from a CA made for
this run with the openssl CLI), and moto behind the signature-verifying front.

- `backup`, `verify` and `restore db` over `PGSSLMODE=verify-full` (the restore target over TLS
  too) reproduce the tables; a wrong `PGSSLROOTCERT` (for the pre-flight, or only for pg_dump),
  a client key others may read, or no client certificate where the server wants one, fail naming
  the variable, and nothing is uploaded.
- `BACKUP_REQUIRE_READONLY_ROLE=true` refuses a superuser and the role owning the tables (exit 2,
  a recording PG_DUMP shows no dump started, nothing uploaded, the documents not even read); a
  `pg_read_all_data` role passes and its backup restores equal.
- A password rejected at connect, or one that expires between the pre-flight and pg_dump's own
  connection, is reported naming the role, never printing the password; the next run reads the
  rotated PGPASSWORD_FILE.
"""

from __future__ import annotations

import os
import shutil
import stat
import time
import unittest

from erp_cli import clean_env, run_erp  # noqa: E402
from erp_fixture import generate_erp_database  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402
from throwaway_ca import ThrowawayCA  # noqa: E402

ENV_NAME = "prod"
PREFIX = f"erp/{ENV_NAME}/"
OWNER = "erp_app"         # owns the database and every llx_ table (the application's role)
DUMPER = "erp_dump"       # pg_read_all_data, plus SELECT on the large object
CERT_ROLE = "erp_cert"    # logs in with a client certificate (`cert` auth), reads like DUMPER
ROTATING = "erp_rotating"  # its password expires mid-run
ROTATING_PASSWORD = "erpTEST-rotating-pw-1Vb"
NO_LO_GRANT = "erp_nolo"  # pg_read_all_data without the large-object grants
GRANTED = "erp_granted"   # explicit grants instead of pg_read_all_data (docs/postgresql.md's SQL for < 14)

# docs/postgresql.md's large-object grants for a dump role.
LARGE_OBJECT_GRANTS_SQL = """
DO $$ DECLARE o oid; BEGIN
  FOR o IN SELECT oid FROM pg_largeobject_metadata LOOP
    EXECUTE format('GRANT SELECT ON LARGE OBJECT %s TO erp_dump', o);
  END LOOP; END $$;
"""

# docs/postgresql.md's explicit-grant dump role, as an operator would run it in the ERP database.
EXPLICIT_GRANTS_SQL = f"""
grant connect on database dolibarr to {GRANTED};
grant usage on schema public, pgbouncer to {GRANTED};
grant select on all tables in schema public, pgbouncer to {GRANTED};
grant select on all sequences in schema public, pgbouncer to {GRANTED};
alter default privileges for role {OWNER} in schema public grant select on tables to {GRANTED};
alter default privileges for role {OWNER} in schema public grant select on sequences to {GRANTED};
"""


class PgSecurityOnMoto(IntegrationCase, unittest.TestCase):
    workdir_prefix = "erp-pgsec-test-"
    postgres = True
    postgres_options = {"tls": True, "cert_auth_roles": (CERT_ROLE,)}
    clear_prefix = PREFIX
    # The ERP database is built here, not by the base: its owner role must exist first.

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        pg = cls.pg
        pg.create_role(OWNER, "erpTEST-owner-pw-5Kd")
        pg.create_database("dolibarr", owner=OWNER)
        generate_erp_database(pg, "dolibarr", scale="tiny", owner=OWNER)
        # An attachment stored as a large object, owned by the superuser as in most installs.
        cls.lo_oid = pg.scalar("dolibarr",
                               "select lo_from_bytea(0, convert_to(repeat('facture PDF ', 2000), 'UTF8'))")
        for role, password in ((DUMPER, "erpTEST-dump-pw-8Hq"), (CERT_ROLE, None),
                               (ROTATING, ROTATING_PASSWORD), (NO_LO_GRANT, "erpTEST-nolo-pw-6Tr")):
            pg.create_role(role, password)
            pg.psql("postgres", f"grant pg_read_all_data to {role}")
        # pg_read_all_data covers tables, views and sequences, not large objects (docs/postgresql.md): without
        # this grant pg_dump fails with "permission denied for large object". The owner of the
        # tables is no exception.
        pg.create_role(GRANTED, "erpTEST-granted-pw-3Lm")
        pg.psql("dolibarr", EXPLICIT_GRANTS_SQL)
        for role in (DUMPER, CERT_ROLE, ROTATING, OWNER, GRANTED):
            pg.psql("dolibarr", LARGE_OBJECT_GRANTS_SQL.replace("erp_dump", role))
        cls.source_fingerprints = pg.table_fingerprints("dolibarr")
        cls.docs = os.path.join(cls.workdir, "documents")
        os.makedirs(os.path.join(cls.docs, "mycompany"))
        with open(os.path.join(cls.docs, "mycompany", "logo.png"), "wb") as f:
            f.write(b"\x89PNG not really" * 100)
        cls.other_ca = ThrowawayCA(os.path.join(cls.workdir, "other-ca"), "not-the-server-ca")
        cls.client_cert, cls.client_key = pg.ca.issue_client("client-erp_cert", CERT_ROLE)

    # -- helpers ---------------------------------------------------------------------------------
    def tls(self, prefix: str = "", root: str | None = None) -> dict:
        return {f"{prefix}PGSSLMODE": "verify-full", f"{prefix}PGSSLROOTCERT": root or self.pg.ca_cert}

    def env(self, user: str | None = None, **extra):
        settings = {**self.front.env(), **self.pg.env("dolibarr", user=user), **self.tls(),
                    "BACKUP_ENV": ENV_NAME, "DOCUMENTS_DIR": self.docs, "PRUNE_AFTER_BACKUP": "false"}
        settings.update(extra)
        return clean_env({k: v for k, v in settings.items() if v is not None})

    def backup(self, *args, user: str | None = None, **extra):
        return run_erp(["backup", *args], self.env(user, **extra), self.secrets(), timeout=600)

    def verify(self):
        return run_erp(["verify", "latest"], self.env(), self.secrets(), timeout=600)

    def restore_db(self, **extra):
        """`restore db latest` into a fresh database owned by a fresh non-superuser, over TLS.
        Returns (result, database)."""
        _, user, password = self.restore_target("sandbox_tls")
        env = self.env()
        for name in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSSLMODE", "PGSSLROOTCERT"):
            env.pop(name)  # a restore reads RESTORE_PG* only
        env.update({"RESTORE_PGHOST": self.pg.host, "RESTORE_PGPORT": str(self.pg.port),
                    "RESTORE_PGDATABASE": user, "RESTORE_PGUSER": user, "RESTORE_PGPASSWORD": password,
                    "RESTORE_EXCLUDE": "FUNCTION pgbouncer user_lookup", **self.tls("RESTORE_")})
        env.update({k: v for k, v in extra.items() if v is not None})
        return run_erp(["restore", "db", "latest"], env, self.secrets(), timeout=600), user

    def assert_nothing_uploaded(self):
        self.assertEqual(self.keys(), [], "nothing may be uploaded")
        listing = self.client().list_multipart_uploads(Bucket=self.front.bucket, Prefix=PREFIX)
        self.assertEqual(listing.get("Uploads", []), [], "an upload was left open")

    def recording_pg_dump(self, before: str = "") -> tuple[str, str]:
        """A PG_DUMP that records every call other than --version, runs `before`, then the real
        pg_dump (as tests/integration/test_backup.py's)."""
        log = os.path.join(self.workdir, f"pg-dump-calls-{time.monotonic_ns()}")
        path = os.path.join(self.workdir, f"fake-pg-dump-{time.monotonic_ns()}")
        real = self.pg.bin("pg_dump")
        with open(path, "w") as f:
            f.write(f'#!/bin/sh\nif [ "$1" = "--version" ]; then exec {real} --version; fi\n'
                    f'echo "$@" >> "{log}"\n{before}\nexec {real} "$@"\n')
        os.chmod(path, 0o755)
        return path, log

    def assert_ok(self, result):
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace")[-4000:])

    # -- verified TLS ------------------------------------------------------------------------------
    def test_the_server_refuses_connections_without_tls(self):
        # What makes every other test here a TLS test: no TCP connection without TLS is accepted.
        result = self.backup("--only", "db", PGSSLMODE="disable", PGSSLROOTCERT=None)
        # The db stream fails, and it is the only one: 1 (docs/postgresql.md, the TLS failure table).
        self.assertEqual(result.returncode, 1, result.stderr.decode(errors="replace")[-4000:])
        self.assertIn(b"no encryption", result.stderr)
        self.assertIn(b"PGSSLMODE=verify-full", result.stderr)  # the hint
        self.assert_nothing_uploaded()

    def test_backup_verify_and_restore_over_verify_full_reproduce_the_tables(self):
        result = self.backup(user=DUMPER, BACKUP_REQUIRE_READONLY_ROLE="true")
        self.assert_ok(result)
        self.assertIn(b"source role cannot write", result.stderr)
        self.assert_ok(self.verify())
        restored, db = self.restore_db()
        self.assert_ok(restored)
        self.assertEqual(self.pg.table_fingerprints(db), self.source_fingerprints)
        self.assertEqual(self.pg.scalar(db, "select count(*) from pg_largeobject_metadata"), "1")
        self.assertEqual(self.pg.scalar(db, f"select md5(lo_get({self.lo_oid}))"),
                         self.pg.scalar("dolibarr", f"select md5(lo_get({self.lo_oid}))"))
        # The restore target's CA is checked too: another CA is refused, naming its variable.
        refused, db = self.restore_db(RESTORE_PGSSLROOTCERT=self.other_ca.cert)
        self.assertEqual(refused.returncode, 1, refused.stderr.decode(errors="replace"))
        self.assertIn(b"certificate verify failed", refused.stderr)
        self.assertIn(b"RESTORE_PGSSLROOTCERT", refused.stderr)
        self.assertEqual(self.pg.table_fingerprints(db), {})

    def test_a_wrong_root_certificate_is_named_and_nothing_is_uploaded(self):
        fake, log = self.recording_pg_dump()
        result = self.backup("--only", "db", PGSSLROOTCERT=self.other_ca.cert, PG_DUMP=fake)
        self.assertEqual(result.returncode, 1, result.stderr.decode(errors="replace"))
        self.assertIn(b"certificate verify failed", result.stderr)
        self.assertIn(b"PGSSLROOTCERT", result.stderr)
        self.assertFalse(os.path.exists(log), "pg_dump was started although the pre-flight failed")
        self.assert_nothing_uploaded()

    def test_a_full_run_with_a_wrong_ca_still_backs_up_the_documents(self):
        # docs/postgresql.md's decision: a server certificate that does not verify fails the db stream
        # like an unreachable database (it may be the server that changed); the documents still
        # go, the set is partial (exit 3), and no dump object exists.
        result = self.backup(PGSSLROOTCERT=self.other_ca.cert)
        self.assertEqual(result.returncode, 3, result.stderr.decode(errors="replace"))
        self.assertIn(b"PGSSLROOTCERT", result.stderr)
        keys = self.keys()
        self.assertFalse([k for k in keys if "/db/" in k], keys)
        self.assertEqual(len([k for k in keys if "/docs/" in k]), 1, keys)

    def test_a_missing_root_certificate_file_is_a_configuration_error_before_anything_runs(self):
        fake, log = self.recording_pg_dump()
        result = self.backup(PGSSLROOTCERT=os.path.join(self.workdir, "no-such-ca.crt"), PG_DUMP=fake)
        self.assertEqual(result.returncode, 2, result.stderr.decode(errors="replace"))
        self.assertIn(b"no-such-ca.crt", result.stderr)
        self.assertIn(b"PGSSLROOTCERT", result.stderr)
        self.assertFalse(os.path.exists(log))
        self.assertNotIn(b"docs stream", result.stderr)  # the documents were not read either
        self.assert_nothing_uploaded()

    def test_pg_dump_failing_on_the_certificate_names_pgsslrootcert_and_uploads_nothing(self):
        # The pre-flight passes; only pg_dump's own connection sees the wrong CA.
        fake, log = self.recording_pg_dump(f'export PGSSLROOTCERT="{self.other_ca.cert}"')
        result = self.backup("--only", "db", PG_DUMP=fake)
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 1, stderr)
        self.assertTrue(os.path.exists(log), "the dump was started")
        self.assertIn("pg_dump exited with status 1", stderr)
        self.assertIn("certificate verify failed", stderr)
        self.assertIn("PGSSLROOTCERT", stderr)
        self.assert_nothing_uploaded()

    def test_a_client_certificate_logs_in_and_its_key_must_be_private(self):
        cert = {"PGSSLCERT": self.client_cert, "PGSSLKEY": self.client_key, "PGPASSWORD": None}
        self.assertEqual(stat.S_IMODE(os.stat(self.client_key).st_mode), 0o600)
        result = self.backup("--only", "db", user=CERT_ROLE, **cert)
        self.assert_ok(result)
        self.assertEqual(len([k for k in self.keys() if "/db/" in k]), 1)
        # Without the certificate the server refuses the role; the message names both settings.
        self.setUp()
        result = self.backup("--only", "db", user=CERT_ROLE, PGPASSWORD=None)
        self.assertEqual(result.returncode, 1, result.stderr.decode(errors="replace")[-4000:])  # db stream failed
        self.assertIn(b"connection requires a valid client certificate", result.stderr)
        self.assertIn(b"PGSSLCERT", result.stderr)
        self.assertIn(b"PGSSLKEY", result.stderr)
        self.assert_nothing_uploaded()
        # A key others may read: libpq refuses to load it; the message says so and names PGSSLKEY.
        readable = os.path.join(self.workdir, "readable-client.key")
        shutil.copyfile(self.client_key, readable)
        os.chmod(readable, 0o644)
        fake, log = self.recording_pg_dump()
        result = self.backup(user=CERT_ROLE, PG_DUMP=fake, **{**cert, "PGSSLKEY": readable})
        self.assertEqual(result.returncode, 2, result.stderr.decode(errors="replace"))  # nothing ran
        self.assertIn(b"has group or world access", result.stderr)
        self.assertIn(b"PGSSLKEY", result.stderr)
        self.assertIn(b"chmod 0600", result.stderr)
        self.assertFalse(os.path.exists(log), "pg_dump was started although the pre-flight failed")
        self.assert_nothing_uploaded()

    # -- a role that cannot write ------------------------------------------------------------------
    def assert_refused_as_writer(self, result, log: str, *needles: bytes):
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 2, stderr)
        self.assertIn("could write to the database it backs up", stderr)
        self.assertIn("BACKUP_REQUIRE_READONLY_ROLE", stderr)
        for needle in needles:
            self.assertIn(needle, result.stderr)
        self.assertFalse(os.path.exists(log), "pg_dump was started although the role was refused")
        self.assertNotIn("docs stream", stderr)  # the documents were not even read
        self.assert_nothing_uploaded()

    def test_a_superuser_is_refused_when_a_read_only_role_is_required(self):
        fake, log = self.recording_pg_dump()
        result = self.backup(PG_DUMP=fake, BACKUP_REQUIRE_READONLY_ROLE="true")
        self.assert_refused_as_writer(result, log, b'role \\"erp_admin\\" could', b"is a superuser")

    def test_the_role_owning_the_tables_is_refused_when_a_read_only_role_is_required(self):
        fake, log = self.recording_pg_dump()
        result = self.backup(user=OWNER, PG_DUMP=fake, BACKUP_REQUIRE_READONLY_ROLE="true")
        self.assert_refused_as_writer(result, log, b'role \\"erp_app\\" could', b"has CREATE on the database",
                                      b"relations (public.llx_")

    def test_a_role_that_could_write_is_only_warned_about_by_default(self):
        result = self.backup("--only", "db", user=OWNER)
        self.assert_ok(result)
        self.assertIn(b"source role could write to the database it backs up", result.stderr)
        self.assertIn(b"owns ", result.stderr)

    def test_a_pg_read_all_data_role_passes_and_its_backup_restores_equal(self):
        fake, log = self.recording_pg_dump()
        result = self.backup("--only", "db", user=DUMPER, PG_DUMP=fake, BACKUP_REQUIRE_READONLY_ROLE="true")
        self.assert_ok(result)
        self.assertTrue(os.path.exists(log))
        restored, db = self.restore_db()
        self.assert_ok(restored)
        self.assertEqual(self.pg.table_fingerprints(db), self.source_fingerprints)

    def test_pg_read_all_data_alone_cannot_dump_large_objects(self):
        # Why docs/postgresql.md adds per-object grants: pg_read_all_data does not cover large objects.
        result = self.backup("--only", "db", user=NO_LO_GRANT, BACKUP_REQUIRE_READONLY_ROLE="true")
        self.assertEqual(result.returncode, 1, result.stderr.decode(errors="replace"))
        self.assertIn(f"permission denied for large object {self.lo_oid}".encode(), result.stderr)
        self.assert_nothing_uploaded()

    def test_a_role_with_explicit_select_grants_passes_and_its_backup_restores_equal(self):
        result = self.backup("--only", "db", user=GRANTED, BACKUP_REQUIRE_READONLY_ROLE="true")
        self.assert_ok(result)
        self.assertIn(b"source role cannot write user=erp_granted pg_read_all_data=no", result.stderr)
        restored, db = self.restore_db()
        self.assert_ok(restored)
        self.assertEqual(self.pg.table_fingerprints(db), self.source_fingerprints)

    # -- credentials that rotate -------------------------------------------------------------------
    def password_file(self, value: str) -> str:
        path = os.path.join(self.workdir, f"pgpass-{time.monotonic_ns()}")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(value + "\n")
        return path

    def test_a_rejected_password_names_the_role_and_the_next_run_reads_the_rotated_file(self):
        wrong = "erpTEST-stale-rotating-pw-7Yc"
        path = self.password_file(wrong)
        result = run_erp(["backup", "--only", "db"], self.env(ROTATING, PGPASSWORD=None, PGPASSWORD_FILE=path),
                         self.secrets() + [wrong])
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 1, stderr)
        self.assertIn(f'the server rejected the password of role \\"{ROTATING}\\"', stderr)
        self.assertIn("PGPASSWORD_FILE", stderr)
        self.assert_nothing_uploaded()
        # The file is rewritten (as a Vault agent does); the next run reads it and succeeds.
        with open(path, "w") as f:
            f.write(ROTATING_PASSWORD + "\n")
        result = run_erp(["backup", "--only", "db"], self.env(ROTATING, PGPASSWORD=None, PGPASSWORD_FILE=path),
                         self.secrets() + [wrong])
        self.assert_ok(result)

    def test_a_password_that_expires_between_the_pre_flight_and_pg_dump_is_reported(self):
        # pg_dump connects after the pre-flight; here the role's password expires in between.
        admin = self.pg.client_env("postgres")
        # PGOPTIONS cleared: the wrapper inherits pg_dump's read-only default, which would (rightly)
        # refuse the ALTER ROLE.
        expire = (f'PGOPTIONS= PGUSER={admin["PGUSER"]} PGPASSWORD="{admin["PGPASSWORD"]}" '
                  f'{self.pg.bin("psql")} -X -w -q -d postgres '
                  f"-c \"alter role {ROTATING} valid until '2000-01-01'\" || exit 99")
        fake, log = self.recording_pg_dump(expire)
        try:
            result = self.backup("--only", "db", user=ROTATING, PG_DUMP=fake)
        finally:
            self.pg.psql("postgres", f"alter role {ROTATING} valid until 'infinity'")
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 1, stderr)
        self.assertTrue(os.path.exists(log), "the dump was started")
        self.assertIn("password authentication failed", stderr)
        self.assertIn(f'the server rejected the password of role \\"{ROTATING}\\"', stderr)
        self.assertIn("expired", stderr)
        self.assert_nothing_uploaded()
        self.assertIn(f'User "{ROTATING}" has an expired password', self.pg.log_text())


if __name__ == "__main__":
    unittest.main()
