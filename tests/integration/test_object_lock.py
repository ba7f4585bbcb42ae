"""Issue 20: backups under S3 Object Lock, on Ceph's RADOS Gateway and on moto.

One scenario per class, run once in setUpClass and read by every test (a backup costs seconds of
the CI budget; each test asserts one promise of it). On a bucket created with Object Lock
(S3Front(object_lock=True)), with OBJECT_LOCK_MODE=governance and the default margin (2d):

  planted  four sets written with boto3 before the tool runs, dated relative to today:
           - MONTHLY (the 15th, three months back): the month's newest set, final monthly;
           - YEARLY (15 June, two years back): final yearly; its dump COMPLIANCE, the rest
             GOVERNANCE (the one COMPLIANCE object: RGW keeps it until the date; the
             bucket goes with `radosgw-admin bucket rm`, which removes it anyway);
           - EXPIRED_LOCKED (the 10th of MONTHLY's month): superseded, expired, but locked;
           - EXPIRED (the 5th): superseded, expired, never locked.
           The locked ones carry a short lock (now + 3 days, PLANTED_LOCK), so that extension to
           the tier horizon is visible: start + 12 months + 2d, start + 10 years + 2d.
  backup   PRUNE_AFTER_BACKUP=false: a dump bigger than the 5 MiB part (multipart), a small
           docs archive, the manifest; the canary; METRICS_TEXTFILE.
  prune    exits 0: EXPIRED deleted by version (no version or delete marker of its keys left),
           EXPIRED_LOCKED "locked, kept" (every version stays, its lock not extended), the
           keepers promoted (PutObjectRetention per object: 6 objects), the new set untouched.
  prune    again: promotes nothing (idempotent), deletes nothing.
  status   --json: object_lock {"mode": "governance", "enforced": true, "checked_at": ...}.

The canary (backup's and each prune's) deletes in governance mode with
x-amz-bypass-governance-retention: true, as an attacker holding the job's credentials would. On RGW
the bucket's policy denies s3:BypassGovernanceRetention to everyone (rgw_server.nobody_bypasses;
without it RGW 16 lets the owner bypass): refused, enforced, prune exits 0. moto has no IAM, so the
owner may bypass: the canary's version goes, enforced is false (manifest, status, metric 0), and
each prune exits 1 (BYPASS_REFUSED below), though it prunes and promotes all the same.

Each object is checked by boto3's HEAD (ObjectLockMode, ObjectLockRetainUntilDate) through the
front; the front's record shows the requests' shapes: lock headers on PutObject and
CreateMultipartUpload, Content-MD5 on PutObject, UploadPart and PutObjectRetention, a
PutObjectRetention for the multipart dump after its complete (RGW 16 and moto both drop the lock
headers of CreateMultipartUpload: docs/testing.md), no x-amz-checksum-* at all. The job's own
credentials (the bucket's owner here) cannot delete a locked version: boto3's DELETE ?versionId=
is refused with AccessDenied on both servers (the canary's own attempt too, on RGW).
Least privilege (credentials without delete permission) is test_least_privilege's.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import re
import unittest

from botocore.exceptions import ClientError

from erp_cli import clean_env, run_erp, set_id_of  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402
import rgw_server  # noqa: E402
from test_retention import ENV_NAME, PREFIX, keys_of, manifest_json, minus_months, set_id  # noqa: E402

MiB = 1 << 20
MARGIN = dt.timedelta(days=2)  # OBJECT_LOCK_MARGIN's default
DAILY_DAYS, MONTHLY_MONTHS, YEARLY_YEARS = 30, 12, 10  # the RETENTION_* defaults
CANARY = PREFIX + ".lock-canary"
DATABASE = "dolibarr"
UTC = dt.timezone.utc


def now() -> dt.datetime:
    return dt.datetime.now(UTC).replace(microsecond=0)


def start_of(set_id_: str) -> dt.datetime:
    return dt.datetime.strptime(set_id_, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def plus_months(moment: dt.datetime, months: int) -> dt.datetime:
    """Calendar months; the planted sets are dated on the 15th, so no day is clamped."""
    assert moment.day <= 28, moment
    index = moment.year * 12 + moment.month - 1 + months
    return moment.replace(year=index // 12, month=index % 12 + 1)


def wire(moment: dt.datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def content_md5(body: bytes) -> str:
    return base64.b64encode(hashlib.md5(body).digest()).decode()


def planted_sets(today: dt.date) -> dict[str, str]:
    """The planted sets' ids by role, dated relative to `today` (see the module doc)."""
    month = minus_months(today.replace(day=15), 3)
    return {"MONTHLY": set_id(month), "EXPIRED_LOCKED": set_id(month.replace(day=10)),
            "EXPIRED": set_id(month.replace(day=5)), "YEARLY": set_id(dt.date(today.year - 2, 6, 15))}


