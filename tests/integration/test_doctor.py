"""`erp-backup doctor` against real stores (issue 18): each check's answer is what the store really
does, and the bucket holds nothing new afterwards, also after SIGTERM mid-probe.

DoctorSpec holds the tests; one small subclass per store says what that store does:

    class DoctorOnMoto(DoctorSpec, unittest.TestCase):
        backend = "moto"
        store = "moto"
        expected = expect()                       # every check ok but plain HTTP (degraded)

Measured behaviour each subclass asserts (the checks' names: src/doctor/check.h):
  moto        honours If-None-Match (conditional_put ok), lists and aborts uploads, DeleteObjects;
              GetBucketVersioning answers an empty <GetBucketVersioningResponse/>; no Object Lock
              (ObjectLockConfigurationNotFoundError = off, ok); told by Server: Werkzeug/amazon.com.
  s3rver      ignores If-None-Match (degraded: the run lease stands in), answers
              ListMultipartUploads 501 and AbortMultipartUpload 405 (uploads degraded: doctor
              closes its upload by completing it, then deletes it), answers ?versioning with the
              bucket listing and ?object-lock with 501 (both degraded: not reported); sends no
              identifying header (store "other").
  GCS front   (s3front --gcs over moto) DeleteObjects 501 NotImplemented (degraded: one DELETE per
              key); x-guploader-uploadid on every answer (store "gcs"). The endpoint is loopback,
              not storage.googleapis.com, so the tool sends If-None-Match (honoured by moto).
  RGW         (Ceph 16, tests/harness/rgw_server.py) answers CompleteMultipartUpload with 200 and
              an empty <ETag> (multipart degraded: settled by HEAD, nothing deleted).

The endpoint is plain HTTP in these classes, so `endpoint` is degraded everywhere but in
DoctorOverTls, which also shows the TLS failure without AWS_CA_BUNDLE. DoctorFailures: a wrong
secret names the credentials, a missing bucket names the bucket (exit 1, nothing written), a
usage or configuration error is exit 2 before anything is contacted, and the metrics carry one
line per check.

What "touches nothing else" means here, checked on the front's record of every request the tool
sent: each object request names a key under the run's own `erp/prod/.doctor/<token>/`, and each
bucket-level one is a listing of that prefix, DeleteObjects, ?versioning or ?object-lock. A
neighbour object and (where the store lists them) a neighbour upload are still there afterwards.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
import unittest
from urllib.parse import parse_qsl, unquote

from erp_cli import BINARY, clean_env, run_erp  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402

ENV_NAME = "prod"
ENV_PREFIX = f"erp/{ENV_NAME}/"
RUN_PREFIX = re.compile(rf"^{re.escape(ENV_PREFIX)}\.doctor/[0-9a-f]{{32}}/$")
CHECKS = ["endpoint", "credentials", "region_clock", "bucket", "put_object", "list_pagination",
          "get_range", "multipart", "conditional_put", "uploads", "delete_objects",
          "delete_permission", "versioning", "object_lock", "store", "cleanup"]
NEEDED = CHECKS[:9]
SYNC_TIMEOUT = 120.0  # for a held request to reach the front (2 shared cores)
STOP_BOUND = 40.0     # signal to exit: ~1 s to end the transfer, the cleanup within S3_STALL_TIMEOUT


def expect(**overrides: str) -> dict[str, str]:
    """Every check's result: ok, but the plain-HTTP endpoint (degraded), with `overrides`."""
    results = {check: "ok" for check in CHECKS}
    results["endpoint"] = "degraded"
    unknown = set(overrides) - set(CHECKS)
    if unknown:
        raise ValueError(f"unknown checks {sorted(unknown)}")
    results.update(overrides)
    return results


