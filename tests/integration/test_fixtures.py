"""The test fixtures themselves: a real PostgreSQL with the Dolibarr-like database, and the documents tree.

Run: cd tests/integration && PYTHONPATH=../harness:../fixtures python3 -m unittest -v test_fixtures

These prove that what the backup tests stand on is what they claim: ≥ 295 llx_ tables with keys,
views, triggers, non-ASCII and binary data, 10^5-row tables; that `pg_dump -Fc` | `pg_restore`
reproduces every table exactly (so table_fingerprints can judge a restore); and that
describe_tree sees every property of a documents tree that a tar copy must keep.
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import unittest

from docs_fixture import (NON_UTF8_NAME, OLD_MTIME, SUBSECOND_MTIME_NS, add_special_files,  # noqa: E402
                          describe_tree, diff_trees, generate_documents_tree, make_unreadable,
                          without_dac_override)
from erp_fixture import NON_ASCII_NAMES, NOTE_WITH_CONTROLS, generate_erp_database  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402
from listening import listening_ports, wait_for_listening_port  # noqa: E402
from managed_server import ManagedServer  # noqa: E402
from postgres_server import PostgresServer, PostgresServerError, PsqlError  # noqa: E402


def log(msg: str) -> None:
    sys.stderr.write(f"[fixtures] {msg}\n")


class ErpDatabaseTest(unittest.TestCase):
    """The small ERP database on a throwaway server."""

    @classmethod
    def setUpClass(cls):
        cls.pg = PostgresServer()
        cls.addClassCleanup(cls.pg.stop)  # runs even when setUpClass fails half-way
        started = time.monotonic()
        cls.pg.start()
        log(f"server up in {time.monotonic() - started:.1f}s on port {cls.pg.port}")
        cls.summary = generate_erp_database(cls.pg, "erp", scale="small")
        log(f"generate_erp_database(small): {cls.summary['seconds']}s, {cls.summary['llx_tables']} llx_ tables, "
            f"{cls.summary['rows']} rows, biggest {cls.summary['biggest_table']}, "
            f"{cls.summary['database_bytes'] / 1e6:.0f} MB on disk")

    def scalar(self, sql: str):
        return self.pg.scalar("erp", sql)

    def test_has_at_least_295_llx_tables_and_the_dolibarr_core(self):
        self.assertGreaterEqual(self.summary["llx_tables"], 295)
        self.assertEqual(int(self.scalar("select count(*) from pg_tables where tablename like 'llx\\_%'")),
                         self.summary["llx_tables"])
        for table in ("llx_societe", "llx_facture", "llx_facturedet", "llx_product", "llx_commande", "llx_user",
                      "llx_c_country", "llx_facture_extrafields", "llx_accounting_bookkeeping", "llx_const"):
            self.assertEqual(self.scalar(f"select to_regclass('public.{table}') is not null"), "true", table)
        self.assertGreaterEqual(int(self.scalar("select count(*) from pg_tables where tablename like 'llx\\_c\\_%'")), 40)
        self.assertGreaterEqual(int(self.scalar("select count(*) from pg_tables where tablename like 'llx\\_%\\_extrafields'")), 40)

    def test_uses_the_column_types_of_a_real_erp(self):
        types = {r["t"] for r in self.pg.query("erp", """
            select distinct data_type as t from information_schema.columns
            where table_schema = 'public' and table_name like 'llx\\_%'""")}
        for t in ("integer", "bigint", "smallint", "character varying", "text", "numeric", "real", "double precision",
                  "timestamp without time zone", "date", "boolean", "bytea", "jsonb"):
            self.assertIn(t, types)
        self.assertEqual(self.scalar("""select format_type(atttypid, atttypmod) from pg_attribute
                                        where attrelid = 'llx_facture'::regclass and attname = 'total_ttc'"""),
                         "numeric(24,8)")
        self.assertEqual(self.scalar("select pg_get_serial_sequence('llx_accounting_bookkeeping', 'rowid')"),
                         "public.llx_accounting_bookkeeping_rowid_seq")

    def test_has_keys_indexes_views_sequences_and_trigger_functions(self):
        counts = self.pg.object_counts("erp")
        self.assertGreaterEqual(counts["foreign_keys"], 100)
        self.assertGreaterEqual(counts["views"], 2)
        self.assertGreaterEqual(counts["matviews"], 1)
        self.assertGreaterEqual(counts["triggers"], 200)
        self.assertGreaterEqual(counts["indexes"], 600)
        self.assertGreaterEqual(counts["sequences"], 295)
        self.assertEqual(self.scalar("select count(*) from pg_proc where prolang = "
                                     "(select oid from pg_language where lanname = 'plpgsql') "
                                     "and pronamespace = 'public'::regnamespace"), "2")
        self.assertEqual(self.scalar("select count(*) from view_invoice_totals"),
                         self.scalar("select count(*) from llx_societe"))
        self.assertGreater(int(self.scalar("select count(*) from view_unpaid_invoices")), 0)
        self.assertGreater(int(self.scalar("select count(*) from mv_monthly_turnover")), 12)
        self.assertGreater(int(self.scalar("select last_value from llx_facture_ref_seq")), 1000)

    def test_biggest_tables_hold_at_least_1e5_rows(self):
        self.assertGreaterEqual(self.summary["biggest_table"][1], 100_000)
        for table in ("llx_facturedet", "llx_stock_mouvement", "llx_accounting_bookkeeping"):
            self.assertGreaterEqual(int(self.scalar(f"select count(*) from {table}")), 100_000, table)
        self.assertEqual(self.summary["rows_by_table"]["llx_facturedet"], int(self.scalar("select count(*) from llx_facturedet")))

    def test_invoice_totals_match_their_lines(self):
        self.assertEqual(self.scalar("""select count(*) from llx_facture f join
                                        (select fk_facture, sum(total_ht) s from llx_facturedet group by 1) d
                                        on d.fk_facture = f.rowid where d.s <> f.total_ht"""), "0")

    def test_foreign_keys_are_enforced(self):
        with self.assertRaises(PsqlError) as ctx:
            self.pg.psql("erp", "insert into llx_facturedet (fk_facture, qty) values (-1, 1)")
        self.assertIn("foreign key", ctx.exception.stderr)
        with self.assertRaises(PsqlError):
            self.pg.psql("erp", "delete from llx_societe where rowid = 1")

    def test_triggers_fire(self):
        # in a transaction that is rolled back, so the database stays as generated for the other tests
        out = self.pg.psql("erp", """
            begin;
            select tms from llx_societe where rowid = 1;
            update llx_societe set town = 'Trigger-ville' where rowid = 1;
            select tms > timestamp '2021-01-01' from llx_societe where rowid = 1;
            select count(*) from llx_blockedlog;
            update llx_facture set fk_statut = 1 where rowid = 10 and fk_statut = 0;
            select count(*), max(ref_object), max(action) from llx_blockedlog where action = 'BILL_VALIDATE';
            rollback;""").split()
        self.assertEqual(out[0:2], ["2020-01-01", "00:00:00"])
        self.assertEqual(out[2], "t")
        self.assertEqual(out[3], "100")
        self.assertEqual(out[4].split("|"), ["1", self.scalar("select ref from llx_facture where rowid = 10"),
                                             "BILL_VALIDATE"])

    def test_non_ascii_text_round_trips(self):
        rows = self.pg.query("erp", f"select nom from llx_societe where rowid <= {len(NON_ASCII_NAMES)} order by rowid")
        self.assertEqual([r["nom"] for r in rows], NON_ASCII_NAMES)
        self.assertEqual(self.scalar("select note_private from llx_societe where rowid = 10"), NOTE_WITH_CONTROLS)
        self.assertEqual(self.scalar("select label from llx_c_country where code = 'JP'"), "日本")
        self.assertEqual(self.scalar("select octet_length(nom) - length(nom) > 0 from llx_societe where rowid = 6"), "true")

    def test_binary_and_large_values(self):
        self.assertEqual(self.scalar("select encode(content, 'hex') from llx_ecm_files where rowid = 1"),
                         (bytes(range(256)) * 4).hex())
        self.assertGreaterEqual(int(self.scalar("select max(octet_length(content)) from llx_ecm_files")), 256 * 1024)
        self.assertGreaterEqual(int(self.scalar("select min(octet_length(content)) from llx_website_page")), 100_000)
        self.assertGreaterEqual(int(self.scalar("select octet_length(value) from llx_const "
                                                "where name = 'MAIN_BIG_JSON_CONFIG'")), 100_000)
        self.assertEqual(self.scalar("select jsonb_array_length(value::jsonb -> 'rules') from llx_const "
                                     "where name = 'MAIN_BIG_JSON_CONFIG'"), "2500")

    def test_has_the_objects_restore_must_exclude(self):
        self.assertEqual(self.scalar("select prosecdef from pg_proc where proname = 'user_lookup' "
                                     "and pronamespace = 'pgbouncer'::regnamespace"), "true")
        phash = self.scalar(f"select phash from pgbouncer.user_lookup('{self.pg.superuser}')")
        self.assertTrue(phash.startswith("SCRAM-SHA-256$"), phash[:20])
        self.assertEqual(self.scalar("select count(*) from schema_migrations"), "40")
        self.assertEqual(self.summary["tables"], self.summary["llx_tables"] + 1)

    def test_password_is_required_and_kept_out_of_argv(self):
        with self.assertRaises(PsqlError) as ctx:
            self.pg.psql("erp", "select 1", password="wrong-password")
        self.assertIn("password authentication failed", ctx.exception.stderr)
        self.assertNotIn(self.pg.password, self.pg.dsn("erp"))
        self.assertIn(self.pg.password, self.pg.secrets())
        self.assertTrue(self.pg.password.startswith("erpTEST-pgpass-"))

    def test_dump_and_restore_reproduce_every_table(self):
        tmp = tempfile.mkdtemp(prefix="erp-dump-")
        self.addCleanup(shutil.rmtree, tmp, True)
        dump = os.path.join(tmp, "erp.dump")
        argv = [self.pg.bin("pg_dump"), "-Fc", "-w", "-f", dump]
        self.assertFalse(any(self.pg.password in a for a in argv))
        started = time.monotonic()
        res = subprocess.run(argv, env=self.pg.client_env("erp"), capture_output=True, text=True)
        self.assertEqual(res.returncode, 0, res.stderr)
        dump_s = time.monotonic() - started
        size = os.path.getsize(dump)
        self.assertGreater(size, 5_000_000)

        self.pg.create_database("erp_restored")
        started = time.monotonic()
        res = subprocess.run([self.pg.bin("pg_restore"), "-w", "-j", "2", "-d", "erp_restored", dump],
                             env=self.pg.client_env("erp_restored"), capture_output=True, text=True)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stderr, "")
        restore_s = time.monotonic() - started

        started = time.monotonic()
        source = self.pg.table_fingerprints("erp")
        restored = self.pg.table_fingerprints("erp_restored")
        fp_s = time.monotonic() - started
        log(f"pg_dump -Fc: {size / 1e6:.1f} MB in {dump_s:.1f}s; pg_restore -j2: {restore_s:.1f}s; "
            f"fingerprints of both: {fp_s:.1f}s")
        self.assertEqual(len(source), self.summary["tables"])
        self.assertEqual(source["llx_facturedet"][0], self.summary["rows_by_table"]["llx_facturedet"])
        self.assertEqual(source, restored)
        self.assertEqual(self.pg.object_counts("erp"), self.pg.object_counts("erp_restored"))
        self.assertEqual(self.pg.sequence_values("erp"), self.pg.sequence_values("erp_restored"))

    def test_fingerprints_notice_a_changed_value(self):
        self.pg.create_database("erp_small_copy")
        self.pg.psql("erp_small_copy", "create table t (id int primary key, v text); "
                                       "insert into t select g, 'v' || g from generate_series(1, 100) g;")
        before = self.pg.table_fingerprints("erp_small_copy")
        self.pg.psql("erp_small_copy", "update t set v = 'changed' where id = 50")
        after = self.pg.table_fingerprints("erp_small_copy")
        self.assertEqual(before["t"][0], after["t"][0])
        self.assertNotEqual(before["t"][1], after["t"][1])
        self.pg.drop_database("erp_small_copy")


class PostgresServerLifecycleTest(unittest.TestCase):
    def test_missing_binaries_raise_instead_of_skipping(self):
        with self.assertRaises(PostgresServerError) as ctx:
            PostgresServer(bindir="/nonexistent/bin")
        self.assertIn("/nonexistent/bin", str(ctx.exception))

    def test_stop_shuts_down_and_removes_the_directory(self):
        with PostgresServer() as pg:
            workdir, datadir = pg.workdir, pg.datadir
            self.assertTrue(pg.is_running())
            self.assertTrue(pg.socket_dir.startswith(workdir))
            if os.geteuid() == 0:
                self.assertEqual(os.stat(datadir).st_uid, pg.run_as_uid)
                self.assertEqual(pg.scalar("postgres", "select rolsuper from pg_roles where rolname = current_user"), "true")
            pg.create_role("erp_reader", "erpTEST-reader-pw", login=True)
            self.assertEqual(pg.scalar("postgres", "select current_user", user="erp_reader"), "erp_reader")
            self.assertEqual(pg.env("postgres", user="erp_reader")["PGPASSWORD"], "erpTEST-reader-pw")
        self.assertFalse(os.path.exists(workdir))
        self.assertFalse(pg.is_running())
        pg.stop()  # idempotent


class IntegrationCaseLifecycleTest(unittest.TestCase):
    """The base the server-backed suites stand on keeps its word: a setUpClass that fails half-way
    stops every server it had started, the last started first, and leaves no temp dir."""

    def test_a_failing_set_up_class_stops_what_it_started_in_reverse_order(self):
        events = []

        class Recorder(ManagedServer):
            """A server started after the base's; records what was still running at its stop."""

            def start(self):
                events.append("recorder started")

            def stop(self):
                events.append(f"recorder stopped; front up: {Failing.front.proc is not None}, "
                              f"postgres up: {Failing.pg.is_running()}")

        class Failing(IntegrationCase, unittest.TestCase):
            workdir_prefix = "erp-fixtures-lifecycle-"
            postgres = True

            @classmethod
            def setUpClass(cls):
                super().setUpClass()
                cls.start_class_server(Recorder())
                events.append((cls.workdir, cls.pg.workdir, cls.front.workdir, cls.front.proc))
                raise RuntimeError("the fixture broke")

            def test_never_runs(self):
                events.append("test ran")

        result = unittest.TextTestRunner(stream=io.StringIO(), verbosity=0).run(
            unittest.defaultTestLoader.loadTestsFromTestCase(Failing))
        self.assertEqual(len(result.errors), 1, result.errors)
        self.assertIn("the fixture broke", result.errors[0][1])
        self.assertEqual(events[0], "recorder started")
        workdir, pg_dir, front_dir, front_proc = events[1]
        self.assertEqual(events[2:], ["recorder stopped; front up: True, postgres up: True"])
        for path in (workdir, pg_dir, front_dir):
            self.assertFalse(os.path.exists(path), path)
        self.assertFalse(Failing.pg.is_running())
        self.assertIsNotNone(front_proc.returncode, "the front's process was waited for")
        self.assertIsNone(Failing.front.proc)


