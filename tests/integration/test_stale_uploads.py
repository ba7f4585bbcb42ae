"""Issue 7: `prune` aborts this env's stale multipart uploads; `list` shows the open ones.

A killed run leaves its multipart upload open and the store keeps its parts. Here the uploads are
created directly on the server with boto3 (through the signature-verifying front, which also
reports moto's uploads with their real initiation time): under this env (one old, one young, one
foreign key), under another env whose name starts with this one's, and under a foreign prefix.
"Old" is set, not waited for: the front (which reports moto's uploads with the time each passed
through it) is told to report the old uploads as initiated two hours ago, while the young one
keeps its real initiation time and stays younger than STALE_UPLOAD_AGE (1h) however slow the
machine is. Then `prune` must abort exactly the old upload of this env's own keys, `--dry-run`
nothing, and a failed abort must be reported with key and upload id.

s3rver implements no ListMultipartUploads (it answers 501 NotImplemented): there `prune` and
`list` must not fail, only warn that stale uploads cannot be listed (hint: a lifecycle rule).

Ceph's RADOS Gateway runs the moto tests: its listing reports each upload's real initiation
time, which the young upload keeps; the old ones' age is set at the front as for moto.

Run: cd tests/integration && PYTHONPATH=../harness:../fixtures python3 -m unittest -v test_stale_uploads
"""

from __future__ import annotations

import datetime as dt
import json
import unittest

from erp_cli import clean_env, run_erp  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402

ENV_NAME = "prod"
PREFIX = f"erp/{ENV_NAME}/"
AGE_SECONDS = 3600  # STALE_UPLOAD_AGE: the young upload stays younger than this through the runs
OLD_AGE = dt.timedelta(hours=2)  # what the front reports as the old uploads' age

OLD = PREFIX + "db/20261130T020000Z.dump"                 # this env, the tool's key: aborted
FOREIGN_KEY = PREFIX + "db/20261130T020000Z.dump.partial"  # this env, not the tool's key: never
OTHER_ENV = "erp/prod2/db/20261130T020000Z.dump"          # "prod2" starts with "prod": never
OTHER_PREFIX = "other/prod/db/20261130T020000Z.dump"      # another tool's prefix: never
YOUNG = PREFIX + "docs/20261130T030000Z.tar.zst"           # this env, created after the wait: kept


class StaleUploadsSpec(IntegrationCase):
    backend = "moto"

    def erp(self, *args, **extra):
        settings = {**self.front.env(), "BACKUP_ENV": ENV_NAME, "S3_MAX_ATTEMPTS": "2",
                    "STALE_UPLOAD_AGE": f"{AGE_SECONDS}s"}
        settings.update(extra)
        return run_erp(list(args), clean_env(settings), self.front.secrets(), timeout=120)

    def stderr(self, result) -> str:
        return result.stderr.decode(errors="replace")


