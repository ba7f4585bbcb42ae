"""Issue 21: `restore db --jobs N` downloads the dump into RESTORE_SCRATCH_DIR with parallel ranged
GETs, checked against the manifest while written, then runs `pg_restore -j N` from the file; real
PostgreSQL and moto behind the signature-verifying front, one server set for the class.

  - `--jobs 2` restores the source table by table (row counts and an md5 of every row), also a
    dump stored as zstd (DB_COMPRESSION=zstd), and leaves nothing in the scratch directory;
  - a dump object overwritten with other bytes of the same size is refused before the target is
    touched (a non-empty target with RESTORE_DROP_OWNED keeps its table);
  - a scratch filesystem too small (a 1 MiB tmpfs) is exit 2 naming RESTORE_SCRATCH_DIR;
  - pg_restore -j's sessions are let in, and any other session that gets in through the open door
    fails the restore, named;
  - SIGTERM while pg_restore -j runs is 143, the target reopened, the scratch directory empty
    (the moment reached with tests/harness/pg_restore_gate.py, no sleeps);
  - --jobs without RESTORE_SCRATCH_DIR, or out of 1..32, is exit 2.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

from erp_cli import BINARY, clean_env, run_erp  # noqa: E402
from features_fixture import generate_features_database  # noqa: E402
from test_restore_db import SOURCE_DB, RestoreDbSpec  # noqa: E402


class RestoreJobsOnMoto(RestoreDbSpec, unittest.TestCase):
    backend = "moto"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        generate_features_database(cls.pg, SOURCE_DB)
        cls.source_tables = cls.pg.table_fingerprints(SOURCE_DB)
        cls.manifest = cls.backup_class_source_with(backup_env="prod")
        cls.zstd_manifest = cls.backup_class_source_with(backup_env="zstd", DB_COMPRESSION="zstd")

    @classmethod
    def backup_class_source_with(cls, backup_env: str, **extra) -> dict:
        env = cls.env(cls, backup_env, **extra)
        result = run_erp(["backup", "--only", "db"], env, cls.secrets(cls), timeout=600)
        if result.returncode != 0:
            raise AssertionError(result.stderr.decode(errors="replace")[-4000:])
        client = cls.front.boto3_client()
        listing = client.list_objects_v2(Bucket=cls.front.bucket, Prefix=f"erp/{backup_env}/manifests/")
        key = sorted(o["Key"] for o in listing.get("Contents", []))[-1]
        return json.loads(client.get_object(Bucket=cls.front.bucket, Key=key)["Body"].read())

    def scratch(self) -> str:
        return tempfile.mkdtemp(prefix="scratch-", dir=self.workdir)

    def assert_empty_dir(self, path: str):
        self.assertEqual(os.listdir(path), [], f"{path} is not empty")

    def assert_untouched(self, db: str):
        self.assertEqual(self.pg.table_fingerprints(db), {}, "the target holds tables")
        self.assertEqual(self.connection_limit(db), -1)

    # -- the restore ---------------------------------------------------------------------------
    def test_jobs_2_restores_every_table_equal_and_leaves_the_scratch_dir_empty(self):
        db, user, password = self.restore_target("jobs")
        scratch = self.scratch()
        result = self.restore(db, user, password, "--jobs", "2", RESTORE_SCRATCH_DIR=scratch, LOG_LEVEL="debug")
        self.assert_exit(result, 0)
        log = self.log(result)
        self.assertIn("restore db dump downloaded", log)
        # Never a name: O_TMPFILE (ext4, tmpfs, overlayfs on recent kernels), else unlinked at once.
        self.assertRegex(log, r'file="an (unnamed file \(O_TMPFILE\)|unlinked file) in ' + scratch + '"')
        self.assertIn("pg_restore_errors=0", log)
        self.assertIn("entering main parallel loop", log)  # pg_restore ran with -j from the file
        self.assertEqual(self.pg.table_fingerprints(db), self.source_tables)
        self.assert_empty_dir(scratch)
        self.assertEqual(self.connection_limit(db), -1)

    def test_a_zstd_stored_dump_restores_with_jobs_2(self):
        self.assertEqual(self.zstd_manifest["streams"]["db"]["compression"], "zstd")
        db, user, password = self.restore_target("jobszstd")
        scratch = self.scratch()
        result = self.restore(db, user, password, "--jobs", "2", backup_env="zstd", RESTORE_SCRATCH_DIR=scratch,
                              LOG_LEVEL="debug")
        self.assert_exit(result, 0)
        self.assertIn("entering main parallel loop", self.log(result))
        self.assertEqual(self.pg.table_fingerprints(db), self.source_tables)
        self.assert_empty_dir(scratch)

    # -- refusals before the target is touched -------------------------------------------------
    def test_a_corrupt_dump_is_refused_before_a_drop_owned_target_is_touched(self):
        key = self.manifest["streams"]["db"]["key"]
        client = self.front.boto3_client()
        original = client.get_object(Bucket=self.front.bucket, Key=key)["Body"].read()
        middle = len(original) // 2
        corrupt = original[:middle] + bytes(b ^ 0xFF for b in original[middle:middle + 64]) + original[middle + 64:]
        self.assertEqual(len(corrupt), len(original))
        client.put_object(Bucket=self.front.bucket, Key=key, Body=corrupt)
        self.addCleanup(client.put_object, Bucket=self.front.bucket, Key=key, Body=original)
        db, user, password = self.restore_target("jobscorrupt")
        self.pg.psql(db, f"set role {user}; create table keep_me (id int); insert into keep_me values (7)")
        scratch = self.scratch()
        result = self.restore(db, user, password, "--jobs", "2", RESTORE_SCRATCH_DIR=scratch,
                              RESTORE_DROP_OWNED="true")
        self.assert_exit(result, 1)
        log = self.log(result)
        self.assertIn("restore refused: the dump cannot be used", log)
        self.assertIn(f"{key}: SHA-256", log)
        self.assertIn("nothing in the target was changed", log)
        self.assertEqual(self.pg.scalar(db, "select id from keep_me"), "7")
        self.assertEqual(self.connection_limit(db), -1)
        self.assert_empty_dir(scratch)

    def test_too_small_a_scratch_filesystem_is_refused_naming_it(self):
        small = self.scratch()
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small], check=True)
        self.addCleanup(subprocess.run, ["umount", small], check=True)
        db, user, password = self.restore_target("jobssmall")
        result = self.restore(db, user, password, "--jobs", "2", RESTORE_SCRATCH_DIR=small)
        self.assert_exit(result, 2)
        log = self.log(result)
        self.assertIn(f"RESTORE_SCRATCH_DIR {small}: too little space: the dump needs "
                      f"{self.manifest['streams']['db']['bytes']} bytes", log)
        self.assertIn("bytes are free", log)
        self.assert_untouched(db)
        self.assert_empty_dir(small)

    def test_jobs_without_a_scratch_dir_or_out_of_range_is_a_usage_error(self):
        db, user, password = self.restore_target("jobsusage")
        result = self.restore(db, user, password, "--jobs", "2")
        self.assert_exit(result, 2)
        self.assertIn("--jobs 2 needs RESTORE_SCRATCH_DIR", self.log(result))
        for bad in ("0", "33", "two"):
            result = self.restore(db, user, password, "--jobs", bad, RESTORE_SCRATCH_DIR=self.workdir)
            self.assert_exit(result, 2)
            self.assertIn("--jobs takes 1 to 32", self.log(result))
        result = self.restore(db, user, password, "--jobs", "2", RESTORE_SCRATCH_DIR="relative/dir")
        self.assert_exit(result, 2)
        self.assertIn("malformed RESTORE_SCRATCH_DIR", self.log(result))
        self.assert_untouched(db)

    # -- the guard -----------------------------------------------------------------------------
    def test_pg_restore_j_sessions_are_let_in_and_any_other_session_fails_the_restore(self):
        db, user, password, scratch, gate, proc = self.start_held_restore("jobsintruder")
        # The door stays open for pg_restore -j's sessions: the application, same role, gets in ...
        intruder = subprocess.Popen([self.pg.bin("psql"), "-X", "-q", "-w", "-c", "select pg_sleep(120)"],
                                    env={**clean_env({}), **self.pg.env(db, user=user, password=password),
                                         "PGAPPNAME": "dolibarr-web"},
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.addCleanup(intruder.stderr.close)
        self.addCleanup(lambda: intruder.poll() is None and (intruder.kill(), intruder.wait()))
        deadline = time.monotonic() + 60
        while self.pg.scalar(db, "select count(*) from pg_stat_activity where application_name = 'dolibarr-web'") != "1":
            self.assertIsNone(intruder.poll(), intruder.stderr.read().decode(errors="replace") if intruder.poll() else "")
            self.assertLess(time.monotonic(), deadline, "the intruder never connected")
            time.sleep(0.02)
        # ... and pg_restore, let go, finishes with both workers; the intruder fails the restore.
        with open(gate.pid_file) as f:
            gate_pid = int(f.read().split()[0])
        with open(f"/proc/{gate_pid}/task/{gate_pid}/children") as f:
            leader = int(f.read().split()[0])
        os.kill(leader, signal.SIGCONT)
        stdout, stderr = proc.communicate(timeout=120)
        log = stderr.decode(errors="replace")
        self.assertEqual(proc.returncode, 1, log[-4000:])
        self.assertIn("another session was connected to the target during the restore", log)
        self.assertIn("application_name=dolibarr-web", log)
        self.assertIn("pg_restore_errors=0", log)  # pg_restore itself (both workers) was fine
        self.assertEqual(self.connection_limit(db), -1)
        self.assert_empty_dir(scratch)

    def start_held_restore(self, prefix: str):
        """`restore db --jobs 2` into a fresh target, running until pg_restore -j's leader is
        connected and held by the gate: (db, user, password, scratch, gate, proc)."""
        db, user, password = self.restore_target(prefix)
        scratch = self.scratch()
        gate = self.gate(db, hold_last_byte=True)
        env = self.restore_env(db, user, password, PG_RESTORE=gate.program, RESTORE_SCRATCH_DIR=scratch)
        proc = subprocess.Popen([BINARY, "restore", "db", "--jobs", "2"], env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.communicate()))
        deadline = time.monotonic() + 60
        while not os.path.exists(gate.marker):
            self.assertIsNone(proc.poll(), proc.stderr.read().decode(errors="replace") if proc.poll() else "")
            self.assertLess(time.monotonic(), deadline, "pg_restore never got going")
            time.sleep(0.02)
        return db, user, password, scratch, gate, proc

    # -- a stop ---------------------------------------------------------------------------------
    def test_sigterm_while_pg_restore_j_runs_exits_143_reopens_the_target_and_empties_the_scratch(self):
        db, user, password, scratch, gate, proc = self.start_held_restore("jobsstopped")
        # The dump is there, in a file without a name in the scratch directory.
        held = [os.readlink(f"/proc/{proc.pid}/fd/{fd}") for fd in os.listdir(f"/proc/{proc.pid}/fd")]
        self.assertTrue(any(link.startswith(scratch + "/") and link.endswith("(deleted)") for link in held), held)
        self.assert_empty_dir(scratch)
        self.assertTrue(any("--jobs=2" in call for call in gate.calls()), gate.calls())
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=60)
        log = stderr.decode(errors="replace")
        self.assertEqual(proc.returncode, 143, log[-4000:])
        self.assertIn("the target holds an unfinished or failed restore", log)
        self.assertEqual(self.connection_limit(db), -1)
        self.assert_empty_dir(scratch)
        deadline = time.monotonic() + 30
        while self.pg.scalar(db, "select count(*) from pg_stat_activity where application_name like 'erp-backup%'") != "0":
            self.assertLess(time.monotonic(), deadline, "pg_restore's sessions outlived the tool")
            time.sleep(0.02)


if __name__ == "__main__":
    unittest.main()
