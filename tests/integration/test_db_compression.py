"""Issue 11 item 3: `DB_COMPRESSION=zstd` (`pg_dump -Fc --compress=0`, compressed in-process into
`db/<ID>.dump.zst`, recorded in the manifest) against real PostgreSQL and moto behind the
signature-verifying front: backup, list, verify, restore db and refresh-sandbox read a zstd dump
and a pg_dump-compressed one alike, in one catalog; damage inside the zstd frame is caught by
verify (naming the key) and refused by restore db before anything is dropped; a malformed value
is a configuration error before pg_dump starts.

Independent tools check the stored object: boto3 (size, SHA-256), the zstd CLI and pg_restore.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
import time
import unittest

from erp_cli import clean_env, run_erp, wait_for_a_new_set_id  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402

ENV_NAME = "prod"
PREFIX = f"erp/{ENV_NAME}/"


class DbCompressionOnMoto(IntegrationCase, unittest.TestCase):
    backend = "moto"
    workdir_prefix = "erp-dbzstd-test-"
    postgres = True
    erp_scale = "tiny"
    clear_prefix = PREFIX

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pg.psql("dolibarr", "select lo_from_bytea(0, convert_to(repeat('facture PDF ', 5000), 'UTF8'))")
        cls.source_fingerprints = cls.pg.table_fingerprints("dolibarr")
        cls.source_sequences = cls.pg.sequence_values("dolibarr")
        # A small documents tree: refresh-sandbox wants a set with both streams.
        cls.docs = os.path.join(cls.workdir, "documents")
        os.makedirs(os.path.join(cls.docs, "mycompany", "facture", "FA2601-0001"))
        with open(os.path.join(cls.docs, "mycompany", "facture", "FA2601-0001", "FA2601-0001.pdf"), "wb") as f:
            f.write(b"%PDF-1.4 facture\n" * 200)

    # -- helpers ---------------------------------------------------------------------------------
    def env(self, **extra):
        settings = {**self.front.env(), **self.pg.env("dolibarr"), "BACKUP_ENV": ENV_NAME,
                    "DOCUMENTS_DIR": self.docs, "S3_PART_SIZE": "5MiB", "PRUNE_AFTER_BACKUP": "false"}
        settings.update(extra)
        return clean_env({k: v for k, v in settings.items() if v is not None})

    def erp(self, *args, env=None, **extra):
        return run_erp(list(args), env or self.env(**extra), self.secrets(), timeout=600)

    def backup(self, *args, **extra):
        result = self.erp("backup", *args, **extra)
        wait_for_a_new_set_id(result)  # the next backup of this test gets its own ID
        return result

    def put(self, key: str, body: bytes):
        self.client().put_object(Bucket=self.front.bucket, Key=key, Body=body)

    def manifests(self) -> list[dict]:
        return [json.loads(self.get(k)) for k in self.keys() if "/manifests/" in k]

    def restore_env(self, db: str, user: str, password: str, **extra) -> dict:
        env = self.env()
        for name in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"):
            env.pop(name, None)
        env.update({"RESTORE_PGHOST": self.pg.host, "RESTORE_PGPORT": str(self.pg.port),
                    "RESTORE_PGDATABASE": db, "RESTORE_PGUSER": user, "RESTORE_PGPASSWORD": password,
                    "RESTORE_EXCLUDE": "FUNCTION pgbouncer user_lookup"})
        env.update(extra)
        return env

    def large_objects(self, db: str) -> list:
        return self.pg.query(db, "select oid::bigint as oid, md5(lo_get(oid)) as h "
                                 "from pg_largeobject_metadata order by oid")

    def assert_restored_equal(self, db: str):
        self.assertEqual(self.pg.table_fingerprints(db), self.source_fingerprints)
        self.assertEqual(self.pg.sequence_values(db), self.source_sequences)
        self.assertEqual(self.large_objects(db), self.large_objects("dolibarr"))

    def assert_ok(self, result):
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace")[-4000:])

    # -- the round trip ----------------------------------------------------------------------------
    def test_a_zstd_dump_is_stored_as_dump_zst_verifies_and_restores_equal(self):
        self.assert_ok(self.backup("--only", "db", DB_COMPRESSION="zstd"))
        [manifest] = self.manifests()
        record = manifest["streams"]["db"]
        self.assertEqual(record["key"], f"{PREFIX}db/{manifest['id']}.dump.zst")
        self.assertEqual(record["compression"], "zstd")
        self.assertEqual(manifest["status"], "complete")
        self.assertEqual(manifest["format_version"], 1)  # extended compatibly, not bumped

        # Independent tools: the stored bytes are what the manifest says, one zstd frame holding a
        # custom-format archive that pg_dump wrote without compression of its own.
        body = self.get(record["key"])
        self.assertEqual(len(body), record["bytes"])
        self.assertEqual(hashlib.sha256(body).hexdigest(), record["sha256"])
        raw = subprocess.run(["zstd", "-dc"], input=body, capture_output=True, check=True).stdout
        self.assertTrue(raw.startswith(b"PGDMP"))
        self.assertLess(len(body), len(raw) / 3, "zstd should shrink an ERP dump several times")
        toc = subprocess.run([self.pg.bin("pg_restore"), "--list"], input=raw, capture_output=True, check=True)
        header = toc.stdout.decode()
        self.assertRegex(header, r"; +Compression: (0|none)\n", header[:600])

        # list recognises the key (not foreign) and counts the set complete with its size.
        listed = self.erp("list", "--json")
        self.assert_ok(listed)
        doc = json.loads(listed.stdout)
        self.assertEqual(doc["foreign"], [])
        [row] = doc["sets"]
        self.assertEqual((row["status"], row["streams"], row["db_bytes"]), ("complete", ["db"], len(body)))

        verified = self.erp("verify", "latest", "--json")
        self.assert_ok(verified)
        self.assertIn(record["key"].encode(), verified.stdout)

        db, user, password = self.restore_target("zsandbox")
        restored = run_erp(["restore", "db", "latest"], self.restore_env(db, user, password), self.secrets())
        self.assert_ok(restored)
        self.assertIn(b"pg_restore_errors=0", restored.stderr)
        self.assert_restored_equal(db)

    def test_refresh_sandbox_reads_a_zstd_set(self):
        self.assert_ok(self.backup(DB_COMPRESSION="zstd", DB_ZSTD_LEVEL="9"))
        [manifest] = self.manifests()
        self.assertTrue(manifest["streams"]["db"]["key"].endswith(".dump.zst"))
        db, user, password = self.restore_target("zsandbox")
        sandbox_docs = tempfile.mkdtemp(dir=self.workdir)
        os.makedirs(os.path.join(sandbox_docs, "mycompany", "stale"))  # a sandbox refreshed before
        env = self.restore_env(db, user, password, RESTORE_DOCUMENTS_DIR=sandbox_docs, BACKUP_ENV="sandbox")
        result = run_erp(["refresh-sandbox", "--from-env", ENV_NAME], env, self.secrets())
        self.assert_ok(result)
        self.assert_restored_equal(db)
        with open(os.path.join(sandbox_docs, "mycompany", "facture", "FA2601-0001", "FA2601-0001.pdf"), "rb") as f:
            self.assertEqual(f.read(), b"%PDF-1.4 facture\n" * 200)

    def test_a_first_refresh_creates_the_documents_subtree(self):
        # A sandbox that was never refreshed has no documents subtree to swap out.
        self.assert_ok(self.backup(DB_COMPRESSION="zstd"))
        db, user, password = self.restore_target("zsandbox")
        sandbox_docs = tempfile.mkdtemp(dir=self.workdir)
        env = self.restore_env(db, user, password, RESTORE_DOCUMENTS_DIR=sandbox_docs, BACKUP_ENV="sandbox")
        result = run_erp(["refresh-sandbox", "--from-env", ENV_NAME], env, self.secrets())
        self.assert_ok(result)
        self.assertEqual(os.listdir(sandbox_docs), ["mycompany"])
        with open(os.path.join(sandbox_docs, "mycompany", "facture", "FA2601-0001", "FA2601-0001.pdf"), "rb") as f:
            self.assertEqual(f.read(), b"%PDF-1.4 facture\n" * 200)

    def test_a_catalog_of_both_compressions_lists_verifies_and_restores_each(self):
        # A set written with pg_dump's own compression, then the setting switched to zstd.
        self.assert_ok(self.backup("--only", "db"))
        self.assert_ok(self.backup("--only", "db", DB_COMPRESSION="zstd"))
        old, new = sorted(self.manifests(), key=lambda m: m["id"])
        self.assertEqual((old["streams"]["db"]["compression"], new["streams"]["db"]["compression"]),
                         ("none", "zstd"))
        self.assertTrue(old["streams"]["db"]["key"].endswith(f"{old['id']}.dump"))
        self.assertTrue(self.get(old["streams"]["db"]["key"]).startswith(b"PGDMP"))
        # A manifest from before DB_COMPRESSION existed holds no compression field for the dump.
        legacy = dict(old)
        del legacy["streams"]["db"]["compression"]
        self.put(f"{PREFIX}manifests/{old['id']}.json", json.dumps(legacy).encode())

        listed = json.loads(self.erp("list", "--json").stdout)
        self.assertEqual([(s["id"], s["status"]) for s in listed["sets"]],
                         [(new["id"], "complete"), (old["id"], "complete")])
        self.assertEqual(listed["foreign"], [])
        self.assert_ok(self.erp("verify", "--all", DB_COMPRESSION="zstd"))
        # Nothing to prune yet, and no key of either set is foreign to retention.
        pruned = self.erp("prune", "--dry-run", "--json", DB_COMPRESSION="zstd")
        self.assert_ok(pruned)
        self.assertNotIn(b"foreign", pruned.stdout.replace(b'"foreign": []', b""))

        for chosen in (old["id"], new["id"]):
            db, user, password = self.restore_target("zsandbox")
            env = self.restore_env(db, user, password, DB_COMPRESSION="zstd")
            restored = run_erp(["restore", "db", chosen], env, self.secrets())
            self.assert_ok(restored)
            self.assert_restored_equal(db)

    # -- damage and refusals -----------------------------------------------------------------------
    def corrupt_zstd_dump(self, *, fix_manifest_hash: bool) -> tuple[dict, str]:
        self.assert_ok(self.backup("--only", "db", DB_COMPRESSION="zstd"))
        [manifest] = self.manifests()
        key = manifest["streams"]["db"]["key"]
        body = bytearray(self.get(key))
        for offset in range(len(body) // 2, len(body) // 2 + 64, 8):  # inside the compressed blocks
            body[offset] ^= 0x55
        self.put(key, bytes(body))
        if fix_manifest_hash:
            # Only the frame itself can tell now: its blocks and content checksum.
            manifest["streams"]["db"]["sha256"] = hashlib.sha256(bytes(body)).hexdigest()
            self.put(f"{PREFIX}manifests/{manifest['id']}.json", json.dumps(manifest).encode())
        return manifest, key

    def assert_verify_fails_naming(self, set_id: str, key: str, *needles: bytes):
        result = self.erp("verify", set_id)
        output = result.stdout + result.stderr
        self.assertEqual(result.returncode, 1, output.decode(errors="replace"))
        self.assertIn(key.encode(), output)
        for needle in needles:
            self.assertIn(needle, output)

    def test_verify_names_a_corrupted_dump_zst(self):
        manifest, key = self.corrupt_zstd_dump(fix_manifest_hash=False)
        self.assert_verify_fails_naming(manifest["id"], key)

    def test_damage_inside_the_zstd_frame_is_caught_even_when_the_hash_agrees(self):
        manifest, key = self.corrupt_zstd_dump(fix_manifest_hash=True)
        self.assert_verify_fails_naming(manifest["id"], key, b"zstd")
        # restore db refuses it before anything is dropped: the target keeps what it held.
        db, user, password = self.restore_target("zsandbox")
        self.pg.psql(db, "create table keep_me (id int); insert into keep_me values (42)", user=user,
                     password=password)
        env = self.restore_env(db, user, password, RESTORE_DROP_OWNED="true")
        refused = run_erp(["restore", "db", manifest["id"]], env, self.secrets())
        self.assertEqual(refused.returncode, 1, refused.stderr.decode(errors="replace")[-3000:])
        self.assertIn(b"restore refused", refused.stderr)
        self.assertIn(key.encode(), refused.stderr)
        self.assertEqual(self.pg.scalar(db, "select id from keep_me"), "42")

    def test_which_restores_check_the_whole_dump_first(self):
        manifest, key = self.corrupt_zstd_dump(fix_manifest_hash=False)
        # A target holding tables, with drop-owned (without it such a target is refused outright,
        # test_restore_db.py): the whole dump first, refused, nothing dropped.
        db, user, password = self.restore_target("zsandbox")
        self.pg.psql(db, "create table keep_me (id int); insert into keep_me values (42)", user=user,
                     password=password)
        refused = run_erp(["restore", "db", manifest["id"]],
                          self.restore_env(db, user, password, RESTORE_DROP_OWNED="true"), self.secrets())
        self.assertEqual(refused.returncode, 1, refused.stderr.decode(errors="replace")[-3000:])
        self.assertIn(b"restore refused", refused.stderr)
        self.assertIn(key.encode(), refused.stderr)
        self.assertEqual(self.pg.query(db, "select count(*) as n from pg_tables where schemaname = 'public'"),
                         [{"n": 1}])
        # An empty target, nothing dropped: nothing to lose, so only the TOC is read first; the
        # restore's own read still catches the damage and the run fails naming the key.
        db, user, password = self.restore_target("zsandbox")
        failed = run_erp(["restore", "db", manifest["id"]], self.restore_env(db, user, password), self.secrets())
        self.assertEqual(failed.returncode, 1, failed.stderr.decode(errors="replace")[-3000:])
        self.assertIn(b"TOC only", failed.stderr)
        self.assertIn(key.encode(), failed.stderr)
        self.assertNotIn(b"restore db done", failed.stderr)

    def test_a_malformed_db_compression_is_refused_before_pg_dump_starts(self):
        log = os.path.join(self.workdir, f"pg-dump-calls-{time.monotonic_ns()}")
        fake = os.path.join(self.workdir, f"recording-pg-dump-{time.monotonic_ns()}")
        with open(fake, "w") as f:
            f.write(f'#!/bin/sh\necho "$@" >> "{log}"\nexec {self.pg.bin("pg_dump")} "$@"\n')
        os.chmod(fake, 0o755)
        result = self.erp("backup", "--only", "db", DB_COMPRESSION="gzip", PG_DUMP=fake)
        self.assertEqual(result.returncode, 2, result.stderr.decode(errors="replace"))
        self.assertIn(b"DB_COMPRESSION 'gzip'", result.stderr)
        self.assertIn(b"pg_dump", result.stderr)
        self.assertIn(b"zstd", result.stderr)
        self.assertFalse(os.path.exists(log), "pg_dump ran although the configuration was refused")
        self.assertEqual(self.keys(), [])


if __name__ == "__main__":
    unittest.main()