class StaleUploadsOnMoto(StaleUploadsSpec, unittest.TestCase):
    backend = "moto"

    def open_uploads(self) -> dict[str, str]:
        """key -> upload id of every open upload in the bucket."""
        listing = self.client().list_multipart_uploads(Bucket=self.front.bucket)
        return {u["Key"]: u["UploadId"] for u in listing.get("Uploads", [])}

    def create(self, key: str) -> str:
        return self.client().create_multipart_upload(Bucket=self.front.bucket, Key=key)["UploadId"]

    def abort_requests(self, since: int) -> list[dict]:
        return [r for r in self.front.requests(since) if r["method"] == "DELETE" and "uploadId=" in r["target"]]

    def tearDown(self):
        try:
            for key, upload in self.open_uploads().items():
                self.client().abort_multipart_upload(Bucket=self.front.bucket, Key=key, UploadId=upload)
        finally:
            super().tearDown()

    def test_prune_aborts_exactly_this_envs_stale_upload(self):
        ids = {key: self.create(key) for key in (OLD, FOREIGN_KEY, OTHER_ENV, OTHER_PREFIX, YOUNG)}
        initiated_long_ago = dt.datetime.now(dt.timezone.utc) - OLD_AGE
        for key in (OLD, FOREIGN_KEY, OTHER_ENV, OTHER_PREFIX):
            self.front.set_initiated(ids[key], initiated_long_ago)
        self.assertEqual(self.open_uploads(), ids)
        listing = self.client().list_multipart_uploads(Bucket=self.front.bucket)["Uploads"]
        initiated = {u["Key"]: u["Initiated"] for u in listing}
        self.assertLess(initiated[OLD], initiated_long_ago + dt.timedelta(seconds=1), "the front reports the set age")
        self.assertGreater(initiated[YOUNG], initiated_long_ago + OLD_AGE / 2, "the young upload keeps its real time")

        with self.subTest("list shows this env's open uploads with key, initiated and age"):
            listed = self.erp("list", "--json")
            self.assertEqual(listed.returncode, 0, self.stderr(listed))
            uploads = {u["key"]: u for u in json.loads(listed.stdout)["uploads"]["uploads"]}
            self.assertEqual(set(uploads), {OLD, FOREIGN_KEY, YOUNG})
            self.assertEqual(uploads[OLD]["upload_id"], ids[OLD])
            self.assertEqual(uploads[OLD]["state"], "stale")
            self.assertGreater(uploads[OLD]["age_seconds"], AGE_SECONDS)
            self.assertLess(uploads[OLD]["age_seconds"], OLD_AGE.total_seconds() + 600)
            self.assertRegex(uploads[OLD]["initiated"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            self.assertEqual(uploads[YOUNG]["state"], "in progress")
            self.assertLess(uploads[YOUNG]["age_seconds"], AGE_SECONDS)
            self.assertEqual(uploads[FOREIGN_KEY]["state"], "foreign")
            text = self.erp("list")
            self.assertEqual(text.returncode, 0, self.stderr(text))
            line = [l for l in text.stdout.decode().splitlines() if l.startswith(OLD + "\t")]
            self.assertEqual(len(line), 1, text.stdout.decode())
            self.assertRegex(line[0], rf"^{OLD}\tupload {ids[OLD]}\tstale \(the next prune aborts it\)\t"
                                      r"initiated \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ, age 2h\d+m$")
            self.assertEqual(self.open_uploads(), ids, "list aborted something")

        with self.subTest("--dry-run shows what it would abort and aborts nothing"):
            before = len(self.front.requests())
            dry = self.erp("prune", "--dry-run", "--json")
            self.assertEqual(dry.returncode, 0, self.stderr(dry))
            plan = json.loads(dry.stdout)["uploads"]
            self.assertEqual(plan["pass"], "dry_run")
            actions = {u["key"]: u["action"] for u in plan["uploads"]}
            self.assertEqual(actions, {OLD: "would abort", FOREIGN_KEY: "foreign (never aborted)",
                                       YOUNG: "in progress"})
            self.assertEqual(self.abort_requests(before), [])
            self.assertEqual(self.open_uploads(), ids)

        with self.subTest("a failed abort is reported with key and upload id and fails prune"):
            self.front.set_faults([{"method": "DELETE", "query_contains": "uploadId=", "times": -1,
                                    "action": "403"}])
            failed = self.erp("prune")
            self.front.set_faults([])
            self.assertEqual(failed.returncode, 1, self.stderr(failed))
            error_lines = [l for l in self.stderr(failed).splitlines() if "AccessDenied" in l]
            self.assertTrue(any(OLD in l and ids[OLD] in l for l in error_lines), self.stderr(failed))
            self.assertEqual(self.open_uploads(), ids)

        with self.subTest("prune aborts exactly the old upload of this env's own keys"):
            before = len(self.front.requests())
            result = self.erp("prune")
            self.assertEqual(result.returncode, 0, self.stderr(result))
            aborts = self.abort_requests(before)
            self.assertEqual(len(aborts), 1, aborts)
            self.assertIn(f"uploadId={ids[OLD]}", aborts[0]["target"])
            self.assertEqual(self.open_uploads(), {k: v for k, v in ids.items() if k != OLD})
            self.assertIn(f"{OLD}\tupload {ids[OLD]}\taborted\t", result.stdout.decode())
            again = self.erp("prune", "--json")  # nothing stale is left
            self.assertEqual(again.returncode, 0, self.stderr(again))
            self.assertEqual(json.loads(again.stdout)["uploads"]["stale"], 0)

    def test_a_malformed_stale_upload_age_is_a_config_error_before_any_request(self):
        before = len(self.front.requests())
        for command in (["prune"], ["list"]):
            result = self.erp(*command, STALE_UPLOAD_AGE="1 day")
            self.assertEqual(result.returncode, 2, self.stderr(result))
            self.assertIn("STALE_UPLOAD_AGE '1 day' (hint: ", self.stderr(result))
        self.assertEqual(len(self.front.requests()), before, "nothing is sent with a broken setting")


class StaleUploadsOnRgw(StaleUploadsOnMoto):
    backend = "rgw"


class StaleUploadsOnS3rver(StaleUploadsSpec, unittest.TestCase):
    """s3rver has no ListMultipartUploads: prune and list go on with a warning."""
    backend = "s3rver"

    def test_prune_and_list_warn_and_succeed_where_uploads_cannot_be_listed(self):
        before = len(self.front.requests())
        for command in (["prune"], ["prune", "--dry-run"], ["list"]):
            with self.subTest(command=command):
                result = self.erp(*command)
                self.assertEqual(result.returncode, 0, self.stderr(result))
                self.assertIn("stale multipart uploads cannot be listed on this store", self.stderr(result))
                self.assertIn("lifecycle rule", self.stderr(result))
        listings = [r for r in self.front.requests(before)
                    if r["method"] == "GET" and "uploads" in r["target"].split("?", 1)[-1].split("&")]
        self.assertEqual(len(listings), 3, "each run asked, and got s3rver's NotImplemented")
        self.assertEqual({r["status"] for r in listings}, {501})
        json_run = self.erp("prune", "--json")
        self.assertEqual(json_run.returncode, 0, self.stderr(json_run))
        self.assertFalse(json.loads(json_run.stdout)["uploads"]["listable"])


if __name__ == "__main__":
    unittest.main()
