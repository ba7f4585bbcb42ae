"""The S3 test front (tests/harness/s3front.py) can fail: proof before any test leans on it.

Every integration test that talks S3 goes through s3front, which re-verifies SigV4 with botocore
in front of moto_server or s3rver (moto's own check re-normalises URLs and rejects correct
signatures; s3rver checks no SigV4 signature at all). A verifier that never says no proves
nothing, so for both backends this file shows that correct requests with awkward keys pass, that
a changed signature byte, a wrong secret, a wrong region or a wrong body hash are refused, that
every refusal is listed so a test that did not provoke it fails (every test here declares the
refusals it provokes, and its tearDown fails on any other), that every fault action does what it
says (including a lying clock), and that GCS mode refuses what GCS refuses.

Run: cd tests/integration && PYTHONPATH=../harness:../fixtures python3 -m unittest -v test_front
"""

import datetime as dt
import email.utils
import hashlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest
from unittest import mock

from botocore.exceptions import ClientError, ReadTimeoutError  # noqa: E402
from s3_servers import S3Front  # noqa: E402

TRICKY_KEYS = [
    "erp/prod/a+b=c d.txt",
    "erp/prod/é ü ø/日本語 file.dump",
    "erp/prod/x~y!*'();:@&$,[]%.txt",
]

FRONTS: dict = {}  # (backend, gcs) -> running S3Front, started once for the module
RECORD_DIR = None  # holds the GCS fronts' --record files


def in_parallel(calls):
    """Run the calls in threads; re-raise the first exception after all have finished."""
    errors = []

    def run(call):
        try:
            call()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def setUpModule():
    """Start moto and s3rver, each behind a plain front and a GCS-mode front (sharing the server)."""
    global RECORD_DIR
    RECORD_DIR = tempfile.mkdtemp(prefix="erp-front-record-")

    def start(backend, gcs):
        record = os.path.join(RECORD_DIR, f"{backend}-gcs.jsonl") if gcs else None
        front = S3Front(backend=backend, gcs=gcs, record_file=record,
                        share_backend_with=FRONTS[(backend, False)] if gcs else None)
        FRONTS[(backend, gcs)] = front
        front.start()  # a missing server raises: a failure, never a skip

    try:
        in_parallel([lambda b=b: start(b, False) for b in ("moto", "s3rver")])
        in_parallel([lambda b=b: start(b, True) for b in ("moto", "s3rver")])
    except BaseException:
        tearDownModule()
        raise


def tearDownModule():
    in_parallel([front.stop for key, front in FRONTS.items() if key[1]])  # GCS fronts use the others' servers
    in_parallel([front.stop for key, front in FRONTS.items() if not key[1]])
    FRONTS.clear()
    if RECORD_DIR:
        shutil.rmtree(RECORD_DIR, ignore_errors=True)


def quote_key(key: str) -> str:
    """A key as a path, each byte but the unreserved ones and '/' percent-encoded (SigV4 style)."""
    from urllib.parse import quote
    return quote(key.encode(), safe="/-_.~")