def plant_set(client, bucket: str, set_id_: str, lock: dt.datetime | None, compliance: tuple[str, ...] = ()):
    """Writes a complete set (dump, docs archive, manifest: test_retention's shapes) with boto3,
    each object locked GOVERNANCE until `lock` (COMPLIANCE for the keys in `compliance`), or not
    at all. PutObject with Content-MD5: moto refuses lock headers without it."""
    db, docs = f"PGDMP {set_id_}".encode(), f"tar {set_id_} docs".encode()
    for key, body in zip(keys_of(set_id_), (db, docs, manifest_json(set_id_, db, docs))):
        extra = {}
        if lock is not None:
            extra = {"ObjectLockMode": "COMPLIANCE" if key in compliance else "GOVERNANCE",
                     "ObjectLockRetainUntilDate": lock}
        client.put_object(Bucket=bucket, Key=key, Body=body, ContentMD5=content_md5(body), **extra)


def make_database(pg, name: str, payload_bytes: int) -> None:
    """Creates database `name` with one table of `payload_bytes` random bytes (bytea rows of 64 KiB,
    COPYed in): its pg_dump -Fc is about that big, whatever the compression. The ERP schema is
    not what these tests are about (test_rgw_round_trip restores it from RGW); the fixture's
    ~15 s on the loaded CI machine is saved."""
    pg.create_database(name)
    pg.psql(name, "create table llx_ecm_files (rowid integer primary key, content bytea not null)")
    row = 64 << 10
    pg.copy_in(name, "copy llx_ecm_files (rowid, content) from stdin",
               (f"{i}\t\\\\x{os.urandom(row).hex()}\n".encode() for i in range(max(1, payload_bytes // row))))


def versions_of_set(case, set_id_: str) -> list[dict]:
    """Every version and delete marker of the set's keys (set_id_ is in each key), as the
    IntegrationCase `case` lists them."""
    return [v for v in case.versions(PREFIX) if f"/{set_id_}." in v["key"]]


def metric(text: str, name: str) -> float | None:
    """The value of the unlabelled-or-labelled sample `name` in a textfile, or None."""
    found = re.search(rf"^{re.escape(name)}(?:\{{[^}}]*\}})? (\S+)$", text, re.MULTILINE)
    return float(found.group(1)) if found else None


def headers_of(record: dict) -> dict[str, str]:
    return {name.lower(): value for name, value in record["headers"]}


class ObjectLockSpec(IntegrationCase):
    object_lock = True
    workdir_prefix = "erp-lock-test-"
    postgres = True

    bypass_refused = True  # whether the store refuses the owner a governance bypass

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if cls.front.rgw is not None:  # as least-privilege.md asks: nobody may bypass governance
            cls.front.rgw.put_bucket_policy(cls.front.bucket, [rgw_server.nobody_bypasses(cls.front.bucket)])
        # A dump of about 6.6 MiB: a multipart upload of two 5 MiB parts.
        make_database(cls.pg, DATABASE, 6 * MiB + MiB // 2)
        cls.docs = os.path.join(cls.workdir, "documents")
        os.makedirs(os.path.join(cls.docs, "facture"))
        with open(os.path.join(cls.docs, "facture", "FA2612-0001.pdf"), "wb") as f:
            f.write(b"%PDF-1.4 invoice\n" * 64)
        cls.planted = planted_sets(now().date())
        cls.planted_lock = now() + dt.timedelta(days=3)
        client = cls.front.boto3_client()
        for role, i in cls.planted.items():
            plant_set(client, cls.front.bucket, i, None if role == "EXPIRED" else cls.planted_lock,
                      compliance=(keys_of(i)[0],) if role == "YEARLY" else ())
        cls.planted_versions = {i: cls.versions_of(i) for i in cls.planted.values()}

        def run(*args, **extra):
            return run_erp(list(args), cls.env(**extra), cls.front.secrets() + cls.pg.secrets(), timeout=300)

        cls.backup_since = cls.last_seq()
        cls.backup_run = run("backup", METRICS_TEXTFILE=cls.textfile("backup"))
        cls.new_id = set_id_of(cls.backup_run)
        cls.prune_since = cls.last_seq()
        cls.prune_run = run("prune", METRICS_TEXTFILE=cls.textfile("prune"))
        cls.again_since = cls.last_seq()
        cls.prune_again = run("prune", METRICS_TEXTFILE=cls.textfile("again"))
        cls.status_since = cls.last_seq()
        cls.status_run = run("status", "--json")

    # -- helpers (class methods: setUpClass runs the scenario with them) ------------------------------
    @classmethod
    def env(cls, **extra):
        settings = {**cls.front.env(), **cls.pg.env(DATABASE), "BACKUP_ENV": ENV_NAME,
                    "DOCUMENTS_DIR": cls.docs, "S3_PART_SIZE": "5MiB", "S3_MAX_ATTEMPTS": "3",
                    "PRUNE_AFTER_BACKUP": "false", "OBJECT_LOCK_MODE": "governance"}
        settings.update(extra)
        return clean_env(settings)

    @classmethod
    def textfile(cls, name: str) -> str:
        return os.path.join(cls.workdir, f"{name}.prom")

    def metrics(self, name: str) -> str:
        with open(self.textfile(name)) as f:
            return f.read()

    @classmethod
    def versions_of(cls, set_id_: str) -> list[dict]:
        return versions_of_set(cls, set_id_)

    def tool_requests(self, since: int, until: int | None = None) -> list[dict]:
        """What erp-backup sent (by its User-Agent) after request `since`, up to `until`."""
        return [r for r in self.front.requests(since)
                if (until is None or r["seq"] <= until)
                and headers_of(r).get("user-agent", "").startswith("erp-backup/")]

    def assert_ran(self, run, code: int = 0):
        self.assertEqual(run.returncode, code, run.stderr.decode(errors="replace")[-4000:])

    def assert_pruned(self, run):
        """A prune's exit: 0, or 1 where its canary found the lock bypassable (moto)."""
        self.assert_ran(run, 0 if self.bypass_refused else 1)

    def manifest(self) -> dict:
        return json.loads(self.get(f"{PREFIX}manifests/{self.new_id}.json"))

    def initial_lock(self) -> dt.datetime:
        return start_of(self.new_id) + dt.timedelta(days=DAILY_DAYS) + MARGIN

    # -- the new set -------------------------------------------------------------------------------
    def test_every_object_of_the_new_set_is_locked_through_the_daily_band(self):
        self.assert_ran(self.backup_run)
        self.assertIsNotNone(self.new_id)
        manifest = self.manifest()
        self.assertEqual(manifest["status"], "complete")
        self.assertGreater(manifest["streams"]["db"]["parts"], 1, "the dump went as a multipart upload")
        keys = [manifest["streams"]["db"]["key"], manifest["streams"]["docs"]["key"],
                f"{PREFIX}manifests/{self.new_id}.json"]
        for key in keys:
            with self.subTest(key=key):
                mode, until = self.lock_of(key)
                self.assertEqual(mode, "GOVERNANCE")
                self.assertEqual(until, self.initial_lock(), "start + 30 days + 2d")
                self.assertGreaterEqual(until, now() + dt.timedelta(days=30))
        # Mutable objects are never locked.
        self.assertEqual(self.lock_of(PREFIX + "last-success.json"), (None, None))
        record = manifest["object_lock"]
        self.assertEqual(record["mode"], "governance")
        self.assertEqual(record["retain_until"], wire(self.initial_lock()))
        self.assertIs(record["enforced"], self.bypass_refused)
        self.assertIsInstance(record["checked_at"], str)

    def test_the_jobs_credentials_cannot_delete_a_locked_version(self):
        self.assert_ran(self.backup_run)
        key = self.manifest()["streams"]["db"]["key"]
        [version] = [v["version_id"] for v in self.versions(key) if v["key"] == key]
        with self.assertRaises(ClientError) as refused:
            self.client().delete_object(Bucket=self.front.bucket, Key=key, VersionId=version)
        self.assertEqual(refused.exception.response["Error"]["Code"], "AccessDenied")
        self.assertEqual([v["version_id"] for v in self.versions(key) if v["key"] == key], [version])
        # The canary's own attempt, with the same credentials and the governance bypass, was refused
        # the same way where the bypass is denied (RGW); moto lets the owner bypass.
        deletes = [r for r in self.tool_requests(self.backup_since, self.prune_since)
                   if r["method"] == "DELETE" and CANARY in r["target"]]
        self.assertTrue(deletes, "the backup tried to delete the canary's version")
        for r in deletes:
            self.assertIn("versionId=", r["target"])
            self.assertEqual(headers_of(r).get("x-amz-bypass-governance-retention"), "true")
            self.assertEqual(r["status"], 403 if self.bypass_refused else 204, r["target"])
        mode, until = self.lock_of(CANARY)
        self.assertEqual(mode, "GOVERNANCE")
        self.assertGreater(until, now())

    def test_status_and_metrics_report_the_lock_enforced(self):
        self.assert_ran(self.backup_run)
        self.assert_ran(self.status_run)
        report = json.loads(self.status_run.stdout)
        self.assertEqual(report["object_lock"]["mode"], "governance")
        self.assertIs(report["object_lock"]["enforced"], self.bypass_refused)
        self.assertEqual(report["object_lock"]["checked_at"], self.manifest()["object_lock"]["checked_at"])
        for run in ("backup", "prune", "again"):  # prune runs the canary too, with its credentials
            self.assertEqual(metric(self.metrics(run), "erp_backup_object_lock_enforced"),
                             1 if self.bypass_refused else 0, run)
        # status only reads: no write, no delete, no retention call.
        self.assertEqual([r["method"] for r in self.tool_requests(self.status_since)
                          if r["method"] not in ("GET", "HEAD")], [])

    # -- prune: keepers promoted, expired sets deleted by version unless locked ---------------------
    def test_prune_extends_the_keepers_locks_to_their_tier_horizon(self):
        self.assert_pruned(self.prune_run)
        monthly, yearly = self.planted["MONTHLY"], self.planted["YEARLY"]
        horizons = {monthly: plus_months(start_of(monthly), MONTHLY_MONTHS) + MARGIN,
                    yearly: plus_months(start_of(yearly), 12 * YEARLY_YEARS) + MARGIN}
        for i, horizon in horizons.items():
            for key in keys_of(i):
                with self.subTest(key=key):
                    mode, until = self.lock_of(key)
                    # The one COMPLIANCE object stays COMPLIANCE: a promotion never weakens.
                    self.assertEqual(mode, "COMPLIANCE" if key == keys_of(yearly)[0] else "GOVERNANCE")
                    self.assertEqual(until, horizon)
                    self.assertEqual(self.versions_of(i), self.planted_versions[i], "nothing rewritten")
        self.assertEqual(metric(self.metrics("prune"), "erp_backup_object_lock_promoted_objects"), 6)
        retention_calls = [r for r in self.tool_requests(self.prune_since, self.again_since)
                           if r["method"] == "PUT" and "retention" in r["target"]]
        self.assertEqual(sorted(r["target"].split("?")[0].removeprefix(f"/{self.front.bucket}/")
                                for r in retention_calls),
                         sorted(keys_of(monthly) + keys_of(yearly)))
        # The new set is locked for its daily band already: prune leaves it as it is.
        self.assertEqual(self.lock_of(self.manifest()["streams"]["db"]["key"])[1], self.initial_lock())

    def test_a_second_prune_promotes_and_deletes_nothing(self):
        self.assert_pruned(self.prune_again)
        self.assertEqual(metric(self.metrics("again"), "erp_backup_object_lock_promoted_objects"), 0)
        # (Its canary's requests aside.)
        self.assertEqual([r["method"] + " " + r["target"] for r in self.tool_requests(self.again_since, self.status_since)
                          if r["method"] in ("PUT", "POST", "DELETE") and CANARY not in r["target"]], [])

    def test_prune_deletes_an_expired_set_by_version_and_keeps_a_locked_one(self):
        self.assert_pruned(self.prune_run)
        expired, locked = self.planted["EXPIRED"], self.planted["EXPIRED_LOCKED"]
        self.assertEqual(self.versions_of(expired), [], "no version and no delete marker left")
        # Every DELETE named a version: a plain DELETE on a versioned bucket frees nothing. (The
        # canary's is the prune's enforcement check, before them.)
        deletes = [r for r in self.tool_requests(self.prune_since, self.again_since)
                   if r["method"] == "DELETE" and CANARY not in r["target"]]
        self.assertTrue(deletes)
        for r in deletes:
            self.assertIn("versionId=", r["target"])
            self.assertIn(f"/{expired}.", r["target"], "only the expired, unlocked set's versions")
        # The locked one is kept whole, and its lock is not extended: retention lets it go.
        self.assertEqual(self.versions_of(locked), self.planted_versions[locked])
        for key in keys_of(locked):
            self.assertEqual(self.lock_of(key), ("GOVERNANCE", self.planted_lock), key)
        # The keepers and the new set are all there.
        for i in (self.planted["MONTHLY"], self.planted["YEARLY"], self.new_id):
            self.assertTrue(self.versions_of(i), i)

    # -- what went over the wire ---------------------------------------------------------------------
    def test_requests_carry_the_lock_and_content_md5_and_no_checksum_headers(self):
        self.assert_ran(self.backup_run)
        manifest = self.manifest()
        wanted = {"x-amz-object-lock-mode": "GOVERNANCE",
                  "x-amz-object-lock-retain-until-date": wire(self.initial_lock())}
        sent = self.tool_requests(self.backup_since, self.prune_since)
        set_keys = {manifest["streams"]["db"]["key"], manifest["streams"]["docs"]["key"],
                    f"{PREFIX}manifests/{self.new_id}.json"}

        def key_of(r):
            return r["target"].split("?")[0].removeprefix(f"/{self.front.bucket}/")

        def query_of(r):
            return r["target"].partition("?")[2]

        puts = [r for r in sent if r["method"] == "PUT" and key_of(r) in set_keys and not query_of(r)]
        creates = [r for r in sent if r["method"] == "POST" and query_of(r) == "uploads"]
        parts = [r for r in sent if r["method"] == "PUT" and "partNumber=" in query_of(r)]
        retentions = [r for r in sent if r["method"] == "PUT" and "retention" in query_of(r)]
        self.assertEqual({key_of(r) for r in puts}, set_keys - {manifest["streams"]["db"]["key"]})
        self.assertEqual([key_of(r) for r in creates], [manifest["streams"]["db"]["key"]])
        self.assertEqual(len(parts), manifest["streams"]["db"]["parts"])
        for r in puts + creates:
            with self.subTest(request=f"{r['method']} {r['target']}"):
                headers = headers_of(r)
                self.assertEqual({k: headers.get(k) for k in wanted}, wanted)
        for r in puts + parts + retentions:
            with self.subTest(request=f"{r['method']} {r['target']}"):
                self.assertEqual(len(base64.b64decode(headers_of(r).get("content-md5", ""))), 16)
        # The store dropped the multipart upload's lock headers: the dump got its lock by
        # PutObjectRetention on its version, after the complete.
        dump = manifest["streams"]["db"]["key"]
        [complete] = [r for r in sent if r["method"] == "POST" and key_of(r) == dump and "uploadId=" in query_of(r)]
        dump_retentions = [r for r in retentions if key_of(r) == dump]
        self.assertTrue(dump_retentions)
        for r in dump_retentions:
            self.assertGreater(r["seq"], complete["seq"])
            self.assertIn("versionId=", query_of(r))
            self.assertEqual(r["status"], 200)
        # Mutable objects go without lock headers.
        [last] = [r for r in sent if r["method"] == "PUT" and key_of(r) == PREFIX + "last-success.json"]
        self.assertNotIn("x-amz-object-lock-mode", headers_of(last))
        self.assertEqual([r for r in self.front.requests() if r["violations"]], [], "no x-amz-checksum-*")


class ObjectLockOnRgw(ObjectLockSpec, unittest.TestCase):
    backend = "rgw"


class ObjectLockOnMoto(ObjectLockSpec, unittest.TestCase):
    backend = "moto"
    bypass_refused = False  # moto runs without IAM: the owner may bypass a governance lock


if __name__ == "__main__":
    unittest.main()
