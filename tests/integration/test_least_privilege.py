"""Issue 20: least privilege per job, on Ceph's RADOS Gateway (the one server here that enforces
bucket policies for several users: moto runs without IAM, s3rver checks no policy).

Three RGW users, each granted one credential scope of the contract on the env's prefix by the
bucket's policy (tests/harness/rgw_server.py SCOPES, bucket_policy_for; what RGW enforces is in
docs/testing.md): backup (put, get, list, abort, put-retention; no delete), prune (adds deletes,
no put), restore (get and list of the env's prefix only). The bucket is lock-enabled and every
run has OBJECT_LOCK_MODE=governance, as a production bucket would.

One scenario, run once in setUpClass and read by every test: three planted sets (test_object_lock
planted_sets: MONTHLY a final monthly keeper with a short lock, EXPIRED_LOCKED expired but locked,
EXPIRED expired and unlocked), then
  1. `backup` with the backup user and PRUNE_AFTER_BACKUP=true: exit 0, its prune skipped by
     permission (every delete refused: nothing deleted), the keeper's lock still extended (the
     backup scope may put retentions), the canary enforced (here the policy refuses the delete);
  2. `prune` with the prune user: exit 0, EXPIRED gone by version (no version, no delete marker),
     EXPIRED_LOCKED kept whole ("locked, kept"), the new set and the keeper untouched;
  3. the restore user: `status --json` and `verify latest` work; `put`, and boto3's PutObject
     and DeleteObject, are refused AccessDenied.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import unittest

from botocore.exceptions import ClientError

from erp_cli import clean_env, run_erp, set_id_of  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402
from test_object_lock import (CANARY, DATABASE, MARGIN, MONTHLY_MONTHS, headers_of, make_database, metric,  # noqa: E402
                              now, plant_set, planted_sets, plus_months, start_of, versions_of_set)
from test_retention import ENV_NAME, PREFIX, keys_of  # noqa: E402


class LeastPrivilegeOnRgw(IntegrationCase, unittest.TestCase):
    backend = "rgw"
    object_lock = True
    workdir_prefix = "erp-scopes-test-"
    postgres = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        make_database(cls.pg, DATABASE, 256 << 10)
        cls.docs = os.path.join(cls.workdir, "documents")
        os.makedirs(cls.docs)
        with open(os.path.join(cls.docs, "contrat.pdf"), "wb") as f:
            f.write(b"%PDF-1.4 contrat\n" * 32)
        cls.users = {scope: cls.front.add_scoped_user(scope, PREFIX) for scope in ("backup", "prune", "restore")}
        planted = planted_sets(now().date())
        cls.planted = {role: planted[role] for role in ("MONTHLY", "EXPIRED_LOCKED", "EXPIRED")}
        cls.planted_lock = now() + dt.timedelta(days=3)
        client = cls.front.boto3_client()  # the bucket's owner
        for role, i in cls.planted.items():
            plant_set(client, cls.front.bucket, i, None if role == "EXPIRED" else cls.planted_lock)
        cls.planted_versions = {i: cls.versions_of(i) for i in cls.planted.values()}

        cls.backup_since = cls.last_seq()
        cls.backup_run = cls.run_as("backup", "backup", PRUNE_AFTER_BACKUP="true",
                                    METRICS_TEXTFILE=os.path.join(cls.workdir, "backup.prom"))
        cls.new_id = set_id_of(cls.backup_run)
        cls.after_backup = {i: cls.versions_of(i) for i in cls.planted.values()}
        cls.keeper_after_backup = [cls.lock_of(key) for key in keys_of(cls.planted["MONTHLY"])]
        cls.prune_since = cls.last_seq()
        cls.prune_run = cls.run_as("prune", "prune")
        cls.restore_since = cls.last_seq()

    # -- helpers ---------------------------------------------------------------------------------
    @classmethod
    def run_as(cls, scope: str, *args, input: bytes | None = None, **extra):
        settings = {**cls.front.env_as(cls.users[scope]), **cls.pg.env(DATABASE), "BACKUP_ENV": ENV_NAME,
                    "DOCUMENTS_DIR": cls.docs, "S3_MAX_ATTEMPTS": "3", "PRUNE_AFTER_BACKUP": "false",
                    "OBJECT_LOCK_MODE": "governance",
                    # Two sets are kept by their tiers (the new one, MONTHLY): with the default
                    # floor of 3, EXPIRED_LOCKED would be kept as min-keep, not for its lock.
                    "RETENTION_MIN_KEEP": "1"}
        settings.update(extra)
        return run_erp(list(args), clean_env(settings), cls.front.secrets() + cls.pg.secrets(), input=input,
                       timeout=300)

    @classmethod
    def versions_of(cls, set_id_: str) -> list[dict]:
        return versions_of_set(cls, set_id_)

    def requests_by(self, scope: str, since: int, until: int | None = None) -> list[dict]:
        """The requests signed with that user's key after `since`, up to `until`."""
        key = self.users[scope].access_key
        return [r for r in self.front.requests(since) if r["access_key"] == key and (until is None or r["seq"] <= until)]

    def assert_ran(self, run, code: int = 0):
        self.assertEqual(run.returncode, code, run.stderr.decode(errors="replace")[-4000:])

    # -- 1. backup: cannot delete, succeeds --------------------------------------------------------------
    def test_a_backup_that_cannot_delete_succeeds_and_reports_its_prune_skipped(self):
        self.assert_ran(self.backup_run)
        stderr = self.backup_run.stderr.decode(errors="replace")
        self.assertIn("prune skipped", stderr)
        self.assertIn("s3:DeleteObject", stderr, "the warning names the permission")
        with open(os.path.join(self.workdir, "backup.prom")) as f:
            metrics = f.read()
        self.assertEqual(metric(metrics, "erp_backup_prune_skipped_by_permission"), 1)
        self.assertEqual(metric(metrics, "erp_backup_object_lock_enforced"), 1)
        # Nothing was deleted: every DELETE the backup user sent was refused by the policy.
        deletes = [r for r in self.requests_by("backup", self.backup_since, self.prune_since)
                   if r["method"] == "DELETE" or (r["method"] == "POST" and "delete" in r["target"].partition("?")[2])]
        self.assertTrue(deletes, "the backup's prune tried to delete (and the canary too)")
        self.assertEqual({r["status"] for r in deletes}, {403}, [r["target"] for r in deletes])
        self.assertEqual(self.after_backup, self.planted_versions, "every planted version is still there")
        # The new set is complete and locked; the canary was refused by the policy: enforced.
        manifest = json.loads(self.get(f"{PREFIX}manifests/{self.new_id}.json"))
        self.assertEqual(manifest["status"], "complete")
        self.assertIs(manifest["object_lock"]["enforced"], True)
        for stream in ("db", "docs"):
            self.assertEqual(self.lock_of(manifest["streams"][stream]["key"])[0], "GOVERNANCE", stream)

    def test_the_backup_credentials_still_extend_a_keepers_lock(self):
        # The backup scope may put retentions: its prune, skipped for deletes, still promotes.
        self.assert_ran(self.backup_run)
        monthly = self.planted["MONTHLY"]
        horizon = plus_months(start_of(monthly), MONTHLY_MONTHS) + MARGIN
        self.assertEqual(self.keeper_after_backup, [("GOVERNANCE", horizon)] * 3)
        retentions = [r for r in self.requests_by("backup", self.backup_since, self.prune_since)
                      if r["method"] == "PUT" and "retention" in r["target"] and f"/{monthly}." in r["target"]]
        self.assertEqual(len(retentions), 3)
        self.assertEqual({r["status"] for r in retentions}, {200})

    # -- 2. prune with its own credentials -------------------------------------------------------------------
    def test_prune_with_its_own_credentials_deletes_what_retention_allows(self):
        self.assert_ran(self.prune_run)
        self.assertEqual(self.versions_of(self.planted["EXPIRED"]), [], "no version and no delete marker left")
        locked = self.planted["EXPIRED_LOCKED"]
        self.assertEqual(self.versions_of(locked), self.planted_versions[locked], "locked, kept")
        for i in (self.planted["MONTHLY"], self.new_id):
            self.assertTrue(self.versions_of(i), i)
        deletes = [r for r in self.requests_by("prune", self.prune_since, self.restore_since)
                   if r["method"] == "DELETE" and CANARY not in r["target"]]
        self.assertEqual(len(deletes), 3, [r["target"] for r in deletes])
        for r in deletes:
            self.assertIn("versionId=", r["target"])
            self.assertIn(f"/{self.planted['EXPIRED']}.", r["target"])
            self.assertEqual(r["status"], 204)
        # Its canary: the prune credentials may delete versions, so only their refusal proves the
        # lock holds. Asked with the governance bypass, refused (the bucket policy denies
        # s3:BypassGovernanceRetention to everyone): enforced, exit 0.
        [canary] = [r for r in self.requests_by("prune", self.prune_since, self.restore_since)
                    if r["method"] == "DELETE" and CANARY in r["target"]]
        self.assertIn("versionId=", canary["target"])
        self.assertEqual(headers_of(canary).get("x-amz-bypass-governance-retention"), "true")
        self.assertEqual(canary["status"], 403)
        self.assertIn("Object Lock is enforced", self.prune_run.stderr.decode(errors="replace"))
        # The prune user never writes an object.
        self.assertEqual([r["target"] for r in self.requests_by("prune", self.prune_since, self.restore_since)
                          if r["method"] in ("PUT", "POST") and "retention" not in r["target"]], [])

    # -- 3. restore reads, cannot write ------------------------------------------------------------------------
    def test_restore_credentials_read_the_env_but_cannot_write(self):
        # What it reads: the backup user's set (whatever became of that run's prune).
        self.assertIsNotNone(self.new_id, self.backup_run.stderr.decode(errors="replace")[-4000:])
        status = self.run_as("restore", "status", "--json")
        self.assert_ran(status)
        self.assertIs(json.loads(status.stdout)["object_lock"]["enforced"], True)
        self.assert_ran(self.run_as("restore", "verify", "latest"))
        key = f"{PREFIX}notes.txt"
        put = self.run_as("restore", "put", key, input=b"not allowed")
        self.assertNotEqual(put.returncode, 0)
        self.assertIn("AccessDenied", put.stderr.decode(errors="replace"))
        client = self.front.boto3_client_as(self.users["restore"])
        for what, call in (("PutObject", lambda: client.put_object(Bucket=self.front.bucket, Key=key, Body=b"x")),
                           ("DeleteObject", lambda: client.delete_object(
                               Bucket=self.front.bucket, Key=f"{PREFIX}manifests/{self.new_id}.json"))):
            with self.subTest(what):
                with self.assertRaises(ClientError) as refused:
                    call()
                self.assertEqual(refused.exception.response["Error"]["Code"], "AccessDenied")
        self.assertEqual([v for v in self.versions(PREFIX) if v["key"] == key], [])
        self.assertEqual([v["key"] for v in self.versions(PREFIX) if v["delete_marker"]], [])
        # Whatever the restore user's key was let do was a read.
        allowed = {r["method"] for r in self.requests_by("restore", self.restore_since) if r["status"] < 300}
        self.assertTrue(allowed)
        self.assertLessEqual(allowed, {"GET", "HEAD"})


