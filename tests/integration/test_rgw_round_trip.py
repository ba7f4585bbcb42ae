"""Issue 18: `backup` → `verify` → `restore db` → `restore docs` on Ceph's RADOS Gateway.

RGW (Debian's radosgw 16.2, tests/harness/rgw_server.py) is a real, independent S3 store run as a
one-node Ceph cluster; the test front forwards every request to it unchanged, so RGW checks each
signature and payload hash itself, and the front still re-verifies them and records every request.

BackupOnRgw runs the backup specification's own tests (test_backup.BackupSpec: `--only` runs and
last-success.json, verify, restore docs with subtrees and refusals) on RGW — the tests of
test_backup.py that exercise the store — and one more that walks the whole chain with multipart
streams: backup → verify → restore db, compared category by category with the source
(tests/fixtures/db_catalog.py) → restore docs, compared entry by entry. Two spec tests are
reported as skipped, each with its reason (that chain covers what they read from the store; the
rest of them is PostgreSQL's side): ~90 s saved on the 2-core CI machine. The 40 more of
BackupOnMoto (pg_dump's failure modes, the pre-flight, strace traces, faults) are about the tool
and PostgreSQL, proven on moto and s3rver; they would add ~10 min here and nothing about RGW.

Where RGW differs and what is asserted instead of skipped: its CompleteMultipartUpload answers
200 with an empty `<ETag></ETag>`; the tool then HEADs the key, accepts the object by its size,
logs that the answer was ambiguous and reading settled it, and deletes nothing.
"""

from __future__ import annotations

import json
import os
import tempfile
import unittest

from db_catalog import catalog_snapshot, diff_catalogs  # noqa: E402
from docs_fixture import describe_tree, diff_trees  # noqa: E402
from inherited_tests import skip_inherited  # noqa: E402
from test_backup import PREFIX, BackupSpec  # noqa: E402


class BackupOnRgw(BackupSpec, unittest.TestCase):
    backend = "rgw"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source_catalog = catalog_snapshot(cls.pg, "dolibarr")

    def test_backup_verify_restore_db_and_docs_give_back_the_source(self):
        before = len(self.front.requests())
        result = self.backup()
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 0, stderr)
        manifest = self.manifest()
        self.assertEqual(manifest["status"], "complete")

        # Both streams went as multipart uploads, so both met RGW's complete without an ETag:
        # each was settled by a HEAD of its key after the 200, and nothing was deleted.
        sent = self.front.requests(before)
        for stream in ("db", "docs"):
            record = manifest["streams"][stream]
            with self.subTest(stream=stream):
                self.assertGreater(record["parts"], 1, "a multipart stream (5 MiB parts)")
                mine = [r for r in sent if record["key"] in r["target"]]
                [complete] = [r for r in mine if r["method"] == "POST" and "uploadId=" in r["target"]]
                self.assertEqual(complete["status"], 200)
                self.assertIn("HEAD", [r["method"] for r in mine if r["seq"] > complete["seq"]],
                              "the empty ETag was settled by reading the key")
                self.assertEqual([r for r in mine if r["method"] == "DELETE"], [])
                self.assertIn(f"reading the key showed this stream's object key={record['key']}", stderr)
                head = self.client().head_object(Bucket=self.front.bucket, Key=record["key"])
                self.assertEqual(head["ContentLength"], record["bytes"])
                self.assertTrue(head["ETag"].endswith(f'-{record["parts"]}"'), head["ETag"])

        checked = self.verify("--json")
        self.assertEqual(checked.returncode, 0, checked.stderr.decode(errors="replace"))
        report = json.loads(checked.stdout)
        self.assertTrue(report["ok"])
        self.assertEqual([s["id"] for s in report["sets"]], [manifest["id"]])

        db, user, password = self.restore_target()
        restored = self.restore_db(db, user, password, "latest")
        self.assertEqual(restored.returncode, 0, restored.stderr.decode(errors="replace")[-4000:])
        differences = diff_catalogs(self.source_catalog, catalog_snapshot(self.pg, db))
        # The restore leaves out what RESTORE_EXCLUDE names (pgbouncer's lookup function), and
        # only that.
        self.assertEqual([d for d in differences if "pgbouncer" not in d], [], "\n".join(differences[:30]))
        self.assertEqual(len(differences), 1, differences)
        self.assertEqual(self.pg.table_fingerprints(db), self.source_fingerprints, "every table equal")

        target = os.path.join(tempfile.mkdtemp(dir=self.workdir), "restored")
        result = self.restore_docs(manifest["id"], "--target-dir", target, *self.LINK_ROOT)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        differences = diff_trees(describe_tree(self.docs, mtime_ns=True, owner=True),
                                 describe_tree(target, mtime_ns=True, owner=True))
        self.assertEqual(differences, [], "\n".join(differences[:20]))
        self.assertEqual(sorted(self.keys()), sorted([manifest["streams"]["db"]["key"],
                                                      manifest["streams"]["docs"]["key"],
                                                      PREFIX + f"manifests/{manifest['id']}.json",
                                                      PREFIX + "last-success.json"]),
                         "the set's objects and last-success.json, nothing else")


CHAIN = "test_backup_verify_restore_db_and_docs_give_back_the_source"
skip_inherited(BackupOnRgw, BackupSpec, {
    "test_backup_restores_to_an_identical_database_and_tree":
        f"{CHAIN} reads the same set back from RGW (by the tool's restores, compared by catalog "
        "and tree); the aws CLI's reads from RGW are in test_object_commands",
    "test_restore_db_reproduces_the_source_in_a_database_owned_by_a_non_superuser":
        f"{CHAIN} restores the dump from RGW into a non-superuser's database; the second, "
        "drop-owned restore of this test is PostgreSQL's side",
})


if __name__ == "__main__":
    unittest.main()
