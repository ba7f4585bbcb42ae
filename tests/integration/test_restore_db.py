"""Issue 17 (WP-A): `restore db` tells the truth, against real PostgreSQL and moto behind the
signature-verifying front.

Each restore is judged against the source by tests/fixtures/db_catalog.py: schemas, relations,
columns, rows, indexes, constraints, triggers, sequences (values and owning columns), views,
partitions, inheritance, functions, types, comments and large objects, compared as sets.

  1a  a non-empty target without RESTORE_DROP_OWNED is refused (exit 2) before anything is touched;
  1b  a session that tries to connect during the restore is kept out (CONNECTION LIMIT), or, where
      the role may not alter the database, is seen and fails the restore;
  1   every pg_restore error line fails the restore, naming its TOC entry, unless excluded or on
      the harmless list;
  12  a database with partitions, a materialized view, views, an unlogged table, inheritance
      children and a second schema verifies and restores equal;
  and the branches that had no test: RESTORE_ROLE, RESTORE_REQUIRE_EXCLUSIVE=false,
  --i-know-this-is-the-source, the after-restore hash check, SIGTERM during the restore (143),
  and SIGKILL (the target left closed, the undo statement logged before, the next run naming it).

The small fixture (tests/fixtures/features_fixture.py) is the source where size is not the point;
the ERP fixture where RESTORE_MIN_TABLES matters. Moments inside a restore are reached with
tests/harness/pg_restore_gate.py (a PG_RESTORE that waits for real conditions), never with sleeps.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import unittest

from db_catalog import catalog_snapshot, diff_catalogs  # noqa: E402
from erp_cli import BINARY, SecretLeak, clean_env, run_erp, wait_for_a_new_set_id  # noqa: E402
from features_fixture import generate_features_database  # noqa: E402
from integration_case import ERP_DB, IntegrationCase  # noqa: E402
from pg_restore_gate import write_pg_restore_gate  # noqa: E402
from postgres_server import quote_ident, quote_literal  # noqa: E402

SOURCE_DB = "features"


class RestoreDbSpec(IntegrationCase):
    """Helpers shared by the classes below: a source database, backups of it, fresh targets."""

    workdir_prefix = "erp-restore-db-test-"
    postgres = True
    source_db = SOURCE_DB
    min_tables = "8"  # the features fixture's llx_ tables

    # -- helpers ---------------------------------------------------------------------------------
    def env(self, backup_env: str = "prod", source_db: str | None = None, **extra) -> dict:
        settings = {**self.front.env(), **self.pg.env(source_db or self.source_db), "BACKUP_ENV": backup_env,
                    "DOCUMENTS_DIR": self.workdir, "S3_PART_SIZE": "5MiB", "PRUNE_AFTER_BACKUP": "false"}
        settings.update(extra)
        return clean_env({k: v for k, v in settings.items() if v is not None})

    @classmethod
    def backup_class_source(cls, backup_env: str = "prod", source_db: str | None = None) -> dict:
        """One `backup --only db` of the source into BACKUP_ENV; returns its manifest."""
        result = run_erp(["backup", "--only", "db"], cls.env(cls, backup_env, source_db), cls.secrets(cls),
                         timeout=600)
        wait_for_a_new_set_id(result)
        if result.returncode != 0:
            raise AssertionError(result.stderr.decode(errors="replace")[-4000:])
        client = cls.front.boto3_client()
        listing = client.list_objects_v2(Bucket=cls.front.bucket, Prefix=f"erp/{backup_env}/manifests/")
        keys = sorted(o["Key"] for o in listing.get("Contents", []))
        return json.loads(client.get_object(Bucket=cls.front.bucket, Key=keys[-1])["Body"].read())

    def restore_env(self, db: str, user: str, password: str, backup_env: str = "prod", **extra) -> dict:
        env = self.env(backup_env)
        for name in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"):
            env.pop(name, None)  # a restore reads RESTORE_PG* only
        settings = {"RESTORE_PGHOST": self.pg.host, "RESTORE_PGPORT": str(self.pg.port),
                    "RESTORE_PGDATABASE": db, "RESTORE_PGUSER": user, "RESTORE_PGPASSWORD": password,
                    "RESTORE_MIN_TABLES": self.min_tables, **extra}
        env.update({k: v for k, v in settings.items() if v is not None})
        return env

    def restore(self, db: str, user: str, password: str, *args, backup_env: str = "prod", **extra):
        return run_erp(["restore", "db", *args], self.restore_env(db, user, password, backup_env, **extra),
                       self.secrets(), timeout=600)

    def log(self, result) -> str:
        return result.stderr.decode(errors="replace")

    def assert_exit(self, result, code: int):
        self.assertEqual(result.returncode, code, self.log(result)[-6000:])

    def assert_same_as_source(self, db: str):
        differences = diff_catalogs(self.source_catalog, catalog_snapshot(self.pg, db))
        self.assertEqual(differences, [], "\n".join(differences[:30]))

    def connection_limit(self, db: str) -> int:
        return int(self.pg.scalar("postgres", f"select datconnlimit from pg_database where datname = {quote_literal(db)}"))

    def gate(self, db: str, **options):
        gate = write_pg_restore_gate(self.workdir, self.pg, db, **options)
        self.addCleanup(gate.kill)
        return gate


class RestoreDbOnMoto(RestoreDbSpec, unittest.TestCase):
    backend = "moto"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.summary = generate_features_database(cls.pg, SOURCE_DB)
        cls.source_catalog = catalog_snapshot(cls.pg, SOURCE_DB)
        cls.manifest = cls.backup_class_source()

    # -- 12: partitions, matview, views, unlogged, inheritance, a second schema ------------------
    def test_a_database_of_every_kind_of_table_verifies_and_restores_equal(self):
        self.assertEqual(self.manifest["database"]["tables"], self.summary["tables"])  # not partitions
        verified = run_erp(["verify", "latest"], self.env(), self.secrets())
        self.assert_exit(verified, 0)
        self.assertIn(f"\tok\tdb={self.manifest['streams']['db']['bytes']}B,9 tables", verified.stdout.decode())
        db, user, password = self.restore_target("every_kind")
        result = self.restore(db, user, password)
        self.assert_exit(result, 0)
        self.assert_same_as_source(db)
        log = self.log(result)
        self.assertIn("guard=connection-limit", log)
        self.assertIn("pg_restore_errors=0", log)
        self.assertIn("partitions=2", log)
        self.assertEqual(self.connection_limit(db), -1)  # reopened as it was
        # One llx_ table more than the fixture has: the same restore fails, naming the setting.
        db, user, password = self.restore_target("every_kind")
        result = self.restore(db, user, password, RESTORE_MIN_TABLES="9")
        self.assert_exit(result, 1)
        self.assertIn("the target holds 8 llx_ tables, fewer than RESTORE_MIN_TABLES=9", self.log(result))

    def test_verify_compares_tables_without_partitions_on_both_sides(self):
        # The same set under another env with a manifest that counts partitions too: the counts
        # are compared, and the problem names both (the TOC's partitions apart).
        manifest = json.loads(json.dumps(self.manifest))
        manifest["database"]["tables"] = self.summary["tables"] + self.summary["partitions"]
        old_key = manifest["streams"]["db"]["key"]
        new_key = old_key.replace("erp/prod/", "erp/counted/")
        manifest["streams"]["db"]["key"] = new_key
        manifest["env"] = "counted"
        self.client().copy_object(Bucket=self.front.bucket, Key=new_key,
                                  CopySource={"Bucket": self.front.bucket, "Key": old_key})
        self.client().put_object(Bucket=self.front.bucket, Key=f"erp/counted/manifests/{manifest['id']}.json",
                                 Body=json.dumps(manifest).encode())
        verified = run_erp(["verify", "latest"], self.env("counted"), self.secrets())
        self.assert_exit(verified, 1)
        self.assertIn(f"{new_key}: the table of contents lists 9 tables (and 2 partitions), the manifest says 11",
                      self.log(verified) + verified.stdout.decode())
        # restore db refuses it before anything is touched.
        db, user, password = self.restore_target("counted")
        refused = self.restore(db, user, password, backup_env="counted")
        self.assert_exit(refused, 1)
        self.assertIn("the manifest says 11", self.log(refused))
        self.assertEqual(self.pg.table_fingerprints(db), {})

    # -- 1a: a non-empty target -------------------------------------------------------------------
    def test_a_non_empty_target_is_refused_before_anything_is_touched(self):
        db, user, password = self.restore_target("stale")
        # What the issue found: a table of the backup's, with 6 stale rows instead of 20.
        self.pg.psql(db, "create table llx_societe (rowid int primary key, nom text);"
                         "insert into llx_societe select g, 'stale ' || g from generate_series(1, 6) g",
                     user=user)
        before = catalog_snapshot(self.pg, db)
        gate = self.gate(db)
        result = self.restore(db, user, password, PG_RESTORE=gate.program)
        self.assert_exit(result, 2)
        log = self.log(result)
        self.assertIn("is not empty: it holds 1 table (public.llx_societe)", log)
        self.assertIn("RESTORE_DROP_OWNED=true", log)
        self.assertEqual(diff_catalogs(before, catalog_snapshot(self.pg, db)), [])
        self.assertEqual(self.connection_limit(db), -1)
        self.assertEqual(gate.calls(), [], "pg_restore ran: the dump was read")
        # With drop-owned the same target becomes the backup, 20 rows and all.
        result = self.restore(db, user, password, RESTORE_DROP_OWNED="true")
        self.assert_exit(result, 0)
        self.assertEqual(self.pg.scalar(db, "select count(*) from llx_societe"), "20")
        self.assert_same_as_source(db)

    # -- 1b: a session that connects during the restore ------------------------------------------
    def test_a_session_that_connects_during_the_restore_is_kept_out(self):
        db, user, password = self.restore_target("gitops")
        self.pg.psql(db, "create table leftover (x int)", user=user)  # drop-owned has work to do
        # The application (the same role, as Dolibarr's usually is) connects once pg_restore has
        # loaded the data and before it creates the keys, and inserts a row.
        gate = self.gate(db, intruder_user=user)
        result = self.restore(db, user, password, RESTORE_DROP_OWNED="true", PG_RESTORE=gate.program)
        intruder = gate.intruder()
        self.assertIsNotNone(intruder, self.log(result)[-4000:])
        self.assertFalse(intruder["inserted"], f"{intruder}\n{self.log(result)[-4000:]}")
        self.assertIn("too many connections for database", intruder["stderr"],
                      f"{intruder}\n{self.log(result)[-4000:]}")
        self.assert_exit(result, 0)
        self.assert_same_as_source(db)  # every primary key there, 20 rows
        log = self.log(result)
        self.assertIn("pg_restore is connected; the target is closed to new sessions again", log)
        # The undo statement, logged before the limit changed (quotes escaped by the text log).
        self.assertLess(log.index(f'undo="ALTER DATABASE \\"{db}\\" CONNECTION LIMIT -1"'),
                        log.index("the target is closed to new sessions"))
        self.assertEqual(self.connection_limit(db), -1)

    def test_where_the_role_may_not_close_the_target_an_intruder_fails_the_restore(self):
        db, owner, user, password = self.foreign_target("watched")
        gate = self.gate(db, intruder_user=user, intruder_stays=True)  # killed by the cleanup
        result = self.restore(db, user, password, PG_RESTORE=gate.program)
        intruder = gate.intruder()
        self.assertTrue(intruder and intruder["inserted"], f"{intruder}\n{self.log(result)[-3000:]}")
        self.assert_exit(result, 1)
        log = self.log(result)
        self.assertIn("this role may not ALTER DATABASE", log)
        self.assertIn("guard=watch", log)
        self.assertIn("application_name dolibarr-web", log)  # the intruder, named
        # The duplicate it inserted broke the primary key: that error, with its TOC entry.
        self.assertRegex(log, r'pg_restore error toc_entry="\d+; CONSTRAINT public llx_societe llx_societe_pkey')
        self.assertIn("could not create unique index", log)
        self.assertEqual(self.connection_limit(db), -1)  # never changed

    def test_where_the_role_may_not_close_the_target_a_quiet_restore_succeeds(self):
        db, owner, user, password = self.foreign_target("quiet")
        result = self.restore(db, user, password)
        self.assert_exit(result, 0)
        # Everything but the public schema's comment, which only the database's owner may set.
        differences = diff_catalogs(self.source_catalog, catalog_snapshot(self.pg, db))
        self.assertEqual(differences, [
            "comments: missing (('column', '0'), ('description', 'Dolibarr data'), ('object', 'schema public'))",
            "comments: unexpected (('column', '0'), ('description', 'standard public schema'), "
            "('object', 'schema public'))"])
        log = self.log(result)
        self.assertIn("guard=watch", log)
        # Measured: a role that does not own the database may not comment its public schema. On
        # the harmless list, and logged as tolerated with the reason.
        self.assertRegex(log, r'pg_restore error tolerated toc_entry="\d+; COMMENT - SCHEMA public')
        self.assertIn("must be owner of schema public", log)
        self.assertIn("pg_restore_errors=0 pg_restore_errors_tolerated=1", log)

    # -- 1: every unexpected error line fails the restore ------------------------------------------
    def test_an_unexpected_pg_restore_error_fails_the_restore_naming_its_toc_entry(self):
        # An extension only a superuser may create: the non-superuser target cannot have it.
        self.pg.create_database("with_extension")
        self.pg.psql("with_extension", "create extension pg_stat_statements;"
                                       "create table llx_c_pays (rowid int primary key, code text)")
        self.backup_class_source("extension", "with_extension")
        db, user, password = self.restore_target("no_extension")
        result = self.restore(db, user, password, backup_env="extension", RESTORE_MIN_TABLES="1")
        self.assert_exit(result, 1)
        log = self.log(result)
        self.assertRegex(log, r'pg_restore error toc_entry="\d+; EXTENSION - pg_stat_statements')
        self.assertIn("permission denied to create extension", log)
        self.assertIn("pg_restore reported", log)
        self.assertIn("target_state=", log)
        # The operator's answer: leave it out (its comment goes with it).
        db, user, password = self.restore_target("no_extension")
        result = self.restore(db, user, password, backup_env="extension", RESTORE_MIN_TABLES="1",
                              RESTORE_EXCLUDE="EXTENSION - pg_stat_statements")
        self.assert_exit(result, 0)
        self.assertIn("excluded", self.log(result))

    # -- the branches that had no test -------------------------------------------------------------
    def test_restore_role_owns_what_is_restored_and_is_what_drop_owned_drops(self):
        owner, login = f"shop_owner_{time.monotonic_ns()}", f"shop_login_{time.monotonic_ns()}"
        password = "erpTEST-shop-login-Zq8"
        self.pg.create_role(owner, login=False)
        self.pg.create_role(login, password)
        self.pg.psql("postgres", f"grant {quote_ident(owner)} to {quote_ident(login)}")
        db = owner
        self.pg.create_database(db, owner=owner)
        for attempt in ("fresh", "again with drop-owned"):
            result = self.restore(db, login, password, RESTORE_ROLE=owner,
                                  RESTORE_DROP_OWNED="true" if attempt != "fresh" else None)
            self.assert_exit(result, 0)
            self.assert_same_as_source(db)
            owners = self.pg.query(db, "select distinct pg_get_userbyid(c.relowner) as o from pg_class c "
                                       "join pg_namespace n on n.oid = c.relnamespace "
                                       "where n.nspname in ('public', 'sales')")
            self.assertEqual(owners, [{"o": owner}], attempt)
            self.assertIn("guard=connection-limit", self.log(result))  # a member of the owner's role

    def test_with_require_exclusive_false_other_sessions_are_allowed_and_nothing_is_closed(self):
        db, user, password = self.restore_target("shared")
        env = self.pg.client_env(db, user=user)
        env["PGAPPNAME"] = "monitoring"
        holder = subprocess.Popen([self.pg.bin("psql"), "-X", "-q", "-c", "select pg_sleep(600)"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while self.pg.scalar(db, "select count(*) from pg_stat_activity where application_name = 'monitoring'") == "0":
                self.assertLess(time.monotonic(), deadline, "the other session never connected")
                time.sleep(0.02)
            refused = self.restore(db, user, password)
            self.assert_exit(refused, 1)
            self.assertIn("monitoring", self.log(refused))
            result = self.restore(db, user, password, RESTORE_REQUIRE_EXCLUSIVE="false")
            self.assert_exit(result, 0)
            log = self.log(result)
            self.assertIn("RESTORE_REQUIRE_EXCLUSIVE=false", log)
            self.assertIn("guard=none", log)
            self.assertNotIn("CONNECTION LIMIT", log)
            self.assertIsNone(holder.poll(), "the other session was disconnected")
            self.assert_same_as_source(db)
        finally:
            holder.kill()
            holder.wait()

    def test_the_source_itself_is_restored_only_with_i_know_this_is_the_source(self):
        # A source whose objects belong to an ordinary role (the bootstrap superuser's own
        # objects include the system's, which DROP OWNED cannot drop).
        owner, password = f"own_source_{time.monotonic_ns()}", "erpTEST-own-source-Zq8"
        self.pg.create_role(owner, password)
        source = owner
        generate_features_database(self.pg, source, owner=owner)
        self.backup_class_source("own", source)
        before = catalog_snapshot(self.pg, source)
        refused = self.restore(source, owner, password, backup_env="own", RESTORE_DROP_OWNED="true")
        self.assert_exit(refused, 2)
        self.assertIn("is the backup's source", self.log(refused))
        result = self.restore(source, owner, password, "--i-know-this-is-the-source",
                              backup_env="own", RESTORE_DROP_OWNED="true")
        self.assert_exit(result, 0)
        self.assertIn("restoring over the backup's source (--i-know-this-is-the-source)", self.log(result))
        differences = diff_catalogs(before, catalog_snapshot(self.pg, source))
        self.assertEqual(differences, [], "\n".join(differences[:30]))

    def test_a_dump_that_differs_from_its_manifest_fails_after_the_restore_reads_it(self):
        manifest = self.backup_class_source("tampered")
        # Only the SHA-256 differs (the size still matches the listing): into an empty target
        # only the TOC is read first, and the restore's own read is the one that finds it.
        manifest["streams"]["db"]["sha256"] = "0" * 64
        self.client().put_object(Bucket=self.front.bucket, Key=f"erp/tampered/manifests/{manifest['id']}.json",
                                 Body=json.dumps(manifest).encode())
        db, user, password = self.restore_target("tampered")
        result = self.restore(db, user, password, backup_env="tampered")
        self.assert_exit(result, 1)
        log = self.log(result)
        self.assertIn(f"{manifest['streams']['db']['key']} read during the restore does not match the manifest", log)
        self.assertIn("0" * 64, log)
        self.assertIn("the target holds an unfinished or failed restore", log)
        # With drop-owned the whole dump is checked first: refused, nothing dropped.
        self.pg.psql(db, "create table keep_me (x int); insert into keep_me values (1)", user=user)
        refused = self.restore(db, user, password, backup_env="tampered", RESTORE_DROP_OWNED="true")
        self.assert_exit(refused, 1)
        self.assertIn("nothing in the target was changed", self.log(refused))
        self.assertEqual(self.pg.scalar(db, "select count(*) from keep_me"), "1")

    def test_sigterm_during_the_restore_exits_143_and_reopens_the_target(self):
        db, user, password = self.restore_target("stopped")
        gate = self.gate(db, hold_last_byte=True)
        env = self.restore_env(db, user, password, PG_RESTORE=gate.program)
        proc = subprocess.Popen([BINARY, "restore", "db"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while not os.path.exists(gate.marker):  # pg_restore connected, mid-restore
                self.assertIsNone(proc.poll(), proc.stderr.read().decode(errors="replace") if proc.poll() else "")
                self.assertLess(time.monotonic(), deadline, "pg_restore never got going")
                time.sleep(0.02)
            while self.connection_limit(db) != 0:  # closed again once pg_restore is in
                self.assertLess(time.monotonic(), deadline, "the target was never closed")
                time.sleep(0.02)
            proc.send_signal(signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        log = stderr.decode(errors="replace")
        for secret in self.secrets():
            if secret.encode() in stdout + stderr:
                raise SecretLeak("restore db printed a secret value")
        self.assertEqual(proc.returncode, 143, log[-4000:])
        self.assertIn("the target holds an unfinished or failed restore", log)
        self.assertIn("RESTORE_DROP_OWNED=true", log)
        self.assertEqual(self.connection_limit(db), -1)
        # pg_restore is gone, and so is its session.
        deadline = time.monotonic() + 30
        while self.pg.scalar(db, "select count(*) from pg_stat_activity where application_name like 'erp-backup%'") != "0":
            self.assertLess(time.monotonic(), deadline, "pg_restore's session outlived the tool")
            time.sleep(0.02)

    def test_sigkill_leaves_the_undo_statement_and_the_next_run_names_it(self):
        db, user, password = self.restore_target("killed")
        gate = self.gate(db, hold_last_byte=True)
        env = self.restore_env(db, user, password, PG_RESTORE=gate.program)
        proc = subprocess.Popen([BINARY, "restore", "db"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 60
            while not os.path.exists(gate.marker) or self.connection_limit(db) != 0:
                self.assertIsNone(proc.poll(), "restore db ended before pg_restore got going")
                self.assertLess(time.monotonic(), deadline, "pg_restore never got going")
                time.sleep(0.02)
        finally:
            proc.kill()  # SIGKILL: nothing of the tool runs after this
            _, stderr = proc.communicate(timeout=60)
        gate.kill()  # what the node's death takes with it
        log = stderr.decode(errors="replace")
        # What the operator has: the target closed, and the statement that opens it, logged first.
        self.assertEqual(self.connection_limit(db), 0)
        undo = f'ALTER DATABASE "{db}" CONNECTION LIMIT -1'
        self.assertIn(f"undo={json.dumps(undo)}", log)
        # The next run cannot even connect, and says why and what to do.
        again = self.restore(db, user, password, RESTORE_DROP_OWNED="true")
        self.assert_exit(again, 1)
        self.assertIn("too many connections for database", self.log(again))
        self.assertIn("CONNECTION LIMIT", self.log(again))
        # The logged statement, run as the owner from another database, is the whole repair.
        self.pg.psql("postgres", undo, user=user)
        result = self.restore(db, user, password, RESTORE_DROP_OWNED="true")
        self.assert_exit(result, 0)
        self.assert_same_as_source(db)
        self.assertEqual(self.connection_limit(db), -1)

    # -- helpers of the tests above ----------------------------------------------------------------
    def foreign_target(self, prefix: str) -> tuple[str, str, str, str]:
        """A fresh database owned by one role, restored into by another that may create in it but
        not alter it: (database, owner, restoring user, its password)."""
        db, owner, _ = self.restore_target(f"{prefix}_owner")
        user, password = f"{db}_restorer", f"erpTEST-{db}-restorer-Zq8"
        self.pg.create_role(user, password)
        self.pg.psql("postgres", f"grant create on database {quote_ident(db)} to {quote_ident(user)}")
        self.pg.psql(db, f"grant create on schema public to {quote_ident(user)}")
        return db, owner, user, password



class RestoreErpDbOnMoto(RestoreDbSpec, unittest.TestCase):
    """The ERP fixture, where RESTORE_MIN_TABLES matters: its default (250) against 340 tables."""

    backend = "moto"
    erp_scale = "tiny"
    source_db = ERP_DB
    min_tables = None  # the default

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source_catalog = catalog_snapshot(cls.pg, ERP_DB)
        cls.manifest = cls.backup_class_source()

    def test_the_erp_database_restores_equal_with_the_default_min_tables(self):
        db, user, password = self.restore_target("erp")
        result = self.restore(db, user, password, RESTORE_EXCLUDE="FUNCTION pgbouncer user_lookup")
        self.assert_exit(result, 0)
        log = self.log(result)
        self.assertIn("pg_restore_errors=0 pg_restore_errors_tolerated=0", log)
        differences = diff_catalogs(self.source_catalog, catalog_snapshot(self.pg, db))
        # The excluded function, and only it, is missing.
        self.assertEqual(differences, ["functions: missing (('definition', '%s'), ('kind', 'f'), "
                                       "('signature', 'pgbouncer.user_lookup(text)'))" % self.user_lookup_md5()],
                         "\n".join(differences[:30]))

    def user_lookup_md5(self) -> str:
        return self.pg.scalar(ERP_DB, "select md5(pg_get_functiondef('pgbouncer.user_lookup(text)'::regprocedure))")


if __name__ == "__main__":
    unittest.main()
