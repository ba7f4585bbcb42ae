"""Issue 18: `backup` → `verify` → `restore db` → `restore docs` on Ceph's RADOS Gateway.

RGW (Debian's radosgw 16.2, tests/support/rgw_server.py) is a real, independent S3 store run as a
one-node Ceph cluster; the test front forwards every request to it unchanged, so RGW checks each
signature and payload hash itself, and the front still re-verifies them and records every request.

BackupOnRgw runs the backup specification's own tests (test_backup.BackupSpec: the round trip,
`--only` runs and last-success.json, verify, restore docs with subtrees and refusals, restore db
into a non-superuser's database) on RGW — the tests of test_backup.py that exercise the store.
The 40 more of BackupOnMoto (pg_dump's failure modes, the pre-flight, strace traces, faults) are
about the tool and PostgreSQL, proven on moto and s3rver; they would add ~10 min here and nothing
about RGW. One more test walks the whole chain with multipart streams and compares the restore
category by category (tests/support/db_catalog.py).

Where RGW differs and what is asserted instead of skipped: its CompleteMultipartUpload answers
200 with an empty `<ETag></ETag>`; the tool then HEADs the key, accepts the object by its size,
logs that the answer was ambiguous and reading settled it, and deletes nothing.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))

from db_catalog import catalog_snapshot, diff_catalogs  # noqa: E402
from docs_fixture import describe_tree, diff_trees  # noqa: E402
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


if __name__ == "__main__":
    unittest.main()