class ScopesOnRgw(IntegrationCase, unittest.TestCase):
    """What RGW 16 enforces of Object Lock and of the scopes' bucket policies, straight to radosgw
    with boto3 (no erp-backup): the facts docs/testing.md lists, kept true. Each test says which
    part of the tool's design leans on it."""

    backend = "rgw"
    object_lock = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.users = {scope: cls.front.add_scoped_user(scope, PREFIX) for scope in ("backup", "prune", "restore")}
        cls.owner = cls.front.backend_client()
        cls.as_user = {scope: cls.front.rgw.s3_client(user) for scope, user in cls.users.items()}

    def until(self, days: int = 3) -> dt.datetime:
        return now() + dt.timedelta(days=days)

    def put_locked(self, client, key: str, body: bytes = b"locked") -> str:
        return client.put_object(Bucket=self.front.bucket, Key=key, Body=body, ObjectLockMode="GOVERNANCE",
                                 ObjectLockRetainUntilDate=self.until())["VersionId"]

    def assert_refused(self, call, code: str = "AccessDenied"):
        with self.assertRaises(ClientError) as refused:
            call()
        self.assertEqual(refused.exception.response["Error"]["Code"], code)
        return refused.exception.response

    def test_the_backup_scope_writes_and_locks_but_cannot_delete(self):
        client, bucket, key = self.as_user["backup"], self.front.bucket, PREFIX + "scopes/backup.bin"
        version = self.put_locked(client, key)  # lock headers without Content-MD5: RGW accepts them
        client.put_object_retention(Bucket=bucket, Key=key, VersionId=version,
                                    Retention={"Mode": "GOVERNANCE", "RetainUntilDate": self.until(4)})
        upload = client.create_multipart_upload(Bucket=bucket, Key=key + ".mp")["UploadId"]
        client.abort_multipart_upload(Bucket=bucket, Key=key + ".mp", UploadId=upload)
        # Refused by the policy (RGW's <Message> is empty), whether or not a lock applies: the
        # canary's refusal proves the credentials cannot destroy, which is what matters.
        self.assert_refused(lambda: client.delete_object(Bucket=bucket, Key=key, VersionId=version))
        self.assert_refused(lambda: client.delete_object(Bucket=bucket, Key=key))
        self.assert_refused(lambda: client.put_object(Bucket=bucket, Key="erp/other/x", Body=b"x"))

    def test_a_locked_version_is_refused_to_the_owner_and_to_the_prune_scope(self):
        bucket, key = self.front.bucket, PREFIX + "scopes/owned.bin"
        version = self.put_locked(self.owner, key)
        for who, client in (("owner", self.owner), ("prune", self.as_user["prune"])):
            with self.subTest(who):
                answer = self.assert_refused(lambda: client.delete_object(Bucket=bucket, Key=key, VersionId=version))
                self.assertEqual(answer["Error"].get("Message"), "forbidden by object lock")
        # Shortening, even by the owner, is refused; so is GOVERNANCE -> COMPLIANCE (promotion never
        # changes an object's mode for that reason: it keeps the stronger one).
        for mode, days in (("GOVERNANCE", 1), ("COMPLIANCE", 5)):
            with self.subTest(mode=mode, days=days):
                self.assert_refused(lambda: self.owner.put_object_retention(
                    Bucket=bucket, Key=key, VersionId=version,
                    Retention={"Mode": mode, "RetainUntilDate": self.until(days)}))
        # An unlocked version goes, with the prune scope's s3:DeleteObjectVersion.
        unlocked = self.owner.put_object(Bucket=bucket, Key=key + ".free", Body=b"free")["VersionId"]
        self.as_user["prune"].delete_object(Bucket=bucket, Key=key + ".free", VersionId=unlocked)
        self.assertEqual(self.versions(key + ".free"), [])

    def test_the_lock_headers_of_a_multipart_upload_are_dropped(self):
        bucket, key = self.front.bucket, PREFIX + "scopes/multipart.bin"
        upload = self.owner.create_multipart_upload(Bucket=bucket, Key=key, ObjectLockMode="GOVERNANCE",
                                                    ObjectLockRetainUntilDate=self.until())["UploadId"]
        part = self.owner.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"part")
        version = self.owner.complete_multipart_upload(
            Bucket=bucket, Key=key, UploadId=upload,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})["VersionId"]
        self.assertEqual(self.lock_of(key), (None, None), "RGW 16 kept no lock: the tool must apply one")
        until = self.until()
        self.owner.put_object_retention(Bucket=bucket, Key=key, VersionId=version,
                                        Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until})
        self.assertEqual(self.lock_of(key), ("GOVERNANCE", until))

    def test_reading_a_lock_or_a_version_needs_its_own_right(self):
        bucket, key = self.front.bucket, PREFIX + "scopes/read.bin"
        version = self.put_locked(self.owner, key)
        # The restore scope (s3:GetObject only): HEAD answers, without the lock headers;
        # HEAD ?versionId= is refused (s3:GetObjectVersion).
        head = self.as_user["restore"].head_object(Bucket=bucket, Key=key)
        self.assertNotIn("ObjectLockMode", head)
        self.assert_refused(lambda: self.as_user["restore"].head_object(Bucket=bucket, Key=key, VersionId=version),
                            "403")
        # The prune scope HEADs a version another user wrote, lock included.
        head = self.as_user["prune"].head_object(Bucket=bucket, Key=key, VersionId=version)
        self.assertEqual(head["ObjectLockMode"], "GOVERNANCE")

    def test_a_multi_object_delete_needs_delete_rights_on_the_bucket_itself(self):
        # RGW 16 checks DeleteObjects against the bucket's ARN: the prune scope, granted
        # s3:DeleteObject on the env's prefix only, is refused the batch and allowed each key.
        # (With OBJECT_LOCK_MODE on, prune deletes by version, one key at a time; with it off, a
        # prefix-scoped prune user on RGW needs s3:DeleteObject on the bucket ARN too.)
        bucket, keys = self.front.bucket, [PREFIX + f"scopes/batch-{i}" for i in range(2)]
        for key in keys:
            self.owner.put_object(Bucket=bucket, Key=key, Body=b"batch")
        client = self.as_user["prune"]
        self.assert_refused(lambda: client.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]}))
        for key in keys:
            client.delete_object(Bucket=bucket, Key=key)
        self.assertEqual(self.bucket_keys(PREFIX + "scopes/batch-"), [])

if __name__ == "__main__":
    unittest.main()
