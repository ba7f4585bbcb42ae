"""Issue 17 (WP-C2): the catalog, retention and status tell the truth, against a real S3 server.

moto behind the signature-verifying, fault-injecting front; the bucket is seeded with boto3
(manifests in the JSON of src/catalog/manifest.cc, tiny objects). Each test is one numbered case
of the issue, and each fails on the binary from before it:

  4  partial sets (db committed, docs failed) keep their db dumps by the db tiers; only their
     failed uploads expire with the daily band;
  7  `verify ID` reads only the keys the layout gives that set and env;
  8  `status` refuses a last success in the future, and one its manifest does not back;
  9  hostile objects at manifest keys (too large, deeply nested) are their sets' problem: list,
     prune and backup go on, in bounded memory, and never delete those sets;
  and the read path faulted on a real server: a manifest GET that fails (503, stall, truncated
  body) fails prune and list before anything is deleted; a corrupted body makes the set
  unreadable (kept), never expired.
The expected survivors are worked out here, independently of the C++ plan.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import unittest
from concurrent.futures import ThreadPoolExecutor

from erp_cli import BINARY, clean_env, run_erp  # noqa: E402
from integration_case import IntegrationCase, remove_tree  # noqa: E402

ENV_NAME = "prod"
PREFIX = f"erp/{ENV_NAME}/"
AS_OF = dt.date(2026, 11, 26)


def set_id(day: dt.date, hour: int = 2) -> str:
    return day.strftime("%Y%m%d") + f"T{hour:02d}0000Z"


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def record(key: str, body: bytes, status: str = "committed", compression: str = "none") -> dict:
    return {"key": key, "status": status, "bytes": len(body), "sha256": hashlib.sha256(body).hexdigest(),
            "parts": 1, "etag": "", "compression": compression, "producer_exit_status": None}


def manifest(set_id_: str, streams: dict, finished_at: str = "2026-01-01T00:01:00Z") -> bytes:
    complete = all(s["status"] == "committed" for s in streams.values())
    doc = {"format_version": 1, "id": set_id_, "env": ENV_NAME,
           "status": "complete" if complete else "incomplete",
           "started_at": "2026-01-01T00:00:00Z", "finished_at": finished_at,
           "tool_version": "test", "host": "test", "streams": streams}
    return (json.dumps(doc, indent=2) + "\n").encode()


def full_set(i: str, finished_at: str = "2026-01-01T00:01:00Z") -> dict[str, bytes]:
    """The objects of a complete set: dump, archive, manifest."""
    db, docs = f"PGDMP {i}".encode(), f"tar {i} docs".encode()
    db_key, docs_key = f"{PREFIX}db/{i}.dump", f"{PREFIX}docs/{i}.tar.zst"
    return {db_key: db, docs_key: docs,
            f"{PREFIX}manifests/{i}.json": manifest(i, {"db": record(db_key, db),
                                                        "docs": record(docs_key, docs, compression="zstd")},
                                                    finished_at)}


def partial_set(i: str, leftover: bool) -> dict[str, bytes]:
    """A set whose db stream committed and whose docs stream failed (backup exit 3); with
    `leftover` the docs upload was stored before the stream failed."""
    db, docs = f"PGDMP {i}".encode(), f"tar {i} half".encode()
    db_key, docs_key = f"{PREFIX}db/{i}.dump", f"{PREFIX}docs/{i}.tar.zst"
    objects = {db_key: db, f"{PREFIX}manifests/{i}.json": manifest(
        i, {"db": record(db_key, db), "docs": record(docs_key, docs, "failed", "zstd")})}
    if leftover:
        objects[docs_key] = docs
    return objects


def tar_zst(files: dict[str, bytes]) -> bytes:
    """A pax tar of `files` (regular files only), compressed by the zstd CLI."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, body in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = len(body), 1_700_000_000, 0o644
            tar.addfile(info, io.BytesIO(body))
    return subprocess.run(["zstd", "-q", "-c"], input=raw.getvalue(), capture_output=True,
                          check=True).stdout