class ListeningPortTest(unittest.TestCase):
    """The readiness proof the launchers use (tests/harness/listening.py): a port counts only
    for the process whose own socket listens on it, never for another process."""

    def test_a_port_counts_only_for_the_process_listening_on_it(self):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
            listener.bind(("127.0.0.1", 0))
            port = listener.getsockname()[1]
            self.assertNotIn(port, listening_ports(os.getpid()), "bound but not listening yet")
            listener.listen()
            self.assertIn(port, listening_ports(os.getpid()))
            self.assertEqual(wait_for_listening_port(os.getpid(), time.monotonic() + 5, port=port), port)
            # Another process (close_fds: it holds no copy of the socket) is not accepted on it.
            other = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                                     stdin=subprocess.PIPE)
            try:
                self.assertNotIn(port, listening_ports(other.pid))
                self.assertIsNone(wait_for_listening_port(other.pid, time.monotonic() + 0.5, port=port))
            finally:
                other.stdin.close()
                other.wait(10)
            # A process that is gone is reported as such, at once.
            self.assertIsNone(wait_for_listening_port(other.pid, time.monotonic() + 30,
                                                      alive=lambda: other.poll() is None))


class DocumentsTreeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="erp-docs-")
        cls.addClassCleanup(_rmtree_forcing, cls.tmp)
        cls.src = os.path.join(cls.tmp, "src")
        started = time.monotonic()
        cls.manifest = generate_documents_tree(cls.src)
        log(f"generate_documents_tree(small): {time.monotonic() - started:.2f}s, {cls.manifest['files']} files, "
            f"{cls.manifest['dirs']} dirs, {cls.manifest['symlinks']} symlinks, {cls.manifest['bytes'] / 1e6:.1f} MB")
        cls.desc = describe_tree(cls.src)

    def path(self, key: str) -> bytes:
        return os.path.join(os.fsencode(self.src), os.fsencode(self.manifest["paths"][key]))

    def copy(self, *tar_create_args: str) -> str:
        dst = tempfile.mkdtemp(prefix="copy-", dir=self.tmp)
        res = subprocess.run(f"tar -cf - {' '.join(tar_create_args)} -C '{self.src}' . | tar -xf - -C '{dst}'",
                             shell=True, capture_output=True, text=True)
        self.assertEqual(res.returncode, 0, res.stderr)
        return dst

    def test_manifest_matches_the_tree(self):
        by_type = {}
        for e in self.desc.values():
            by_type[e["type"]] = by_type.get(e["type"], 0) + 1
        m = self.manifest
        self.assertEqual(by_type, {"file": m["files"], "dir": m["dirs"], "symlink": m["symlinks"]})
        self.assertEqual(sum(e["size"] for e in self.desc.values() if e["type"] == "file"), m["bytes_all_names"])
        self.assertEqual(sum(1 for e in self.desc.values() if e["type"] == "file" and e["size"] == 0), m["empty_files"])
        self.assertGreaterEqual(m["hardlinks"], 2)
        self.assertGreaterEqual(m["empty_dirs"], 2)
        self.assertGreaterEqual(m["dangling_symlinks"], 1)
        self.assertGreater(m["max_path_bytes"], 256)

    def test_holds_the_names_tar_gets_wrong(self):
        non_utf8 = self.path("non_utf8")
        self.assertTrue(non_utf8.endswith(NON_UTF8_NAME))
        self.assertTrue(os.path.isfile(non_utf8))
        with self.assertRaises(UnicodeDecodeError):
            os.path.basename(non_utf8).decode("utf-8")
        self.assertGreater(len(os.path.basename(self.path("long_name"))), 100)
        self.assertEqual(len(os.path.basename(self.path("name_255"))), 255)
        self.assertGreater(len(os.fsencode(self.manifest["paths"]["deep"])), 256)
        self.assertIn("\u0301", self.manifest["paths"]["nfd"])
        self.assertTrue(any(" " in p for p in self.desc))
        self.assertTrue(any(any(ord(c) > 0xFFFF for c in p) for p in self.desc))  # emoji
        self.assertTrue(any("日本語" in p for p in self.desc))

    def test_holds_modes_mtimes_links_and_empty_entries(self):
        st = lambda key: os.lstat(self.path(key))  # noqa: E731
        self.assertEqual(stat.S_IMODE(st("private_file").st_mode), 0o600)
        self.assertEqual(stat.S_IMODE(st("private_dir").st_mode), 0o700)
        self.assertEqual(stat.S_IMODE(st("readonly_file").st_mode), 0o444)
        self.assertEqual(stat.S_IMODE(st("readonly_dir").st_mode), 0o555)
        self.assertEqual(st("old_mtime").st_mtime_ns, OLD_MTIME * 10**9)
        self.assertEqual(st("subsecond_mtime").st_mtime_ns, SUBSECOND_MTIME_NS)
        self.assertEqual(st("hardlink").st_ino, st("hardlink_target").st_ino)
        group = self.desc[self.manifest["paths"]["hardlink"]]["link_group"]
        self.assertEqual(group, min(self.manifest["paths"]["hardlink"], self.manifest["paths"]["hardlink_target"]))
        self.assertEqual(len([e for e in self.desc.values() if e.get("link_group") is not None]), 5)  # a pair + three
        self.assertTrue(os.readlink(self.path("symlink_abs")).startswith(b"/"))
        self.assertFalse(os.readlink(self.path("symlink_file")).startswith(b"/"))
        self.assertTrue(os.path.isdir(self.path("symlink_dir")))
        self.assertFalse(os.path.exists(self.path("symlink_dangling")))
        for rel in self.manifest["large_files"]:
            self.assertGreaterEqual(self.desc[rel]["size"], 1 << 20)

    def test_a_tar_copy_describes_equal(self):
        dst = self.copy()
        self.assertEqual(diff_trees(self.desc, describe_tree(dst)), [])

    def test_a_pax_copy_keeps_nanosecond_mtimes(self):
        dst = self.copy("--format=posix")
        self.assertEqual(diff_trees(describe_tree(self.src, mtime_ns=True, owner=True),
                                    describe_tree(dst, mtime_ns=True, owner=True)), [])

    def test_describe_tree_notices_every_kind_of_difference(self):
        dst = self.copy()
        d = os.fsencode(dst)
        p = lambda key: os.path.join(d, os.fsencode(self.manifest["paths"][key]))  # noqa: E731
        os.chmod(p("private_file"), 0o644)
        os.utime(p("old_mtime"), (OLD_MTIME + 1, OLD_MTIME + 1))
        with open(p("emoji"), "r+b") as f:
            f.write(b"X")
        os.unlink(p("symlink_file"))
        os.symlink(b"elsewhere.pdf", p("symlink_file"))
        with open(p("hardlink"), "rb") as f:
            data = f.read()
        os.unlink(p("hardlink"))
        with open(p("hardlink"), "wb") as f:
            f.write(data)
        os.chmod(p("non_utf8"), 0o600)
        diff = "\n".join(diff_trees(self.desc, describe_tree(dst)))
        for key, field in (("private_file", "mode"), ("old_mtime", "mtime"), ("emoji", "sha256"),
                           ("symlink_file", "target"), ("hardlink", "link_group"), ("non_utf8", "mode")):
            self.assertIn(f"{self.manifest['paths'][key]!r}: {field}", diff)

    def test_unreadable_entries_fail_even_for_root_without_dac_override(self):
        tree = tempfile.mkdtemp(prefix="unreadable-", dir=self.tmp)
        f = make_unreadable(tree)
        d = make_unreadable(tree, "ecm/Fermé", kind="dir")
        for path in (f, os.path.join(d, "inside.txt")):
            res = subprocess.run([*without_dac_override(), "cat", path], capture_output=True, text=True)
            self.assertNotEqual(res.returncode, 0)
            self.assertIn("Permission denied", res.stderr)
        res = subprocess.run([*without_dac_override(), "tar", "-cf", "/dev/null", "-C", tree, "."],
                             capture_output=True, text=True)
        self.assertEqual(res.returncode, 2, res.stderr)

    def test_special_files_are_described(self):
        tree = tempfile.mkdtemp(prefix="special-", dir=self.tmp)
        made = add_special_files(tree)
        desc = describe_tree(tree)
        self.assertEqual(desc[made["fifo"]]["type"], "fifo")
        self.assertEqual(desc[made["socket"]]["type"], "socket")


def _rmtree_forcing(path: str) -> None:
    """rmtree that first gives back write/search permission (the tree has 0555 and 000 entries)."""
    for dirpath, dirnames, _ in os.walk(path):
        for name in dirnames:
            p = os.path.join(dirpath, name)
            if not os.path.islink(p):
                os.chmod(p, 0o700)
    shutil.rmtree(path, ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