class DoctorSpec(IntegrationCase):
    """What every store's doctor run must show. Subclasses set backend/gcs, store, expected,
    lists_uploads (the store has ListMultipartUploads) and detail_contains."""
    store = "moto"
    expected: dict[str, str] = expect()
    lists_uploads = True
    detail_contains: dict[str, str] = {}

    # -- helpers ---------------------------------------------------------------------------------
    def env(self, **extra: str) -> dict:
        return clean_env({**self.front.env(), "BACKUP_ENV": ENV_NAME, "S3_PREFIX": "erp", **extra})

    def doctor(self, *args: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess, dict | None]:
        res = run_erp(["doctor", "--json", *args], env or self.env(), self.secrets(), timeout=300)
        try:
            doc = json.loads(res.stdout)
        except ValueError:
            doc = None
        return res, doc

    def results(self, doc: dict) -> dict[str, str]:
        return {c["check"]: c["result"] for c in doc["checks"]}

    def uploads(self) -> list[tuple[str, str]]:
        listing = self.client().list_multipart_uploads(Bucket=self.front.bucket)
        return sorted((u["Key"], u["UploadId"]) for u in listing.get("Uploads", []))

    def plant_neighbours(self) -> None:
        """An object of a backup set, and an open upload, that doctor must leave alone."""
        client = self.client()
        client.put_object(Bucket=self.front.bucket, Key=f"{ENV_PREFIX}manifests/20261126T020000Z.json",
                          Body=b"{}")
        if self.lists_uploads:
            client.create_multipart_upload(Bucket=self.front.bucket, Key=f"{ENV_PREFIX}db/20261126T020000Z.dump")

    def snapshot(self) -> tuple[list[str], list[tuple[str, str]]]:
        return self.bucket_keys(), (self.uploads() if self.lists_uploads else [])

    def tool_requests(self, since: int) -> list[dict]:
        return [r for r in self.front.requests(since)
                if dict((n.lower(), v) for n, v in r["headers"]).get("user-agent", "").startswith("erp-backup/")]

    def assert_only_under(self, run_prefix: str, requests: list[dict]) -> None:
        """Every request the tool sent concerns the run prefix alone (see the module doc)."""
        self.assertTrue(requests, "the front recorded no request of the tool")
        bucket_path = f"/{self.front.bucket}"
        for request in requests:
            with self.subTest(request=f"{request['method']} {request['target']}"):
                path, _, query = request["target"].partition("?")
                params = dict(parse_qsl(query, keep_blank_values=True))
                if path in (bucket_path, bucket_path + "/"):
                    if "prefix" in params or "list-type" in params or "uploads" in params:
                        self.assertTrue(params.get("prefix", "").startswith(run_prefix),
                                        "a listing beyond the run prefix")
                    else:
                        self.assertTrue({"delete", "versioning", "object-lock"} & set(params),
                                        "an unexpected bucket-level request")
                else:
                    key = unquote(path[len(bucket_path) + 1:])
                    self.assertTrue(key.startswith(run_prefix), f"a request for {key}")

    # -- the tests -------------------------------------------------------------------------------------
    def test_each_check_says_what_the_store_does_and_nothing_is_left(self):
        self.plant_neighbours()
        before = self.snapshot()
        first = len(self.front.requests())
        res, doc = self.doctor()
        self.assertIsNotNone(doc, res.stderr.decode(errors="replace"))
        self.assertEqual(res.returncode, 0, res.stderr.decode(errors="replace"))
        self.assertEqual([c["check"] for c in doc["checks"]], CHECKS)
        self.assertEqual(self.results(doc), self.expected, json.dumps(doc["checks"], indent=1))
        for check in doc["checks"]:
            with self.subTest(check=check["check"]):
                self.assertTrue(check["detail"])
                self.assertEqual(check["needed_for_backup"], check["check"] in NEEDED)
                # A degraded or failed check names its fallback or fix.
                self.assertEqual(bool(check["fix"]), check["result"] in ("degraded", "failed"))
        for check, text in self.detail_contains.items():
            detail = next(c["detail"] for c in doc["checks"] if c["check"] == check)
            self.assertIn(text, detail, check)
        self.assertEqual(doc["store"]["kind"], self.store)
        self.assertTrue(doc["backup_can_run"])
        self.assertEqual(doc["exit_code"], 0)
        self.assertEqual(doc["degraded"], [c for c in CHECKS if self.expected[c] == "degraded"])
        self.assertFalse(doc["stopped"])
        self.assertRegex(doc["run_prefix"], RUN_PREFIX)
        self.assertEqual(doc["bucket"], self.front.bucket)

        self.assertEqual(self.snapshot(), before, "doctor left something in the bucket, or removed something")
        self.assert_only_under(doc["run_prefix"], self.tool_requests(first))
        # It did write: the probes' objects went through the front.
        writes = [r for r in self.tool_requests(first) if r["method"] in ("PUT", "POST")]
        self.assertGreaterEqual(len(writes), 8)

    def test_the_table_lists_every_check_and_the_verdict(self):
        res = run_erp(["doctor"], self.env(), self.secrets(), timeout=300)
        self.assertEqual(res.returncode, 0, res.stderr.decode(errors="replace"))
        lines = res.stdout.decode().splitlines()
        rows = {line.split()[0]: line.split()[1] for line in lines
                if line.split() and line.split()[0] in CHECKS}
        self.assertEqual(rows, self.expected)
        self.assertIn(f"s3://{self.front.bucket}", lines[0])
        degraded = ", ".join(c for c in CHECKS if self.expected[c] == "degraded")
        self.assertIn(f"backup can run: yes (degraded: {degraded})", lines)
        fixes = [line for line in lines if line.strip().startswith("fix: ")]
        self.assertEqual(len(fixes), list(self.expected.values()).count("degraded"))
        self.assertEqual(self.bucket_keys(ENV_PREFIX + ".doctor/"), [])

    def test_sigterm_mid_probe_exits_143_and_leaves_nothing(self):
        """The second part of the multipart probe is held at the front; SIGTERM ends the transfer,
        the cleanup aborts the upload and deletes the objects written so far, and only then is
        the held part released (it reaches the store after the upload is gone). A held PutObject
        would not do: released after the cleanup, it would create its object then, as a write the
        store received in full can still land after its client gave up."""
        self.plant_neighbours()
        before = self.snapshot()
        since = len(self.front.requests())
        self.front.set_faults([{"method": "PUT", "query_contains": "partNumber=2", "action": "hold",
                                "seconds": 120}])
        run = subprocess.Popen([BINARY, "doctor", "--json"], env=self.env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
        try:
            self.wait_for_held_key(since, "PUT", "partNumber=2", run, "sent its second part",
                                   timeout=SYNC_TIMEOUT)
            stopped_at = time.monotonic()
            run.send_signal(signal.SIGTERM)
            out, err = run.communicate(timeout=STOP_BOUND + 20)
            elapsed = time.monotonic() - stopped_at
        finally:
            if run.poll() is None:
                run.kill()
                run.communicate()
        for secret in self.secrets():
            self.assertNotIn(secret.encode(), out + err)
        self.assertEqual(run.returncode, 143, err.decode(errors="replace"))
        self.assertLess(elapsed, STOP_BOUND)
        doc = json.loads(out)
        results = self.results(doc)
        self.assertTrue(doc["stopped"])
        self.assertEqual(doc["exit_code"], 143)
        self.assertEqual(results["multipart"], "skipped")
        self.assertEqual(results["conditional_put"], "skipped")
        self.assertEqual(results["put_object"], "ok")
        self.assertEqual(results["cleanup"], "ok", json.dumps(doc["checks"], indent=1))
        self.assertIn("conditional_put", doc["unchecked"])

        # Now the held part goes on, into an upload that no longer exists.
        self.front.release()
        deadline = time.monotonic() + SYNC_TIMEOUT
        while not [r for r in self.front.requests(since)
                   if "partNumber=2" in r["target"] and r["backend_status"] is not None]:
            self.assertLess(time.monotonic(), deadline, "the released part never reached the store")
            time.sleep(0.05)  # polling the front's record, bounded by the deadline
        self.assertEqual(self.snapshot(), before, "doctor left something behind after SIGTERM")
        self.assert_only_under(doc["run_prefix"], self.tool_requests(since))


class DoctorOnMoto(DoctorSpec, unittest.TestCase):
    backend = "moto"
    store = "moto"
    expected = expect()


class DoctorOnS3rver(DoctorSpec, unittest.TestCase):
    backend = "s3rver"
    store = "other"
    lists_uploads = False
    expected = expect(conditional_put="degraded", uploads="degraded", versioning="degraded",
                      object_lock="degraded")
    detail_contains = {"uploads": "ListMultipartUploads (NotImplemented) and AbortMultipartUpload",
                       "conditional_put": "ignored",
                       "versioning": "<ListBucketResult>",
                       "object_lock": "NotImplemented"}


class DoctorOnGcsFront(DoctorSpec, unittest.TestCase):
    backend = "moto"
    gcs = True
    store = "gcs"
    expected = expect(delete_objects="degraded")
    detail_contains = {"delete_objects": "NotImplemented", "store": "x-guploader-uploadid"}


class DoctorOnRgw(DoctorSpec, unittest.TestCase):
    backend = "rgw"
    store = "rgw"
    # RGW 16 answers CompleteMultipartUpload with 200 and an empty <ETag>: settled by HEAD.
    expected = expect(multipart="degraded")
    detail_contains = {"multipart": "without an ETag"}


class DoctorOverTls(IntegrationCase, unittest.TestCase):
    """HTTPS with a private CA: the endpoint check is ok with AWS_CA_BUNDLE, and without it fails
    naming the setting, before anything is written."""
    tls = True

    def env(self, **extra: str) -> dict:
        return clean_env({**self.front.env(), "BACKUP_ENV": ENV_NAME, **extra})

    def test_endpoint_ok_with_the_ca_bundle_and_failed_without(self):
        res = run_erp(["doctor", "--json"], self.env(), self.secrets(), timeout=300)
        self.assertEqual(res.returncode, 0, res.stderr.decode(errors="replace"))
        doc = json.loads(res.stdout)
        endpoint = doc["checks"][0]
        self.assertEqual(endpoint["result"], "ok")
        self.assertIn("certificate verified against AWS_CA_BUNDLE", endpoint["detail"])
        self.assertEqual(doc["degraded"], [])

        without = {k: v for k, v in self.env().items() if k != "AWS_CA_BUNDLE"}
        since = len(self.front.requests())
        res = run_erp(["doctor", "--json"], without, self.secrets(), timeout=300)
        self.assertEqual(res.returncode, 1, res.stderr.decode(errors="replace"))
        doc = json.loads(res.stdout)
        endpoint = doc["checks"][0]
        self.assertEqual(endpoint["result"], "failed")
        self.assertIn("TLS certificate verification failed", endpoint["detail"])
        self.assertIn("AWS_CA_BUNDLE", endpoint["fix"])
        self.assertEqual(doc["blocking"], ["endpoint"])
        self.assertEqual(self.results_of(doc)["cleanup"], "ok")
        self.assertEqual(self.front.requests(since), [], "a request got through an unverified TLS")
        self.assertEqual(self.bucket_keys(), [])

    @staticmethod
    def results_of(doc: dict) -> dict[str, str]:
        return {c["check"]: c["result"] for c in doc["checks"]}


class DoctorFailures(IntegrationCase, unittest.TestCase):
    """What doctor says when a backup cannot run, and that it touches nothing then."""
    workdir_prefix = "erp-doctor-test-"

    def env(self, **extra: str) -> dict:
        return clean_env({**self.front.env(), "BACKUP_ENV": ENV_NAME, **extra})

    def run_doctor(self, env: dict, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
        res = run_erp(["doctor", "--json", *args], env, self.secrets(), timeout=300)
        return res, json.loads(res.stdout) if res.stdout.strip() else {}

    @staticmethod
    def results(doc: dict) -> dict[str, str]:
        return {c["check"]: c["result"] for c in doc["checks"]}

    def test_a_wrong_secret_fails_the_credentials_naming_the_provider(self):
        since = len(self.front.requests())
        with self.front.expect_rejections("SignatureDoesNotMatch"):
            res, doc = self.run_doctor(self.env(AWS_SECRET_ACCESS_KEY="erpTEST-wrong-secret"))
        self.assertEqual(res.returncode, 1, res.stderr.decode(errors="replace"))
        results = self.results(doc)
        self.assertEqual(results["endpoint"], "degraded")
        self.assertEqual(results["credentials"], "failed")
        credentials = doc["checks"][1]
        self.assertIn("static keys (AWS_ACCESS_KEY_ID", credentials["detail"])
        self.assertIn("SignatureDoesNotMatch", credentials["detail"])
        self.assertIn("AWS_SECRET_ACCESS_KEY", credentials["detail"])
        self.assertIn("static keys", credentials["fix"])
        self.assertEqual(doc["blocking"], ["credentials"])
        self.assertEqual(doc["unchecked"], NEEDED[2:])
        self.assertFalse(doc["backup_can_run"])
        self.assertEqual(results["cleanup"], "ok")  # nothing was written
        self.assertEqual([r["method"] for r in self.front.requests(since)], ["GET"])
        self.assertIn("a backup cannot run", res.stderr.decode())
        self.assertNotIn(b"erpTEST-wrong-secret", res.stdout + res.stderr)

    def test_a_missing_bucket_fails_naming_the_bucket(self):
        since = len(self.front.requests())
        res, doc = self.run_doctor(self.env(S3_BUCKET="erp-no-such-bucket"))
        self.assertEqual(res.returncode, 1, res.stderr.decode(errors="replace"))
        results = self.results(doc)
        self.assertEqual(results["credentials"], "ok")
        self.assertEqual(results["bucket"], "failed")
        bucket = doc["checks"][3]
        self.assertIn("erp-no-such-bucket", bucket["detail"])
        self.assertIn("NoSuchBucket", bucket["detail"])
        self.assertIn("S3_BUCKET", bucket["fix"])
        self.assertEqual(doc["blocking"], ["bucket"])
        self.assertEqual([r["method"] for r in self.front.requests(since)], ["GET"])

    def test_usage_and_configuration_errors_exit_2_before_any_request(self):
        since = len(self.front.requests())
        res = run_erp(["doctor", "--bogus"], self.env(), self.secrets())
        self.assertEqual(res.returncode, 2)
        self.assertIn("unknown argument '--bogus'", res.stderr.decode())
        env = self.env()
        del env["BACKUP_ENV"]
        res = run_erp(["doctor"], env, self.secrets())
        self.assertEqual(res.returncode, 2)
        self.assertIn("missing BACKUP_ENV", res.stderr.decode())
        # doctor writes: a misspelt setting stops it like any writing command.
        res = run_erp(["doctor"], self.env(S3_BUKET="x"), self.secrets())
        self.assertEqual(res.returncode, 2)
        self.assertIn("S3_BUCKET", res.stderr.decode())
        # --help reads no setting at all.
        res = run_erp(["doctor", "--help"], clean_env({}), [])
        self.assertEqual(res.returncode, 0)
        self.assertIn(b"usage: erp-backup doctor [--json]", res.stdout)
        self.assertEqual(self.front.requests(since), [])

    def test_metrics_carry_one_line_per_check(self):
        textfile = os.path.join(self.workdir, "doctor.prom")
        res, doc = self.run_doctor(self.env(METRICS_TEXTFILE=textfile))
        self.assertEqual(res.returncode, 0, res.stderr.decode(errors="replace"))
        with open(textfile) as f:
            text = f.read()
        lines = re.findall(r'^erp_backup_doctor_check\{check="([a-z_]+)",command="doctor",'
                           r'result="([a-z]+)"\} 1$', text, re.MULTILINE)
        self.assertEqual(dict(lines), self.results(doc))
        self.assertEqual(len(lines), len(CHECKS), text)
        self.assertIn('erp_backup_last_run_exit_code{command="doctor"} 0', text)


if __name__ == "__main__":
    unittest.main()