def error_code(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    start = text.find("<Code>")
    return text[start + 6:text.find("</Code>")] if start >= 0 else f"<no code in {text[:200]!r}>"


class FrontContract:
    """Behaviour every backend must show through the plain (S3) front."""

    BACKEND = None

    def setUp(self):
        self.s3 = FRONTS[(self.BACKEND, False)]
        self.s3.reset()
        self.client = self.s3.boto3_client()
        self.bucket = self.s3.bucket

    def tearDown(self):
        self.s3.assert_no_rejections()

    def path(self, key: str) -> str:
        return f"/{self.bucket}/{quote_key(key)}"

    def verdicts(self):
        return [(r["method"], r["verdict"]) for r in self.s3.requests()]

    # -- correct requests pass --------------------------------------------------------------------
    def test_awkward_keys_round_trip_and_list_with_slash_in_prefix(self):
        for i, key in enumerate(TRICKY_KEYS):
            self.client.put_object(Bucket=self.bucket, Key=key, Body=f"body {i}".encode())
        for i, key in enumerate(TRICKY_KEYS):
            got = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
            self.assertEqual(got, f"body {i}".encode(), key)
        listed = self.client.list_objects_v2(Bucket=self.bucket, Prefix="erp/prod/")
        self.assertLessEqual(set(TRICKY_KEYS), {o["Key"] for o in listed["Contents"]})
        nested = self.client.list_objects_v2(Bucket=self.bucket, Prefix="erp/prod/é ü ø/", Delimiter="/")
        self.assertEqual([o["Key"] for o in nested["Contents"]], [TRICKY_KEYS[1]])

        records = self.s3.requests()
        self.assertTrue(any("prefix=erp%2Fprod%2F" in r["target"] for r in records))
        self.assertEqual({r["verdict"] for r in records}, {"ok"}, records)
        self.assertEqual([r for r in records if r["violations"]], [])

    def test_presigned_get_passes_and_a_changed_signature_fails(self):
        key = TRICKY_KEYS[0]
        self.client.put_object(Bucket=self.bucket, Key=key, Body=b"presigned body")
        url = self.client.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": key})
        target = url.split(self.s3.endpoint, 1)[1]
        status, _, body = self.s3.raw_request("GET", target, sign=False)
        self.assertEqual((status, body), (200, b"presigned body"))
        last = target[-1]
        tampered = target[:-1] + ("0" if last != "0" else "1")
        with self.s3.expect_rejections("SignatureDoesNotMatch"):
            status, _, body = self.s3.raw_request("GET", tampered, sign=False)
        self.assertEqual((status, error_code(body)), (403, "SignatureDoesNotMatch"))

    def test_aws_cli_through_the_front(self):
        key = "erp/prod/cli+key=1 é.txt"
        put = self.s3.aws("s3", "cp", "-", f"s3://{self.bucket}/{key}", input=b"from the aws cli\n")
        self.assertEqual(put.returncode, 0, put.stderr.decode())
        listing = self.s3.aws("s3", "ls", f"s3://{self.bucket}/erp/prod/")  # prefix=erp%2Fprod%2F
        self.assertEqual(listing.returncode, 0, listing.stderr.decode())
        self.assertIn("cli+key=1 é.txt", listing.stdout.decode())
        got = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        self.assertEqual(got, b"from the aws cli\n")
        self.assertEqual(self.s3.violations(), [])
        self.assertEqual({r["verdict"] for r in self.s3.requests()}, {"ok"})

    # -- the verifier says no ------------------------------------------------------------------------
    def test_one_changed_signature_byte_is_refused_and_nothing_is_stored(self):
        key = "erp/prod/sig+check=1 é.txt"
        status, _, body = self.s3.raw_request("PUT", self.path(key), b"good")
        self.assertEqual(status, 200, body)

        def flip_last_signature_char(headers):
            auth = headers["Authorization"]
            headers["Authorization"] = auth[:-1] + ("0" if auth[-1] != "0" else "1")

        with self.s3.expect_rejections("SignatureDoesNotMatch"):
            status, _, body = self.s3.raw_request("PUT", self.path(key), b"evil", mutate=flip_last_signature_char)
        self.assertEqual((status, error_code(body)), (403, "SignatureDoesNotMatch"))
        self.assertIn(b"<CanonicalRequest>PUT\n" + self.path(key).encode(), body)
        self.assertIn("expected canonical request", self.s3.log_text())
        for secret in self.s3.secrets():  # the echoed canonical request hides the session token
            self.assertNotIn(secret.encode(), body)
            self.assertNotIn(secret, self.s3.log_text())
        self.assertEqual(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read(), b"good")
        self.assertEqual(self.verdicts()[-2:], [("PUT", "SignatureDoesNotMatch"), ("GET", "ok")])

    def test_the_path_and_query_are_checked_as_sent(self):
        # '+' and '%2B' name the same key, but the signature covers the bytes on the wire
        headers = self.s3.sign("PUT", f"/{self.bucket}/erp/a%2Bb", b"x")
        with self.s3.expect_rejections("SignatureDoesNotMatch", "SignatureDoesNotMatch"):
            status, _, body = self.s3.raw_request("PUT", f"/{self.bucket}/erp/a+b", b"x", headers=headers,
                                                  sign=False)
            self.assertEqual((status, error_code(body)), (403, "SignatureDoesNotMatch"))
            signed_for = f"/{self.bucket}?list-type=2&prefix=erp%2Fprod%2F"
            headers = self.s3.sign("GET", signed_for)
            status, _, body = self.s3.raw_request("GET", signed_for.replace("prod", "test"), headers=headers,
                                                  sign=False)
            self.assertEqual((status, error_code(body)), (403, "SignatureDoesNotMatch"))
        # the query is canonicalised per SigV4 (decoded, strictly re-encoded, sorted): order does not matter
        status, _, body = self.s3.raw_request("GET", f"/{self.bucket}?prefix=erp%2Fprod%2F&list-type=2",
                                              headers=headers, sign=False)
        self.assertEqual(status, 200, body)

    def test_a_large_upload_streams_through(self):
        data = os.urandom(12 * 1024 * 1024)  # above the front's in-memory spool; boto3 sends Expect: 100-continue
        self.client.put_object(Bucket=self.bucket, Key="erp/prod/large.bin", Body=data)
        got = self.client.get_object(Bucket=self.bucket, Key="erp/prod/large.bin")["Body"].read()
        self.assertEqual(hashlib.sha256(got).hexdigest(), hashlib.sha256(data).hexdigest())
        put = [r for r in self.s3.requests() if r["method"] == "PUT"][0]
        self.assertEqual((put["verdict"], put["body_length"]), ("ok", len(data)))

    def test_a_wrong_secret_is_refused(self):
        headers = self.s3.sign("GET", f"/{self.bucket}?list-type=2", secret_key="erpTEST-not-the-secret")
        with self.s3.expect_rejections("SignatureDoesNotMatch"):
            status, _, body = self.s3.raw_request("GET", f"/{self.bucket}?list-type=2", headers=headers, sign=False)
        self.assertEqual((status, error_code(body)), (403, "SignatureDoesNotMatch"))

    def test_an_unknown_access_key_is_refused(self):
        headers = self.s3.sign("GET", f"/{self.bucket}?list-type=2", access_key="AKIAUNKNOWN")
        with self.s3.expect_rejections("InvalidAccessKeyId"):
            status, _, body = self.s3.raw_request("GET", f"/{self.bucket}?list-type=2", headers=headers, sign=False)
        self.assertEqual((status, error_code(body)), (403, "InvalidAccessKeyId"))

    def test_a_body_that_does_not_match_its_signed_hash_is_refused(self):
        key = "erp/prod/hash-mismatch.bin"
        headers = self.s3.sign("PUT", self.path(key), b"A" * 1000)
        with self.s3.expect_rejections("XAmzContentSHA256Mismatch"):
            status, _, body = self.s3.raw_request("PUT", self.path(key), b"B" * 1000, headers=headers, sign=False)
        self.assertEqual((status, error_code(body)), (400, "XAmzContentSHA256Mismatch"))
        with self.assertRaises(ClientError) as caught:
            self.client.head_object(Bucket=self.bucket, Key=key)
        self.assertEqual(caught.exception.response["Error"]["Code"], "404")

    def test_a_missing_session_token_is_refused(self):
        def drop_token(headers):
            del headers["X-Amz-Security-Token"]

        with self.s3.expect_rejections("InvalidToken"):
            status, _, body = self.s3.raw_request("GET", f"/{self.bucket}?list-type=2", mutate=drop_token)
        # the token header was signed, so dropping it also breaks nothing else first
        self.assertEqual((status, error_code(body)), (400, "InvalidToken"))

    def test_an_unsigned_amz_header_is_refused(self):
        def add_meta(headers):
            headers["x-amz-meta-late"] = "added after signing"

        with self.s3.expect_rejections("AccessDenied"):
            status, _, body = self.s3.raw_request("PUT", self.path("erp/prod/late-header"), b"x", mutate=add_meta)
        self.assertEqual((status, error_code(body)), (403, "AccessDenied"))
        self.assertIn(b"<HeadersNotSigned>x-amz-meta-late</HeadersNotSigned>", body)

    def test_a_request_signed_half_an_hour_ago_is_refused(self):
        past = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None) - dt.timedelta(minutes=30)
        with mock.patch("botocore.auth.get_current_datetime", return_value=past):
            headers = self.s3.sign("GET", f"/{self.bucket}?list-type=2")
        with self.s3.expect_rejections("RequestTimeTooSkewed"):
            status, _, body = self.s3.raw_request("GET", f"/{self.bucket}?list-type=2", headers=headers, sign=False)
        self.assertEqual((status, error_code(body)), (403, "RequestTimeTooSkewed"))
        self.assertIn(b"<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>", body)

    def test_anonymous_requests_are_refused(self):
        with self.s3.expect_rejections("AccessDenied"):
            status, _, body = self.s3.raw_request("GET", f"/{self.bucket}?list-type=2", sign=False)
        self.assertEqual((status, error_code(body)), (403, "AccessDenied"))

    def test_a_signature_for_another_region_is_refused_naming_the_expected_one(self):
        target = f"/{self.bucket}?list-type=2"
        headers = self.s3.sign("GET", target, region="eu-west-3")
        with self.s3.expect_rejections("AuthorizationHeaderMalformed"):
            status, _, body = self.s3.raw_request("GET", target, headers=headers, sign=False)
        self.assertEqual((status, error_code(body)), (400, "AuthorizationHeaderMalformed"))
        self.assertIn(b"<Message>The authorization header is malformed; the region 'eu-west-3' is wrong; "
                      b"expecting 'us-east-1'</Message>", body)
        self.assertIn(b"<Region>us-east-1</Region>", body)
        self.assertEqual(self.s3.env()["AWS_REGION"], "us-east-1", "the tool is handed the front's region")
        status, _, body = self.s3.raw_request("GET", target)  # the same request, signed for us-east-1
        self.assertEqual(status, 200, body)

    # -- a refusal the test did not provoke fails it --------------------------------------------------
    def wrong_secret_request(self):
        target = f"/{self.bucket}?list-type=2"
        headers = self.s3.sign("GET", target, secret_key="erpTEST-not-the-secret")
        return self.s3.raw_request("GET", target, headers=headers, sign=False)

    def test_every_refusal_is_listed_and_an_undeclared_one_fails_the_check(self):
        status, _, _ = self.wrong_secret_request()
        self.assertEqual(status, 403)
        self.s3.reset()  # a reset does not hide it
        listed = self.s3.rejections()
        self.assertEqual([(r["method"], r["status"], r["code"], r["target"]) for r in listed],
                         [("GET", 403, "SignatureDoesNotMatch", f"/{self.bucket}?list-type=2")])
        with self.assertRaises(AssertionError) as caught:
            self.s3.assert_no_rejections()
        self.assertIn(f"GET /{self.bucket}?list-type=2 -> 403 SignatureDoesNotMatch", str(caught.exception))
        self.assertEqual(self.s3.rejections(), [], "the check takes them: one failure does not spill over")

    def test_expect_rejections_holds_exactly_the_declared_refusals(self):
        with self.s3.expect_rejections("SignatureDoesNotMatch"):
            self.wrong_secret_request()
        self.assertEqual(self.s3.rejections(), [])
        with self.assertRaisesRegex(AssertionError, "it refused nothing"):
            with self.s3.expect_rejections("SignatureDoesNotMatch"):
                status, _, _ = self.s3.raw_request("GET", f"/{self.bucket}?list-type=2")
                self.assertEqual(status, 200)
        with self.assertRaisesRegex(AssertionError, "SignatureDoesNotMatch"):  # another refusal than declared
            with self.s3.expect_rejections("InvalidAccessKeyId"):
                self.wrong_secret_request()
        with self.assertRaises(AssertionError):  # one more than declared
            with self.s3.expect_rejections("SignatureDoesNotMatch"):
                self.wrong_secret_request()
                self.wrong_secret_request()
        self.wrong_secret_request()
        with self.assertRaisesRegex(AssertionError, "before expect_rejections"):  # one pending from before
            with self.s3.expect_rejections("SignatureDoesNotMatch"):
                self.wrong_secret_request()
        self.assertEqual(self.s3.take_rejections(), [])

    def test_faults_and_correct_requests_are_not_rejections(self):
        self.s3.set_faults([{"method": "PUT", "path_contains": "fault/denied", "action": "403", "times": -1}])
        with self.assertRaises(ClientError):
            self.client.put_object(Bucket=self.bucket, Key="erp/fault/denied", Body=b"x")
        self.client.put_object(Bucket=self.bucket, Key="erp/fault/allowed", Body=b"x")
        self.assertEqual([r["verdict"] for r in self.s3.requests()], ["fault:403", "ok"])
        self.assertEqual(self.s3.rejections(), [])

    # -- multipart upload times --------------------------------------------------------------------------
    def test_list_multipart_uploads_says_when_each_upload_was_initiated(self):
        key = "erp/prod/initiated/x.dump"
        before = dt.datetime.now(dt.timezone.utc)
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        after = dt.datetime.now(dt.timezone.utc)
        if self.BACKEND == "s3rver":  # what the tool's prune must survive there (it aborts nothing either)
            with self.assertRaises(ClientError) as caught:
                self.client.list_multipart_uploads(Bucket=self.bucket, Prefix="erp/prod/initiated/")
            self.assertEqual(caught.exception.response["Error"]["Code"], "NotImplemented")
            return
        try:
            listing = self.client.list_multipart_uploads(Bucket=self.bucket, Prefix="erp/prod/initiated/")
            [entry] = [u for u in listing["Uploads"] if u["UploadId"] == upload]
            # moto alone would say 2010-11-10T20:48:33.000Z for every upload
            self.assertGreaterEqual(entry["Initiated"], before - dt.timedelta(milliseconds=1))
            self.assertLessEqual(entry["Initiated"], after)
        finally:
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload)

    # -- faults ------------------------------------------------------------------------------------------
    def test_a_lying_clock_answers_like_aws_request_time_too_skewed(self):
        target = f"/{self.bucket}?list-type=2"
        for offset in (3600, -7200):
            with self.subTest(offset=offset):
                self.s3.set_faults([{"method": "GET", "query_contains": "list-type=2", "action": "status",
                                     "status": 403, "code": "RequestTimeTooSkewed", "date_offset": offset}])
                headers = self.s3.sign("GET", target)
                before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)  # Date has whole seconds
                status, reply, body = self.s3.raw_request("GET", target, headers=headers, sign=False)
                after = dt.datetime.now(dt.timezone.utc)
                self.assertEqual((status, error_code(body)), (403, "RequestTimeTooSkewed"))
                told = email.utils.parsedate_to_datetime(reply["date"])
                shift = dt.timedelta(seconds=offset)
                self.assertGreaterEqual(told, before + shift)
                self.assertLessEqual(told, after + shift)
                text = body.decode()
                server_time = text[text.index("<ServerTime>") + 12:text.index("</ServerTime>")]
                self.assertEqual(dt.datetime.strptime(server_time, "%Y-%m-%dT%H:%M:%SZ")
                                 .replace(tzinfo=dt.timezone.utc), told)
                self.assertIn(f"<RequestTime>{headers['X-Amz-Date']}</RequestTime>", text)
                self.assertIn("<MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds>", text)
        self.assertEqual(self.s3.rejections(), [], "an injected fault is not a refusal")
        # Without date_offset the Date header tells the front's own time.
        self.s3.set_faults([{"method": "GET", "query_contains": "list-type=2", "action": "503"}])
        before = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        status, reply, _ = self.s3.raw_request("GET", target)
        self.assertEqual(status, 503)
        self.assertGreaterEqual(email.utils.parsedate_to_datetime(reply["date"]), before)
        self.assertLessEqual(email.utils.parsedate_to_datetime(reply["date"]), dt.datetime.now(dt.timezone.utc))
        with self.assertRaisesRegex(RuntimeError, "date_offset"):  # only answers the front makes up lie
            self.s3.set_faults([{"action": "stall", "date_offset": 60}])

    def test_503_then_boto3_retries_and_succeeds(self):
        self.s3.set_faults([{"method": "PUT", "path_contains": "retry/503", "action": "503", "times": 1}])
        self.client.put_object(Bucket=self.bucket, Key="erp/retry/503", Body=b"after a retry")
        puts = [r for r in self.s3.requests() if r["method"] == "PUT"]
        self.assertEqual([(r["verdict"], r["status"]) for r in puts], [("fault:503", 503), ("ok", 200)])
        self.assertEqual(self.client.get_object(Bucket=self.bucket, Key="erp/retry/503")["Body"].read(),
                         b"after a retry")

    def test_500_and_slowdown_answer_once_then_let_the_retry_through(self):
        self.s3.set_faults([{"path_contains": "raw/500", "action": 500},
                            {"path_contains": "raw/slow", "action": "slowdown"}])
        for key, status, code in (("erp/raw/500", 500, "InternalError"), ("erp/raw/slow", 503, "SlowDown")):
            got, _, body = self.s3.raw_request("PUT", self.path(key), b"payload")
            self.assertEqual((got, error_code(body)), (status, code))
            got, _, body = self.s3.raw_request("PUT", self.path(key), b"payload")
            self.assertEqual(got, 200, body)

    def test_skip_lets_requests_through_before_times_faults_them(self):
        self.client.put_object(Bucket=self.bucket, Key="erp/skip/obj", Body=b"x")
        self.s3.set_faults([{"method": "GET", "path_contains": "skip/obj", "skip": 1, "times": 2, "action": "503"}])
        statuses = [self.s3.raw_request("GET", self.path("erp/skip/obj"))[0] for _ in range(4)]
        self.assertEqual(statuses, [200, 503, 503, 200])
        self.assertEqual(self.s3.faults()[0]["fired"], 2)

    def test_403_is_permanent_and_not_retried(self):
        self.s3.set_faults([{"method": "PUT", "path_contains": "denied", "action": "403", "times": -1}])
        with self.assertRaises(ClientError) as caught:
            self.client.put_object(Bucket=self.bucket, Key="erp/denied", Body=b"x")
        self.assertEqual(caught.exception.response["Error"]["Code"], "AccessDenied")
        self.assertEqual([r["verdict"] for r in self.s3.requests()], ["fault:403"])

    def test_reset_breaks_the_connection_and_stores_nothing(self):
        self.s3.set_faults([{"method": "PUT", "path_contains": "reset/me", "action": "reset", "bytes": 4096}])
        with self.assertRaises(ConnectionError):
            self.s3.raw_request("PUT", self.path("erp/reset/me"), os.urandom(256 * 1024))
        with self.assertRaises(ClientError):
            self.client.head_object(Bucket=self.bucket, Key="erp/reset/me")
        self.assertEqual(self.s3.requests()[0]["verdict"], "fault:reset")

    def test_stall_exceeds_a_short_client_timeout(self):
        self.client.put_object(Bucket=self.bucket, Key="erp/stall/obj", Body=b"x")
        self.s3.set_faults([{"method": "GET", "path_contains": "stall/obj", "action": "stall", "seconds": 5,
                             "times": -1}])
        with self.assertRaises(TimeoutError):
            self.s3.raw_request("GET", self.path("erp/stall/obj"), timeout=0.5)
        impatient = self.s3.boto3_client(read_timeout=0.5, retries={"max_attempts": 1})
        with self.assertRaises(ReadTimeoutError):
            impatient.get_object(Bucket=self.bucket, Key="erp/stall/obj")

    def test_complete_error_answers_200_with_an_error_body_and_leaves_the_upload_open(self):
        key = "erp/prod/multi+part.dump"
        upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        etag = self.client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload, PartNumber=1,
                                       Body=b"only part")["ETag"]
        self.s3.set_faults([{"method": "POST", "query_contains": "uploadId=", "action": "complete_error"}])
        xml = (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part>"
               "</CompleteMultipartUpload>").encode()
        status, _, body = self.s3.raw_request("POST", f"{self.path(key)}?uploadId={upload}", xml)
        self.assertEqual((status, error_code(body)), (200, "InternalError"))
        self.assertIn(b"<Error>", body)
        complete = [r for r in self.s3.requests() if r["method"] == "POST"][-1]
        self.assertEqual(complete["verdict"], "fault:complete_error")
        status, _, _ = self.s3.raw_request("HEAD", self.path(key))
        self.assertEqual(status, 404, "the faulted complete was not forwarded")
        # The fault fired once; a retry of the complete now succeeds.
        status, _, body = self.s3.raw_request("POST", f"{self.path(key)}?uploadId={upload}", xml)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read(), b"only part")

    def test_forward_then_reset_stores_the_object_but_loses_the_answer(self):
        self.s3.set_faults([{"method": "PUT", "path_contains": "lost/answer", "action": "forward_then_reset"}])
        with self.assertRaises(ConnectionError):
            self.s3.raw_request("PUT", self.path("erp/lost/answer"), b"stored anyway")
        self.assertEqual(self.client.get_object(Bucket=self.bucket, Key="erp/lost/answer")["Body"].read(),
                         b"stored anyway")

    def test_truncate_and_corrupt_damage_a_download(self):
        data = os.urandom(100_000)
        self.client.put_object(Bucket=self.bucket, Key="erp/damage/obj", Body=data)
        self.s3.set_faults([{"method": "GET", "path_contains": "damage", "action": "truncate"},
                            {"method": "GET", "path_contains": "damage", "action": "corrupt", "bytes": 12345}])
        with self.assertRaises((http.client.IncompleteRead, ConnectionError)):
            self.s3.raw_request("GET", self.path("erp/damage/obj"))
        status, _, body = self.s3.raw_request("GET", self.path("erp/damage/obj"))
        self.assertEqual((status, len(body)), (200, len(data)))
        self.assertEqual([i for i in range(len(data)) if body[i] != data[i]], [12345])

    # -- forbidden headers are recorded (and still served, outside GCS mode) ------------------------
    def test_checksum_headers_are_recorded_as_violations(self):
        eager = self.s3.boto3_client(request_checksum_calculation="when_supported")
        eager.put_object(Bucket=self.bucket, Key="erp/prod/checksummed", Body=b"x" * 100)
        put = [r for r in self.s3.requests() if r["method"] == "PUT"][0]
        self.assertEqual(put["verdict"], "ok")
        self.assertTrue(any(v.startswith("x-amz-checksum-") or v.startswith("x-amz-sdk-checksum")
                            for v in put["violations"]), put["violations"])


