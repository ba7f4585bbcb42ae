"""The test front's record of writes (tests/harness/s3front.py): for every PutObject and
CompleteMultipartUpload, whether the key existed at the backend just before (`existed_before`),
which test_concurrent_runs uses to prove that no write replaced an object; and, in GCS mode, the
conditional write GCS spells `x-goog-if-generation-match: 0` and its spelling of Object Lock and
versions (x-goog-object-lock-*, ?generation=). A check that cannot fail proves
nothing, so the record is shown to say "true" exactly when an object was replaced.

Run: cd tests/integration && PYTHONPATH=../harness:../fixtures python3 -m unittest -v test_front_writes
"""

from __future__ import annotations

import base64
import hashlib
import unittest

from integration_case import IntegrationCase  # noqa: E402

PREFIX = "front-writes/"


class FrontWritesSpec(IntegrationCase):
    clear_prefix = PREFIX

    def writes(self, since: int) -> list[tuple[str, str, bool | None, int | None]]:
        """(method, key, existed_before, backend_status) of the object writes after `since`."""
        found = []
        for r in self.front.requests(since):
            path, _, query = r["target"].partition("?")
            if r["method"] == "PUT" and "partNumber=" not in query or \
                    r["method"] == "POST" and "uploadId=" in query:
                found.append((r["method"], path.split("/", 2)[2], r["existed_before"], r["backend_status"]))
        return found

    def last_seq(self) -> int:
        requests = self.front.requests()
        return requests[-1]["seq"] if requests else 0

    def test_existed_before_tells_a_new_key_from_a_replaced_one(self):
        client = self.client()
        since = self.last_seq()
        client.put_object(Bucket=self.front.bucket, Key=PREFIX + "a", Body=b"first")
        client.put_object(Bucket=self.front.bucket, Key=PREFIX + "a", Body=b"second")
        upload = client.create_multipart_upload(Bucket=self.front.bucket, Key=PREFIX + "m")
        part = client.upload_part(Bucket=self.front.bucket, Key=PREFIX + "m", UploadId=upload["UploadId"],
                                  PartNumber=1, Body=b"part")
        client.complete_multipart_upload(Bucket=self.front.bucket, Key=PREFIX + "m", UploadId=upload["UploadId"],
                                         MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
        self.assertEqual(self.writes(since), [("PUT", PREFIX + "a", False, 200), ("PUT", PREFIX + "a", True, 200),
                                              ("POST", PREFIX + "m", False, 200)])
        # Reads, part uploads and bucket-level requests carry no such record.
        others = [r for r in self.front.requests(since) if r["existed_before"] is not None]
        self.assertEqual(len(others), 3)


class FrontWritesOnMoto(FrontWritesSpec, unittest.TestCase):
    backend = "moto"


class FrontWritesOnS3rver(FrontWritesSpec, unittest.TestCase):
    backend = "s3rver"


class FrontWritesOnRgw(FrontWritesSpec, unittest.TestCase):
    """RGW checks the signature of the front's own HEAD too."""
    backend = "rgw"


class FrontWritesGcs(FrontWritesSpec, unittest.TestCase):
    """GCS mode: `x-goog-if-generation-match: 0` refuses a write to a key that exists (412
    PreconditionFailed, not forwarded) and lets one to a free key through."""
    backend = "moto"
    gcs = True

    def put(self, key: str, body: bytes, headers: dict) -> tuple[int, bytes]:
        status, _, answer = self.front.raw_request("PUT", f"/{self.front.bucket}/{key}", body, headers)
        return status, answer

    def test_generation_zero_refuses_an_existing_key(self):
        since = self.last_seq()
        condition = {"x-goog-if-generation-match": "0"}
        self.assertEqual(self.put(PREFIX + "g", b"first", condition)[0], 200)
        status, answer = self.put(PREFIX + "g", b"second", condition)
        self.assertEqual(status, 412, answer)
        self.assertIn(b"<Code>PreconditionFailed</Code>", answer)
        self.assertEqual(self.get(PREFIX + "g"), b"first")
        self.assertEqual(self.writes(since), [("PUT", PREFIX + "g", False, 200), ("PUT", PREFIX + "g", True, None)])
        # Without the condition GCS replaces the object, as S3 does.
        self.assertEqual(self.put(PREFIX + "g", b"third", {})[0], 200)
        self.assertEqual(self.get(PREFIX + "g"), b"third")


class FrontObjectLockGcs(IntegrationCase, unittest.TestCase):
    """GCS mode and Object Lock (issue 20): the front refuses S3's spelling of a lock
    (x-amz-object-lock-*) and of a version (?versionId=), and accepts GCS's
    (x-goog-object-lock-*, ?generation=), which it hands to moto in S3's words so that the lock is
    really applied and a version really addressed, as GCS would."""
    backend = "moto"
    gcs = True
    BUCKET = "front-lock-gcs"
    UNTIL = "2099-01-01T00:00:00Z"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.backend_client().create_bucket(Bucket=cls.BUCKET, ObjectLockEnabledForBucket=True)

    @classmethod
    def backend_client(cls):
        """boto3 straight to moto (no front, no GCS rules): what the backend holds."""
        import boto3
        return boto3.client("s3", endpoint_url=cls.front.health()["backend_url"], region_name="us-east-1",
                            aws_access_key_id="backend", aws_secret_access_key="backend")

    def send(self, method: str, target: str, body: bytes = b"", headers: dict | None = None):
        headers = dict(headers or {})
        if body:
            headers["Content-MD5"] = base64.b64encode(hashlib.md5(body).digest()).decode()
        return self.front.raw_request(method, f"/{self.BUCKET}/{target}", body, headers)

    def test_lock_and_version_spelt_as_gcs_spells_them(self):
        lock = {"x-goog-object-lock-mode": "GOVERNANCE", "x-goog-object-lock-retain-until-date": self.UNTIL}
        status, _, answer = self.send("PUT", "k", b"locked", lock)
        self.assertEqual(status, 200, answer)
        head = self.backend_client().head_object(Bucket=self.BUCKET, Key="k")
        self.assertEqual(head["ObjectLockMode"], "GOVERNANCE")
        self.assertEqual(head["ObjectLockRetainUntilDate"].year, 2099)
        version = head["VersionId"]

        # The version by its generation: the lock refuses its delete (moto: 403 AccessDenied).
        status, _, answer = self.send("DELETE", f"k?generation={version}")
        self.assertEqual(status, 403, answer)
        self.assertIn(b"<Code>AccessDenied</Code>", answer)
        retention = (f"<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>2100-01-01T00:00:00Z"
                     "</RetainUntilDate></Retention>").encode()
        status, _, answer = self.send("PUT", f"k?retention&generation={version}", retention)
        self.assertEqual(status, 200, answer)
        head = self.backend_client().head_object(Bucket=self.BUCKET, Key="k", VersionId=version)
        self.assertEqual(head["ObjectLockRetainUntilDate"].year, 2100)

    def test_s3_spelling_is_refused_before_the_backend(self):
        since = self.front.requests()[-1]["seq"] if self.front.requests() else 0
        amz_lock = {"x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": self.UNTIL}
        status, _, answer = self.send("PUT", "refused", b"never stored", amz_lock)
        self.assertEqual(status, 400, answer)
        self.assertIn(b"<Code>InvalidArgument</Code>", answer)
        self.assertIn(b"x-amz-object-lock-mode", answer)
        self.send("PUT", "plain", b"plain")
        version = self.backend_client().head_object(Bucket=self.BUCKET, Key="plain")["VersionId"]
        status, _, answer = self.send("DELETE", f"plain?versionId={version}")
        self.assertEqual(status, 400, answer)
        self.assertIn(b"generation", answer)
        refused = [r for r in self.front.requests(since) if r["status"] == 400]
        self.assertEqual([r["backend_status"] for r in refused], [None, None])
        keys = [o["Key"] for o in self.backend_client().list_objects_v2(Bucket=self.BUCKET).get("Contents", [])]
        self.assertNotIn("refused", keys)
        self.assertIn("plain", keys)  # the version was not deleted either


if __name__ == "__main__":
    unittest.main()
