"""Issue 17: the read path under GET faults, against real servers (moto and s3rver behind the front).

One real backup per class makes a committed set (the ERP fixture at "tiny" scale, a small
documents tree). Then the front's GET faults are aimed at the stored objects while `verify`,
`restore db`, `restore docs` and `cat` read them:

* within the retry budget (one 503, one stall, one body cut mid-way): the command must end in a
  true success: exit 0 and what it produced equals the source (the restored tables' fingerprints,
  the restored tree, the bytes `cat` wrote); a cut body is resumed with a ranged GET that starts at
  the next byte and is pinned to the object's ETag (If-Match);
* beyond it (503 on every request, a body cut before its first byte on every request) or every
  body with one byte flipped: a loud failure, exit 1, the error naming the object's key; never
  exit 0; and `restore docs` into an empty target leaves nothing that looks restored.

Outcomes are asserted, not log wording: restore db and restore docs are being rebuilt (phases,
stage and swap) and must keep these outcomes whatever they print.

Run: cd tests/integration && PYTHONPATH=../harness:../fixtures python3 -m unittest -v test_read_faults
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import unittest

from docs_fixture import describe_tree, diff_trees  # noqa: E402
from erp_cli import clean_env, run_erp  # noqa: E402
from integration_case import ERP_DB, IntegrationCase  # noqa: E402

ENV_NAME = "prod"
PREFIX = f"erp/{ENV_NAME}/"
MAX_ATTEMPTS = 3  # S3_MAX_ATTEMPTS: the retry budget the faults are measured against
STALL_TIMEOUT = "2s"  # S3_STALL_TIMEOUT: a stall longer than this is abandoned and retried

# name -> (rule fields, within the budget?). "times" -1 = every matching request.
FAULTS = {
    "one 503": ({"action": "503", "times": 1}, True),
    "one stall": ({"action": "stall", "seconds": 6, "times": 1}, True),
    "one body cut mid-way": ({"action": "truncate", "times": 1}, True),
    "503 on every request": ({"action": "503", "times": -1}, False),
    "every body cut before its first byte": ({"action": "truncate", "bytes": 0, "times": -1}, False),
    # Every read of the object, not one: a command may read an object twice (restore db reads the
    # dump's TOC, then streams it into pg_restore), and a flipped byte in a read whose bytes were
    # not used is no failure. With every read corrupted no true success is possible.
    "every body with one byte flipped": ({"action": "corrupt", "times": -1}, False),
}


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ReadFaultsSpec(IntegrationCase):
    workdir_prefix = "erp-read-faults-"
    postgres = True
    erp_scale = "tiny"
    # Both classes read the fixture and restore into uniquely named targets: one server serves both.
    share_postgres = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source_fingerprints = cls.pg.table_fingerprints(ERP_DB)
        cls.docs = os.path.join(cls.workdir, "documents")
        for index in range(6):  # incompressible: the archive is as big as its files (~600 KiB)
            folder = os.path.join(cls.docs, "facture", f"FA2611-{index:04d}")
            os.makedirs(folder)
            with open(os.path.join(folder, f"FA2611-{index:04d}.pdf"), "wb") as f:
                f.write(b"%PDF-1.4\n" + os.urandom(100_000 + 7919 * index))
        os.makedirs(os.path.join(cls.docs, "mycompany", "logos"))
        with open(os.path.join(cls.docs, "mycompany", "logos", "logo.txt"), "wb") as f:
            f.write(b"logo\n")
        cls.source_tree = describe_tree(cls.docs, mtime_ns=True)
        result = run_erp(["backup"], cls.env(), cls.front.secrets() + cls.pg.secrets(), timeout=600)
        if result.returncode != 0:
            raise AssertionError(f"the class's backup failed: {result.stderr.decode(errors='replace')[-3000:]}")
        client = cls.front.boto3_client()
        [manifest_key] = [o["Key"] for o in client.list_objects_v2(
            Bucket=cls.front.bucket, Prefix=PREFIX + "manifests/").get("Contents", [])]
        cls.manifest = json.loads(client.get_object(Bucket=cls.front.bucket, Key=manifest_key)["Body"].read())
        cls.db_key = cls.manifest["streams"]["db"]["key"]
        cls.docs_key = cls.manifest["streams"]["docs"]["key"]
        cls.etags = {key: client.head_object(Bucket=cls.front.bucket, Key=key)["ETag"].strip('"')
                     for key in (cls.db_key, cls.docs_key)}

    @classmethod
    def env(cls, **extra) -> dict:
        """The tool's settings: the front, the source database, a small retry budget."""
        settings = {**cls.front.env(), **cls.pg.env(ERP_DB), "BACKUP_ENV": ENV_NAME, "DOCUMENTS_DIR": cls.docs,
                    "S3_PART_SIZE": "5MiB", "S3_STALL_TIMEOUT": STALL_TIMEOUT,
                    "S3_MAX_ATTEMPTS": str(MAX_ATTEMPTS), "PRUNE_AFTER_BACKUP": "false"}
        settings.update(extra)
        return clean_env({k: v for k, v in settings.items() if v is not None})

    # -- the commands, each returning (result, a check of its outcome on success) -----------------
    def run_verify(self):
        result = run_erp(["verify", self.manifest["id"]], self.env(), self.secrets(), timeout=300)
        return result, lambda: None  # verify's claim is its exit status; the set is intact

    def run_restore_db(self):
        db, user, password = self.restore_target(f"faults_{self.backend}")
        env = self.env(RESTORE_PGHOST=self.pg.host, RESTORE_PGPORT=str(self.pg.port),
                       RESTORE_PGDATABASE=db, RESTORE_PGUSER=user, RESTORE_PGPASSWORD=password,
                       RESTORE_MIN_TABLES=str(self.db_summary["llx_tables"]),
                       RESTORE_EXCLUDE="FUNCTION pgbouncer user_lookup")
        for name in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD"):
            env.pop(name, None)  # a restore reads RESTORE_PG* only
        result = run_erp(["restore", "db", self.manifest["id"]], env, self.secrets(), timeout=600)

        def restored_equal():
            self.assertEqual(self.pg.table_fingerprints(db), self.source_fingerprints)
        return result, restored_equal

    def run_restore_docs(self):
        parent = tempfile.mkdtemp(dir=self.workdir)
        self.docs_parent = parent
        target = os.path.join(parent, "restored")
        os.mkdir(target)  # empty: the restore needs no --force
        self.docs_target = target
        result = run_erp(["restore", "docs", self.manifest["id"], "--target-dir", target],
                         self.env(), self.secrets(), timeout=300)

        def restored_equal():
            differences = diff_trees(self.source_tree, describe_tree(target, mtime_ns=True))
            self.assertEqual(differences, [], "\n".join(differences[:20]))
        return result, restored_equal

    def run_cat(self):
        result = run_erp(["cat", self.db_key], self.env(), self.secrets(), timeout=300)

        def same_bytes():
            self.assertEqual(len(result.stdout), self.manifest["streams"]["db"]["bytes"])
            self.assertEqual(sha256(result.stdout), self.manifest["streams"]["db"]["sha256"])
        return result, same_bytes

    # -- what a fault must lead to ------------------------------------------------------------------
    def aim(self, rule: dict, keys: list[str]) -> list[dict]:
        rules = [{"method": "GET", "path_contains": key, "name": f"GET {key}", **rule} for key in keys]
        self.front.set_faults(rules)
        return rules

    def assert_success(self, result, check, keys: list[str], rule: dict, since: int, faults: list[dict]):
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace")[-4000:])
        self.assertEqual([r["fired"] for r in faults], [1] * len(keys), "each fault happened exactly once")
        check()
        if rule["action"] == "truncate":
            for key in keys:
                self.assert_resumed_where_it_was_cut(key, since)

    def assert_resumed_where_it_was_cut(self, key: str, since: int):
        """The GET after the cut asks for the rest (Range from a byte past 0, to the end) of the
        same object version (If-Match: its ETag), and nothing is read twice."""
        gets = [r for r in self.front.requests(since) if r["method"] == "GET" and key in r["target"]]
        self.assertGreaterEqual(len(gets), 2, "the cut body was read again")
        size = next(v for k, v in self.manifest["streams"].items() if v["key"] == key)["bytes"]
        ranges = []
        for request in gets:
            headers = {name.lower(): value for name, value in request["headers"]}
            self.assertEqual(headers.get("if-match", "").strip('"'), self.etags[key], request["target"])
            first, last = headers["range"].removeprefix("bytes=").split("-")
            ranges.append((int(first), int(last)))
        self.assertEqual(ranges[0][0], 0)
        self.assertGreater(ranges[1][0], 0, "the second GET resumes past the bytes already read")
        self.assertLess(ranges[1][0], size)
        self.assertEqual({last for _, last in ranges}, {size - 1})

    def assert_loud_failure(self, result, keys: list[str], command: str):
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 1, stderr[-4000:])
        self.assertTrue(any(key in stderr for key in keys), f"no key of {keys} named:\n{stderr[-4000:]}")
        if command == "restore docs":
            self.assert_nothing_looks_restored()

    def assert_nothing_looks_restored(self):
        """No name of the archive anywhere under the target's parent (the target itself may be
        left empty, or be gone: a stage-and-swap restore never made it look restored)."""
        source_names = {os.path.basename(path) for path in self.source_tree if path}
        found = []
        for directory, dirs, files in os.walk(self.docs_parent):
            found += [os.path.join(directory, name) for name in dirs + files if name in source_names]
        self.assertEqual(found, [], "a failed restore left restored-looking entries")

    def check_fault_matrix(self, command: str, run, keys: list[str]):
        for name, (rule, within_budget) in FAULTS.items():
            with self.subTest(command=command, fault=name):
                since = len(self.front.requests())
                self.aim(rule, keys)
                try:
                    result, check = run()
                finally:
                    faults = self.front.faults()  # with each rule's fired count
                    self.front.set_faults([])
                if within_budget:
                    self.assert_success(result, check, keys, rule, since, faults)
                else:
                    # A loud failure needs only one key's fault (the first can end the run).
                    self.assertGreaterEqual(sum(r["fired"] for r in faults), 1, f"no fault fired: {faults}")
                    self.assert_loud_failure(result, keys, command)

    # -- tests ----------------------------------------------------------------------------------------
    def test_verify_under_get_faults(self):
        self.check_fault_matrix("verify", self.run_verify, [self.db_key, self.docs_key])

    def test_restore_db_under_get_faults(self):
        self.check_fault_matrix("restore db", self.run_restore_db, [self.db_key])

    def test_restore_docs_under_get_faults(self):
        self.check_fault_matrix("restore docs", self.run_restore_docs, [self.docs_key])

    def test_cat_under_get_faults(self):
        self.check_fault_matrix("cat", self.run_cat, [self.db_key])


class ReadFaultsOnMoto(ReadFaultsSpec, unittest.TestCase):
    backend = "moto"


class ReadFaultsOnS3rver(ReadFaultsSpec, unittest.TestCase):
    backend = "s3rver"


if __name__ == "__main__":
    unittest.main()