class FrontRegion(unittest.TestCase):
    """A front started for another region accepts that region, refuses the default one, and hands
    its region to the tool."""

    def test_a_front_for_eu_central_1(self):
        front = S3Front(backend="moto", region="eu-central-1", share_backend_with=FRONTS[("moto", False)])
        with front:
            self.assertEqual(front.env()["AWS_REGION"], "eu-central-1")
            front.boto3_client().put_object(Bucket=front.bucket, Key="erp/region", Body=b"x")
            target = f"/{front.bucket}?list-type=2"
            headers = front.sign("GET", target, region="us-east-1")
            with front.expect_rejections("AuthorizationHeaderMalformed"):
                status, _, body = front.raw_request("GET", target, headers=headers, sign=False)
            self.assertEqual(status, 400)
            self.assertIn(b"expecting 'eu-central-1'", body)
            self.assertIn(b"<Region>eu-central-1</Region>", body)
            front.assert_no_rejections()


class FrontTls(unittest.TestCase):
    """A front started with tls=True serves HTTPS with a certificate only its throwaway CA vouches
    for: a client trusting that CA gets through (and is verified like any other), one that does
    not is refused in the handshake, and plain HTTP gets no S3 answer."""

    def test_a_tls_front_serves_only_clients_that_trust_its_ca(self):
        import ssl
        front = S3Front(backend="moto", tls=True, share_backend_with=FRONTS[("moto", False)])
        with front:
            self.assertTrue(front.endpoint.startswith("https://127.0.0.1:"), front.endpoint)
            self.assertEqual(front.env()["AWS_CA_BUNDLE"], front.tls_ca.ca_file)
            front.boto3_client().put_object(Bucket=front.bucket, Key="tls/x", Body=b"over TLS")
            status, _, body = front.raw_request("GET", f"/{front.bucket}/tls/x")
            self.assertEqual((status, body), (200, b"over TLS"))
            # The certificate names 127.0.0.1 and localhost, and nothing trusts it by default.
            with open(front.tls_ca.cert_file, "rb") as f:
                cert = f.read()
            decoded = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName"], input=cert,
                                     capture_output=True, check=True).stdout
            self.assertIn(b"IP Address:127.0.0.1", decoded)
            self.assertIn(b"DNS:localhost", decoded)
            host, port = front.endpoint.split("//", 1)[1].split(":")
            untrusting = http.client.HTTPSConnection(host, int(port), timeout=10,
                                                     context=ssl.create_default_context())
            with self.assertRaises(ssl.SSLCertVerificationError):
                untrusting.request("GET", "/__front__/health")
            untrusting.close()
            plain = http.client.HTTPConnection(host, int(port), timeout=10)
            with self.assertRaises((http.client.HTTPException, OSError)):
                plain.request("GET", "/__front__/health")
                plain.getresponse()
            plain.close()
            self.assertEqual(len([r for r in front.requests() if r["target"].endswith("/tls/x")]), 2)
            front.assert_no_rejections()


