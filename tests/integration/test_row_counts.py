"""Issue 21: row counts taken in the dump's own snapshot, recorded in the manifest, and compared by
`restore db`, against real PostgreSQL (and pgbouncer) and moto behind the signature-checking front.

  a  exact counts in the manifest equal the source's (large objects too), snapshot "dump", and a
     restore into an empty target compares them all and passes;
  b  a writer committing rows in a loop before and after the snapshot was taken, while the backup
     runs, never makes the counts disagree with what the restore holds;
  c  a PG_DUMP that silently leaves one table's data out: the backup succeeds, `restore db` fails
     (exit 1) naming that table;
  d  BACKUP_ROW_COUNTS=estimate and off are recorded as such (off: no row_counts at all);
  e  through pgbouncer in session mode the snapshot is still shared ("dump"); a role the server
     refuses pg_export_snapshot() falls back to counts in their own snapshot ("own" + reason).

Moments inside a backup are reached with a PG_DUMP wrapper that waits for a file the test creates
once a condition it observes holds (never with sleeps). One PostgreSQL and one S3 front for all.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import unittest

from erp_cli import BINARY, clean_env, run_erp  # noqa: E402
from features_fixture import generate_features_database  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402
from pgbouncer_server import PgBouncerServer  # noqa: E402
from postgres_server import quote_ident  # noqa: E402

SOURCE_DB = "features"
WAIT = 120  # seconds any observed condition may take before the test fails


class RowCountsOnMoto(IntegrationCase, unittest.TestCase):
    workdir_prefix = "erp-row-counts-test-"
    postgres = True
    backend = "moto"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        generate_features_database(cls.pg, SOURCE_DB)
        cls.pg.psql(SOURCE_DB, "create table public.writes (id bigserial primary key, at timestamptz default now());")
        cls.envs = iter(f"env{n}" for n in range(1, 100))  # a BACKUP_ENV per backup: no ID clashes

    # -- helpers ---------------------------------------------------------------------------------
    def env(self, backup_env: str, pg_env: dict | None = None, **extra) -> dict:
        settings = {**self.front.env(), **(pg_env or self.pg.env(SOURCE_DB)), "BACKUP_ENV": backup_env,
                    "DOCUMENTS_DIR": self.workdir, "S3_PART_SIZE": "5MiB", "PRUNE_AFTER_BACKUP": "false"}
        settings.update(extra)
        return clean_env({k: v for k, v in settings.items() if v is not None})

    def backup(self, pg_env: dict | None = None, **extra) -> tuple[str, subprocess.CompletedProcess]:
        backup_env = next(self.envs)
        result = run_erp(["backup", "--only", "db"], self.env(backup_env, pg_env, **extra), self.secrets(),
                         timeout=600)
        self.assertEqual(result.returncode, 0, self.log(result)[-4000:])
        return backup_env, result

    def manifest(self, backup_env: str) -> dict:
        keys = self.bucket_keys(f"erp/{backup_env}/manifests/")
        self.assertEqual(len(keys), 1, keys)
        return json.loads(self.get(keys[0]))

    def restore(self, backup_env: str) -> subprocess.CompletedProcess:
        db, user, password = self.restore_target("counted")
        env = self.env(backup_env)
        for name in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"):
            env.pop(name, None)
        env.update({"RESTORE_PGHOST": self.pg.host, "RESTORE_PGPORT": str(self.pg.port), "RESTORE_PGDATABASE": db,
                    "RESTORE_PGUSER": user, "RESTORE_PGPASSWORD": password, "RESTORE_MIN_TABLES": "8"})
        self.restored_db = db
        return run_erp(["restore", "db", "latest"], env, self.secrets(), timeout=600)

    def log(self, result) -> str:
        return result.stderr.decode(errors="replace")

    def exact_counts(self, db: str) -> dict:
        """count(*) of every ordinary table and leaf partition in user schemas, computed here."""
        tables = self.pg.query(db, "select quote_ident(n.nspname) || '.' || quote_ident(c.relname) as t "
                                   "from pg_class c join pg_namespace n on n.oid = c.relnamespace "
                                   "where c.relkind = 'r' and n.nspname not like 'pg\\_%' "
                                   "and n.nspname <> 'information_schema'")
        rows = self.pg.query(db, " union all ".join(f"select '{r['t']}' as t, count(*) as n from only {r['t']}"
                                                    for r in tables))
        return {r["t"]: int(r["n"]) for r in rows}

    def writes(self) -> int:
        return int(self.pg.scalar(SOURCE_DB, "select count(*) from public.writes"))

    def wait_for(self, condition, what: str, run: subprocess.Popen | None = None):
        deadline = time.monotonic() + WAIT
        while not condition():
            if run is not None:
                self.assertIsNone(run.poll(), f"the backup ended before {what}")
            self.assertLess(time.monotonic(), deadline, f"never: {what}")
            time.sleep(0.02)  # polling an observed condition, bounded by the deadline

    def gated_pg_dump(self, extra_args: str = "") -> tuple[str, str, str]:
        """A PG_DUMP that says it is waiting (a file), waits for the go file, then runs the real
        pg_dump with the tool's arguments (--snapshot included) and `extra_args`."""
        stamp = time.monotonic_ns()
        path, waiting, go = (os.path.join(self.workdir, f"{name}-{stamp}") for name in ("pg-dump", "waiting", "go"))
        real = self.pg.bin("pg_dump")
        with open(path, "w") as f:
            f.write(f'#!/bin/sh\nif [ "$1" = "--version" ]; then exec {real} --version; fi\n'
                    f'touch {waiting}\nwhile [ ! -e {go} ]; do sleep 0.02; done\nexec {real} "$@" {extra_args}\n')
        os.chmod(path, 0o755)
        return path, waiting, go

    # -- a ---------------------------------------------------------------------------------------
    def test_exact_counts_equal_the_source_and_a_restore_compares_them(self):
        backup_env, result = self.backup()
        counts = self.manifest(backup_env)["database"]["row_counts"]
        self.assertEqual(counts["method"], "exact")
        self.assertEqual(counts["snapshot"], "dump", counts["fallback_reason"])
        self.assertEqual(counts["fallback_reason"], "")
        self.assertEqual(counts["tables_omitted"], 0)
        source = self.exact_counts(SOURCE_DB)
        self.assertEqual(counts["tables"], source)
        self.assertGreater(counts["tables"]["public.llx_societe"], 0)
        self.assertEqual(counts["large_objects"], 1)  # the fixture's scanned invoice
        self.assertIn("row counts share pg_dump's snapshot", self.log(result))

        restored = self.restore(backup_env)
        self.assertEqual(restored.returncode, 0, self.log(restored)[-6000:])
        self.assertIn(f"tables_compared={len(source)}", self.log(restored))
        self.assertIn("failing=0", self.log(restored))
        self.assertEqual(self.exact_counts(self.restored_db), source)

    # -- b ---------------------------------------------------------------------------------------
    def test_a_writer_during_the_backup_never_makes_the_counts_disagree(self):
        stop = threading.Event()
        writer = subprocess.Popen([self.pg.bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1"],
                                  env=self.pg.client_env(SOURCE_DB), stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(writer.kill)

        def write():  # one committed insert per line (psql autocommits), until told to stop
            while not stop.is_set():
                writer.stdin.write(b"insert into public.writes default values;\n")
                writer.stdin.flush()

        thread = threading.Thread(target=write, daemon=True)
        thread.start()
        fake, waiting, go = self.gated_pg_dump()
        backup_env = next(self.envs)
        before = self.writes()
        self.wait_for(lambda: self.writes() >= before + 20, "the writer committed rows before the backup")
        run = subprocess.Popen([BINARY, "backup", "--only", "db"],
                               env=self.env(backup_env, PG_DUMP=fake), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        self.addCleanup(run.kill)
        # The snapshot is exported before pg_dump starts: rows committed from here on are after it.
        self.wait_for(lambda: os.path.exists(waiting), "pg_dump was started", run)
        at_snapshot = self.writes()
        self.wait_for(lambda: self.writes() >= at_snapshot + 20, "the writer committed rows after the snapshot",
                      run)
        open(go, "w").close()
        _, stderr = run.communicate(timeout=600)
        stop.set()
        thread.join(timeout=WAIT)
        writer.stdin.close()
        writer.wait(timeout=WAIT)
        self.assertEqual(run.returncode, 0, stderr.decode(errors="replace")[-4000:])

        counted = self.manifest(backup_env)["database"]["row_counts"]
        self.assertEqual(counted["snapshot"], "dump")
        self.assertLessEqual(counted["tables"]["public.writes"], at_snapshot)
        self.assertGreaterEqual(counted["tables"]["public.writes"], before + 20)
        self.assertGreater(self.writes(), counted["tables"]["public.writes"])  # later rows exist, not counted
        restored = self.restore(backup_env)
        self.assertEqual(restored.returncode, 0, self.log(restored)[-6000:])
        self.assertIn("failing=0 reported=0", self.log(restored))
        self.assertEqual(self.exact_counts(self.restored_db), counted["tables"])

    # -- c ---------------------------------------------------------------------------------------
    def test_a_dump_that_lacks_one_tables_data_fails_the_restore_naming_it(self):
        real = self.pg.bin("pg_dump")
        fake = os.path.join(self.workdir, "pg-dump-without-regions")
        with open(fake, "w") as f:
            f.write(f'#!/bin/sh\nexec {real} "$@" --exclude-table-data=sales.region\n')
        os.chmod(fake, 0o755)
        backup_env, _ = self.backup(PG_DUMP=fake)
        self.assertEqual(self.manifest(backup_env)["database"]["row_counts"]["tables"]["sales.region"], 2)
        restored = self.restore(backup_env)
        self.assertEqual(restored.returncode, 1, self.log(restored)[-6000:])
        log = self.log(restored)
        self.assertIn("row count mismatch: sales.region: expected 2 rows, restored 0", log)
        self.assertIn("failing=1", log)
        self.assertNotIn("llx_societe: expected", log)

    # -- d ---------------------------------------------------------------------------------------
    def test_estimate_and_off_are_recorded_as_such(self):
        self.pg.psql(SOURCE_DB, "analyze;")
        backup_env, _ = self.backup(BACKUP_ROW_COUNTS="estimate")
        counts = self.manifest(backup_env)["database"]["row_counts"]
        self.assertEqual((counts["method"], counts["snapshot"]), ("estimate", "dump"))
        self.assertEqual(set(counts["tables"]), set(self.exact_counts(SOURCE_DB)))
        self.assertEqual(counts["tables"]["public.llx_societe"], self.exact_counts(SOURCE_DB)["public.llx_societe"])
        self.assertEqual(counts["large_objects"], 1)
        restored = self.restore(backup_env)  # the target analysed, then held to "not empty"
        self.assertEqual(restored.returncode, 0, self.log(restored)[-6000:])
        self.assertIn("method=estimate", self.log(restored))

        backup_env, result = self.backup(BACKUP_ROW_COUNTS="off")
        self.assertNotIn("row_counts", self.manifest(backup_env)["database"])
        self.assertNotIn("row counts", self.log(result))
        restored = self.restore(backup_env)
        self.assertEqual(restored.returncode, 0, self.log(restored)[-6000:])
        self.assertIn("this set has no row counts", self.log(restored))

    # -- e ---------------------------------------------------------------------------------------
    def test_through_pgbouncer_the_snapshot_is_shared(self):
        bouncer = self.start_class_server(PgBouncerServer(self.pg))
        backup_env, _ = self.backup(pg_env=bouncer.env(SOURCE_DB))
        counts = self.manifest(backup_env)["database"]["row_counts"]
        self.assertEqual(counts["snapshot"], "dump", counts["fallback_reason"])
        self.assertEqual(counts["tables"], self.exact_counts(SOURCE_DB))

    def test_a_refused_export_counts_in_an_own_snapshot_with_the_reason(self):
        role, password = "counting_reader", "erpTEST-reader-Zq8-21"
        self.pg.create_role(role, password)
        self.pg.psql(SOURCE_DB, f"grant pg_read_all_data to {quote_ident(role)};"
                                "revoke execute on function pg_catalog.pg_export_snapshot() from public;"
                                "do $$ declare o oid; begin for o in select oid from pg_largeobject_metadata loop "
                                f"execute format('grant select on large object %s to {role}', o); end loop; end $$;")
        self.addCleanup(self.pg.psql, SOURCE_DB,
                        "grant execute on function pg_catalog.pg_export_snapshot() to public;")
        backup_env, result = self.backup(pg_env=self.pg.env(SOURCE_DB, user=role, password=password))
        counts = self.manifest(backup_env)["database"]["row_counts"]
        self.assertEqual(counts["snapshot"], "own")
        self.assertIn("pg_export_snapshot() was refused", counts["fallback_reason"])
        self.assertIn("permission denied", counts["fallback_reason"])
        self.assertIn("row counts in a snapshot of their own", self.log(result))
        self.assertEqual(counts["tables"], self.exact_counts(SOURCE_DB))
        restored = self.restore(backup_env)
        self.assertEqual(restored.returncode, 0, self.log(restored)[-6000:])


if __name__ == "__main__":
    unittest.main()
