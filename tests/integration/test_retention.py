"""Issue 4: `erp-backup prune` and `list` against real S3 servers.

moto and s3rver behind the signature-verifying front, and the front's GCS mode (no batch
delete: the tool falls back to one DELETE per key). The bucket is seeded with boto3: 400
consecutive daily complete sets (tiny objects, manifests in the JSON of
src/catalog/manifest.cc), incomplete sets, foreign objects under the env prefix and other
envs' prefixes. The expected survivors are computed here, independently of the C++ plan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import unittest
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "support"))

from erp_cli import clean_env, run_erp  # noqa: E402
from s3_servers import S3Front  # noqa: E402

ENV_NAME = "prod"
PREFIX = f"erp/{ENV_NAME}/"
AS_OF = dt.date(2026, 11, 26)
DAYS = 400

FOREIGN = [PREFIX + "README.txt", PREFIX + "db/20200101T020000Z.dump.partial",
           PREFIX + "manifests/notes.json", PREFIX + "last-success.json"]
OTHER_ENVS = ["erp/prod-old/db/20200101T020000Z.dump", "erp/prod-old/manifests/20200101T020000Z.json",
              "erp/sandbox/db/20100101T020000Z.dump", "other/prod/db/20100101T020000Z.dump"]
YOUNG_INCOMPLETE = "20261120T030000Z"  # no manifest, inside the daily band: kept
OLD_INCOMPLETE = ["20250301T030000Z", "20240615T030000Z"]  # failed stream / no manifest: deleted


def set_id(day: dt.date) -> str:
    return day.strftime("%Y%m%d") + "T020000Z"


def keys_of(set_id_: str) -> list[str]:
    return [f"{PREFIX}db/{set_id_}.dump", f"{PREFIX}docs/{set_id_}.tar.zst",
            f"{PREFIX}manifests/{set_id_}.json"]


def manifest_json(set_id_: str, db: bytes, docs: bytes, docs_status: str = "committed") -> bytes:
    def stream(key, body, status, compression):
        return {"key": key, "status": status, "bytes": len(body),
                "sha256": hashlib.sha256(body).hexdigest(), "parts": 1, "etag": "",
                "compression": compression, "producer_exit_status": None}

    complete = docs_status == "committed"
    doc = {"format_version": 1, "id": set_id_, "env": ENV_NAME,
           "status": "complete" if complete else "incomplete",
           "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:01:00Z",
           "tool_version": "test", "host": "test",
           "streams": {"db": stream(f"{PREFIX}db/{set_id_}.dump", db, "committed", "none"),
                       "docs": stream(f"{PREFIX}docs/{set_id_}.tar.zst", docs, docs_status, "zstd")}}
    return (json.dumps(doc, indent=2) + "\n").encode()


def minus_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def expected_survivors(days: list[dt.date], today: dt.date) -> set[str]:
    """SPEC §5 with the defaults (30/12/10/3) for one complete set per day."""
    daily_from = today - dt.timedelta(days=30)
    monthly_after = minus_months(today, 12)
    yearly_after = dt.date(today.year - 10, today.month, today.day)
    keep = {d for d in days if d >= daily_from}
    monthly, yearly = {}, {}
    for d in days:
        if d < daily_from and d > monthly_after:
            monthly[(d.year, d.month)] = max(monthly.get((d.year, d.month), d), d)
        elif d <= monthly_after and d > yearly_after:
            yearly[d.year] = max(yearly.get(d.year, d), d)
    keep |= set(monthly.values()) | set(yearly.values())
    return {set_id(d) for d in keep}


class RetentionSpec:
    backend = "moto"
    gcs = False

    @classmethod
    def setUpClass(cls):
        cls.front = S3Front(backend=cls.backend, gcs=cls.gcs)
        cls.front.__enter__()
        cls.days = [AS_OF - dt.timedelta(days=i) for i in range(DAYS)]
        cls.expected = expected_survivors(cls.days, AS_OF)

    @classmethod
    def tearDownClass(cls):
        try:
            assert not cls.front.violations(), "a forbidden header was sent"
        finally:
            cls.front.__exit__(None, None, None)

    def setUp(self):
        self.front.set_faults([])
        self.clear_bucket()
        self.seed()

    # -- helpers ---------------------------------------------------------------------------------
    def client(self):
        return self.front.boto3_client()

    def all_keys(self, prefix: str = "") -> set[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.front.bucket,
                                                                       Prefix=prefix)
        return {o["Key"] for page in pages for o in page.get("Contents", [])}

    def clear_bucket(self):
        keys = sorted(self.all_keys())
        client = self.client()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda k: client.delete_object(Bucket=self.front.bucket, Key=k), keys))

    def seed(self):
        objects = {}
        for day in self.days:
            i = set_id(day)
            db, docs = f"PGDMP {i}".encode(), f"tar {i} docs".encode()
            objects[f"{PREFIX}db/{i}.dump"] = db
            objects[f"{PREFIX}docs/{i}.tar.zst"] = docs
            objects[f"{PREFIX}manifests/{i}.json"] = manifest_json(i, db, docs)
        objects[f"{PREFIX}db/{YOUNG_INCOMPLETE}.dump"] = b"PGDMP young"
        failed = OLD_INCOMPLETE[0]
        objects[f"{PREFIX}db/{failed}.dump"] = b"PGDMP old"
        objects[f"{PREFIX}docs/{failed}.tar.zst"] = b"half"
        objects[f"{PREFIX}manifests/{failed}.json"] = manifest_json(failed, b"PGDMP old", b"half", "failed")
        objects[f"{PREFIX}docs/{OLD_INCOMPLETE[1]}.tar.zst"] = b"orphan"
        for key in FOREIGN + OTHER_ENVS:
            objects[key] = b"not ours"
        client = self.client()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda kv: client.put_object(Bucket=self.front.bucket, Key=kv[0], Body=kv[1]),
                          objects.items()))
        self.seeded = set(objects)

    def env(self, **extra):
        settings = {**self.front.env(), "BACKUP_ENV": ENV_NAME, "S3_MAX_ATTEMPTS": "2"}
        settings.update(extra)
        return clean_env(settings)

    def erp(self, *args, **extra):
        return run_erp(list(args), self.env(**extra), self.front.secrets(), timeout=120)

    def surviving_sets(self) -> set[str]:
        ids = set()
        for key in self.all_keys(PREFIX):
            if key in FOREIGN:
                continue
            name = key.rsplit("/", 1)[1]
            ids.add(name.split(".", 1)[0])
        return ids

    def assert_untouched_foreign(self):
        client = self.client()
        for key in FOREIGN + OTHER_ENVS:  # HEAD each: s3rver's whole-bucket listing is unreliable
            self.assertEqual(client.head_object(Bucket=self.front.bucket, Key=key)["ContentLength"],
                             len(b"not ours"), key)

    def assert_consistent(self):
        """Every set `list` calls complete has all its objects; the planned ones are complete."""
        listed = self.erp("list", "--json")
        self.assertEqual(listed.returncode, 0, listed.stderr.decode(errors="replace"))
        doc = json.loads(listed.stdout)
        keys = self.all_keys(PREFIX)
        status = {row["id"]: row["status"] for row in doc["sets"]}
        for row in doc["sets"]:
            if row["status"] == "complete":
                for key in keys_of(row["id"]):
                    self.assertIn(key, keys, row["id"])
        for i in self.expected:
            self.assertEqual(status.get(i), "complete", i)
        return doc

    # -- the test ------------------------------------------------------------------------------
    # One seeded bucket per server, then the steps in order (seeding is most of the time).
    def test_prune_end_to_end(self):
        with self.subTest("a policy that keeps nothing is refused, nothing touched"):
            result = self.erp("prune", "--as-of", AS_OF.isoformat(), RETENTION_DAILY_DAYS="0",
                              RETENTION_MONTHLY_MONTHS="0", RETENTION_YEARLY_YEARS="0",
                              RETENTION_MIN_KEEP="0")
            self.assertEqual(result.returncode, 2)
            self.assertIn(b"keeps no history", result.stderr)
            bad = self.erp("prune", "--as-of", "2026-02-30")
            self.assertEqual(bad.returncode, 2)

        with self.subTest("--dry-run prints the plan and deletes nothing"):
            dry = self.erp("prune", "--dry-run", "--as-of", AS_OF.isoformat(), "--json")
            self.assertEqual(dry.returncode, 0, dry.stderr.decode(errors="replace"))
            plan = json.loads(dry.stdout)
            self.assertEqual(self.all_keys(PREFIX), {k for k in self.seeded if k.startswith(PREFIX)},
                             "--dry-run deleted something")
            self.assert_untouched_foreign()
            kept = {s["id"] for s in plan["sets"] if s["action"] == "keep"}
            self.assertEqual(len(self.expected), 31 + 12 + 1)
            self.assertEqual(kept, self.expected | {YOUNG_INCOMPLETE})
            self.assertEqual(sorted(plan["foreign"]),
                             sorted(k for k in FOREIGN if not k.endswith("last-success.json")))

        with self.subTest("an interrupted prune leaves complete or visibly incomplete sets"):
            if self.gcs:  # one DELETE per key: fail after 150 of them
                rule = {"method": "DELETE", "skip": 150, "times": -1, "action": "403"}
            else:  # the data objects' batch goes through, the manifests' batch fails
                rule = {"method": "POST", "query_contains": "delete", "skip": 1, "times": -1,
                        "action": "403"}
            self.front.set_faults([rule])
            first = self.erp("prune", "--as-of", AS_OF.isoformat())
            self.front.set_faults([])
            self.assertEqual(first.returncode, 1, first.stderr.decode(errors="replace"))
            self.assertLess(len(self.all_keys(PREFIX)), len(self.seeded), "nothing was deleted")
            self.assert_consistent()
            self.assert_untouched_foreign()

        with self.subTest("the next prune converges to exactly the plan"):
            result = self.erp("prune", "--as-of", AS_OF.isoformat())
            self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
            self.assertIn(b"foreign (never deleted)", result.stdout)
            self.assertEqual(self.surviving_sets(), self.expected | {YOUNG_INCOMPLETE})
            keys = self.all_keys(PREFIX)
            for i in self.expected:
                for key in keys_of(i):
                    self.assertIn(key, keys)
            self.assert_untouched_foreign()

        with self.subTest("a further prune deletes nothing; list shows the tiers"):
            again = self.erp("prune", "--as-of", AS_OF.isoformat(), "--json")
            self.assertEqual(again.returncode, 0, again.stderr.decode(errors="replace"))
            self.assertEqual(json.loads(again.stdout)["objects_deleted"], 0)
            listed = self.erp("list", "--json")
            self.assertEqual(listed.returncode, 0, listed.stderr.decode(errors="replace"))
            rows = json.loads(listed.stdout)["sets"]
            self.assertEqual([r["id"] for r in rows], sorted((r["id"] for r in rows), reverse=True))
            self.assertEqual(len(rows), len(self.expected) + 1)


class RetentionOnMoto(RetentionSpec, unittest.TestCase):
    backend = "moto"


class RetentionOnS3rver(RetentionSpec, unittest.TestCase):
    backend = "s3rver"


class RetentionOnGcsFront(RetentionSpec, unittest.TestCase):
    backend = "moto"
    gcs = True


if __name__ == "__main__":
    unittest.main()
