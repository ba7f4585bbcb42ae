"""Issue 3: `erp-backup backup` end to end against real PostgreSQL and real S3 servers.

The source database (an ERP-like schema of 340+ llx_ tables) is generated once per file, in
one PostgreSQL the classes share, and the documents tree once per class; each test runs the real binary with only environment settings,
then checks the bucket with independent tools: the aws CLI and boto3 through the
signature-verifying front, pg_restore into a fresh database, the zstd CLI and GNU tar.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest

from docs_fixture import describe_tree, diff_trees, generate_documents_tree  # noqa: E402
from erp_cli import BINARY, clean_env, run_erp  # noqa: E402
from inherited_tests import skip_inherited  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402
from s3_servers import EveryPutUnsigned  # noqa: E402

ENV_NAME = "prod"
PREFIX = f"erp/{ENV_NAME}/"
# The store refuses every upload of the documents: the docs stream fails once started.
REFUSE_DOCS = {"method": "PUT", "path_contains": "/docs/", "times": -1, "action": "403"}


class BackupSpec(IntegrationCase):
    backend = "moto"
    tls = False  # True: the front serves HTTPS with a throwaway CA, handed over as AWS_CA_BUNDLE
    workdir_prefix = "erp-backup-test-"
    postgres = True
    erp_scale = "small"
    clear_prefix = PREFIX
    # The three classes vary the S3 side only: one PostgreSQL with the fixture serves them in turn
    # (restore targets are uniquely named; "restored" is dropped by the test that makes it).
    share_postgres = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A large object (an attachment stored in the database): dumps and restores carry them too.
        if not cls.pg_reused:
            cls.pg.psql("dolibarr", "select lo_from_bytea(0, convert_to(repeat('facture PDF ', 5000), 'UTF8'))")
        cls.docs = os.path.join(cls.workdir, "documents")
        cls.docs_summary = generate_documents_tree(cls.docs)
        cls.source_fingerprints = cls.pg.table_fingerprints("dolibarr")

    # The base's tearDown: every signature was accepted; a test that provokes a refusal declares
    # it with self.front.expect_rejections(...).

    # -- helpers ---------------------------------------------------------------------------------
    def env(self, **extra):
        settings = {**self.front.env(), **self.pg.env("dolibarr"), "BACKUP_ENV": ENV_NAME,
                    "DOCUMENTS_DIR": self.docs, "S3_PART_SIZE": "5MiB", "S3_STALL_TIMEOUT": "3s",
                    "S3_MAX_ATTEMPTS": "3", "PRUNE_AFTER_BACKUP": "false"}
        settings.update(extra)
        return clean_env({k: v for k, v in settings.items() if v is not None})

    def backup(self, *args, **extra):
        return run_erp(["backup", *args], self.env(**extra), self.secrets(), timeout=600)

    def assert_no_uploads_left(self):
        if self.backend == "s3rver":
            return  # s3rver implements no ListMultipartUploads; the tests check objects instead
        listing = self.client().list_multipart_uploads(Bucket=self.front.bucket, Prefix=PREFIX)
        self.assertEqual(listing.get("Uploads", []), [], "an upload was left open")

    def assert_nothing_committed(self):
        keys = self.keys()
        self.assertFalse([k for k in keys if "/manifests/" in k], f"no manifest expected: {keys}")
        self.assertNotIn(PREFIX + "last-success.json", keys)
        self.assert_no_uploads_left()

    def manifest(self):
        manifests = [k for k in self.keys() if "/manifests/" in k]
        self.assertEqual(len(manifests), 1, manifests)
        return json.loads(self.get(manifests[0]))

    # -- the success path ------------------------------------------------------------------------------
    def test_backup_restores_to_an_identical_database_and_tree(self):
        result = self.backup()
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        manifest = self.manifest()
        self.assertEqual(manifest["status"], "complete")
        self.assertGreaterEqual(manifest["database"]["llx_tables"], 295)
        last = json.loads(self.get(PREFIX + "last-success.json"))
        for stream in ("db", "docs"):
            self.assertEqual(last["streams"][stream]["id"], manifest["id"], stream)
            self.assertEqual(last["streams"][stream]["finished_at"], manifest["finished_at"])

        # The manifest's sizes and hashes match the stored objects.
        for stream in ("db", "docs"):
            record = manifest["streams"][stream]
            body = self.get(record["key"])
            self.assertEqual(len(body), record["bytes"], stream)
            self.assertEqual(hashlib.sha256(body).hexdigest(), record["sha256"], stream)

        # The dump, downloaded by an independent client, restores to the same data.
        dump_key = manifest["streams"]["db"]["key"]
        downloaded = self.front.aws("s3", "cp", f"s3://{self.front.bucket}/{dump_key}", "-")
        self.assertEqual(downloaded.returncode, 0, downloaded.stderr)
        self.assertTrue(downloaded.stdout.startswith(b"PGDMP"))
        self.pg.create_database("restored")
        try:
            restore = subprocess.run(
                [self.pg.bin("pg_restore"), "--no-owner", "-d", "restored"], input=downloaded.stdout,
                env=self.pg.client_env("restored"), capture_output=True)
            self.assertEqual(restore.returncode, 0, restore.stderr.decode(errors="replace")[-3000:])
            self.assertEqual(self.pg.table_fingerprints("restored"), self.source_fingerprints)
        finally:
            self.pg.drop_database("restored")

        # The documents archive, read with the zstd CLI and GNU tar, reproduces the tree.
        archive = self.get(manifest["streams"]["docs"]["key"])
        target = tempfile.mkdtemp(dir=self.workdir)
        extract = subprocess.run(f"zstd -dc | tar -xpf - -C '{target}'", shell=True, input=archive,
                                 capture_output=True)
        self.assertEqual(extract.returncode, 0, extract.stderr)
        differences = diff_trees(describe_tree(self.docs), describe_tree(target))
        self.assertEqual(differences, [], "\n".join(differences[:20]))
        docs_record = manifest["streams"]["docs"]
        # The fixture counts every regular-file name; the tar stores second names as hard links.
        self.assertEqual(docs_record["files"] + docs_record["hardlinks"], self.docs_summary["files"])
        self.assertGreater(docs_record["hardlinks"], 0)
        self.assertEqual(docs_record["symlinks"], self.docs_summary["symlinks"])

    def test_a_docs_only_run_never_makes_the_database_look_backed_up(self):
        result = self.backup("--only", "docs")
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        last = json.loads(self.get(PREFIX + "last-success.json"))
        self.assertEqual(last["streams"]["docs"]["id"], self.manifest()["id"])
        self.assertNotIn("db", last["streams"])

    def test_a_docs_only_run_keeps_the_last_database_success_as_it_was(self):
        earlier = {"id": "20260101T000000Z", "finished_at": "2026-01-01T00:05:00Z",
                   "manifest": PREFIX + "manifests/20260101T000000Z.json"}
        self.client().put_object(Bucket=self.front.bucket, Key=PREFIX + "last-success.json",
                                 Body=json.dumps({"format_version": 2,
                                                  "streams": {"db": earlier}}).encode())
        result = self.backup("--only", "docs")
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        last = json.loads(self.get(PREFIX + "last-success.json"))
        self.assertEqual(last["streams"]["db"], earlier)
        self.assertEqual(last["streams"]["docs"]["id"], self.manifest()["id"])

    def test_only_db_writes_a_complete_db_only_set(self):
        result = self.backup("--only", "db")
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        manifest = self.manifest()
        self.assertIn("db", manifest["streams"])
        self.assertNotIn("docs", manifest["streams"])
        self.assertFalse([k for k in self.keys() if "/docs/" in k])


    # -- verify: every object read back and opened as a restore would ------------------------------
    def verify(self, *args, **extra):
        return run_erp(["verify", *args], self.env(**extra), self.secrets(), timeout=600)

    def test_verify_passes_after_a_backup_and_counts_what_the_manifest_says(self):
        result = self.backup()
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        manifest = self.manifest()
        checked = self.verify("--json")
        self.assertEqual(checked.returncode, 0, checked.stderr.decode(errors="replace"))
        report = json.loads(checked.stdout)
        self.assertTrue(report["ok"])
        [only] = report["sets"]
        self.assertEqual(only["id"], manifest["id"])
        streams = {s["stream"]: s for s in only["streams"]}
        for stream in ("db", "docs"):
            self.assertEqual(streams[stream]["sha256"], manifest["streams"][stream]["sha256"])
            self.assertEqual(streams[stream]["bytes"], manifest["streams"][stream]["bytes"])
        self.assertEqual(streams["db"]["tables"], manifest["database"]["tables"])
        self.assertGreaterEqual(streams["db"]["tables"], 295)
        self.assertEqual(streams["docs"]["files"], manifest["streams"]["docs"]["files"])
        self.assertEqual(streams["docs"]["content_bytes"],
                         manifest["streams"]["docs"]["uncompressed_bytes"])
        for which in (manifest["id"], "latest", "--all"):
            again = self.verify(which)
            self.assertEqual(again.returncode, 0, again.stderr.decode(errors="replace"))
            self.assertIn(manifest["id"].encode() + b"\tok", again.stdout)

    # -- restore docs: the safe extractor reproduces the tree ---------------------------------------
    # The fixture holds one absolute symlink into Dolibarr's usual /var/www/documents; absolute
    # links are restored only under a root the operator names (or the target, or the backup's
    # own documents root).
    LINK_ROOT = ("--absolute-links-under", "/var/www/documents")

    def restore_docs(self, *args, **extra):
        return run_erp(["restore", "docs", *args], self.env(**extra), self.secrets(), timeout=600)

    def backup_docs(self) -> dict:
        result = self.backup("--only", "docs")
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        return self.manifest()

    def assert_same_tree(self, source: str, target: str):
        differences = diff_trees(describe_tree(source, mtime_ns=True, owner=True),
                                 describe_tree(target, mtime_ns=True, owner=True))
        self.assertEqual(differences, [], "\n".join(differences[:20]))

    def test_restore_docs_reproduces_the_tree_exactly(self):
        manifest = self.backup_docs()
        target = os.path.join(tempfile.mkdtemp(dir=self.workdir), "restored")  # created by restore
        result = self.restore_docs("latest", "--target-dir", target, *self.LINK_ROOT)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        self.assert_same_tree(self.docs, target)
        self.assertIn(manifest["id"].encode(), result.stderr)
        # By ID, into RESTORE_DOCUMENTS_DIR: the same tree again.
        again = tempfile.mkdtemp(dir=self.workdir)
        result = self.restore_docs(manifest["id"], *self.LINK_ROOT, RESTORE_DOCUMENTS_DIR=again)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        self.assert_same_tree(self.docs, again)

    def test_restore_docs_subtree_restores_only_that_subtree(self):
        self.backup_docs()
        target = tempfile.mkdtemp(dir=self.workdir)
        # mycompany's logo has its first name outside the subtree (ecm/Logos/… sorts first), so
        # its two names inside come from the extractor's second pass.
        result = self.restore_docs("--subtree", "mycompany", "--target-dir", target)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        self.assertEqual(os.listdir(target), ["mycompany"])
        self.assert_same_tree(os.path.join(self.docs, "mycompany"), os.path.join(target, "mycompany"))
        source_dir = describe_tree(self.docs, mtime_ns=True, include_root=False)["mycompany"]
        self.assertEqual(describe_tree(target, mtime_ns=True)["mycompany"], source_dir)
        logo = os.stat(os.path.join(target, "mycompany/logos/logo.png"))
        small = os.stat(os.path.join(target, "mycompany/logos/thumbs/logo_small.png"))
        self.assertEqual((logo.st_ino, logo.st_nlink), (small.st_ino, 2))

    def test_restore_docs_refuses_a_non_empty_target_without_force(self):
        self.backup_docs()
        target = tempfile.mkdtemp(dir=self.workdir)
        keep = os.path.join(target, "already-here.txt")
        with open(keep, "wb") as f:
            f.write(b"operator data")
        before = describe_tree(target, mtime_ns=True, include_root=True)
        result = self.restore_docs("--target-dir", target, *self.LINK_ROOT)
        self.assertEqual(result.returncode, 2, result.stderr.decode(errors="replace"))
        self.assertIn(b"not empty", result.stderr)
        self.assertIn(b"--force", result.stderr)
        self.assertEqual(describe_tree(target, mtime_ns=True, include_root=True), before)
        # --force restores over it: the archive's names are written, the rest stays.
        result = self.restore_docs("--target-dir", target, "--force", *self.LINK_ROOT)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        os.remove(keep)
        self.assert_same_tree(self.docs, target)

    def test_restore_docs_without_a_target_is_a_usage_error_naming_both(self):
        result = self.restore_docs("latest")
        self.assertEqual(result.returncode, 2, result.stderr.decode(errors="replace"))
        self.assertIn(b"--target-dir", result.stderr)
        self.assertIn(b"RESTORE_DOCUMENTS_DIR", result.stderr)


    # -- restore db: into a database owned by a role that is not a superuser ------------------------
    def restore_target(self) -> tuple[str, str, str]:
        return super().restore_target(f"sandbox_{self.backend}")

    def restore_env(self, db: str, user: str, password: str, **extra) -> dict:
        settings = {"RESTORE_PGHOST": self.pg.host, "RESTORE_PGPORT": str(self.pg.port),
                    "RESTORE_PGDATABASE": db, "RESTORE_PGUSER": user,
                    "RESTORE_PGPASSWORD": password, "RESTORE_EXCLUDE": "FUNCTION pgbouncer user_lookup"}
        settings.update(extra)
        env = self.env()
        for name in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"):
            env.pop(name, None)  # a restore reads RESTORE_PG* only
        env.update({k: v for k, v in settings.items() if v is not None})
        return env

    def restore_db(self, db, user, password, *args, **extra):
        return run_erp(["restore", "db", *args], self.restore_env(db, user, password, **extra),
                       self.secrets(), timeout=600)

    def test_restore_db_reproduces_the_source_in_a_database_owned_by_a_non_superuser(self):
        result = self.backup("--only", "db")
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        self.assertEqual(self.verify().returncode, 0)
        db, user, password = self.restore_target()
        restored = self.restore_db(db, user, password, "latest")
        stderr = restored.stderr.decode(errors="replace")
        self.assertEqual(restored.returncode, 0, stderr[-4000:])
        self.assertIn("excluded", stderr)  # the pgbouncer function was left out, and said so
        self.assertIn("pg_restore_errors=0", stderr)  # its grants went with it: a clean restore
        self.assertEqual(self.pg.table_fingerprints(db), self.source_fingerprints)
        self.assertEqual(self.pg.sequence_values(db), self.pg.sequence_values("dolibarr"))
        self.assertEqual(self.large_objects(db), self.large_objects("dolibarr"))
        self.assertIsNone(self.pg.scalar(db, "select to_regprocedure('pgbouncer.user_lookup(text)')"))
        # Restoring again with RESTORE_DROP_OWNED gives the same database (idempotent).
        again = self.restore_db(db, user, password, "latest", RESTORE_DROP_OWNED="true")
        self.assertEqual(again.returncode, 0, again.stderr.decode(errors="replace")[-4000:])
        self.assertEqual(self.pg.table_fingerprints(db), self.source_fingerprints)

    def large_objects(self, db: str) -> list:
        return self.pg.query(db, "select oid::bigint as oid, md5(lo_get(oid)) as h "
                                 "from pg_largeobject_metadata order by oid")


class BackupOnMoto(BackupSpec, unittest.TestCase):
    backend = "moto"

    # -- failures: each exits with the documented code and commits nothing for the failed part --------
    def fake_pg_dump(self, body: str) -> str:
        """A PG_DUMP wrapper: answers --version like the real one, otherwise runs `body`."""
        path = os.path.join(self.workdir, f"fake-pg-dump-{time.monotonic_ns()}")
        real = self.pg.bin("pg_dump")
        with open(path, "w") as f:
            f.write(f'#!/bin/sh\nif [ "$1" = "--version" ]; then exec {real} --version; fi\n{body}\n')
        os.chmod(path, 0o755)
        return path

    def assert_db_failed_docs_committed(self, result, reason: bytes):
        self.assertEqual(result.returncode, 3, result.stderr.decode(errors="replace"))
        self.assertIn(reason, result.stderr)
        manifest = self.manifest()
        self.assertEqual(manifest["status"], "incomplete")
        self.assertEqual(manifest["streams"]["db"]["status"], "failed")
        self.assertEqual(manifest["streams"]["docs"]["status"], "committed")
        self.assertFalse([k for k in self.keys() if "/db/" in k], "no dump object may remain")
        # The committed docs stream is recorded; the failed database never looks backed up.
        last = json.loads(self.get(PREFIX + "last-success.json"))
        self.assertEqual(last["streams"]["docs"]["id"], manifest["id"])
        self.assertNotIn("db", last["streams"])
        self.assert_no_uploads_left()

    # -- pre-flight: the bucket is checked before production is touched -----------------------------
    def recording_pg_dump(self) -> tuple[str, str]:
        """A PG_DUMP that records every call other than --version, then runs the real pg_dump."""
        log = os.path.join(self.workdir, f"pg-dump-calls-{time.monotonic_ns()}")
        fake = self.fake_pg_dump(f'echo "$@" >> "{log}"\nexec {self.pg.bin("pg_dump")} "$@"')
        return fake, log

    def assert_refused_before_any_dump(self, result, log: str, *needles: bytes):
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 2, stderr)
        for needle in needles:
            self.assertIn(needle, result.stderr)
        self.assertFalse(os.path.exists(log), "pg_dump was started although the bucket check failed")
        self.assertEqual(self.keys(), [], "nothing may be written")

    def test_a_missing_bucket_is_refused_before_pg_dump_starts(self):
        fake, log = self.recording_pg_dump()
        result = self.backup(PG_DUMP=fake, S3_BUCKET="no-such-erp-bucket")
        self.assert_refused_before_any_dump(result, log, b"no-such-erp-bucket", b"NoSuchBucket",
                                            b"S3_BUCKET")

    def test_a_wrong_secret_key_is_refused_before_pg_dump_starts(self):
        fake, log = self.recording_pg_dump()
        with self.front.expect_rejections("SignatureDoesNotMatch"):  # the pre-flight's one request
            result = self.backup(PG_DUMP=fake, AWS_SECRET_ACCESS_KEY="erpTEST-wrong-secret-key")
        self.assert_refused_before_any_dump(result, log, b"SignatureDoesNotMatch",
                                            b"AWS_SECRET_ACCESS_KEY")

    def test_a_wrong_region_is_refused_naming_the_region_the_server_expects(self):
        fake, log = self.recording_pg_dump()
        with self.front.expect_rejections("AuthorizationHeaderMalformed"):
            result = self.backup(PG_DUMP=fake, AWS_REGION="eu-west-3")
        self.assert_refused_before_any_dump(result, log, b"AuthorizationHeaderMalformed",
                                            b"set AWS_REGION=us-east-1")

    def test_a_clock_the_server_calls_skewed_is_refused_showing_the_offset(self):
        fake, log = self.recording_pg_dump()
        # The server's clock is 20 minutes ahead of this host's: it refuses every request.
        self.front.set_faults([{"action": "status", "status": 403, "code": "RequestTimeTooSkewed",
                                "date_offset": 1200, "times": -1}])
        result = self.backup(PG_DUMP=fake)
        self.front.set_faults([])
        self.assert_refused_before_any_dump(result, log, b"RequestTimeTooSkewed",
                                            b"s behind the server's (clock offset 1")
        offset = int(result.stderr.split(b"(clock offset ")[1].split(b" s)")[0])
        self.assertTrue(1195 <= offset <= 1205, offset)  # the signing second vs the server's

    def test_the_recording_pg_dump_does_record_a_dump(self):
        # The wrapper the pre-flight tests rely on notices a dump when one runs.
        fake, log = self.recording_pg_dump()
        result = self.backup("--only", "db", PG_DUMP=fake)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        with open(log) as f:
            self.assertIn("--format=custom", f.read())

    # -- verify finds every kind of damage and names the key --------------------------------------
    def put(self, key: str, body: bytes):
        self.client().put_object(Bucket=self.front.bucket, Key=key, Body=body)

    def assert_verify_fails_naming(self, set_id: str, key: str, *needles: bytes):
        result = self.verify(set_id)
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 1, output.decode(errors="replace"))
        self.assertIn(key.encode(), output)
        for needle in needles:
            self.assertIn(needle, output)

    def test_verify_reports_a_flipped_byte_in_the_dump(self):
        self.assertEqual(self.backup("--only", "db").returncode, 0)
        manifest = self.manifest()
        key = manifest["streams"]["db"]["key"]
        body = bytearray(self.get(key))
        body[len(body) // 2] ^= 0x01
        self.put(key, bytes(body))
        self.assert_verify_fails_naming(manifest["id"], key, b"SHA-256")

    def test_verify_reports_a_truncated_docs_archive(self):
        self.assertEqual(self.backup("--only", "docs").returncode, 0)
        manifest = self.manifest()
        key = manifest["streams"]["docs"]["key"]
        body = self.get(key)
        self.put(key, body[: len(body) // 2])
        self.assert_verify_fails_naming(manifest["id"], key)

    def test_verify_reports_a_manifest_whose_hash_disagrees(self):
        self.assertEqual(self.backup("--only", "db").returncode, 0)
        manifest = self.manifest()
        key = manifest["streams"]["db"]["key"]
        manifest["streams"]["db"]["sha256"] = "0" * 64
        self.put(PREFIX + f"manifests/{manifest['id']}.json", json.dumps(manifest).encode())
        self.assert_verify_fails_naming(manifest["id"], key, b"0" * 64)

    def test_verify_reports_a_missing_object(self):
        self.assertEqual(self.backup().returncode, 0)
        manifest = self.manifest()
        key = manifest["streams"]["docs"]["key"]
        self.client().delete_object(Bucket=self.front.bucket, Key=key)
        self.assert_verify_fails_naming(manifest["id"], key)
        # The set is now incomplete, so `latest` has nothing complete to check.
        self.assertEqual(self.verify("latest").returncode, 1)

    # -- restore docs refuses what it cannot trust -----------------------------------------------------
    def test_restore_docs_refuses_an_absolute_link_outside_every_allowed_root(self):
        self.backup_docs()
        target = tempfile.mkdtemp(dir=self.workdir)
        result = self.restore_docs("--target-dir", target)
        self.assertEqual(result.returncode, 1, result.stderr.decode(errors="replace"))
        self.assertIn("ecm/Lien absolu.pdf".encode(), result.stderr)
        self.assertIn(b"/var/www/documents/facture", result.stderr)
        self.assertFalse(os.path.lexists(os.path.join(target, "ecm", "Lien absolu.pdf")))

    def test_restore_docs_refuses_a_set_without_manifest_or_with_failed_docs(self):
        manifest = self.backup_docs()
        self.client().delete_object(Bucket=self.front.bucket, Key=PREFIX + f"manifests/{manifest['id']}.json")
        target = tempfile.mkdtemp(dir=self.workdir)
        result = self.restore_docs(manifest["id"], "--target-dir", target)
        self.assertEqual(result.returncode, 1, result.stderr.decode(errors="replace"))
        self.assertIn(manifest["id"].encode(), result.stderr)
        self.assertIn(b"manifest", result.stderr)
        self.assertEqual(os.listdir(target), [])
        # `latest` skips it: no set holds committed documents.
        self.assertEqual(self.restore_docs("latest", "--target-dir", target).returncode, 1)

        self.clear_bucket()
        # A set whose docs stream failed: the store refuses the documents (a missing DOCUMENTS_DIR
        # no longer gets this far: it is refused before anything starts, test_config_errors.py).
        self.front.set_faults([REFUSE_DOCS])
        failed = self.backup()
        self.front.set_faults([])
        self.assertEqual(failed.returncode, 3, failed.stderr.decode(errors="replace"))
        failed_manifest = self.manifest()
        result = self.restore_docs(failed_manifest["id"], "--target-dir", target)
        self.assertEqual(result.returncode, 1, result.stderr.decode(errors="replace"))
        self.assertIn(failed_manifest["streams"]["docs"]["key"].encode(), result.stderr)
        self.assertIn(b"failed", result.stderr)
        self.assertEqual(os.listdir(target), [])

    def test_restore_docs_refuses_a_hash_mismatch_naming_the_key_and_writes_nothing(self):
        manifest = self.backup_docs()
        key = manifest["streams"]["docs"]["key"]
        manifest["streams"]["docs"]["sha256"] = "0" * 64
        self.put(PREFIX + f"manifests/{manifest['id']}.json", json.dumps(manifest).encode())
        target = tempfile.mkdtemp(dir=self.workdir)
        result = self.restore_docs("latest", "--target-dir", target, *self.LINK_ROOT)
        self.assertEqual(result.returncode, 1, result.stderr.decode(errors="replace"))
        self.assertIn(key.encode(), result.stderr)
        self.assertIn(b"0" * 64, result.stderr)
        # Issue 17: extracted into a staging directory, checked, and only then moved into place.
        self.assertIn(b"nothing in the target directory was changed", result.stderr)
        self.assertEqual(os.listdir(target), [])

    # -- restore db: the failure modes of the script it replaces --------------------------------------
    def assert_restore_refused(self, result, code: int, *needles: bytes):
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, code, output.decode(errors="replace")[-4000:])
        for needle in needles:
            self.assertIn(needle, output)

    def test_restore_db_with_a_wrong_target_password_fails_naming_it(self):
        self.assertEqual(self.backup("--only", "db").returncode, 0)
        db, user, password = self.restore_target()
        result = self.restore_db(db, user, "erpTEST-wrong-target-pw")
        self.assert_restore_refused(result, 1, b"RESTORE_PGPASSWORD", b"authentication failed")
        self.assertEqual(self.pg.table_fingerprints(db), {})
        # The wrong user (a role that does not exist) is named too.
        result = self.restore_db(db, "no_such_restore_role", password)
        self.assert_restore_refused(result, 1, b"no_such_restore_role")
        self.assertEqual(self.pg.table_fingerprints(db), {})

    def test_restore_db_into_a_missing_database_fails_naming_it(self):
        self.assertEqual(self.backup("--only", "db").returncode, 0)
        _, user, password = self.restore_target()
        result = self.restore_db("no_such_target_db", user, password)
        self.assert_restore_refused(result, 1, b"RESTORE_PGDATABASE", b"no_such_target_db")

    def test_restore_db_needs_every_target_setting_and_never_uses_the_source(self):
        self.assertEqual(self.backup("--only", "db").returncode, 0)
        env = self.restore_env("x", "y", "z", RESTORE_PGHOST=None, RESTORE_PGDATABASE=None)
        env.update(self.pg.env("dolibarr"))  # the source's PG* are set, and must not be used
        result = run_erp(["restore", "db"], env, self.secrets())
        self.assert_restore_refused(result, 2, b"missing RESTORE_PGHOST", b"missing RESTORE_PGDATABASE")

    def test_a_dump_that_restores_only_part_of_the_tables_is_a_failure(self):
        real = self.pg.bin("pg_dump")
        partial = self.fake_pg_dump(f"exec {real} \"$@\" --table='llx_s*'")
        self.assertEqual(self.backup("--only", "db", PG_DUMP=partial).returncode, 0)
        db, user, password = self.restore_target()
        result = self.restore_db(db, user, password)
        # Its table of contents lacks tables the manifest recorded: refused before the restore.
        self.assert_restore_refused(result, 1, b"the table of contents lists",
                                    b"tables, the manifest says")
        self.assertEqual(self.pg.table_fingerprints(db), {})

    def test_restore_db_refuses_to_drop_the_backup_source(self):
        self.assertEqual(self.backup("--only", "db").returncode, 0)
        source = self.pg.env("dolibarr")
        result = self.restore_db(source["PGDATABASE"], source["PGUSER"], source["PGPASSWORD"],
                                 RESTORE_DROP_OWNED="true")
        self.assert_restore_refused(result, 2, b"is the backup's source",
                                    b"--i-know-this-is-the-source")
        self.assertEqual(self.pg.table_fingerprints("dolibarr"), self.source_fingerprints)

    def test_restore_db_refuses_while_another_session_is_connected(self):
        self.assertEqual(self.backup("--only", "db").returncode, 0)
        db, user, password = self.restore_target()
        self.pg.psql(db, "create table marker (x int); insert into marker values (1)", user=user)
        env = self.pg.client_env(db, user=user)
        env["PGAPPNAME"] = "dolibarr-web"
        holder = subprocess.Popen([self.pg.bin("psql"), "-X", "-q", "-c", "select pg_sleep(120)"],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 30
            while not self.pg.scalar(db, "select count(*) from pg_stat_activity "
                                         "where application_name = 'dolibarr-web'", user=user) != "0":
                self.assertLess(time.monotonic(), deadline, "the other session never connected")
            result = self.restore_db(db, user, password, RESTORE_DROP_OWNED="true")
            self.assert_restore_refused(result, 1, b"dolibarr-web", b"nothing was dropped")
            self.assertEqual(self.pg.scalar(db, "select count(*) from marker", user=user), "1")
        finally:
            holder.kill()
            holder.wait()

    def test_restore_db_refuses_a_set_whose_dump_failed(self):
        real = self.pg.bin("pg_dump")
        fake = self.fake_pg_dump(f'{real} "$@" | head -c 6000000\nexit 1')
        self.assertEqual(self.backup(PG_DUMP=fake).returncode, 3)
        set_id = self.manifest()["id"]
        db, user, password = self.restore_target()
        self.assert_restore_refused(self.restore_db(db, user, password, set_id), 1,
                                    b"the manifest says the db stream failed")
        self.client().delete_object(Bucket=self.front.bucket, Key=PREFIX + f"manifests/{set_id}.json")
        self.assert_restore_refused(self.restore_db(db, user, password, set_id), 1)

    # -- refresh-sandbox: prod's newest set into the sandbox, from the bucket alone ------------------
    def test_refresh_sandbox_twice_gives_the_same_sandbox_and_never_contacts_prod(self):
        self.assertEqual(self.backup().returncode, 0)
        db, user, password = self.restore_target()
        sandbox_docs = tempfile.mkdtemp(dir=self.workdir)
        os.makedirs(os.path.join(sandbox_docs, "mycompany", "stale"))
        with open(os.path.join(sandbox_docs, "mycompany", "stale", "old.pdf"), "w") as f:
            f.write("replaced by the refresh")
        with open(os.path.join(sandbox_docs, "sandbox-only.txt"), "w") as f:
            f.write("not part of the subtree: stays")
        env = self.restore_env(db, user, password, RESTORE_DOCUMENTS_DIR=sandbox_docs)
        env["BACKUP_ENV"] = "sandbox"  # the sandbox's own env: refresh reads prod's sets anyway
        self.pg.psql("postgres", "alter system set log_connections = on; select pg_reload_conf()")
        try:
            for attempt in (1, 2):
                log_before = len(self.pg.log_text())
                result = run_erp(["refresh-sandbox", "--from-env", ENV_NAME], env, self.secrets(),
                                 timeout=600)
                stderr = result.stderr.decode(errors="replace")
                self.assertEqual(result.returncode, 0, f"attempt {attempt}: {stderr[-4000:]}")
                connections = [line for line in self.pg.log_text()[log_before:].splitlines()
                               if "connection authorized" in line]
                # The log does record the tool's connections (to the sandbox), and none to prod.
                self.assertTrue([c for c in connections if f"database={db}" in c], connections[:5])
                prod = [c for c in connections if "database=dolibarr" in c]
                self.assertEqual(prod, [], f"attempt {attempt} connected to prod")
                self.assertEqual(self.pg.table_fingerprints(db), self.source_fingerprints)
                self.assert_same_tree(os.path.join(self.docs, "mycompany"),
                                      os.path.join(sandbox_docs, "mycompany"))
                self.assertEqual(sorted(os.listdir(sandbox_docs)), ["mycompany", "sandbox-only.txt"])
        finally:
            self.pg.psql("postgres", "alter system reset log_connections; select pg_reload_conf()")

    def test_refresh_sandbox_needs_no_source_setting_and_names_what_is_missing(self):
        env = self.restore_env("x", "y", "z")
        result = run_erp(["refresh-sandbox", "--from-env", ENV_NAME], env, self.secrets())
        self.assertEqual(result.returncode, 2, result.stderr.decode(errors="replace"))
        self.assertIn(b"RESTORE_DOCUMENTS_DIR", result.stderr)
        self.assertNotIn(b"PGHOST", result.stderr.replace(b"RESTORE_PGHOST", b""))

    # -- status: alerting when the last success is too old ---------------------------------------
    def status(self, *args):
        return run_erp(["status", *args], self.env(), self.secrets())

    def test_status_says_never_when_nothing_or_only_docs_succeeded(self):
        empty = self.status()
        self.assertEqual(empty.returncode, 1, empty.stderr.decode(errors="replace"))
        self.assertIn(b"db\tSTALE\tnever", empty.stdout)
        self.assertIn(b"docs\tSTALE\tnever", empty.stdout)
        # Only the documents: the database is still "never", unless only docs are expected.
        self.assertEqual(self.backup("--only", "docs").returncode, 0)
        docs_only = self.status("--json")
        self.assertEqual(docs_only.returncode, 1, docs_only.stdout.decode())
        report = json.loads(docs_only.stdout)
        self.assertFalse(report["streams"]["db"]["ok"])
        self.assertIsNone(report["streams"]["db"]["last_success"])
        self.assertTrue(report["streams"]["docs"]["ok"])
        self.assertEqual(self.status("--only", "docs").returncode, 0)
        self.assertEqual(self.status("--max-age", "soon").returncode, 2)

    def test_status_is_ok_after_a_backup_and_stale_past_max_age(self):
        self.assertEqual(self.backup().returncode, 0)
        fresh = self.status()
        self.assertEqual(fresh.returncode, 0, fresh.stdout.decode() + fresh.stderr.decode())
        # Two hours ago (written as the tool writes it): fine for 26h, stale for 1h. status
        # believes a success only with its manifest saying the same (issue 17), so the set's
        # manifest is made to say so too.
        two_hours_ago = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 7200))
        manifest = self.manifest()
        manifest["finished_at"] = two_hours_ago
        manifest_key = PREFIX + f"manifests/{manifest['id']}.json"
        self.client().put_object(Bucket=self.front.bucket, Key=manifest_key,
                                 Body=json.dumps(manifest).encode())
        earlier = {"id": manifest["id"], "finished_at": two_hours_ago, "manifest": manifest_key}
        self.client().put_object(Bucket=self.front.bucket, Key=PREFIX + "last-success.json",
                                 Body=json.dumps({"format_version": 2, "streams": {
                                     "db": earlier, "docs": earlier}}).encode())
        self.assertEqual(self.status().returncode, 0)
        stale = self.status("--max-age", "1h", "--json")
        self.assertEqual(stale.returncode, 1, stale.stdout.decode())
        ages = [v["age_seconds"] for v in json.loads(stale.stdout)["streams"].values()]
        self.assertTrue(all(7200 <= a < 7300 for a in ages), ages)

    def test_pg_dump_failing_midway_aborts_the_dump(self):
        real = self.pg.bin("pg_dump")
        fake = self.fake_pg_dump(f'{real} "$@" | head -c 6000000\necho "simulated failure" >&2\nexit 1')
        self.assert_db_failed_docs_committed(self.backup(PG_DUMP=fake), b"exited with status 1")

    def test_pg_dump_killed_by_a_signal_aborts_the_dump(self):
        real = self.pg.bin("pg_dump")
        fake = self.fake_pg_dump(f'{real} "$@" | head -c 6000000\nkill -9 $$')
        self.assert_db_failed_docs_committed(self.backup(PG_DUMP=fake), b"signal 9")

    def test_a_dump_without_the_custom_format_signature_is_a_failure(self):
        fake = self.fake_pg_dump('head -c 7000000 /dev/zero')
        self.assert_db_failed_docs_committed(self.backup(PG_DUMP=fake), b"PGDMP")

    def test_a_pg_dump_older_than_the_server_is_refused_before_anything_starts(self):
        path = os.path.join(self.workdir, "old-pg-dump")
        with open(path, "w") as f:
            f.write('#!/bin/sh\necho "pg_dump (PostgreSQL) 9.6.24"\n')
        os.chmod(path, 0o755)
        result = self.backup(PG_DUMP=path)
        self.assertEqual(result.returncode, 2, result.stderr.decode(errors="replace"))
        self.assertIn(b"pg_dump 9 is older than the PostgreSQL server", result.stderr)
        self.assertEqual(self.keys(), [], "nothing may be touched")

    def test_wrong_password_fails_the_db_stream_naming_the_cause(self):
        result = self.backup(PGPASSWORD="erpTEST-wrong-password")
        self.assert_db_failed_docs_committed(result, b"authentication failed")

    def test_unreachable_database_fails_the_db_stream(self):
        from s3_servers import free_port
        result = self.backup(PGPORT=str(free_port()))
        self.assert_db_failed_docs_committed(result, b"PostgreSQL")

    def test_a_failed_docs_stream_commits_the_db_alone(self):
        # Issue 17: a missing DOCUMENTS_DIR is refused before anything starts (exit 2,
        # test_config_errors.py); a docs stream that fails once started is still exit 3.
        self.front.set_faults([REFUSE_DOCS])
        result = self.backup()
        self.front.set_faults([])
        self.assertEqual(result.returncode, 3, result.stderr.decode(errors="replace"))
        self.assertIn(b"AccessDenied", result.stderr)
        manifest = self.manifest()
        self.assertEqual(manifest["streams"]["docs"]["status"], "failed")
        self.assertEqual(manifest["streams"]["db"]["status"], "committed")
        self.assertFalse([k for k in self.keys() if "/docs/" in k])
        last = json.loads(self.get(PREFIX + "last-success.json"))
        self.assertEqual(last["streams"]["db"]["id"], manifest["id"])
        self.assertNotIn("docs", last["streams"])
        status = self.status()  # the failed documents stay unrecorded: status fails
        self.assertEqual(status.returncode, 1, status.stderr.decode(errors="replace"))
        self.assert_no_uploads_left()

    def test_s3_refusing_mid_stream_commits_nothing(self):
        self.front.set_faults([{"method": "PUT", "query_contains": "partNumber=2", "times": -1, "action": "403"},
                               {"method": "PUT", "path_contains": "/db/", "times": -1, "action": "403"}])
        result = self.backup()
        self.assertEqual(result.returncode, 1, result.stderr.decode(errors="replace"))
        self.assertIn(b"AccessDenied", result.stderr)
        self.front.set_faults([])
        self.assert_nothing_committed()
        self.assertEqual(self.keys(), [])

    def test_sigterm_mid_upload_aborts_everything_and_exits_143(self):
        real = self.pg.bin("pg_dump")
        # A dump that streams a few parts and then waits, so the job is mid-upload when stopped.
        fake = self.fake_pg_dump(f'{{ {real} "$@"; sleep 60; }} | cat')
        before = self.front.requests()[-1]["seq"] if self.front.requests() else 0
        tool = subprocess.Popen([BINARY, "backup"], env=self.env(PG_DUMP=fake),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while not any("/db/" in r["target"] and "partNumber=" in r["target"] and r["status"] == 200
                      for r in self.front.requests(before)):
            self.assertLess(time.monotonic(), deadline, "the dump never reached S3")
            self.assertIsNone(tool.poll(), "the job ended before it could be stopped")
            time.sleep(0.1)  # polling the front's record, bounded by the deadline
        stopped = time.monotonic()
        tool.send_signal(signal.SIGTERM)
        tool.wait(timeout=10)
        stderr = tool.stderr.read()
        tool.stderr.close()
        self.assertLess(time.monotonic() - stopped, 10)
        self.assertEqual(tool.returncode, 143, stderr.decode(errors="replace"))
        for secret in self.secrets():
            self.assertNotIn(secret.encode(), stderr)
        self.assert_nothing_committed()
        self.assertFalse([k for k in self.keys() if "/db/" in k])

    def seed_old_docs_set(self, set_id: str) -> list[str]:
        body = b"old archive"
        docs_key = f"{PREFIX}docs/{set_id}.tar.zst"
        manifest = {"format_version": 1, "id": set_id, "env": ENV_NAME,
                    "streams": {"docs": {"key": docs_key, "status": "committed", "bytes": len(body),
                                         "sha256": hashlib.sha256(body).hexdigest(), "parts": 1,
                                         "compression": "zstd", "producer_exit_status": None}}}
        manifest_key = f"{PREFIX}manifests/{set_id}.json"
        self.client().put_object(Bucket=self.front.bucket, Key=docs_key, Body=body)
        self.client().put_object(Bucket=self.front.bucket, Key=manifest_key, Body=json.dumps(manifest).encode())
        return [docs_key, manifest_key]

    def test_prune_follows_a_successful_backup_and_its_failure_fails_the_job(self):
        old = self.seed_old_docs_set("20150101T020000Z")
        # Deletes refused with AccessDenied: credentials without delete permission (issue 20's
        # least-privilege backup scope). The backup stands, exit 0, and says the prune was skipped.
        self.front.set_faults([{"method": "POST", "query_contains": "delete", "times": -1, "action": "403"},
                               {"method": "DELETE", "times": -1, "action": "403"}])
        result = self.backup("--only", "docs", PRUNE_AFTER_BACKUP="true", RETENTION_MIN_KEEP="1")
        self.front.set_faults([])
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 0, stderr)
        self.assertIn("prune skipped: no delete permission", stderr)
        # Deletes that fail otherwise (the store keeps answering 500): the job fails.
        self.front.set_faults([{"method": "POST", "query_contains": "delete", "times": -1, "action": "500"},
                               {"method": "DELETE", "times": -1, "action": "500"}])
        result = self.backup("--only", "docs", PRUNE_AFTER_BACKUP="true", RETENTION_MIN_KEEP="1")
        self.front.set_faults([])
        self.assertEqual(result.returncode, 1, result.stderr.decode(errors="replace"))
        self.assertIn(b"backup complete", result.stderr, "the run committed; its prune failed")
        self.assertIn(b"prune", result.stderr.lower())
        keys = self.keys()
        for key in old:
            self.assertIn(key, keys, "the refused deletes left the old set")
        new_manifests = [k for k in keys if "/manifests/" in k and "20150101" not in k]
        self.assertEqual(len(new_manifests), 2, "both new sets are committed and untouched")
        self.assertIn(PREFIX + "last-success.json", keys)
        # Once the store accepts deletes again, the same plan removes the expired set and
        # keeps the new one.
        result = run_erp(["prune"], self.env(RETENTION_MIN_KEEP="1"), self.secrets())
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        keys = self.keys()
        for key in old:
            self.assertNotIn(key, keys, "the expired set was pruned")
        self.assertEqual(len([k for k in keys if "/manifests/" in k]), 2)

    def test_a_successful_backup_aborts_stale_uploads_and_counts_a_failed_abort(self):
        # Two uploads a killed run could have left; real time passes the (short) age.
        stale = {key: self.client().create_multipart_upload(Bucket=self.front.bucket, Key=key)["UploadId"]
                 for key in (PREFIX + "db/20260101T020000Z.dump", PREFIX + "docs/20260101T020000Z.tar.zst")}
        old_enough = time.monotonic() + 2
        while (left := old_enough - time.monotonic()) > 0:
            time.sleep(left)  # the age is real time; nothing else to wait for
        refused_key = PREFIX + "docs/20260101T020000Z.tar.zst"
        self.front.set_faults([{"method": "DELETE", "path_contains": refused_key, "query_contains": "uploadId=",
                                "times": -1, "action": "403"}])
        try:
            result = self.backup("--only", "db", PRUNE_AFTER_BACKUP="true", STALE_UPLOAD_AGE="1s")
        finally:
            self.front.set_faults([])
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 0, stderr)  # the exit code stays the streams'
        listing = self.client().list_multipart_uploads(Bucket=self.front.bucket, Prefix=PREFIX)
        self.assertEqual([u["Key"] for u in listing.get("Uploads", [])], [refused_key])
        self.assertTrue(any(refused_key in line and stale[refused_key] in line and "AccessDenied" in line
                            for line in stderr.splitlines()), stderr)
        summary = [line for line in stderr.splitlines() if " backup done id=" in line]
        self.assertEqual(len(summary), 1, stderr)
        self.assertIn("failed_aborts=1", summary[0])
        self.client().abort_multipart_upload(Bucket=self.front.bucket, Key=refused_key,
                                             UploadId=stale[refused_key])

    def test_an_existing_set_is_never_overwritten(self):
        result = self.backup("--only", "docs")
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        first = {key: self.get(key) for key in self.keys()}
        # Another run's object appears under the ID this run chose, between choosing it and
        # checking it: the front holds the run's first look (HEAD of its db key) until the test
        # has written that very key. No clock window: the ID is read from the held request.
        self.front.set_faults([{"method": "HEAD", "path_contains": f"{PREFIX}db/", "action": "hold",
                                "seconds": 300}])
        since = len(self.front.requests())
        run = subprocess.Popen([BINARY, "backup", "--only", "docs"], env=self.env(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            key = self.wait_for_held_key(since, "HEAD", f"/{PREFIX}db/", run, "looked at its set's db key")
            self.client().put_object(Bucket=self.front.bucket, Key=key, Body=b"keep me")
            self.front.release()
            stdout, stderr = run.communicate(timeout=300)
        finally:
            self.front.set_faults([])
            if run.poll() is None:
                run.kill()
                run.communicate()
        for secret in self.secrets():
            self.assertNotIn(secret.encode(), stdout + stderr)
        self.assertEqual(run.returncode, 1, stderr.decode(errors="replace"))
        self.assertIn(b"already has " + key.encode(), stderr)
        self.assertEqual(self.get(key), b"keep me")
        self.assertEqual(sorted(self.keys()), sorted([*first, key]), "the refused run wrote nothing")
        for existing, body in first.items():
            self.assertEqual(self.get(existing), body, f"{existing} changed")

    # -- no staging, secrets, read-only --------------------------------------------------------------
    def traced_writes(self, args: list[str], env: dict, child: str) -> list[str]:
        """Runs erp-backup ARGS under strace -f; returns every file it or its children opened for
        writing (outside /dev and /proc), created, renamed or removed. Fails on a secret in argv."""
        trace = os.path.join(self.workdir, f"strace-{time.monotonic_ns()}.out")
        result = subprocess.run(["strace", "-f", "-qq", "-s", "4096", "-o", trace,
                                 "-e", "trace=open,openat,openat2,creat,rename,renameat,renameat2,"
                                       "mkdir,mkdirat,unlink,unlinkat,execve",
                                 BINARY, *args], env=env, capture_output=True, timeout=600)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace")[-3000:])
        with open(trace, errors="replace") as f:
            lines = f.read().splitlines()
        self.assertTrue(any("execve(" in line and child in line for line in lines), f"{child} ran under strace")
        writes = []
        for line in lines:
            if any(call in line for call in ("creat(", "rename", "mkdir", "unlink")) and "= -1" not in line:
                writes.append(line)
            if ("open" in line and ("O_WRONLY" in line or "O_RDWR" in line or "O_CREAT" in line)
                    and "= -1" not in line):
                path = line.split('"')[1] if '"' in line else ""
                if not (path.startswith("/dev/") or path.startswith("/proc/")):
                    writes.append(line)
        for line in lines:
            if "execve(" in line:
                for secret in self.secrets():
                    self.assertNotIn(secret, line, "a secret in a child's argv")
        return writes

    def test_no_file_is_opened_for_writing_and_no_secret_reaches_argv(self):
        writes = self.traced_writes(["backup"], self.env(), "pg_dump")
        self.assertEqual(writes, [], "files written: " + "\n".join(writes[:10]))

    def test_verify_and_restore_db_open_no_file_for_writing(self):
        self.assertEqual(self.backup("--only", "db").returncode, 0)
        writes = self.traced_writes(["verify"], self.env(), "pg_restore")
        self.assertEqual(writes, [], "verify wrote: " + "\n".join(writes[:10]))
        db, user, password = self.restore_target()
        writes = self.traced_writes(["restore", "db"],
                                    self.restore_env(db, user, password, RESTORE_MIN_TABLES="1"),
                                    "pg_restore")
        self.assertEqual(writes, [], "restore db wrote: " + "\n".join(writes[:10]))

    def test_the_manifest_and_logs_hold_no_secret_and_json_logs_are_json(self):
        result = self.backup(LOG_FORMAT="json")
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        for line in result.stderr.decode().splitlines():
            json.loads(line)
        manifest_text = self.get([k for k in self.keys() if "/manifests/" in k][0]).decode()
        for secret in self.secrets():
            self.assertNotIn(secret, manifest_text)


class BackupOnS3rver(BackupSpec, unittest.TestCase):
    backend = "s3rver"


class BackupOverHttpsOnMoto(EveryPutUnsigned, BackupOnMoto):
    """moto behind the front serving TLS, as production runs: S3_PAYLOAD_SIGNING=auto sends
    UNSIGNED-PAYLOAD, so TLS is the only guard on the bytes, and the round trip proves them."""
    tls = True

    def test_transient_faults_over_https_are_retried_and_the_set_is_intact(self):
        # The first PUT of each stream fails once: a reset connection (a TLS session cut mid-way)
        # for the dump, a 503 for the documents archive.
        self.front.set_faults([
            {"method": "PUT", "path_contains": "/db/", "times": 1, "action": "reset"},
            {"method": "PUT", "path_contains": "/docs/", "times": 1, "action": "503"},
        ])
        result = self.backup()
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        self.assertEqual([rule["fired"] for rule in self.front.faults()], [1, 1], "both faults happened")
        self.front.set_faults([])
        manifest = self.manifest()
        self.assertEqual(manifest["status"], "complete")
        for stream in ("db", "docs"):
            record = manifest["streams"][stream]
            body = self.get(record["key"])
            self.assertEqual(len(body), record["bytes"], stream)
            self.assertEqual(hashlib.sha256(body).hexdigest(), record["sha256"], stream)
        self.assert_no_uploads_left()

    def test_without_the_ca_the_backup_fails_naming_the_certificate_before_pg_dump(self):
        fake, log = self.recording_pg_dump()
        result = self.backup(AWS_CA_BUNDLE=None, PG_DUMP=fake)
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 2, f"a setting to fix, like any pre-flight refusal: {stderr}")
        self.assertIn("bucket pre-flight", stderr)
        self.assertIn("TLS certificate verification failed", stderr)
        self.assertIn("unable to get local issuer certificate", stderr)
        self.assertIn("set AWS_CA_BUNDLE to a PEM file", stderr)
        self.assertFalse(os.path.exists(log), "pg_dump was started although S3 is unreachable")
        self.assertEqual(self.front.requests(self.first_seq), [], "no request got past the TLS handshake")
        self.assertEqual(self.keys(), [])


# Over HTTPS runs every inherited test but these, each reported as skipped with its reason. What
# runs: the full round trip (backup, then the aws CLI, pg_restore, zstd and tar check the result),
# the read paths (verify, restore docs), the fault and stop paths (transient faults retried, a
# refusal mid-stream, SIGTERM) and the no-staging traces (TLS must write no file either).
PG_SIDE = ("checks PostgreSQL, pg_dump or pg_restore beside the S3 transport; the requests it makes "
           "are the ones the HTTPS round trip already sends")
REPLY_LOGIC = ("checks how the tool reads a store's answer (an error code, a listing, a HEAD); "
               "the same bytes reach the same parser over HTTP and HTTPS")
CATALOG_LOGIC = ("checks which objects a run writes or reads (manifests, last-success.json); "
                 "the transport only carries them, and the HTTPS round trip proves it does")
LOCAL_SIDE = ("checks the local side (the target tree, the documents dir, a refusal before any "
              "request); the HTTPS restore-docs and verify tests read the same objects over TLS")
skip_inherited(BackupOverHttpsOnMoto, BackupOnMoto, {
    "test_a_clock_the_server_calls_skewed_is_refused_showing_the_offset": REPLY_LOGIC,
    "test_a_docs_only_run_keeps_the_last_database_success_as_it_was": CATALOG_LOGIC,
    "test_a_docs_only_run_never_makes_the_database_look_backed_up": CATALOG_LOGIC,
    "test_a_dump_that_restores_only_part_of_the_tables_is_a_failure": PG_SIDE,
    "test_a_dump_without_the_custom_format_signature_is_a_failure": PG_SIDE,
    "test_a_missing_bucket_is_refused_before_pg_dump_starts": REPLY_LOGIC,
    "test_a_pg_dump_older_than_the_server_is_refused_before_anything_starts": PG_SIDE,
    "test_a_successful_backup_aborts_stale_uploads_and_counts_a_failed_abort": REPLY_LOGIC,
    "test_a_wrong_region_is_refused_naming_the_region_the_server_expects": REPLY_LOGIC,
    "test_a_wrong_secret_key_is_refused_before_pg_dump_starts": REPLY_LOGIC,
    "test_an_existing_set_is_never_overwritten": CATALOG_LOGIC,
    "test_only_db_writes_a_complete_db_only_set": CATALOG_LOGIC,
    "test_pg_dump_failing_midway_aborts_the_dump": PG_SIDE,
    "test_pg_dump_killed_by_a_signal_aborts_the_dump": PG_SIDE,
    "test_prune_follows_a_successful_backup_and_its_failure_fails_the_job": REPLY_LOGIC,
    "test_refresh_sandbox_needs_no_source_setting_and_names_what_is_missing": LOCAL_SIDE,
    "test_refresh_sandbox_twice_gives_the_same_sandbox_and_never_contacts_prod": PG_SIDE,
    "test_restore_db_into_a_missing_database_fails_naming_it": PG_SIDE,
    "test_restore_db_needs_every_target_setting_and_never_uses_the_source": LOCAL_SIDE,
    "test_restore_db_refuses_a_set_whose_dump_failed": CATALOG_LOGIC,
    "test_restore_db_refuses_to_drop_the_backup_source": PG_SIDE,
    "test_restore_db_refuses_while_another_session_is_connected": PG_SIDE,
    "test_restore_db_reproduces_the_source_in_a_database_owned_by_a_non_superuser": PG_SIDE,
    "test_restore_db_with_a_wrong_target_password_fails_naming_it": PG_SIDE,
    "test_restore_docs_refuses_a_non_empty_target_without_force": LOCAL_SIDE,
    "test_restore_docs_refuses_a_hash_mismatch_naming_the_key_and_writes_nothing": CATALOG_LOGIC,
    "test_restore_docs_refuses_a_set_without_manifest_or_with_failed_docs": CATALOG_LOGIC,
    "test_restore_docs_refuses_an_absolute_link_outside_every_allowed_root": LOCAL_SIDE,
    "test_restore_docs_subtree_restores_only_that_subtree": LOCAL_SIDE,
    "test_restore_docs_without_a_target_is_a_usage_error_naming_both": LOCAL_SIDE,
    "test_status_is_ok_after_a_backup_and_stale_past_max_age": CATALOG_LOGIC,
    "test_status_says_never_when_nothing_or_only_docs_succeeded": CATALOG_LOGIC,
    "test_the_manifest_and_logs_hold_no_secret_and_json_logs_are_json": CATALOG_LOGIC,
    "test_the_recording_pg_dump_does_record_a_dump": "checks the test's own fake pg_dump, not the tool",
    "test_unreachable_database_fails_the_db_stream": PG_SIDE,
    "test_verify_reports_a_flipped_byte_in_the_dump": CATALOG_LOGIC,
    "test_verify_reports_a_manifest_whose_hash_disagrees": CATALOG_LOGIC,
    "test_verify_reports_a_missing_object": REPLY_LOGIC,
    "test_verify_reports_a_truncated_docs_archive": CATALOG_LOGIC,
    "test_wrong_password_fails_the_db_stream_naming_the_cause": PG_SIDE,
})


if __name__ == "__main__":
    unittest.main()
