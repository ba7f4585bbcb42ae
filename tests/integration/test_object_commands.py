"""Issue 2: the operator primitives (put, cat, ls, rm, presign) against real S3 servers.

Each backend (moto_server, s3rver, and moto behind the front's GCS mode) runs the same
specification. The front re-verifies every request's SigV4 signature with botocore, so a
passing test also proves the hand-rolled signer, and it records every request so the class
can assert that none carried a forbidden checksum/streaming header, and each test fails on any
request the front refused that it did not provoke on purpose.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import unittest
import urllib.request

from erp_cli import BINARY, clean_env, run_erp  # noqa: E402
from inherited_tests import skip_inherited  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402
from s3_servers import EveryPutUnsigned  # noqa: E402

MiB = 1 << 20
PART = 5 * MiB  # the smallest part S3 allows; keeps the tests fast
# Keys an operator may really have: every character S3 treats specially.
ODD_KEYS = [
    "plain.bin",
    "with space/and+plus=equals~tilde",
    "percent%20literal#hash?question&amp",
    "unicodé/ファイル/Ωmega",
    "double//slash/./dot/../dotdot",
]


def pattern(size: int, seed: int = 1) -> bytes:
    """Deterministic, incompressible-looking bytes."""
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest() * 128
        counter += 1
    return bytes(out[:size])


class ObjectCommandsSpec(IntegrationCase):
    backend = "moto"
    gcs = False
    tls = False  # True: the front serves HTTPS with a throwaway CA, handed over as AWS_CA_BUNDLE

    @classmethod
    def tearDownClass(cls):
        # More than the base's assert_clean: the forbidden headers are named, and no secret may
        # reach the front's log. The servers stop in the base's class cleanups whatever fails here.
        violations = cls.front.violations()
        assert not violations, f"forbidden headers sent: {violations[:3]}"
        cls.front.assert_no_rejections("in setUpClass or after the last test")
        log = cls.front.log_text()
        for secret in cls.front.secrets():
            assert secret not in log, "a secret value reached the front's log"

    # The base's tearDown: every signature the tool sent was accepted (a test that provokes a
    # refusal declares it with self.front.expect_rejections).

    def env(self, **extra) -> dict:
        settings = {"S3_PART_SIZE": "5MiB", "S3_BUFFER_BUDGET": "64MiB", "S3_STALL_TIMEOUT": "2s",
                    "S3_MAX_ATTEMPTS": "5"}
        settings.update(extra)
        return clean_env({**self.front.env(), **settings})

    def erp(self, *args, input=None, stdin=None, **extra):
        return run_erp(list(args), self.env(**extra), self.front.secrets(), input=input, stdin=stdin)

    def put(self, key, data, **extra):
        result = self.erp("put", key, input=data, **extra)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        return result

    def cat(self, key) -> bytes:
        result = self.erp("cat", key)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        return result.stdout

    def keys(self, prefix):
        result = self.erp("ls", prefix)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        return [line.split(b"\t", 2)[2].decode() for line in result.stdout.splitlines()]

    def part_requests(self, key_fragment, since=0):
        return [r for r in self.front.requests(since)
                if r["method"] == "PUT" and "partNumber=" in r["target"] and key_fragment in r["target"]]

    def assert_nothing_left(self, key):
        """No object `key` (HEAD of the key itself: a prefix is never an object, so its HEAD is
        always 404) and, where the store can list them, no open multipart upload under it.
        s3rver implements neither ListMultipartUploads nor AbortMultipartUpload: there the
        absent object and the abort the tests see the tool send are what can be checked."""
        status, _, _ = self.front.raw_request("HEAD", f"/{self.front.bucket}/{key}")
        self.assertEqual(status, 404, f"{key} exists: nothing that looks complete may be left")
        if self.backend == "s3rver":
            return
        listing = self.front.boto3_client().list_multipart_uploads(Bucket=self.front.bucket, Prefix=key)
        self.assertEqual(listing.get("Uploads", []), [])

    # -- sizes -----------------------------------------------------------------------------------------
    def test_put_and_cat_round_trip_at_part_boundaries(self):
        for size in (0, 1, PART - 1, PART, PART + 1, 3 * PART + 12345):
            with self.subTest(size=size):
                data = pattern(size, seed=size)
                key = f"sizes/{size}.bin"
                before = len(self.front.requests())
                self.put(key, data)
                head = self.front.boto3_client().head_object(Bucket=self.front.bucket, Key=key)
                self.assertEqual(head["ContentLength"], size)
                sent = self.front.requests(before)
                multipart = any(r["method"] == "POST" and "uploads" in r["target"] for r in sent)
                self.assertEqual(multipart, size > PART, "a stream of at most one part is one PUT")
                self.assertEqual(hashlib.sha256(self.cat(key)).hexdigest(), hashlib.sha256(data).hexdigest())

    def test_put_of_more_than_100_mib_from_a_pipe(self):
        size = 105 * MiB
        # A generator process writes into a pipe that is the tool's stdin; it reports the
        # SHA-256 of what it wrote on stderr.
        generator = subprocess.Popen(
            [sys.executable, "-c",
             "import hashlib,sys\n"
             f"n={size}\nh=hashlib.sha256()\ni=0\n"
             "while n>0:\n"
             "  chunk=hashlib.sha256(str(i).encode()).digest()*32768\n"
             "  chunk=chunk[:min(n,len(chunk))]\n"
             "  sys.stdout.buffer.write(chunk); h.update(chunk); n-=len(chunk); i+=1\n"
             "sys.stdout.flush(); sys.stderr.write(h.hexdigest())\n"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        # The class's 2 s stall timeout is for its faults; completing 14 parts takes a loaded
        # moto longer than that without a byte of answer, which is a stall by definition.
        result = run_erp(["put", "big/pipe.bin"], self.env(S3_PART_SIZE="8MiB", S3_BUFFER_BUDGET="128MiB",
                                                           S3_STALL_TIMEOUT="30s"),
                         self.front.secrets(), stdin=generator.stdout)
        generator.stdout.close()
        expected = generator.stderr.read().decode()
        generator.stderr.close()
        self.assertEqual(generator.wait(), 0)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        self.assertEqual(hashlib.sha256(self.cat("big/pipe.bin")).hexdigest(), expected)
        self.assertIn(b"parts=14", result.stderr, "105 MiB at 8 MiB parts is 14 parts")

    # -- keys and interoperability -------------------------------------------------------------------------
    def odd_keys(self):
        if self.backend == "s3rver":
            # s3rver's router resolves "." and ".." segments itself and answers 404; the tool
            # sends the key as written (proven against moto and the GCS-mode front).
            return [key for key in ODD_KEYS if "/./" not in key]
        return ODD_KEYS

    def test_odd_keys_round_trip_and_interoperate_with_the_aws_cli(self):
        for index, key in enumerate(self.odd_keys()):
            with self.subTest(key=key):
                data = pattern(1000 + index, seed=index)
                self.put(key, data)
                self.assertEqual(self.cat(key), data)
                downloaded = self.front.aws("s3", "cp", f"s3://{self.front.bucket}/{key}", "-")
                self.assertEqual(downloaded.returncode, 0, downloaded.stderr)
                self.assertEqual(downloaded.stdout, data)
        listed = set(self.keys(""))
        for key in self.odd_keys():
            self.assertIn(key, listed)

    def test_objects_written_by_the_aws_cli_read_back_identically(self):
        data = pattern(3 * PART, seed=77)
        key = "from-aws-cli/some key+1.bin"
        uploaded = self.front.aws("s3", "cp", "-", f"s3://{self.front.bucket}/{key}", input=data)
        self.assertEqual(uploaded.returncode, 0, uploaded.stderr)
        self.assertEqual(self.cat(key), data)

    def test_ls_pages_past_1000_keys(self):
        client = self.front.boto3_client()
        from concurrent.futures import ThreadPoolExecutor
        keys = [f"many/{i:05d}" for i in range(1005)]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda k: client.put_object(Bucket=self.front.bucket, Key=k, Body=b"x"), keys))
        before = len(self.front.requests())
        self.assertEqual(self.keys("many/"), keys)
        lists = [r for r in self.front.requests(before) if "list-type=2" in r["target"]]
        self.assertGreaterEqual(len(lists), 2, "more than 1000 keys need a second page")

    def test_rm_deletes_every_named_key(self):
        keys = [f"rm/{name}" for name in ("a", "b c", "d+e", "ü")]
        for key in keys:
            self.put(key, b"data")
        result = self.erp("rm", *keys)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.keys("rm/"), [])

    def test_presigned_url_downloads_the_object(self):
        data = pattern(4096, seed=5)
        key = "presign/a b+c.bin"
        self.put(key, data)
        # A URL presigned with temporary credentials must carry the session token (that is how
        # SigV4 query auth works), so the URL is itself a credential; the secret key never is.
        result = run_erp(["presign", key, "--expires", "300"], self.env(), [self.front.secret_key])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn(self.front.session_token.encode(), result.stderr)
        url = result.stdout.decode().strip()
        self.assertIn("X-Amz-Signature=", url)
        self.assertTrue(url.startswith(self.front.endpoint + "/"), url)
        context = self.front.tls_ca.ssl_context() if self.front.tls_ca is not None else None
        with urllib.request.urlopen(url, timeout=30, context=context) as response:
            self.assertEqual(response.read(), data)

    # -- faults ------------------------------------------------------------------------------------------
    def test_transient_faults_are_retried_and_the_object_is_intact(self):
        data = pattern(3 * PART + 7, seed=9)
        for action in ("503", "500", "slowdown", "reset", "stall"):
            with self.subTest(action=action):
                key = f"faults/{action}.bin"
                rule = {"method": "PUT", "path_contains": f"faults/{action}", "query_contains": "partNumber=2",
                        "times": 1, "action": action}
                if action == "stall":
                    rule["seconds"] = 6
                self.front.set_faults([rule])
                before = len(self.front.requests())
                self.put(key, data)
                self.assertEqual(self.cat(key), data)
                fired = self.front.faults()[0]["fired"]
                self.assertEqual(fired, 1, "the fault must actually have happened")
                self.assertGreaterEqual(len([r for r in self.part_requests(key.split('/')[1], before)
                                             if "partNumber=2" in r["target"]]), 2, "part 2 was re-sent")
        self.front.set_faults([])

    def test_a_200_complete_with_an_error_body_is_retried_not_trusted(self):
        data = pattern(2 * PART, seed=11)
        self.front.set_faults([{"method": "POST", "path_contains": "complete-error", "query_contains": "uploadId=",
                                "times": 1, "action": "complete_error"}])
        self.put("complete-error/x.bin", data)
        self.assertEqual(self.front.faults()[0]["fired"], 1)
        self.assertEqual(self.cat("complete-error/x.bin"), data)

    def test_a_permanent_fault_aborts_the_upload_and_exits_non_zero(self):
        data = pattern(4 * PART, seed=12)
        self.front.set_faults([{"method": "PUT", "path_contains": "denied/", "query_contains": "partNumber=3",
                                "times": -1, "action": "403"}])
        result = self.erp("put", "denied/x.bin", input=data)
        self.assertEqual(result.returncode, 1)
        self.assertIn(b"AccessDenied", result.stderr)
        self.assertIn(b"part 3", result.stderr)
        aborts = [r for r in self.front.requests() if r["method"] == "DELETE" and "denied/" in r["target"]
                  and "uploadId=" in r["target"]]
        self.assertEqual(len(aborts), 1, "the upload is aborted exactly once")
        self.front.set_faults([])
        self.assert_nothing_left("denied/x.bin")

    def test_sigterm_mid_upload_aborts_and_exits_143(self):
        import signal
        import time
        before = len(self.front.requests())
        tool = subprocess.Popen([BINARY, "put", "sigterm/x.bin"],
                                env=self.env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE)
        # Feed two parts and keep the pipe open, so the tool is mid-stream when stopped.
        tool.stdin.write(pattern(2 * PART + 100, seed=3))
        tool.stdin.flush()
        deadline = time.monotonic() + 60
        while not any("partNumber=" in r["target"] and r["status"] == 200 and "sigterm/" in r["target"]
                      for r in self.front.requests(before)):
            self.assertLess(time.monotonic(), deadline, "no part reached the server")
            time.sleep(0.05)  # polling the front's record, bounded by the deadline
        stopped_at = time.monotonic()
        tool.send_signal(signal.SIGTERM)
        # stdin stays open: closing it would race an EOF (a complete stream) against the signal.
        tool.wait(timeout=10)
        stderr = tool.stderr.read()
        tool.stdin.close()
        tool.stdout.close()
        tool.stderr.close()
        self.assertLess(time.monotonic() - stopped_at, 10)
        self.assertEqual(tool.returncode, 143, stderr.decode(errors="replace"))
        aborts = [r for r in self.front.requests(before) if r["method"] == "DELETE" and "uploadId=" in r["target"]]
        self.assertEqual(len(aborts), 1, "the upload was aborted")
        completes = [r for r in self.front.requests(before) if r["method"] == "POST" and "uploadId=" in r["target"]]
        self.assertEqual(completes, [], "nothing was completed")
        self.assert_nothing_left("sigterm/x.bin")
        for secret in self.front.secrets():
            self.assertNotIn(secret.encode(), stderr)

    # -- configuration -----------------------------------------------------------------------------------
    def test_a_missing_setting_is_named_and_nothing_is_sent(self):
        before = len(self.front.requests())
        env = self.env()
        del env["S3_BUCKET"]
        result = run_erp(["put", "x"], env, self.front.secrets(), input=b"data")
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"missing S3_BUCKET (hint:", result.stderr)
        self.assertEqual(len(self.front.requests()), before, "no request before the config is valid")

    def test_credentials_can_come_from_files(self):
        secret_file = os.path.join(self.front.workdir, "secret")
        with open(secret_file, "w") as f:
            f.write(self.front.secret_key + "\n")
        env = self.env()
        del env["AWS_SECRET_ACCESS_KEY"]
        env["AWS_SECRET_ACCESS_KEY_FILE"] = secret_file
        result = run_erp(["put", "from-file.bin"], env, self.front.secrets(), input=b"abc")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(self.cat("from-file.bin"), b"abc")


class ObjectCommandsOnMoto(ObjectCommandsSpec, unittest.TestCase):
    backend = "moto"


class ObjectCommandsOnS3rver(ObjectCommandsSpec, unittest.TestCase):
    backend = "s3rver"


GENERATOR = (  # python -c: writes N bytes of chunk(i) = sha256(str(i)) * 32768 (1 MiB) to stdout
    "import hashlib,sys\n"
    "n=int(sys.argv[1]);i=0\n"
    "while n>0:\n"
    "  chunk=hashlib.sha256(str(i).encode()).digest()*32768\n"
    "  chunk=chunk[:min(n,len(chunk))]\n"
    "  sys.stdout.buffer.write(chunk); n-=len(chunk); i+=1\n")


def generated_chunks(size: int):
    """What GENERATOR writes for `size`, chunk by chunk (1 MiB each, the last one shorter)."""
    i = 0
    while size > 0:
        chunk = hashlib.sha256(str(i).encode()).digest() * 32768
        chunk = chunk[:min(size, len(chunk))]
        yield chunk
        size -= len(chunk)
        i += 1


class ObjectCommandsOnRgw(ObjectCommandsSpec, unittest.TestCase):
    """Ceph's RADOS Gateway (tests/harness/rgw_server.py) behind the front, which forwards every
    request unchanged, so RGW verifies each signature and payload hash a second time itself.

    Where RGW differs from moto and s3rver, and what these tests then show:
      * CompleteMultipartUpload answers 200 with an empty `<ETag></ETag>`: the tool confirms the
        object with HEAD (its size) and succeeds; it never deletes it (the 300 MiB test below).
      * its error bodies carry an empty `<Message>`: the tool's errors name the `<Code>` and the
        HTTP status (the permanent-fault test's AccessDenied comes from the front, so RGW's own
        refusal is test_an_rgw_error_without_a_message_is_named_by_its_code_and_status).
      * it accepts a signature for any region: the front's check is the one that refuses another
        region (test_rgw_accepts_any_signing_region_so_the_front_checks_it).
      * it ignores x-amz-security-token (STS is off): the front checks the session token."""
    backend = "rgw"

    def test_an_rgw_error_without_a_message_is_named_by_its_code_and_status(self):
        missing = f"{self.front.bucket}-missing"
        status, _, body = self.front.raw_request("GET", f"/{missing}?list-type=2")
        self.assertEqual(status, 404)
        self.assertIn(b"<Code>NoSuchBucket</Code><Message></Message>", body, "RGW's error has no message")
        before = len(self.front.requests())
        result = self.erp("put", "x/y.bin", input=b"abc", S3_BUCKET=missing)
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 1, stderr)
        self.assertIn("PutObject", stderr)
        self.assertIn("HTTP 404 NoSuchBucket", stderr)
        self.assertIn("hint: check S3_BUCKET", stderr)
        answered = [(r["verdict"], r["backend_status"]) for r in self.front.requests(before)]
        self.assertIn(("ok", 404), answered, "the refusal is RGW's own, relayed by the front")

    def test_rgw_accepts_any_signing_region_so_the_front_checks_it(self):
        self.put("region/x.bin", b"data")
        direct = self.front.rgw  # straight to radosgw, signed for a region that does not exist
        import boto3
        from botocore.config import Config
        client = boto3.client("s3", endpoint_url=direct.endpoint, region_name="nowhere-9",
                              aws_access_key_id=direct.access_key, aws_secret_access_key=direct.secret_key,
                              config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
        got = client.get_object(Bucket=self.front.bucket, Key="region/x.bin")["Body"].read()
        self.assertEqual(got, b"data", "RGW took a signature for region nowhere-9")
        with self.front.expect_rejections("AuthorizationHeaderMalformed"):
            result = self.erp("cat", "region/x.bin", AWS_REGION="nowhere-9", S3_MAX_ATTEMPTS="1")
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn(b"HeadObject", result.stderr)
        self.assertIn(b"HTTP 400", result.stderr, "the front's refusal (a HEAD answer has no body)")

    def test_the_complete_answer_really_has_an_empty_etag(self):
        """The premise of the 300 MiB test, asked of RGW itself (through the front, with boto3
        and a raw request): if a later RGW fills the ETag in, this fails and says so."""
        client = self.front.boto3_client()
        bucket, key = self.front.bucket, "premise/empty-etag.bin"
        upload = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        etags = [client.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=n, Body=body)["ETag"]
                 for n, body in ((1, pattern(PART, seed=31)), (2, b"tail"))]
        body = ("<CompleteMultipartUpload>" + "".join(
            f"<Part><PartNumber>{n}</PartNumber><ETag>{etag}</ETag></Part>" for n, etag in enumerate(etags, 1))
            + "</CompleteMultipartUpload>").encode()
        status, _, answer = self.front.raw_request("POST", f"/{bucket}/{key}?uploadId={upload}", body=body)
        self.assertEqual(status, 200, answer)
        self.assertIn(b"<CompleteMultipartUploadResult", answer)
        self.assertIn(b"<ETag></ETag>", answer, "RGW 16 answers the complete without an ETag")
        head = client.head_object(Bucket=bucket, Key=key)
        self.assertEqual(head["ContentLength"], PART + 4)
        self.assertRegex(head["ETag"], r'^"[0-9a-f]{32}-2"$', "HEAD knows the multipart ETag")

    def test_a_300_mib_put_is_confirmed_by_head_and_reads_back_byte_for_byte(self):
        """RGW answers the complete with an empty ETag; the tool HEADs the key, accepts it by its
        size and exits 0, and nothing is deleted. (erp-backup a836947 took the empty ETag for a
        corrupt answer, found the upload gone and deleted the object RGW had just assembled.)"""
        size, key = 300 * MiB, "big/300mib.bin"
        before = len(self.front.requests())
        generator = subprocess.Popen([sys.executable, "-c", GENERATOR, str(size)], stdout=subprocess.PIPE)
        result = run_erp(["put", key], self.env(S3_PART_SIZE="8MiB", S3_BUFFER_BUDGET="128MiB",
                                                S3_STALL_TIMEOUT="60s"),
                         self.front.secrets(), stdin=generator.stdout)
        generator.stdout.close()
        self.assertEqual(generator.wait(), 0)
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 0, stderr)

        sent = [r for r in self.front.requests(before) if key in r["target"]]
        completes = [r for r in sent if r["method"] == "POST" and "uploadId=" in r["target"]]
        self.assertEqual([r["status"] for r in completes], [200], "one complete, answered 200")
        after_complete = [r for r in sent if r["seq"] > completes[0]["seq"]]
        self.assertIn("HEAD", [r["method"] for r in after_complete],
                      "the empty ETag was settled by reading the object")
        self.assertEqual([r for r in sent if r["method"] == "DELETE"], [], "nothing was deleted or aborted")

        head = self.front.boto3_client().head_object(Bucket=self.front.bucket, Key=key)
        self.assertEqual(head["ContentLength"], size)
        parts = int(head["ETag"].strip('"').rsplit("-", 1)[1])
        self.assertIn(f"parts={parts} ", stderr, "the tool's part count is the stored object's")
        self.assertIn(f"etag={head['ETag'].strip(chr(34))}", stderr.replace('"', ""),
                      "the tool reports the ETag HEAD found")

        # Read back with the tool, compared chunk by chunk with the bytes the generator wrote.
        reader = subprocess.Popen([BINARY, "cat", key], env=self.env(), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        offset = 0
        for expected in generated_chunks(size):
            got = reader.stdout.read(len(expected))
            self.assertEqual(got, expected, f"cat differs in the MiB at offset {offset}")
            offset += len(got)
        self.assertEqual(reader.stdout.read(1), b"", "cat gives no more than was put")
        cat_stderr = reader.stderr.read()
        reader.stdout.close()
        reader.stderr.close()
        self.assertEqual(reader.wait(timeout=60), 0, cat_stderr)


class ObjectCommandsOnGcsFront(ObjectCommandsSpec, unittest.TestCase):
    """moto behind the front's GCS mode: no DeleteObjects, checksum headers rejected."""
    backend = "moto"
    gcs = True

    def test_rm_falls_back_to_single_deletes_when_batches_are_not_implemented(self):
        keys = ["gcs-rm/1", "gcs-rm/2 x", "gcs-rm/3+"]
        for key in keys:
            self.put(key, b"x")
        before = len(self.front.requests())
        result = self.erp("rm", *keys)
        self.assertEqual(result.returncode, 0, result.stderr)
        requests = self.front.requests(before)
        self.assertTrue(any(r["method"] == "POST" and "delete" in r["target"] and r["status"] == 501
                            for r in requests), "the batch delete was tried and refused")
        self.assertEqual(len([r for r in requests if r["method"] == "DELETE"]), 3)
        self.assertEqual(self.keys("gcs-rm/"), [])


