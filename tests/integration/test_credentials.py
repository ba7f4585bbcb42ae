"""Issue 9: the credentials a Kubernetes pod actually has, against moto behind the verifying front.

* Web identity (EKS IRSA): the tool trades a token file for keys at moto's own STS
  (AssumeRoleWithWebIdentity), through a small stand-in that relays to moto, tells the front the
  keys STS issued (the front verifies every S3 signature with them and requires their session
  token) and can shorten their Expiration so the tool must refresh mid-run.
* Container credentials (EKS Pod Identity, ECS): a small endpoint that checks the authorization
  token and hands out keys the front knows; a wrong token is a clear error.
* A `_FILE` key rotated during a long `put` (Kubernetes swaps a Secret's ..data symlink) and the
  front switched to the new key: the upload completes.
* A server that calls the clock skewed once: the tool corrects by the server's clock, the
  request succeeds on the retry, and the offset is logged.

Synchronisation is on the front's request record and the stand-ins' call lists, never on sleeps
(the one wait for time is the short key lifetime itself, which is what is under test).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
import datetime as dt
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from erp_cli import BINARY, clean_env, run_erp  # noqa: E402
from integration_case import IntegrationCase, remove_tree  # noqa: E402
from s3_servers import S3Front  # noqa: E402

MiB = 1 << 20
ROLE_ARN = "arn:aws:iam::123456789012:role/erp-backup"  # moto's default account owns the bucket
STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
WAIT = 120.0  # seconds any synchronisation may take before the test fails


def pattern(size: int, seed: int = 1) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < size:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest() * 128
        counter += 1
    return bytes(out[:size])


def wait_for(condition, what: str, timeout: float = WAIT):
    """Polls `condition` (a cheap query of a server's record) until it is truthy."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def aws_time(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class Server:
    """A ThreadingHTTPServer on 127.0.0.1:0 running `handler_class` in a thread."""

    def __init__(self, handler_class):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        self.httpd.owner = self
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class StsStandIn(Server):
    """Relays AssumeRoleWithWebIdentity to moto's STS and tells the front the keys it issued.

    lifetime: when set, the Expiration handed to the tool is that many seconds from now (moto
    always says an hour). revoke_previous: the front forgets the previously issued key when a new
    one is issued (an expired key no longer works)."""

    def __init__(self, moto_url: str, front: S3Front, lifetime: int | None = None,
                 revoke_previous: bool = False):
        self.moto_url, self.front = moto_url, front
        self.lifetime, self.revoke_previous = lifetime, revoke_previous
        self.calls: list[dict] = []  # the form fields of each call, and what was issued
        self.lock = threading.Lock()
        super().__init__(self.Handler)

    def issued(self) -> list[str]:
        with self.lock:
            return [c["issued"] for c in self.calls]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            owner: StsStandIn = self.server.owner
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            form = dict(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
            request = urllib.request.Request(owner.moto_url + "/", data=body, method="POST",
                                             headers={"Content-Type": self.headers["Content-Type"]})
            with urllib.request.urlopen(request, timeout=30) as reply:
                xml = reply.read()
            root = ET.fromstring(xml)
            creds = root.find(f"{STS_NS}AssumeRoleWithWebIdentityResult/{STS_NS}Credentials")
            key_id = creds.find(f"{STS_NS}AccessKeyId").text
            changes = {key_id: {"secret": creds.find(f"{STS_NS}SecretAccessKey").text,
                                "token": creds.find(f"{STS_NS}SessionToken").text}}
            if owner.lifetime is not None:
                expiration = creds.find(f"{STS_NS}Expiration")
                expiration.text = aws_time(dt.datetime.now(dt.timezone.utc) +
                                           dt.timedelta(seconds=owner.lifetime))
                ET.register_namespace("", STS_NS[1:-1])
                xml = ET.tostring(root, xml_declaration=True, encoding="utf-8")
            with owner.lock:
                if owner.revoke_previous and owner.calls:
                    changes[owner.calls[-1]["issued"]] = None
                owner.front.set_credentials(changes)  # before the tool can sign with them
                owner.calls.append({"form": form, "authorization": self.headers.get("Authorization"),
                                    "issued": key_id, "at": time.monotonic()})
            self.send_response(200)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(xml)))
            self.end_headers()
            self.wfile.write(xml)


