"""Issue 21: `erp-backup drill` restores a set into a PostgreSQL of its own and leaves evidence.

Against real PostgreSQL (the harness's server holds the source database; the drill starts its own
from the same binaries, DRILL_PG_BINDIR) and moto behind the signature-verifying front. The
drill's PostgreSQL refuses root, so erp-backup runs as the unprivileged `postgres` user here,
in a DRILL_WORK_DIR that user owns.

  - a good set (database with a GRANT to a role the drill's cluster lacks, documents) passes:
    exit 0, evidence in drills/ (read back, fields checked), --json prints that evidence,
    `status --json` shows the drill, the work dir is empty;
  - a dump that lacks one table's data (a PG_DUMP wrapper adding --exclude-table-data) fails the
    drill (exit 1) naming the table, and its evidence says passed=false naming it;
  - a restore that fails its checks (RESTORE_MIN_TABLES) fails the drill, the evidence saying why;
  - a set made with BACKUP_ROW_COUNTS=off fails the drill (nothing proves its data), saying why;
  - rows inserted while the backup runs (between the snapshot's export and pg_dump's start, held
    there by a PG_DUMP wrapper) never fail the drill: the counts are the dump's snapshot's;
  - as root: exit 2 with a clear message, nothing left behind;
  - SIGTERM while pg_restore runs (a PG_RESTORE wrapper that stops mid-way, observed by its
    marker file): exit 143, no PostgreSQL left, the work dir empty, no evidence;
  - --jobs 2 passes and leaves no scratch file.
One PostgreSQL and one S3 front for the class; the source is a few small tables.
"""

from __future__ import annotations

import json
import os
import pwd
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from erp_cli import BINARY, SecretLeak, clean_env, run_erp, set_id_of, wait_for_a_new_set_id  # noqa: E402
from integration_case import IntegrationCase, remove_tree  # noqa: E402

SOURCE_DB = "shop"
TABLES = {"llx_societe": 40, "llx_product": 25, "llx_facture": 60}  # table → rows
DEADLINE = 60.0


