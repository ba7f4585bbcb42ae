"""Issue 4: `erp-backup prune` and `list` against real S3 servers.

moto, s3rver and Ceph's RADOS Gateway behind the signature-verifying front, and the front's GCS
mode (no batch delete: the tool falls back to one DELETE per key). The bucket is seeded with boto3: 400
consecutive daily complete sets (tiny objects, manifests in the JSON of
src/catalog/manifest.cc), a few `backup --only docs` sets (issue 7: retention per stream),
incomplete sets, foreign objects under the env prefix and other envs' prefixes. The
expected survivors and tiers are computed here, independently of the C++ plan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unittest
from concurrent.futures import ThreadPoolExecutor

from erp_cli import clean_env, run_erp  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402

ENV_NAME = "prod"
PREFIX = f"erp/{ENV_NAME}/"
AS_OF = dt.date(2026, 11, 26)
DAYS = 400

FOREIGN = [PREFIX + "README.txt", PREFIX + "db/20200101T020000Z.dump.partial",
           PREFIX + "manifests/notes.json", PREFIX + "last-success.json"]
OTHER_ENVS = ["erp/prod-old/db/20200101T020000Z.dump", "erp/prod-old/manifests/20200101T020000Z.json",
              "erp/sandbox/db/20100101T020000Z.dump", "other/prod/db/20100101T020000Z.dump"]
YOUNG_INCOMPLETE = "20261120T030000Z"  # no manifest, inside the daily band: kept
# A partial set (db committed, docs failed; its dump is not 2025's newest, so the db tiers
# expire it) and a set without manifest: both deleted.
OLD_INCOMPLETE = ["20250301T030000Z", "20240615T030000Z"]
# `--only docs` runs at 14:00, after that day's full set (02:00):
#  - 2026-03-31: March holds a full set and a later docs-only set. The docs-only set
#    represents March for docs, the full set still for db: both kept (its only db dump survives).
#  - 2026-04-15: full, docs-only, full (04-30) in April: the last full set represents both.
#  - 2025-11-26: the newest set of 2025 below the monthly band is docs-only: yearly 2025
#    for docs, while the full set of that morning stays yearly 2025 for db.
DOCS_ONLY = ["20260331T140000Z", "20260415T140000Z", "20251126T140000Z"]


def set_id(day: dt.date) -> str:
    return day.strftime("%Y%m%d") + "T020000Z"


def keys_of(set_id_: str, streams=("db", "docs")) -> list[str]:
    keys = [f"{PREFIX}db/{set_id_}.dump"] if "db" in streams else []
    keys += [f"{PREFIX}docs/{set_id_}.tar.zst"] if "docs" in streams else []
    return keys + [f"{PREFIX}manifests/{set_id_}.json"]


def manifest_json(set_id_: str, db: bytes | None, docs: bytes | None,
                  docs_status: str = "committed") -> bytes:
    """The manifest of a full set, or of an --only set when `db` or `docs` is None."""
    def stream(key, body, status, compression):
        return {"key": key, "status": status, "bytes": len(body),
                "sha256": hashlib.sha256(body).hexdigest(), "parts": 1, "etag": "",
                "compression": compression, "producer_exit_status": None}

    complete = docs_status == "committed"
    streams = {}
    if db is not None:
        streams["db"] = stream(f"{PREFIX}db/{set_id_}.dump", db, "committed", "none")
    if docs is not None:
        streams["docs"] = stream(f"{PREFIX}docs/{set_id_}.tar.zst", docs, docs_status, "zstd")
    doc = {"format_version": 1, "id": set_id_, "env": ENV_NAME,
           "status": "complete" if complete else "incomplete",
           "started_at": "2026-01-01T00:00:00Z", "finished_at": "2026-01-01T00:01:00Z",
           "tool_version": "test", "host": "test", "streams": streams}
    return (json.dumps(doc, indent=2) + "\n").encode()


def minus_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def expected_tiers(sets: dict[str, tuple[str, ...]], today: dt.date) -> dict[str, dict[str, str]]:
    """SPEC §5 with the defaults (30/12/10/3), per stream: {set id: {stream: tier}} for the
    sets a stream keeps by a tier. `sets` maps each complete set's id to its streams. Enough
    sets are daily that min-keep and "newest" never apply here."""
    daily_from = today - dt.timedelta(days=30)
    monthly_after = minus_months(today, 12)
    yearly_after = dt.date(today.year - 10, today.month, today.day)
    tiers: dict[str, dict[str, str]] = {}
    for stream in ("db", "docs"):
        monthly, yearly = {}, {}
        for i in sorted(sets):  # ids sort by time: the last one seen is the newest
            if stream not in sets[i]:
                continue
            d = dt.datetime.strptime(i, "%Y%m%dT%H%M%SZ").date()
            if d >= daily_from:
                tiers.setdefault(i, {})[stream] = "daily"
            elif d > monthly_after:
                monthly[(d.year, d.month)] = i
            elif d > yearly_after:
                yearly[d.year] = i
        for (year, month), i in monthly.items():
            tiers.setdefault(i, {})[stream] = f"monthly {year:04d}-{month:02d}"
        for year, i in yearly.items():
            tiers.setdefault(i, {})[stream] = f"yearly {year:04d}"
    return tiers


def overall_tier(per_stream: dict[str, str]) -> str:
    """The first rule that keeps the set for any stream: daily, then monthly, then yearly."""
    for kind in ("daily", "monthly", "yearly"):
        for tier in per_stream.values():
            if tier.split()[0] == kind:
                return tier
    raise AssertionError(per_stream)


class RetentionSpec(IntegrationCase):
    backend = "moto"
    gcs = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.days = [AS_OF - dt.timedelta(days=i) for i in range(DAYS)]
        cls.streams = {set_id(d): ("db", "docs") for d in cls.days}
        cls.streams.update({i: ("docs",) for i in DOCS_ONLY})
        cls.tiers = expected_tiers(cls.streams, AS_OF)
        cls.expected = set(cls.tiers)

    def setUp(self):
        super().setUp()
        self.clear_bucket()
        self.seed()

    # The base's tearDown: every signature was accepted; a test that provokes a refusal declares
    # it with self.front.expect_rejections(...).

    # -- helpers ---------------------------------------------------------------------------------
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
        for i in DOCS_ONLY:
            docs = f"tar {i} docs only".encode()
            objects[f"{PREFIX}docs/{i}.tar.zst"] = docs
            objects[f"{PREFIX}manifests/{i}.json"] = manifest_json(i, None, docs)
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
                for key in keys_of(row["id"], row["streams"]):
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
            # 31 daily + 12 monthly + yearly 2025, plus March's and 2025's docs-only sets.
            self.assertEqual(len(self.expected), 31 + 12 + 1 + 2)
            self.assertEqual(kept, self.expected | {YOUNG_INCOMPLETE})
            by_id = {s["id"]: s for s in plan["sets"]}
            # March: the full set keeps its db dump, the later docs-only set the docs.
            self.assertEqual(by_id["20260331T020000Z"]["streams"],
                             {"db": "monthly 2026-03", "docs": "expired"})
            self.assertEqual(by_id["20260331T140000Z"]["streams"], {"docs": "monthly 2026-03"})
            # April: full, docs-only, full: only the last full set.
            self.assertEqual(by_id["20260415T140000Z"]["action"], "delete")
            self.assertEqual(by_id["20260415T020000Z"]["action"], "delete")
            self.assertEqual(by_id["20260430T020000Z"]["streams"],
                             {"db": "monthly 2026-04", "docs": "monthly 2026-04"})
            self.assertEqual(by_id["20251126T020000Z"]["streams"],
                             {"db": "yearly 2025", "docs": "expired"})
            self.assertEqual(by_id["20251126T140000Z"]["streams"], {"docs": "yearly 2025"})
            # The partial set is judged by the tiers of the stream it holds (issue 17).
            partial = by_id[OLD_INCOMPLETE[0]]
            self.assertEqual((partial["status"], partial["action"], partial["streams"]),
                             ("partial", "delete", {"db": "expired"}))
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
                for key in keys_of(i, self.streams[i]):
                    self.assertIn(key, keys)
            # The month with a full set and a later docs-only set kept both: its only db dump.
            self.assertIn(f"{PREFIX}db/20260331T020000Z.dump", keys)
            self.assertIn(f"{PREFIX}docs/20260331T140000Z.tar.zst", keys)
            self.assert_untouched_foreign()

        with self.subTest("a further prune deletes nothing; list shows the tiers"):
            again = self.erp("prune", "--as-of", AS_OF.isoformat(), "--json")
            self.assertEqual(again.returncode, 0, again.stderr.decode(errors="replace"))
            self.assertEqual(json.loads(again.stdout)["objects_deleted"], 0)
            listed = self.erp("list", "--as-of", AS_OF.isoformat(), "--json")
            self.assertEqual(listed.returncode, 0, listed.stderr.decode(errors="replace"))
            doc = json.loads(listed.stdout)
            self.assertEqual(doc["as_of"], AS_OF.isoformat())
            rows = doc["sets"]
            self.assertEqual([r["id"] for r in rows], sorted((r["id"] for r in rows), reverse=True))
            self.assertEqual(len(rows), len(self.expected) + 1)
            # Every surviving set: its streams, the tier that keeps it, and per stream the
            # tier that keeps it for that stream ("expired" where another stream keeps it).
            for row in rows:
                if row["id"] == YOUNG_INCOMPLETE:
                    self.assertEqual((row["status"], row["tier"], row["streams"], row["tiers"]),
                                     ("incomplete", "incomplete-young", [], {}))
                    continue
                wanted = self.tiers[row["id"]]
                streams = list(self.streams[row["id"]])
                self.assertEqual(row["streams"], streams, row["id"])
                self.assertEqual(row["tier"], overall_tier(wanted), row["id"])
                self.assertEqual(row["tiers"], {s: wanted.get(s, "expired") for s in streams},
                                 row["id"])
            tiers = [r["tier"] for r in rows]
            self.assertEqual(sum(t == "daily" for t in tiers), 31)
            self.assertEqual(sum(t.startswith("monthly ") for t in tiers), 13)  # March twice
            self.assertEqual(sum(t == "yearly 2025" for t in tiers), 2)
            # The text form says the same, with a column per stream.
            text = self.erp("list", "--as-of", AS_OF.isoformat())
            self.assertEqual(text.returncode, 0, text.stderr.decode(errors="replace"))
            lines = text.stdout.decode().splitlines()
            self.assertEqual(lines[0].split("\t"), ["ID", "TIME", "STATUS", "STREAMS", "DB_BYTES",
                                                    "DOCS_BYTES", "TOTAL_BYTES", "TIER", "DB_TIER",
                                                    "DOCS_TIER", "LEFTOVERS"])
            cells = {line.split("\t")[0]: line.split("\t") for line in lines[1:]}
            self.assertEqual(cells["20260331T140000Z"][3], "docs")
            self.assertEqual(cells["20260331T140000Z"][7:], ["monthly 2026-03", "-", "monthly 2026-03", "-"])
            self.assertEqual(cells["20260331T020000Z"][3], "db+docs")
            self.assertEqual(cells["20260331T020000Z"][7:],
                             ["monthly 2026-03", "monthly 2026-03", "expired", "-"])
            # --as-of moves the plan: on 2027-05-15 the monthly band starts after 2026-05-15,
            # so 2026's surviving sets up to then (01-31, 02-28, both of 03-31, 04-30) are in
            # the yearly band, where 04-30 is the newest of 2026 for both streams.
            later = self.erp("list", "--as-of", "2027-05-15", "--json")
            self.assertEqual(later.returncode, 0, later.stderr.decode(errors="replace"))
            later_rows = {r["id"]: r for r in json.loads(later.stdout)["sets"]}
            self.assertEqual(later_rows["20260430T020000Z"]["tiers"],
                             {"db": "yearly 2026", "docs": "yearly 2026"})
            self.assertEqual(later_rows["20260331T020000Z"]["tier"], "expires")
            self.assertEqual(later_rows["20260331T140000Z"]["tiers"], {"docs": "expired"})
            bad = self.erp("list", "--as-of", "2026-11-31")
            self.assertEqual(bad.returncode, 2)
            self.assertIn(b"--as-of takes a date YYYY-MM-DD", bad.stderr)



class RetentionOnMoto(RetentionSpec, unittest.TestCase):
    backend = "moto"


class RetentionOnS3rver(RetentionSpec, unittest.TestCase):
    backend = "s3rver"


class RetentionOnRgw(RetentionSpec, unittest.TestCase):
    """RGW's DeleteObjects, ListObjectsV2 pages and continuation tokens are its own."""
    backend = "rgw"


class RetentionOnGcsFront(RetentionSpec, unittest.TestCase):
    backend = "moto"
    gcs = True


if __name__ == "__main__":
    unittest.main()