class ObjectCommandsOverHttpsOnMoto(EveryPutUnsigned, ObjectCommandsSpec, unittest.TestCase):
    """moto behind the front serving TLS: production's transport. The front's record shows every
    request as it arrived after decryption, so the payload-hash mode can be checked per part."""
    backend = "moto"
    tls = True

    def test_a_multipart_put_over_https_sends_every_part_unsigned_and_round_trips(self):
        data = pattern(3 * PART + 99, seed=21)
        before = len(self.front.requests())
        self.put("https/multi.bin", data)
        parts = self.part_requests("https/multi.bin", before)
        self.assertEqual(sorted(int(r["target"].split("partNumber=")[1].split("&")[0]) for r in parts),
                         [1, 2, 3, 4])
        for part in parts:
            headers = {name.lower(): value for name, value in part["headers"]}
            self.assertEqual(headers["x-amz-content-sha256"], "UNSIGNED-PAYLOAD", part["target"])
            self.assertEqual(part["verdict"], "ok", part["target"])
        self.assertEqual(hashlib.sha256(self.cat("https/multi.bin")).digest(), hashlib.sha256(data).digest())
        got = self.front.boto3_client().get_object(Bucket=self.front.bucket, Key="https/multi.bin")["Body"].read()
        self.assertEqual(got, data, "an independent client over the same TLS front reads the same bytes")

    def test_without_the_ca_the_command_fails_naming_the_certificate_problem(self):
        env = self.env()
        del env["AWS_CA_BUNDLE"]
        before = len(self.front.requests())
        result = run_erp(["put", "https/no-ca.bin"], env, self.front.secrets(), input=b"never sent")
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 1, stderr)
        self.assertIn("TLS certificate verification failed", stderr)
        self.assertIn("unable to get local issuer certificate", stderr)
        self.assertIn("set AWS_CA_BUNDLE to a PEM file", stderr)
        self.assertEqual(self.front.requests(before), [], "no request got past the TLS handshake")
        self.assertIn("TLS handshake", self.front.log_text())

    def test_a_bundle_of_another_ca_is_refused_naming_the_bundle(self):
        from s3_servers import TestCA
        import tempfile
        with tempfile.TemporaryDirectory(prefix="erp-other-ca-") as directory:
            other = TestCA(directory, name="some other CA")
            before = len(self.front.requests())
            result = self.erp("cat", "https/whatever.bin", AWS_CA_BUNDLE=other.ca_file)
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 1, stderr)
        self.assertIn("TLS certificate verification failed", stderr)
        self.assertIn(f"AWS_CA_BUNDLE={other.ca_file}, which replaces the system store", stderr)
        self.assertEqual(self.front.requests(before), [])

    def system_store_lookups(self, env: dict) -> list[str]:
        """Runs `erp-backup cat` under strace with `env`; returns the file-system calls that touched
        the system CA store (Debian's /etc/ssl/certs directory and bundle, OpenSSL's own paths)."""
        import tempfile
        with tempfile.NamedTemporaryFile(prefix="erp-strace-", suffix=".out") as trace:
            result = subprocess.run(["strace", "-f", "-qq", "-e", "trace=open,openat,stat,newfstatat,access",
                                     "-o", trace.name, BINARY, "cat", "https/never-read.bin"],
                                    env=env, capture_output=True, timeout=120)
            with open(trace.name, encoding="utf-8", errors="replace") as f:
                lines = f.read().splitlines()
        self.assertEqual(result.returncode, 1, result.stderr.decode(errors="replace"))
        self.assertIn(b"TLS certificate verification failed", result.stderr)
        store = ("/etc/ssl/certs", "/usr/lib/ssl/certs", "/usr/lib/ssl/cert.pem", "/etc/ssl/cert.pem",
                 "ca-certificates.crt", "/etc/pki/")
        return [line for line in lines if any(path in line for path in store)]

    def test_a_ca_bundle_replaces_the_system_store_which_is_never_consulted(self):
        from s3_servers import TestCA
        import tempfile
        # Control: without AWS_CA_BUNDLE, verifying the (untrusted) certificate reads the system
        # store, so the trace does see such lookups when they happen.
        env = self.env()
        del env["AWS_CA_BUNDLE"]
        self.assertTrue(self.system_store_lookups(env), "the system store is used without AWS_CA_BUNDLE")
        # With a bundle (another CA's, so the issuer is looked for everywhere the tool trusts), the
        # system store is not even opened: Debian's libcurl default CA directory is cleared too.
        with tempfile.TemporaryDirectory(prefix="erp-other-ca-") as directory:
            other = TestCA(directory, name="some other CA")
            self.assertEqual(self.system_store_lookups(self.env(AWS_CA_BUNDLE=other.ca_file)), [])

    def test_a_file_that_is_no_certificate_is_refused_before_any_request(self):
        before = len(self.front.requests())
        result = self.erp("put", "https/bad-bundle.bin", input=b"x", AWS_CA_BUNDLE=self.front.tls_ca.key_file)
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 2, stderr)
        self.assertIn(f"AWS_CA_BUNDLE: {self.front.tls_ca.key_file} holds no PEM certificate", stderr)
        self.assertEqual(self.front.requests(before), [])

    def test_a_bucket_with_dots_is_reached_in_path_style_and_virtual_style_is_refused(self):
        bucket = f"erp.dotted.{self.front.bucket}"
        self.front.boto3_client().create_bucket(Bucket=bucket)
        data = pattern(PART + 5, seed=22)
        before = len(self.front.requests())
        result = self.erp("put", "dots.bin", input=data, S3_BUCKET=bucket)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        sent = [r for r in self.front.requests(before) if r["method"] == "PUT"]
        self.assertTrue(sent)
        for request in sent:
            self.assertTrue(request["target"].startswith(f"/{bucket}/dots.bin"), request["target"])
        self.assertEqual(self.front.boto3_client().get_object(Bucket=bucket, Key="dots.bin")["Body"].read(), data)
        before = len(self.front.requests())
        refused = self.erp("put", "dots.bin", input=data, S3_BUCKET=bucket, S3_ADDRESSING_STYLE="virtual")
        stderr = refused.stderr.decode(errors="replace")
        self.assertEqual(refused.returncode, 2, stderr)
        self.assertIn(f"S3_ADDRESSING_STYLE=virtual cannot reach bucket '{bucket}' over HTTPS", stderr)
        self.assertEqual(self.front.requests(before), [])


# Over HTTPS runs every spec test but these two, reported as skipped with their reason.
skip_inherited(ObjectCommandsOverHttpsOnMoto, ObjectCommandsSpec, {
    "test_ls_pages_past_1000_keys": "1005 PUTs to read two listing pages whose XML is parsed the same "
                                    "over HTTP and HTTPS; listing over TLS runs in the other tests' ls",
    "test_put_of_more_than_100_mib_from_a_pipe": "105 MiB through TLS costs most of a minute on 2 cores; a "
                                                 "multi-part stream over TLS is "
                                                 "test_a_multipart_put_over_https_sends_every_part_unsigned_"
                                                 "and_round_trips",
})


if __name__ == "__main__":
    unittest.main()