class DrillOnMoto(IntegrationCase, unittest.TestCase):
    workdir_prefix = "erp-drill-test-"
    postgres = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.runner = pwd.getpwnam(os.environ.get("ERP_TEST_PG_USER") or "postgres")
        cls.pg.create_database(SOURCE_DB)
        cls.pg.psql(SOURCE_DB, "".join(
            f"create table {t} (id serial primary key, label text not null);"
            f"insert into {t} (label) select 'row ' || g from generate_series(1, {n}) g;"
            for t, n in TABLES.items()))
        cls.pg.psql(SOURCE_DB, "select lo_from_bytea(0, 'a large object')")
        # A privilege for a role only the source's cluster has (as a real ERP's GRANTs to its
        # application and reporting roles): the drill's own PostgreSQL has no such role.
        cls.pg.psql(SOURCE_DB, "create role erp_drill_reporting nologin;"
                               "grant select on llx_facture to erp_drill_reporting;")
        cls.documents = os.path.join(cls.workdir, "documents")
        os.makedirs(os.path.join(cls.documents, "mycompany", "logos"))
        for name, body in (("mycompany/logos/logo.png", b"\x89PNG" * 100), ("invoice.pdf", b"%PDF-1.4 x")):
            with open(os.path.join(cls.documents, name), "wb") as f:
                f.write(body)
        os.symlink("invoice.pdf", os.path.join(cls.documents, "latest.pdf"))
        os.link(os.path.join(cls.documents, "invoice.pdf"), os.path.join(cls.documents, "copy.pdf"))
        cls.good_id = cls.backup_class_source("prod")

    # -- helpers ---------------------------------------------------------------------------------
    def env(self, backup_env: str = "prod", **extra) -> dict:
        settings = {**self.front.env(), **self.pg.env(SOURCE_DB), "BACKUP_ENV": backup_env,
                    "DOCUMENTS_DIR": self.documents, "PRUNE_AFTER_BACKUP": "false",
                    "PG_DUMP": self.pg.bin("pg_dump"), "PG_RESTORE": self.pg.bin("pg_restore")}
        settings.update(extra)
        return clean_env({k: v for k, v in settings.items() if v is not None})

    @classmethod
    def backup_class_source(cls, backup_env: str, **extra) -> str:
        """One backup (database and documents) into BACKUP_ENV; returns its set ID."""
        result = run_erp(["backup"], cls.env(cls, backup_env, **extra), cls.secrets(cls), timeout=600)
        wait_for_a_new_set_id(result)
        if result.returncode != 0:
            raise AssertionError(result.stderr.decode(errors="replace")[-4000:])
        return set_id_of(result)

    def work_dir(self) -> str:
        """A DRILL_WORK_DIR the drill's user owns, removed after the test."""
        path = tempfile.mkdtemp(prefix="drill-work-", dir=self.workdir)
        os.chmod(self.workdir, 0o755)
        os.chown(path, self.runner.pw_uid, self.runner.pw_gid)
        self.addCleanup(remove_tree, path)
        return path

    def drill_env(self, work_dir: str, backup_env: str = "prod", **extra) -> dict:
        env = self.env(backup_env, **{"DRILL_WORK_DIR": work_dir, "DRILL_PG_BINDIR": self.pg.bindir,
                                      "RESTORE_MIN_TABLES": str(len(TABLES)), **extra})
        for name in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "DOCUMENTS_DIR", "PG_DUMP"):
            env.pop(name, None)  # a drill reads none of the source's settings
        env["HOME"] = work_dir
        return env

    def as_runner(self) -> dict:
        return dict(user=self.runner.pw_uid, group=self.runner.pw_gid, extra_groups=[])

    def drill(self, work_dir: str, *args, backup_env: str = "prod", as_root: bool = False, **extra):
        result = subprocess.run([BINARY, "drill", *args], env=self.drill_env(work_dir, backup_env, **extra),
                                capture_output=True, timeout=600, cwd=work_dir,
                                **({} if as_root else self.as_runner()))
        self.assert_no_secret(result.stdout + result.stderr)
        return result

    def assert_no_secret(self, output: bytes):
        for secret in self.secrets():
            if secret.encode() in output:
                raise SecretLeak("drill printed a secret value")

    def log(self, result) -> str:
        return result.stderr.decode(errors="replace")

    def assert_exit(self, result, code: int):
        self.assertEqual(result.returncode, code, self.log(result)[-6000:])

    def evidence(self, backup_env: str = "prod") -> list[tuple[str, dict]]:
        return [(key, json.loads(self.get(key))) for key in self.bucket_keys(f"erp/{backup_env}/drills/")]

    def assert_left_nothing(self, work_dir: str):
        self.assertEqual(os.listdir(work_dir), [])
        self.assertEqual(self.processes_under(work_dir), [])

    def processes_under(self, path: str) -> list[str]:
        """Command lines of the processes that mention `path` (a postmaster of the drill's)."""
        found = []
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as f:
                    cmdline = f.read().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if path in cmdline:
                found.append(cmdline)
        return found

    def write_script(self, name: str, body: str) -> str:
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(path, 0o755)
        return path

    # -- tests -----------------------------------------------------------------------------------
    def test_a_good_set_passes_and_leaves_evidence(self):
        work_dir = self.work_dir()
        before = {key for key, _ in self.evidence()}
        result = self.drill(work_dir, "--json")
        self.assert_exit(result, 0)
        self.assert_left_nothing(work_dir)
        written = [(k, e) for k, e in self.evidence() if k not in before]
        self.assertEqual(len(written), 1, written)
        key, evidence = written[0]
        self.assertRegex(key, rf"^erp/prod/drills/{self.good_id}-\d{{8}}T\d{{6}}Z\.json$")
        self.assertEqual(json.loads(result.stdout), evidence)
        self.assertIs(evidence["passed"], True)
        self.assertEqual(evidence["set_id"], self.good_id)
        self.assertEqual(evidence["target"], "embedded")
        self.assertEqual(evidence["row_count_method"], "exact")
        self.assertEqual(evidence["tables_compared"], len(TABLES))
        self.assertIs(evidence["docs_compared"], True)
        self.assertEqual(evidence["mismatches"], [])
        self.assertEqual(evidence["problems"], [])
        self.assertGreater(evidence["dump_bytes"], 0)
        self.assertGreater(evidence["docs_bytes"], 0)
        self.assertRegex(evidence["target_server_version"], r"^\d+")
        seconds = evidence["seconds"]
        self.assertGreaterEqual(seconds["total"], seconds["restore"] + seconds["docs"])
        self.assertGreater(seconds["restore"], 0)
        # status reads the newest evidence.
        status = run_erp(["status", "--json"], self.env(), self.secrets())
        drill = json.loads(status.stdout)["drill"]
        self.assertEqual(drill["set_id"], self.good_id)
        self.assertIs(drill["passed"], True)
        self.assertEqual(drill["drilled_at"], evidence["drilled_at"])

    def test_the_summary_names_the_set_and_the_verdict(self):
        work_dir = self.work_dir()
        result = self.drill(work_dir, self.good_id, "--jobs", "2")
        self.assert_exit(result, 0)
        out = result.stdout.decode()
        self.assertIn(f"drill PASSED: set {self.good_id}", out)
        self.assertIn("documents: entries, bytes and SHA-256 compared", out)
        self.assertIn("(jobs 2)", out)
        self.assert_left_nothing(work_dir)  # no scratch file, no cluster

    def test_a_dump_without_one_tables_data_fails_naming_it(self):
        real = self.pg.bin("pg_dump")
        wrapper = self.write_script("pg_dump_without_facture", (
            f'[ "$1" = "--version" ] && exec {real} "$@"\n'
            f'exec {real} --exclude-table-data=public.llx_facture "$@"\n'))
        set_id = self.backup_class_source("lossy", PG_DUMP=wrapper)
        work_dir = self.work_dir()
        result = self.drill(work_dir, backup_env="lossy")
        self.assert_exit(result, 1)
        self.assertIn("public.llx_facture", self.log(result))
        self.assert_left_nothing(work_dir)
        (_, evidence), = self.evidence("lossy")
        self.assertEqual(evidence["set_id"], set_id)
        self.assertIs(evidence["passed"], False)
        failing = [m for m in evidence["mismatches"] if m["failing"]]
        self.assertEqual([(m["what"], m["expected"], m["found"]) for m in failing],
                         [("rows public.llx_facture", str(TABLES["llx_facture"]), "0")])

    def test_a_set_without_row_counts_fails_the_drill_saying_why(self):
        set_id = self.backup_class_source("uncounted", BACKUP_ROW_COUNTS="off")
        work_dir = self.work_dir()
        result = self.drill(work_dir, backup_env="uncounted")
        self.assert_exit(result, 1)
        self.assertIn("the set's manifest has none", self.log(result))
        self.assert_left_nothing(work_dir)
        (_, evidence), = self.evidence("uncounted")
        self.assertEqual(evidence["set_id"], set_id)
        self.assertIs(evidence["passed"], False)
        self.assertEqual(evidence["row_count_method"], "none")
        self.assertEqual(evidence["mismatches"], [])  # it restored; nothing could be compared
        self.assertTrue(any("BACKUP_ROW_COUNTS" in p for p in evidence["problems"]), evidence["problems"])

    def test_a_failed_restore_says_why_in_the_evidence(self):
        work_dir = self.work_dir()
        before = {key for key, _ in self.evidence()}
        result = self.drill(work_dir, self.good_id, RESTORE_MIN_TABLES=str(len(TABLES) + 1))
        self.assert_exit(result, 1)
        self.assert_left_nothing(work_dir)
        (_, evidence), = [(k, e) for k, e in self.evidence() if k not in before]
        self.assertIs(evidence["passed"], False)
        self.assertTrue(any(p.startswith("restore: ") and "RESTORE_MIN_TABLES" in p for p in evidence["problems"]),
                        evidence["problems"])

    def test_rows_written_during_the_backup_never_fail_the_drill(self):
        marker, go = os.path.join(self.workdir, "dump-started"), os.path.join(self.workdir, "dump-go")
        real = self.pg.bin("pg_dump")
        # pg_dump waits, with the snapshot exported, until the writer has committed more rows.
        wrapper = self.write_script("pg_dump_held", (
            f'[ "$1" = "--version" ] && exec {real} "$@"\n'
            f'touch {marker}\n'
            f'i=0; while [ ! -e {go} ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done\n'
            f'exec {real} "$@"\n'))
        stop = threading.Event()
        inserted = [0]

        def writer():
            while not stop.is_set():
                self.pg.psql(SOURCE_DB, "insert into llx_societe (label) values ('during the backup')")
                inserted[0] += 1

        thread = threading.Thread(target=writer)
        thread.start()
        try:
            proc = subprocess.Popen([BINARY, "backup", "--only", "db"],
                                    env=self.env("busy", PG_DUMP=wrapper),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            deadline = time.monotonic() + DEADLINE
            while not os.path.exists(marker):
                self.assertIsNone(proc.poll(), "the backup ended before pg_dump started")
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.02)
            seen = inserted[0]
            while inserted[0] < seen + 5:  # committed after the snapshot was exported
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.02)
            open(go, "w").close()
            _, stderr = proc.communicate(timeout=600)
            self.assertEqual(proc.returncode, 0, stderr.decode(errors="replace")[-4000:])
            wait_for_a_new_set_id(subprocess.CompletedProcess([], 0, b"", stderr))
        finally:
            stop.set()
            thread.join()
            for path in (marker, go):
                if os.path.exists(path):
                    os.unlink(path)
        work_dir = self.work_dir()
        result = self.drill(work_dir, backup_env="busy")
        self.assert_exit(result, 0)
        (_, evidence), = self.evidence("busy")
        self.assertIs(evidence["passed"], True)
        self.assertEqual(evidence["tables_compared"], len(TABLES))

    def test_as_root_it_is_a_clear_configuration_error(self):
        self.assertEqual(os.geteuid(), 0, "this test runs as root: the drill must refuse it")
        work_dir = self.work_dir()
        before = self.evidence()
        result = self.drill(work_dir, as_root=True)
        self.assert_exit(result, 2)
        self.assertIn("refuses to run as root", self.log(result))
        self.assertIn("DRILL_TARGET=restore", self.log(result))
        self.assert_left_nothing(work_dir)
        self.assertEqual(self.evidence(), before)

    def test_sigterm_mid_restore_stops_the_cluster_and_empties_the_work_dir(self):
        marker = os.path.join(self.work_dir(), "pg-restore-started")  # pg_restore runs as the runner
        real = self.pg.bin("pg_restore")
        # The restore proper (not `--list`): say so, then wait for ever (until killed).
        wrapper = self.write_script("pg_restore_stuck", (
            f'for a in "$@"; do [ "$a" = "--list" ] && exec {real} "$@"; done\n'
            f'[ "$1" = "--version" ] && exec {real} "$@"\n'
            f'touch {marker}\n'
            'exec tail -f /dev/null\n'))
        self.addCleanup(lambda: os.path.exists(marker) and os.unlink(marker))
        work_dir = self.work_dir()
        before = self.evidence()
        proc = subprocess.Popen([BINARY, "drill"], env=self.drill_env(work_dir, PG_RESTORE=wrapper),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=work_dir,
                                **self.as_runner())
        try:
            deadline = time.monotonic() + DEADLINE
            while not os.path.exists(marker):
                if proc.poll() is not None:
                    self.fail(proc.stderr.read().decode(errors="replace")[-4000:])
                self.assertLess(time.monotonic(), deadline, "pg_restore never started")
                time.sleep(0.02)
            self.assertNotEqual(self.processes_under(work_dir), [], "no PostgreSQL in the work dir")
            proc.send_signal(signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assert_no_secret(stdout + stderr)
        self.assertEqual(proc.returncode, 143, stderr.decode(errors="replace")[-4000:])
        self.assert_left_nothing(work_dir)
        self.assertEqual(self.evidence(), before)


if __name__ == "__main__":
    unittest.main()