class FrontLifecycle(unittest.TestCase):
    """The front takes its backend down with it, whether stopped by EOF on stdin or by SIGTERM."""

    def assert_gone(self, pid):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)  # polling for the process to disappear, with a deadline
        self.fail(f"backend pid {pid} still alive after the front stopped")

    def test_backend_dies_with_the_front(self):
        by_eof, by_sigterm = S3Front(backend="s3rver"), S3Front(backend="s3rver")
        try:
            in_parallel([by_eof.start, by_sigterm.start])
            pids = [by_eof.health()["backend_pid"], by_sigterm.health()["backend_pid"]]
            for pid in pids:
                os.kill(pid, 0)
            by_eof.stop()  # closes the front's stdin
            by_sigterm.proc.send_signal(signal.SIGTERM)
            self.assertEqual(by_sigterm.proc.wait(10), 0)
            for pid in pids:
                self.assert_gone(pid)
        finally:
            in_parallel([by_eof.stop, by_sigterm.stop])


class MotoFront(FrontContract, unittest.TestCase):
    BACKEND = "moto"


class S3rverFront(FrontContract, unittest.TestCase):
    BACKEND = "s3rver"


class GcsModeContract:
    """What the front does in --gcs mode, in front of each backend."""

    BACKEND = None

    def setUp(self):
        self.s3 = FRONTS[(self.BACKEND, True)]
        self.s3.reset()
        self.client = self.s3.boto3_client()
        self.bucket = self.s3.bucket

    def tearDown(self):
        # GCS's own refusals (checksum headers, no batch delete) are the service's, not rejections.
        self.s3.assert_no_rejections()

    def test_plain_requests_still_pass(self):
        key = TRICKY_KEYS[1]
        self.client.put_object(Bucket=self.bucket, Key=key, Body=b"gcs body")
        self.assertEqual(self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read(), b"gcs body")
        self.client.delete_object(Bucket=self.bucket, Key=key)
        self.assertEqual({r["verdict"] for r in self.s3.requests()}, {"ok"})

    def test_a_checksum_header_is_rejected(self):
        target = f"/{self.bucket}/erp/prod/crc"
        status, _, body = self.s3.raw_request("PUT", target, b"abc", headers={"x-amz-checksum-crc32": "NSRBwg=="})
        self.assertEqual((status, error_code(body)), (400, "InvalidArgument"))
        eager = self.s3.boto3_client(request_checksum_calculation="when_supported", retries={"max_attempts": 1})
        with self.assertRaises(ClientError) as caught:
            eager.put_object(Bucket=self.bucket, Key="erp/prod/crc", Body=b"abc")
        self.assertEqual(caught.exception.response["Error"]["Code"], "InvalidArgument")
        self.assertTrue(all(r["violations"] for r in self.s3.requests()))

    def test_delete_objects_is_not_implemented(self):
        with self.assertRaises(ClientError) as caught:
            self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": "erp/a"}]})
        self.assertEqual(caught.exception.response["Error"]["Code"], "NotImplemented")
        self.assertEqual(caught.exception.response["ResponseMetadata"]["HTTPStatusCode"], 501)

    def test_a_signed_accept_encoding_breaks_the_signature(self):
        target = f"/{self.bucket}?list-type=2"
        with self.s3.expect_rejections("SignatureDoesNotMatch"):
            status, _, body = self.s3.raw_request("GET", target, headers={"Accept-Encoding": "gzip"})
        self.assertEqual((status, error_code(body)), (403, "SignatureDoesNotMatch"))

        def add_unsigned(headers):
            headers["Accept-Encoding"] = "gzip"

        status, _, body = self.s3.raw_request("GET", target, mutate=add_unsigned)
        self.assertEqual(status, 200, body)

    def test_the_record_file_redacts_credentials_and_keeps_violations(self):
        self.s3.raw_request("PUT", f"/{self.bucket}/erp/rec", b"abc", headers={"x-amz-checksum-crc32": "NSRBwg=="})
        with open(self.s3.record_file, encoding="utf-8") as f:
            text = f.read()
        for secret in self.s3.secrets():
            self.assertNotIn(secret, text)
        lines = [json.loads(line) for line in text.splitlines()]
        last = [r for r in lines if r["target"] == f"/{self.bucket}/erp/rec"][-1]
        self.assertEqual(last["verdict"], "InvalidArgument")
        self.assertEqual(last["violations"], ["x-amz-checksum-crc32"])
        auth = dict((n.lower(), v) for n, v in last["headers"])["authorization"]
        self.assertIn("Signature=<redacted>", auth)
        self.assertIn("SignedHeaders=", auth)


class MotoGcsFront(GcsModeContract, unittest.TestCase):
    BACKEND = "moto"


class S3rverGcsFront(GcsModeContract, unittest.TestCase):
    BACKEND = "s3rver"


if __name__ == "__main__":
    unittest.main()