class CatalogTruthOnMoto(IntegrationCase, unittest.TestCase):
    backend = "moto"
    clear_prefix = "erp/"  # every env of the bucket: the tests write into prod and sandbox

    # -- helpers ---------------------------------------------------------------------------------
    def env(self, **extra):
        settings = {**self.front.env(), "BACKUP_ENV": ENV_NAME, "S3_MAX_ATTEMPTS": "2",
                    "S3_STALL_TIMEOUT": "2s"}
        settings.update(extra)
        return clean_env({k: v for k, v in settings.items() if v is not None})

    def erp(self, *args, **extra):
        return run_erp(list(args), self.env(**extra), self.front.secrets(), timeout=180)

    def seed(self, objects: dict[str, bytes]) -> None:
        client = self.client()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda kv: client.put_object(Bucket=self.front.bucket, Key=kv[0], Body=kv[1]),
                          objects.items()))

    def stored(self) -> dict[str, int]:
        """Every key under PREFIX with its size."""
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=self.front.bucket,
                                                                       Prefix=PREFIX)
        return {o["Key"]: o["Size"] for page in pages for o in page.get("Contents", [])}

    def json_of(self, result) -> dict:
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        return json.loads(result.stdout)

    def last_seq(self) -> int:
        requests = self.front.requests()
        return requests[-1]["seq"] if requests else 0

    # -- 4: partial sets -------------------------------------------------------------------------
    def test_partial_sets_keep_their_db_dumps_by_their_tier(self):
        # The documents could not be read from 2026-08-20 to 2026-09-30: six weeks of partial
        # sets (db committed, docs failed), every other one with its failed docs upload stored.
        # Then good nights again. On 2026-11-26 (defaults: daily from 10-27, monthly band from
        # 2025-11-27) the db tier keeps August's newest dump (08-31) and September's (09-30),
        # both in partial sets; the docs tier keeps August's newest archive (08-19); nothing
        # represents September for docs. Before issue 17 every partial set older than the
        # daily band was deleted as incomplete: September kept no database dump at all.
        objects: dict[str, bytes] = {}
        failing = days(dt.date(2026, 8, 20), dt.date(2026, 9, 30))
        for day in days(dt.date(2026, 8, 1), AS_OF):
            i = set_id(day)
            objects.update(partial_set(i, leftover=day.day % 2 == 0) if day in failing else full_set(i))
        self.seed(objects)

        listed = self.json_of(self.erp("list", "--as-of", AS_OF.isoformat(), "--json"))
        rows = {r["id"]: r for r in listed["sets"]}
        september = rows["20260930T020000Z"]
        self.assertEqual((september["status"], september["streams"], september["tier"], september["tiers"]),
                         ("partial", ["db"], "monthly 2026-09", {"db": "monthly 2026-09"}))
        self.assertEqual(september["leftovers"],
                         {"tier": "expires", "objects": [f"{PREFIX}docs/20260930T020000Z.tar.zst"]})
        self.assertIn("docs stream failed", september["problem"])
        self.assertEqual(rows["20260831T020000Z"]["tiers"], {"db": "monthly 2026-08"})
        self.assertNotIn("leftovers", rows["20260831T020000Z"])  # 31: no upload was left
        self.assertEqual(rows["20260819T020000Z"]["tiers"], {"db": "expired", "docs": "monthly 2026-08"})
        self.assertEqual(rows["20260915T020000Z"]["tier"], "expires")
        text = self.erp("list", "--as-of", AS_OF.isoformat())
        self.assertEqual(text.returncode, 0, text.stderr.decode(errors="replace"))
        cells = {line.split("\t")[0]: line.split("\t") for line in text.stdout.decode().splitlines()}
        self.assertEqual(cells["ID"][2:4] + cells["ID"][7:], ["STATUS", "STREAMS", "TIER", "DB_TIER",
                                                               "DOCS_TIER", "LEFTOVERS"])
        self.assertEqual(cells["20260930T020000Z"][2:4] + cells["20260930T020000Z"][7:],
                         ["partial", "db", "monthly 2026-09", "monthly 2026-09", "-", "expires"])

        pruned = self.erp("prune", "--as-of", AS_OF.isoformat())
        self.assertEqual(pruned.returncode, 0, pruned.stderr.decode(errors="replace"))
        daily = {set_id(d) for d in days(dt.date(2026, 10, 27), AS_OF)}
        kept = daily | {"20260819T020000Z", "20260831T020000Z", "20260930T020000Z", "20261026T020000Z"}
        expected = {k for i in kept for k in (full_set(i) if i in daily | {"20260819T020000Z", "20261026T020000Z"}
                                             else partial_set(i, leftover=False))}
        # Every committed db dump a tier keeps is there, with the manifest that records it; the
        # expired leftover of 09-30 is gone; everything else of the six weeks is gone.
        self.assertEqual(set(self.stored()), expected)
        again = self.json_of(self.erp("prune", "--as-of", AS_OF.isoformat(), "--json"))
        self.assertEqual(again["objects_deleted"], 0)

    # -- 8: status -------------------------------------------------------------------------------
    def write_last_success(self, streams: dict) -> None:
        self.seed({f"{PREFIX}last-success.json": json.dumps({"format_version": 2, "streams": streams}).encode()})

    def test_status_refuses_a_success_from_the_future_or_without_its_manifest(self):
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        recent = now - dt.timedelta(hours=1)
        good = set_id(recent.date(), recent.hour)
        self.seed(full_set(good, iso(recent)))
        entry = {"id": good, "finished_at": iso(recent), "manifest": f"{PREFIX}manifests/{good}.json"}
        self.write_last_success({"db": entry, "docs": entry})
        ok = self.erp("status")
        self.assertEqual(ok.returncode, 0, ok.stderr.decode(errors="replace"))  # the control

        # A set that says it finished in 2099, and last-success.json that believes it.
        future = "20990101T000000Z"
        self.seed(full_set(future, "2099-01-01T00:00:00Z"))
        ahead = {"id": future, "finished_at": "2099-01-01T00:00:00Z",
                 "manifest": f"{PREFIX}manifests/{future}.json"}
        self.write_last_success({"db": ahead, "docs": entry})
        textfile = os.path.join(tempfile.mkdtemp(prefix="erp-c2-metrics-"), "erp.prom")
        self.addCleanup(remove_tree, os.path.dirname(textfile))
        refused = self.erp("status", "--json", METRICS_TEXTFILE=textfile)
        self.assertEqual(refused.returncode, 1, refused.stderr.decode(errors="replace"))
        doc = json.loads(refused.stdout)
        self.assertFalse(doc["ok"])
        self.assertFalse(doc["streams"]["db"]["ok"])
        self.assertIn("is in the future", doc["streams"]["db"]["problem"])
        self.assertTrue(doc["streams"]["docs"]["ok"])
        stderr = refused.stderr.decode(errors="replace")
        self.assertIn(f"{PREFIX}last-success.json", stderr)
        self.assertIn("2099-01-01T00:00:00Z", stderr)
        # The metric does not carry 2099 either: 0, so that the staleness alert fires.
        with open(textfile) as f:
            metrics = f.read()
        self.assertIn('erp_backup_last_success_timestamp_seconds{stream="db"} 0\n', metrics)
        self.assertNotIn("4070908800", metrics)  # 2099-01-01T00:00:00Z

        # A recent success whose manifest does not exist is not one.
        ghost = set_id(recent.date(), (recent.hour + 1) % 24)
        self.write_last_success({"db": {"id": ghost, "finished_at": iso(recent),
                                        "manifest": f"{PREFIX}manifests/{ghost}.json"}, "docs": entry})
        missing = self.erp("status")
        self.assertEqual(missing.returncode, 1, missing.stderr.decode(errors="replace"))
        self.assertIn(f"{PREFIX}manifests/{ghost}.json does not exist", missing.stderr.decode(errors="replace"))
        self.assertRegex(missing.stdout.decode(), r"(?m)^db\tERROR\t")

    # -- 9: hostile manifests ----------------------------------------------------------------------
    def run_measured(self, *args, **extra) -> tuple[subprocess.CompletedProcess, int]:
        """Runs erp-backup under /usr/bin/time (Debian's `time`, scripts/install-test-deps.sh):
        the result and its peak RSS in KiB. (wait4 on a child of this process would count the
        forked Python image before the exec.)"""
        with tempfile.NamedTemporaryFile(mode="r") as measured:
            result = subprocess.run(["/usr/bin/time", "-o", measured.name, "-f", "%M", BINARY, *args],
                                    env=self.env(**extra), capture_output=True, timeout=180)
            for secret in self.front.secrets():
                self.assertNotIn(secret.encode(), result.stdout + result.stderr, "a secret was printed")
            return result, int(measured.read().split()[-1])

    def test_hostile_manifests_are_their_sets_problem_in_bounded_memory(self):
        # The case: eight deeply nested 4 MB objects at manifest keys (1.14 GB of RSS
        # for `list` before), eight more just under the 256 KiB cap (fetched, refused on their
        # depth before any parse), and one over 4 MiB (before: every list, prune and backup
        # exited 1, a backup after its own set had committed). Each is that set's problem:
        # reported, never deleted; the good sets are listed and pruned as usual.
        today = dt.datetime.now(dt.timezone.utc).date()
        objects: dict[str, bytes] = {}
        for n in range(1, 6):
            objects.update(full_set(set_id(today - dt.timedelta(days=n))))
        expired = full_set("20150601T020000Z")  # below the yearly band: the prune deletes it
        objects.update(expired)
        hostile = {}
        for n in range(8):
            hostile[set_id(dt.date(2020, 1, 1 + n))] = b"[" * 2_000_000 + b"]" * 2_000_000
            hostile[set_id(dt.date(2020, 2, 1 + n))] = b"[" * 128_000 + b"]" * 128_000
        hostile[set_id(dt.date(2020, 3, 1))] = b" " * (5 << 20)
        for i, body in hostile.items():
            objects.update(full_set(i))
            objects[f"{PREFIX}manifests/{i}.json"] = body
        self.seed(objects)
        before = self.stored()

        listed, rss_kib = self.run_measured("list", "--json")
        self.assertEqual(listed.returncode, 0, listed.stderr.decode(errors="replace"))
        rows = {r["id"]: r for r in json.loads(listed.stdout)["sets"]}
        for i in hostile:
            self.assertEqual((rows[i]["status"], rows[i]["tier"], rows[i]["streams"]),
                             ("unreadable", "unreadable", []), i)
            self.assertIn(f"{PREFIX}manifests/{i}.json", listed.stderr.decode(errors="replace"))
        self.assertIn("more than the 262144", rows["20200101T020000Z"]["problem"])
        self.assertIn("nested deeper than 32", rows["20200201T020000Z"]["problem"])
        self.assertEqual(rows[set_id(today - dt.timedelta(days=1))]["status"], "complete")
        print(f"\n  list with {len(hostile)} hostile manifests: peak RSS {rss_kib} KiB", file=sys.stderr)
        # Measured: 22 MiB (17 MiB without the hostile objects); 1.19 GB before issue 17.
        self.assertLess(rss_kib, 64 * 1024, "list's memory must not follow the bucket's content")

        pruned = self.erp("prune")
        self.assertEqual(pruned.returncode, 0, pruned.stderr.decode(errors="replace"))
        self.assertIn(b"its manifest cannot be trusted", pruned.stderr)
        self.assertEqual(self.stored(), {k: v for k, v in before.items() if k not in expired},
                         "the expired set goes; nothing of a hostile set, nor of the young good ones")

        docs = tempfile.mkdtemp(prefix="erp-c2-docs-")
        self.addCleanup(remove_tree, docs)
        with open(os.path.join(docs, "invoice.pdf"), "wb") as f:
            f.write(b"%PDF-1.4 invoice\n")
        backup = self.erp("backup", "--only", "docs", DOCUMENTS_DIR=docs)
        self.assertEqual(backup.returncode, 0, backup.stderr.decode(errors="replace"))
        self.assertIn(b"its manifest cannot be trusted", backup.stderr)
        last = json.loads(self.get(f"{PREFIX}last-success.json"))
        self.assertIn(f"{PREFIX}manifests/{last['streams']['docs']['id']}.json", self.stored())
        for i in hostile:
            self.assertIn(f"{PREFIX}manifests/{i}.json", self.stored())

    # -- 7: verify reads only the layout's keys ----------------------------------------------------
    def test_verify_reads_only_the_keys_of_its_own_set_and_env(self):
        # prod's set names the sandbox env's documents archive, a perfectly good one. Verify
        # must not read it (before issue 17 it did, and said ok).
        i = "20261120T020000Z"
        archive = tar_zst({"a.txt": b"hello\n"})
        docs = {"root": "/var/www/documents", "files": 1, "directories": 0, "symlinks": 0,
                "hardlinks": 0, "uncompressed_bytes": 6, "skipped": []}
        sandbox_key = f"erp/sandbox/docs/{i}.tar.zst"
        stream = {**record(sandbox_key, archive, compression="zstd"), **docs}
        self.seed({sandbox_key: archive, f"{PREFIX}manifests/{i}.json": manifest(i, {"docs": stream})})
        seq = self.last_seq()
        refused = self.erp("verify", i)
        self.assertEqual(refused.returncode, 1, refused.stderr.decode(errors="replace"))
        stderr = refused.stderr.decode(errors="replace")
        self.assertIn(f"'{sandbox_key}', which is not this set's", stderr)
        self.assertFalse([r["target"] for r in self.front.requests(since=seq) if "sandbox" in r["target"]],
                         "verify read another env's object")

        # The control: the same archive under prod's own key verifies.
        own_key = f"{PREFIX}docs/{i}.tar.zst"
        self.seed({own_key: archive, f"{PREFIX}manifests/{i}.json":
                   manifest(i, {"docs": {**record(own_key, archive, compression="zstd"), **docs}})})
        verified = self.erp("verify", i)
        self.assertEqual(verified.returncode, 0, verified.stderr.decode(errors="replace"))

    # -- the read path, faulted ----------------------------------------------------------------
    def test_a_manifest_read_that_fails_fails_prune_and_list_and_deletes_nothing(self):
        # Daily sets from 2026-09-20 to 2026-11-26: 2026-09-30 is September's monthly set. Its manifest
        # GET is faulted. A read that fails (503 beyond the retries, a stall, a truncated body)
        # must fail prune before anything is deleted: judged without its manifest the set
        # would look expired. A corrupted body cannot be told from a bad manifest: the set is
        # unreadable, kept, and the rest is pruned as planned.
        target = "20260930T020000Z"
        objects: dict[str, bytes] = {}
        for day in days(dt.date(2026, 9, 20), AS_OF):
            objects.update(full_set(set_id(day)))
        self.seed(objects)
        before = self.stored()
        path = f"manifests/{target}.json"

        for name, rule in [("503 beyond the retries", {"action": "503", "times": -1}),
                           ("a stalled reply", {"action": "stall", "seconds": 1, "times": -1}),
                           ("a truncated body", {"action": "truncate", "times": -1})]:
            with self.subTest(name):
                self.front.set_faults([{"method": "GET", "path_contains": path, **rule}])
                for command in (["prune", "--as-of", AS_OF.isoformat()], ["list", "--as-of", AS_OF.isoformat()]):
                    result = self.erp(*command)
                    self.assertEqual(result.returncode, 1, (command, result.stderr.decode(errors="replace")))
                    self.assertIn(f"{PREFIX}{path}".encode(), result.stderr)
                self.front.set_faults([])
                self.assertEqual(self.stored(), before, "a failed read deleted something")

        with self.subTest("one 503 is retried, and the plan is the usual one"):
            self.front.set_faults([{"method": "GET", "path_contains": path, "action": "503", "times": 1}])
            plan = self.json_of(self.erp("prune", "--dry-run", "--as-of", AS_OF.isoformat(), "--json"))
            self.assertEqual(self.front.faults()[0]["fired"], 1)
            self.front.set_faults([])
            by_id = {s["id"]: s for s in plan["sets"]}
            self.assertEqual((by_id[target]["action"], by_id[target]["reason"]), ("keep", "monthly 2026-09"))

        manifest_text = objects[f"{PREFIX}{path}"]
        flips = {  # one bit flipped (the front XORs 0x01) in a byte the set's fate hangs on
            "the dump's size": manifest_text.index(b'"bytes": ') + len(b'"bytes": '),
            "a stream's status": manifest_text.index(b'"committed"') + 1,
            "a key": manifest_text.index(b"/db/") + 1,
            "the set's id": manifest_text.index(target.encode()) + 3,
        }
        for name, offset in flips.items():
            with self.subTest(f"a corrupted body: {name}"):
                self.front.set_faults([{"method": "GET", "path_contains": path, "action": "corrupt",
                                        "bytes": offset, "times": -1}])
                plan = self.json_of(self.erp("prune", "--dry-run", "--as-of", AS_OF.isoformat(), "--json"))
                self.front.set_faults([])
                by_id = {s["id"]: s for s in plan["sets"]}
                self.assertEqual((by_id[target]["action"], by_id[target].get("status")), ("keep", "unreadable"),
                                 (name, manifest_text[offset:offset + 1]))

        with self.subTest("a corrupted body during a real prune: that set stays whole"):
            self.front.set_faults([{"method": "GET", "path_contains": path, "action": "corrupt",
                                    "bytes": flips["the dump's size"], "times": -1}])
            result = self.erp("prune", "--as-of", AS_OF.isoformat())
            self.front.set_faults([])
            self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
            after = self.stored()
            for key in full_set(target):
                self.assertIn(key, after)
            # The rest went as planned: 31 daily sets and the monthly ones; with 09-30 holding
            # nothing, 09-29 is September's newest held set and stands for it as well.
            kept_ids = {k.rsplit("/", 1)[1].split(".")[0] for k in after}
            daily = {set_id(d) for d in days(dt.date(2026, 10, 27), AS_OF)}
            self.assertEqual(kept_ids, daily | {"20260929T020000Z", target, "20261026T020000Z"})


if __name__ == "__main__":
    unittest.main()