class ContainerEndpoint(Server):
    """EKS Pod Identity's agent: answers keys to a GET carrying the right Authorization token."""

    def __init__(self, token: str, key_id: str, secret: str, session_token: str):
        self.token, self.key_id, self.secret, self.session_token = token, key_id, secret, session_token
        self.seen: list[str | None] = []
        super().__init__(self.Handler)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            owner: ContainerEndpoint = self.server.owner
            given = self.headers.get("Authorization")
            owner.seen.append(given)
            if given != owner.token:
                body, status = b'{"message":"invalid authorization token"}', 401
            else:
                body, status = json.dumps({
                    "AccessKeyId": owner.key_id, "SecretAccessKey": owner.secret,
                    "Token": owner.session_token,
                    "Expiration": aws_time(dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=6)),
                }).encode(), 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


class CredentialProviderTests(IntegrationCase, unittest.TestCase):
    session_token = False  # no static session token: each test brings its own identity

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.moto_url = cls.front.health()["backend_url"]

    def setUp(self):
        super().setUp()
        self.workdir = tempfile.mkdtemp(prefix="erp-creds-")
        self.addCleanup(remove_tree, self.workdir)  # token files, mounted secrets: one dir per test
        # What must not show up in the tool's output; each test adds the identities it hands out.
        self.known_secrets: list[str] = [self.front.secret_key]

    # -- helpers ----------------------------------------------------------------------------------
    def base_env(self, **extra) -> dict:
        """The front's endpoint, bucket and region, without its static keys."""
        env = {k: v for k, v in self.front.env().items()
               if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
        env.update({"S3_PART_SIZE": "5MiB", "S3_BUFFER_BUDGET": "64MiB", "S3_STALL_TIMEOUT": "5s",
                    "S3_MAX_ATTEMPTS": "3"})
        env.update(extra)
        return clean_env(env)

    def write(self, name: str, content: str) -> str:
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(content)
        return path

    def last_seq(self) -> int:
        records = self.front.requests()
        return records[-1]["seq"] if records else 0

    def s3_requests_since(self, seq: int) -> list[dict]:
        return [r for r in self.front.requests(since=seq) if r["seq"] > seq]

    def get(self, key: str) -> bytes:
        return self.front.boto3_client().get_object(Bucket=self.front.bucket, Key=key)["Body"].read()

    def web_identity_env(self, sts: StsStandIn) -> dict:
        token = self.write("token", "eyJ-web-identity-" + secrets.token_hex(8) + "\n")
        return self.base_env(AWS_ROLE_ARN=ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE=token,
                             AWS_ROLE_SESSION_NAME="erp-test", AWS_ENDPOINT_URL_STS=sts.url)

    # -- web identity -------------------------------------------------------------------------------
    def test_web_identity_signs_every_request_with_the_key_sts_issued(self):
        sts = StsStandIn(self.moto_url, self.front)
        self.addCleanup(sts.close)
        env = self.web_identity_env(sts)
        data = pattern(12 * MiB, seed=9)
        seq = self.last_seq()
        result = run_erp(["put", "irsa/object.bin"], env, self.known_secrets, input=data)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        self.assertIn(b"web identity (AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE)", result.stderr)

        [call] = sts.calls
        self.assertIsNone(call["authorization"], "AssumeRoleWithWebIdentity is unsigned")
        self.assertEqual(call["form"]["Action"], "AssumeRoleWithWebIdentity")
        self.assertEqual(call["form"]["Version"], "2011-06-15")
        self.assertEqual(call["form"]["RoleArn"], ROLE_ARN)
        self.assertEqual(call["form"]["RoleSessionName"], "erp-test")
        with open(env["AWS_WEB_IDENTITY_TOKEN_FILE"]) as f:
            self.assertEqual(call["form"]["WebIdentityToken"], f.read().strip())
        requests = self.s3_requests_since(seq)
        self.assertGreaterEqual(len([r for r in requests if "partNumber=" in r["target"]]), 2)
        # Every S3 request: signed with exactly the key STS issued, accepted by the front (which
        # checks the signature with its secret and requires its session token).
        self.assertEqual({r["access_key"] for r in requests}, {call["issued"]})
        self.assertEqual({r["verdict"] for r in requests}, {"ok"})
        self.assertTrue(call["issued"].startswith("ASIA"), call["issued"])
        self.assertEqual(self.get("irsa/object.bin"), data)

    def test_keys_expiring_during_the_run_are_refreshed_and_the_upload_completes(self):
        # Keys that live 4 s are refreshed after 2 s; the front forgets each key once the next is
        # issued, so a request signed with an expired key would be refused.
        sts = StsStandIn(self.moto_url, self.front, lifetime=4, revoke_previous=True)
        self.addCleanup(sts.close)
        env = self.web_identity_env(sts)
        env["S3_UPLOAD_CONCURRENCY"] = "1"  # one request at a time: none in flight at a revocation
        data = pattern(18 * MiB, seed=10)
        seq = self.last_seq()
        proc = subprocess.Popen([BINARY, "put", "irsa/refreshed.bin"], env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            proc.stdin.write(data[:6 * MiB])
            proc.stdin.flush()
            wait_for(lambda: any("partNumber=1" in r["target"] and r["status"] == 200
                                 for r in self.s3_requests_since(seq)), "part 1 uploaded")
            # The one wait for time: the first keys must reach their refresh point mid-run.
            first_issued_at = sts.calls[0]["at"]
            wait_for(lambda: time.monotonic() > first_issued_at + 3, "the first keys to age")
            stdout, stderr = proc.communicate(input=data[6 * MiB:], timeout=WAIT)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 0, stderr.decode(errors="replace"))
        issued = sts.issued()
        self.assertGreaterEqual(len(issued), 2, "the tool refreshed its keys mid-run")
        requests = self.s3_requests_since(seq)
        self.assertEqual({r["verdict"] for r in requests}, {"ok"})
        # Each request signed with an issued key, and the keys in issue order (never an old one
        # after a newer one).
        order = [issued.index(r["access_key"]) for r in requests]
        self.assertEqual(order, sorted(order))
        self.assertGreater(order[-1], 0, "requests after the refresh use the new key")
        self.assertEqual(self.get("irsa/refreshed.bin"), data)

    # -- container credentials ----------------------------------------------------------------------
    def container(self, token: str) -> ContainerEndpoint:
        key_id = "ASIACONTAINER" + secrets.token_hex(4).upper()
        endpoint = ContainerEndpoint(token, key_id, "erpTEST-container-secret-" + secrets.token_hex(8),
                                     "erpTEST-container-token-" + secrets.token_hex(8))
        self.addCleanup(endpoint.close)
        self.front.set_credentials({key_id: {"secret": endpoint.secret, "token": endpoint.session_token}})
        self.addCleanup(self.front.set_credentials, {key_id: None})
        self.known_secrets += [endpoint.secret, endpoint.session_token, token]
        return endpoint

    def test_container_credentials_sign_with_the_endpoints_keys(self):
        endpoint = self.container("pod-identity-" + secrets.token_hex(8))
        token_file = self.write("pod-token", endpoint.token + "\n")
        env = self.base_env(AWS_CONTAINER_CREDENTIALS_FULL_URI=endpoint.url + "/v1/credentials",
                            AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=token_file)
        data = pattern(7 * MiB, seed=11)
        seq = self.last_seq()
        result = run_erp(["put", "pod/object.bin"], env, self.known_secrets, input=data)
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        self.assertIn(b"container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI", result.stderr)
        self.assertEqual(endpoint.seen, [endpoint.token])
        requests = self.s3_requests_since(seq)
        self.assertTrue(requests)
        self.assertEqual({r["access_key"] for r in requests}, {endpoint.key_id})
        self.assertEqual({r["verdict"] for r in requests}, {"ok"})
        self.assertEqual(self.get("pod/object.bin"), data)

    def test_a_wrong_container_token_is_a_clear_error_and_nothing_reaches_s3(self):
        endpoint = self.container("pod-identity-" + secrets.token_hex(8))
        env = self.base_env(AWS_CONTAINER_CREDENTIALS_FULL_URI=endpoint.url + "/v1/credentials",
                            AWS_CONTAINER_AUTHORIZATION_TOKEN="not-the-token")
        seq = self.last_seq()
        result = run_erp(["put", "pod/denied.bin"], env, self.known_secrets + ["not-the-token"], input=b"x")
        self.assertEqual(result.returncode, 1, result.stderr.decode(errors="replace"))
        self.assertIn(b"container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI, "
                      b"AWS_CONTAINER_AUTHORIZATION_TOKEN)", result.stderr)
        self.assertIn(b"HTTP 401", result.stderr)
        self.assertIn(b"check AWS_CONTAINER_AUTHORIZATION_TOKEN", result.stderr)
        self.assertEqual(endpoint.seen, ["not-the-token"])
        self.assertEqual(self.s3_requests_since(seq), [])

    # -- a mounted Secret rotated in place ------------------------------------------------------------
    def test_a_key_file_rotated_during_a_long_put_is_picked_up_and_the_upload_completes(self):
        # Kubernetes' layout: NAME -> ..data/NAME, ..data -> ..<version>; a rotation writes a new
        # version directory and renames a new ..data symlink over the old one (atomic).
        mount = os.path.join(self.workdir, "secret")
        os.mkdir(mount)

        def publish(version: str, key_id: str, secret: str):
            directory = os.path.join(mount, f"..{version}")
            os.mkdir(directory)
            for name, value in (("key_id", key_id), ("secret", secret)):
                with open(os.path.join(directory, name), "w") as f:
                    f.write(value + "\n")
            os.symlink(f"..{version}", os.path.join(mount, "..data_tmp"))
            os.rename(os.path.join(mount, "..data_tmp"), os.path.join(mount, "..data"))

        old_key, old_secret = self.front.access_key, self.front.secret_key
        new_key = "AKIAROTATED" + secrets.token_hex(4).upper()
        new_secret = "erpTEST-rotated-" + secrets.token_hex(12)
        self.known_secrets.append(new_secret)
        publish("v1", old_key, old_secret)
        for name in ("key_id", "secret"):
            os.symlink(os.path.join("..data", name), os.path.join(mount, name))
        env = self.base_env(AWS_ACCESS_KEY_ID_FILE=os.path.join(mount, "key_id"),
                            AWS_SECRET_ACCESS_KEY_FILE=os.path.join(mount, "secret"),
                            S3_UPLOAD_CONCURRENCY="1")
        data = pattern(18 * MiB, seed=12)
        seq = self.last_seq()
        self.front.set_credentials({new_key: {"secret": new_secret}})
        proc = subprocess.Popen([BINARY, "put", "rotated/object.bin"], env=env, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            proc.stdin.write(data[:6 * MiB])
            proc.stdin.flush()
            wait_for(lambda: any("partNumber=1" in r["target"] and r["status"] == 200
                                 for r in self.s3_requests_since(seq)), "part 1 uploaded")
            publish("v2", new_key, new_secret)
            proc.stdin.write(data[6 * MiB:12 * MiB])
            proc.stdin.flush()
            wait_for(lambda: any(r["access_key"] == new_key for r in self.s3_requests_since(seq)),
                     "a request signed with the rotated key")
            # The front switches: the old key no longer works.
            self.front.set_credentials({old_key: None})
            try:
                stdout, stderr = proc.communicate(input=data[12 * MiB:], timeout=WAIT)
            finally:
                self.front.set_credentials({old_key: {"secret": old_secret}})
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 0, stderr.decode(errors="replace"))
        keys = [r["access_key"] for r in self.s3_requests_since(seq)]
        first_new = keys.index(new_key)
        self.assertGreater(first_new, 0, "the upload started with the old key")
        self.assertEqual(set(keys[first_new:]), {new_key}, "never the old key after the rotation")
        self.assertEqual(self.get("rotated/object.bin"), data)

    # -- the clock ----------------------------------------------------------------------------------
    def test_a_server_calling_the_clock_skewed_once_is_answered_by_a_corrected_retry(self):
        env = clean_env({**self.front.env(), "S3_MAX_ATTEMPTS": "1"})  # the retry is the correction's
        self.front.set_faults([{"action": "status", "status": 403, "code": "RequestTimeTooSkewed",
                                "date_offset": 1200, "times": 1}])
        seq = self.last_seq()
        result = run_erp(["put", "skew/object.bin"], env, self.known_secrets, input=b"skewed clock")
        self.front.set_faults([])
        self.assertEqual(result.returncode, 0, result.stderr.decode(errors="replace"))
        found = re.search(rb"clock_offset_s=(-?\d+)", result.stderr)
        self.assertIsNotNone(found, result.stderr.decode(errors="replace"))
        self.assertTrue(1195 <= int(found.group(1)) <= 1205, found.group(1))
        requests = self.s3_requests_since(seq)
        self.assertEqual([r["verdict"] for r in requests], ["fault:status", "ok"])
        self.assertEqual(self.get("skew/object.bin"), b"skewed clock")


if __name__ == "__main__":
    unittest.main()
