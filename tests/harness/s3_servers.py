"""Start real S3 servers for integration tests, behind the signature-verifying front.

    with S3Front(backend="moto") as s3:          # or backend="s3rver", gcs=True, record_file=...
        subprocess.run([ERP_BACKUP_BIN, "backup"], env={**os.environ, **s3.env(), ...})
        s3.set_faults([{"method": "PUT", "query_contains": "partNumber=2", "action": "503"}])
        assert not [r for r in s3.requests() if r["violations"]]
        with s3.expect_rejections("SignatureDoesNotMatch"):   # a refusal the test provokes
            ...
        s3.assert_no_rejections()                     # in every test's tearDown

S3Front starts tests/harness/s3front.py, which starts the backend (moto_server or s3rver) on a
free loopback port and re-verifies every request's SigV4 signature with botocore before
forwarding it. With backend="rgw" the front starts no server: it forwards to Ceph's RADOS Gateway
of tests/harness/rgw_server.py (the run's shared cluster, or one this process starts), signs as
that cluster's S3 user, and creates a bucket of its own, removed with everything in it when the
front stops. RGW then checks every signature a second time itself (the front forwards requests
unchanged) and verifies body hashes; it ignores x-amz-security-token (STS is off), which the
front checks. moto's own signature check is not used: it rebuilds the canonical request from a
re-normalised URL and so rejects correct signatures for keys with '+', '=' or non-ASCII and for
query values holding '/'. s3rver checks no SigV4 signature at all (only the key id `S3RVER`).

The front refuses a request whose signature, credentials, region, date or body hash is wrong, and
lists every such refusal (`rejections()`). A refusal the test did not provoke is a bug in the
signer, so every test class calls `assert_no_rejections()` in tearDown; a test that sends a wrong
secret on purpose declares it with `expect_rejections(...)` (or `take_rejections()`).
The front checks the signing region too: it is started with `region` (default us-east-1), the
region `env()` hands the tool.

HTTPS: `S3Front(tls=True)` makes a throwaway CA and a server certificate for 127.0.0.1/localhost
(`make_test_ca`, with the openssl CLI, per front), starts the front serving TLS with it, and hands
the tool `AWS_CA_BUNDLE` (the CA file) in env(); boto3_client(), aws(), raw_request() and the
control API trust that CA too. Without AWS_CA_BUNDLE the tool must refuse the server.

The credentials are distinctive (`erpTEST-s3secret-<hex>`, `erpTEST-token-<hex>`) so a test can grep
logs, argv and manifests for them (`secrets()`). The access key is `S3RVER` for both backends
because s3rver knows no other (RGW's user has a key id of its own, `ERPTESTRGW...`). A server that
does not start raises: it is a failure, never a skip.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets as _secrets
import selectors
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

from managed_server import ManagedServer  # noqa: E402
import rgw_server  # noqa: E402

HARNESS_DIR = os.path.dirname(os.path.abspath(__file__))
S3FRONT = os.path.join(HARNESS_DIR, "s3front.py")
REGION = "us-east-1"
ACCESS_KEY = "S3RVER"  # the only key id s3rver 3.7.1 accepts
READY_TIMEOUT = 60.0


def describe_rejections(rejections: list[dict]) -> str:
    return "; ".join(f"{r['method']} {r['target']} -> {r['status']} {r['code']}: {r['message']}"
                     for r in rejections)


class TestCA:
    """A throwaway CA and a server certificate it signed, as PEM files in `directory`.

    ca_file: the CA certificate (what AWS_CA_BUNDLE names); cert_file/key_file: the server's
    certificate (subjectAltName IP:127.0.0.1 and DNS:localhost, CN localhost) and its key. The CA
    key is deleted once the server certificate is signed: nothing else can ever be issued by it.
    """

    def __init__(self, directory: str, name: str = "erp-backup test CA"):
        os.makedirs(directory, exist_ok=True)
        self.directory = directory
        self.ca_file = os.path.join(directory, "ca.pem")
        self.cert_file = os.path.join(directory, "server.pem")
        self.key_file = os.path.join(directory, "server.key")
        ca_key = os.path.join(directory, "ca.key")
        csr = os.path.join(directory, "server.csr")
        ext = os.path.join(directory, "server.ext")
        with open(ext, "w") as f:
            f.write("basicConstraints = critical, CA:FALSE\n"
                    "keyUsage = critical, digitalSignature\n"
                    "extendedKeyUsage = serverAuth\n"
                    "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                    "subjectKeyIdentifier = hash\n"
                    "authorityKeyIdentifier = keyid:always\n")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        # -addext replaces the config file's v3_ca defaults, which would otherwise leave keyUsage out.
        self._openssl("req", "-x509", *ec, "-keyout", ca_key, "-out", self.ca_file, "-days", "2",
                      "-subj", f"/CN={name} {_secrets.token_hex(4)}",
                      "-addext", "basicConstraints=critical,CA:TRUE",
                      "-addext", "keyUsage=critical,keyCertSign,cRLSign")
        self._openssl("req", "-new", *ec, "-keyout", self.key_file, "-out", csr, "-subj", "/CN=localhost")
        self._openssl("x509", "-req", "-in", csr, "-CA", self.ca_file, "-CAkey", ca_key,
                      "-CAcreateserial", "-out", self.cert_file, "-days", "2", "-extfile", ext)
        for leftover in (ca_key, csr, ext, os.path.join(directory, "ca.srl")):
            if os.path.exists(leftover):
                os.unlink(leftover)

    @staticmethod
    def _openssl(*args: str) -> None:
        openssl = shutil.which("openssl")
        if openssl is None:
            raise RuntimeError("the openssl CLI is not on PATH (scripts/install-test-deps.sh installs it)")
        done = subprocess.run([openssl, *args], capture_output=True, timeout=60)
        if done.returncode != 0:
            raise RuntimeError(f"openssl {' '.join(args[:2])} failed: {done.stderr.decode(errors='replace')}")

    def ssl_context(self) -> ssl.SSLContext:
        """A client context that trusts only this CA."""
        return ssl.create_default_context(cafile=self.ca_file)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


BACKENDS = ("moto", "s3rver", "rgw")


class S3Front(ManagedServer):
    """A real S3 server (moto, s3rver or Ceph RGW) behind s3front.py, as a context manager.

    Attributes after __enter__: endpoint ("http://127.0.0.1:PORT", or https:// with tls=True),
    bucket, backend, access_key, secret_key, session_token, workdir (a temp dir removed on exit),
    log_path (the front's stderr), tls_ca (the TestCA with tls=True, else None).
    """

    def __init__(self, backend: str = "moto", gcs: bool = False, record_file: str | None = None,
                 session_token: bool = True, region: str = REGION, bucket: str | None = None,
                 share_backend_with: "S3Front | None" = None, tls: bool = False, object_lock: bool = False):
        """region: the signing region the front accepts (any other is refused with
        AuthorizationHeaderMalformed), handed to the tool by env() and used by boto3_client().
        share_backend_with: front the backend another running S3Front started (saves starting a
        second server, e.g. for a GCS-mode front); this front still creates its own bucket.
        tls: serve HTTPS with a throwaway CA's certificate; env() then carries AWS_CA_BUNDLE.
        object_lock: create the bucket with Object Lock enabled (x-amz-bucket-object-lock-enabled,
        which also turns versioning on); the start fails unless GetObjectLockConfiguration then
        answers Enabled."""
        if backend not in BACKENDS:
            raise ValueError(f"unknown backend {backend!r} ({', '.join(BACKENDS)})")
        self.backend, self.gcs, self.record_file, self.region = backend, gcs, record_file, region
        self.log_label = f"s3front ({backend})"
        self.share_backend_with = share_backend_with
        if share_backend_with is not None and share_backend_with.backend != backend:
            raise ValueError(f"cannot share a {share_backend_with.backend} backend as {backend}")
        self.tls = tls
        self.tls_ca: TestCA | None = None
        self.access_key = ACCESS_KEY
        self.secret_key = f"erpTEST-s3secret-{_secrets.token_hex(12)}"
        self.session_token = f"erpTEST-token-{_secrets.token_hex(16)}" if session_token else None
        self.bucket = bucket or f"erp-test-{_secrets.token_hex(4)}"
        self.endpoint = None
        self.proc = None
        self.workdir = None
        self.log_path = None
        self.rgw: rgw_server.ClusterAccess | None = None  # backend="rgw": the cluster behind the front
        self.bucket_created = False
        self.object_lock = object_lock
        self.users: list[rgw_server.S3User] = []  # add_scoped_user's, in order
        self.policy: list[dict] = []  # the bucket policy's statements add_scoped_user put

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        if self.backend == "rgw":  # the keys RGW knows: the front and RGW both check them
            self.rgw = rgw_server.cluster_for_tests()
            self.access_key, self.secret_key = self.rgw.access_key, self.rgw.secret_key
        self.workdir = tempfile.mkdtemp(prefix=f"erp-s3-{self.backend}-")
        creds = {self.access_key: {"secret": self.secret_key}}
        if self.session_token:
            creds[self.access_key]["token"] = self.session_token
        creds_path = os.path.join(self.workdir, "credentials.json")
        fd = os.open(creds_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(creds, f)
        self._write_aws_config()
        self.log_path = os.path.join(self.workdir, "s3front.log")
        cmd = [sys.executable, S3FRONT, "--backend", self.backend, "--credentials", creds_path,
               "--backend-log", os.path.join(self.workdir, "backend.log")]
        if self.gcs:
            cmd.append("--gcs")
        if self.record_file:
            cmd += ["--record", self.record_file]
        cmd += ["--region", self.region]
        if self.tls:
            self.tls_ca = TestCA(os.path.join(self.workdir, "tls"))
            cmd += ["--tls-cert", self.tls_ca.cert_file, "--tls-key", self.tls_ca.key_file]
        if self.share_backend_with is not None:
            cmd += ["--backend-url", self.share_backend_with.health()["backend_url"]]
        elif self.rgw is not None:
            cmd += ["--backend-url", self.rgw.endpoint]
        with open(self.log_path, "wb") as log:
            # stdin stays open: the front stops on EOF, so it dies with this process.
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log)
        ready = self._read_ready_line()
        self.endpoint = ready["endpoint"]
        if ready.get("backend") != self.backend:
            raise RuntimeError(f"s3front started backend {ready.get('backend')!r}, wanted {self.backend!r}")
        where = {} if self.region == "us-east-1" else {  # S3 wants the location spelled out outside us-east-1
            "CreateBucketConfiguration": {"LocationConstraint": self.region}}
        if self.object_lock:
            where["ObjectLockEnabledForBucket"] = True
        self.boto3_client().create_bucket(Bucket=self.bucket, **where)
        self.bucket_created = True
        if self.object_lock:
            answer = self.boto3_client().get_object_lock_configuration(Bucket=self.bucket)
            if answer.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") != "Enabled":
                raise RuntimeError(f"s3front ({self.backend}): bucket {self.bucket} was created with Object Lock "
                                   f"but GetObjectLockConfiguration answers {answer.get('ObjectLockConfiguration')}")

    def _read_ready_line(self) -> dict:
        deadline = time.monotonic() + READY_TIMEOUT
        buf = b""
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while b"\n" not in buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"s3front ({self.backend}) printed no ready line within "
                                       f"{READY_TIMEOUT:.0f}s\n{self.log_text()}")
                if sel.select(left):
                    chunk = os.read(self.proc.stdout.fileno(), 4096)
                    if not chunk:
                        self.proc.wait(5)
                        raise RuntimeError(f"s3front ({self.backend}) exited with status {self.proc.returncode} "
                                           f"before it was ready\n{self.log_text()}")
                    buf += chunk
        return json.loads(buf.split(b"\n", 1)[0])

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    self.proc.stdin.close()  # EOF: the front stops and kills its backend
                except OSError:
                    pass
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.terminate()
                    try:
                        self.proc.wait(10)
                    except subprocess.TimeoutExpired:
                        self.proc.kill()
                        self.proc.wait()
            for stream in (self.proc.stdin, self.proc.stdout):
                if stream is not None:
                    stream.close()
            self.proc = None
        self.remove_workdir()
        if self.rgw is not None and self.bucket_created:
            # The cluster outlives this front: its bucket goes now (a failure to remove it raises).
            self.bucket_created = False
            self.rgw.remove_bucket(self.bucket)

    # -- what a test hands to the tool -------------------------------------------------------------
    def env(self) -> dict:
        env = {
            "AWS_ENDPOINT_URL_S3": self.endpoint,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_REGION": self.region,
            "S3_BUCKET": self.bucket,
            # for the aws CLI / boto3: never send the newer checksum headers the front flags
            "AWS_REQUEST_CHECKSUM_CALCULATION": "when_required",
            "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
        }
        if self.session_token:
            env["AWS_SESSION_TOKEN"] = self.session_token
        if self.tls_ca is not None:
            env["AWS_CA_BUNDLE"] = self.tls_ca.ca_file  # for the tool, the aws CLI and boto3 alike
        return env

    def secrets(self) -> list[str]:
        """The strings that must never show up in logs, argv, errors or manifests."""
        return [s for s in (self.secret_key, self.session_token) if s] + [u.secret_key for u in self.users]

    # -- clients ------------------------------------------------------------------------------------
    def boto3_client(self, **config):
        """A boto3 S3 client through the front: path style, checksums only when required.

        Keyword arguments go to botocore.config.Config (e.g. retries={"max_attempts": 1},
        read_timeout=1) and override the defaults.
        """
        return self._client(self.access_key, self.secret_key, self.session_token, config)

    def _client(self, access_key: str, secret_key: str, session_token: str | None, config: dict):
        import boto3
        from botocore.config import Config

        settings = dict(s3={"addressing_style": "path"}, signature_version="s3v4",
                        request_checksum_calculation="when_required",
                        response_checksum_validation="when_required",
                        retries={"max_attempts": 3, "mode": "standard"})
        settings.update(config)
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=self.region,
                            aws_access_key_id=access_key, aws_secret_access_key=secret_key,
                            aws_session_token=session_token, config=Config(**settings),
                            verify=self.tls_ca.ca_file if self.tls_ca is not None else None)

    # -- further S3 users (RGW) and their scopes ------------------------------------------------------
    def add_scoped_user(self, scope: str, prefix: str) -> "rgw_server.S3User":
        """backend="rgw": a new RGW user granted `scope` ("backup", "prune", "restore": the
        credential scopes of rgw_server.SCOPES) on `prefix` of this front's bucket by the bucket's
        policy (the statements of every user added so far, put again as one policy by the owner,
        with rgw_server.owner_reads: the owner's boto3 checks still read what the users write, and
        rgw_server.nobody_bypasses: no one may bypass a GOVERNANCE lock, as least-privilege.md asks),
        and accepted by this front (no session token: RGW knows none). Its secret joins
        secrets(). env_as(user) and boto3_client_as(user) sign as it."""
        if self.rgw is None:
            raise ValueError("add_scoped_user: only RGW enforces the bucket policies (moto runs without "
                             "IAM, s3rver checks no policy at all)")
        user = self.rgw.create_user(scope)
        base = [rgw_server.owner_reads(self.bucket), rgw_server.nobody_bypasses(self.bucket)]
        self.policy = (self.policy or base) + rgw_server.bucket_policy_for(scope, user, self.bucket, prefix)
        self.rgw.put_bucket_policy(self.bucket, self.policy)
        self.set_credentials({user.access_key: {"secret": user.secret_key}})
        self.users.append(user)
        return user

    def env_as(self, user: "rgw_server.S3User") -> dict:
        """env() with `user`'s keys and without a session token."""
        env = self.env()
        env.pop("AWS_SESSION_TOKEN", None)
        env.update(AWS_ACCESS_KEY_ID=user.access_key, AWS_SECRET_ACCESS_KEY=user.secret_key)
        return env

    def boto3_client_as(self, user: "rgw_server.S3User", **config):
        """A boto3 client through the front signed as `user` (see boto3_client)."""
        return self._client(user.access_key, user.secret_key, None, config)

    def backend_client(self, **config):
        """backend="rgw": boto3 straight to radosgw as the bucket's owner, past the front, for
        set-up whose requests boto3 sends with x-amz-checksum-* headers (PutObjectRetention,
        PutBucketPolicy), which the front records as violations of what erp-backup may send."""
        if self.rgw is None:
            raise ValueError("backend_client: RGW only (the front starts moto and s3rver itself)")
        return self.rgw.s3_client(**config)

    def _write_aws_config(self) -> None:
        self.aws_config = os.path.join(self.workdir, "aws-config")
        with open(self.aws_config, "w") as f:
            f.write(f"[default]\nregion = {self.region}\nrequest_checksum_calculation = when_required\n"
                    "response_checksum_validation = when_required\ns3 =\n    addressing_style = path\n")

    def aws(self, *args: str, input: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        """Run the aws CLI against the front (`aws --endpoint-url ... ARGS`); checks nothing itself."""
        aws = shutil.which("aws")
        if aws is None:
            raise RuntimeError("the aws CLI is not on PATH")
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(self.env())
        env.update(AWS_CONFIG_FILE=self.aws_config, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
                   AWS_DEFAULT_REGION=self.region, AWS_EC2_METADATA_DISABLED="true", AWS_PAGER="")
        return subprocess.run([aws, "--endpoint-url", self.endpoint, *args], input=input, env=env,
                              capture_output=True, timeout=timeout)

    def raw_request(self, method: str, target: str, body: bytes = b"", headers: dict | None = None,
                    sign: bool = True, mutate=None, timeout: float = 30):
        """Send one request with http.client, target exactly as given (already percent-encoded).

        The request is SigV4-signed with botocore unless sign=False; mutate(headers) may change the
        headers dict after signing. Returns (status, headers dict with lower-case names, body).
        Connection errors and timeouts propagate.
        """
        headers = dict(headers or {})
        if sign:
            headers = self.sign(method, target, body, headers)
        if body or method in ("PUT", "POST"):
            headers.setdefault("Content-Length", str(len(body)))
        if mutate is not None:
            mutate(headers)
        conn = self.connection(timeout)
        try:
            conn.putrequest(method, target, skip_host="Host" in headers, skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    def connection(self, timeout: float) -> http.client.HTTPConnection:
        """An unopened connection to the front: HTTPS trusting the test CA when tls=True."""
        host, port = self.endpoint.split("//", 1)[1].split(":")
        if self.tls_ca is not None:
            return http.client.HTTPSConnection(host, int(port), timeout=timeout,
                                               context=self.tls_ca.ssl_context())
        return http.client.HTTPConnection(host, int(port), timeout=timeout)

    def sign(self, method: str, target: str, body: bytes = b"", headers: dict | None = None,
             secret_key: str | None = None, access_key: str | None = None, region: str | None = None) -> dict:
        """Headers for `target` signed by botocore's S3SigV4Auth (payload hash included);
        secret_key, access_key and region default to the front's own."""
        from botocore.auth import S3SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        request = AWSRequest(method=method, url=self.endpoint + target, data=body, headers=dict(headers or {}))
        creds = Credentials(access_key or self.access_key, secret_key or self.secret_key, self.session_token)
        S3SigV4Auth(creds, "s3", region or self.region).add_auth(request)
        return dict(request.headers.items())

    # -- control API --------------------------------------------------------------------------------
    def _control(self, method: str, path: str, value=None):
        conn = self.connection(30)
        try:
            body = json.dumps(value).encode() if value is not None else None
            conn.request(method, "/__front__/" + path, body=body,
                         headers={"Content-Type": "application/json"} if body else {})
            resp = conn.getresponse()
            data = resp.read()
            if resp.status != 200:
                raise RuntimeError(f"s3front control {method} {path}: {resp.status} {data.decode(errors='replace')}")
            return json.loads(data)
        finally:
            conn.close()

    def set_faults(self, rules: list[dict]) -> None:
        """Replace the fault list (see s3front.py CONTROL_API_DOC for the rule fields)."""
        self._control("POST", "faults", rules)

    def release(self) -> int:
        """Lets every request a "hold" rule holds go on (the rules stay; a rule still holds the
        requests that match it later). Returns how many rules were opened."""
        return self._control("POST", "release")["rules"]

    def set_initiated(self, upload_id: str, when) -> None:
        """In front of moto or RGW: ListMultipartUploads reports `when` (an aware datetime) as the
        upload's <Initiated>, so a test sets an upload's age instead of waiting for it."""
        import datetime as dt
        stamp = when.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"
        if self.backend not in ("moto", "rgw"):
            raise ValueError("set_initiated: only moto's and RGW's listings are rewritten by the front")
        self._control("POST", "initiated", {upload_id: stamp})

    def set_credentials(self, changes: dict) -> list[str]:
        """Add, replace ({"KEYID": {"secret": ..., "token": ...}}) or remove ({"KEYID": None}) keys
        the front accepts (e.g. keys an STS stand-in just issued); answers the key ids it accepts."""
        return self._control("POST", "credentials", changes)["keys"]

    def faults(self) -> list[dict]:
        """The current rules with their remaining skip/times and fired counts."""
        return self._control("GET", "faults")

    def requests(self, since: int = 0) -> list[dict]:
        """Every recorded request (method, target, headers, body_length, verdict, status, violations...)."""
        return self._control("GET", f"requests?since={since}" if since else "requests")


    def tool_put_payload_hashes(self, since: int = 0) -> list[tuple[str, str | None]]:
        """(target, x-amz-content-sha256) of every PUT erp-backup sent since request `since`
        (parts, single objects, first tries and retries), told apart by its User-Agent."""
        found = []
        for request in self.requests(since):
            headers = {name.lower(): value for name, value in request["headers"]}
            if request["method"] == "PUT" and headers.get("user-agent", "").startswith("erp-backup/"):
                found.append((request["target"], headers.get("x-amz-content-sha256")))
        return found
    def violations(self) -> list[dict]:
        """Recorded requests that carried a header erp-backup must never send."""
        return [r for r in self.requests() if r["violations"]]

    # -- refusals ---------------------------------------------------------------------------------------
    def rejections(self) -> list[dict]:
        """Every request the front refused for its signature, credentials, region, date, body hash
        or framing since the last take (seq, method, target, status, code, message, access_key,
        region). Faults and GCS-mode refusals are not in it; reset() does not clear it."""
        return self._control("GET", "rejections")

    def take_rejections(self) -> list[dict]:
        """rejections(), and clears them: what a test provoked on purpose is taken out of the list."""
        return self._control("POST", "rejections/take")

    @contextmanager
    def expect_rejections(self, *codes: str):
        """Declares the refusals the block provokes: on leaving it, the front's rejections must be
        exactly `codes` (in order) and are taken out of the list. Any other rejection pending when
        the block starts is a failure of its own (so it cannot pass as a declared one).

            with front.expect_rejections("SignatureDoesNotMatch"):
                run_erp(["put", "x"], env_with_a_wrong_secret, ...)
        """
        self.assert_no_rejections("before expect_rejections")
        try:
            yield
        except BaseException:
            self.take_rejections()  # the block's own failure is the one to report
            raise
        got = self.take_rejections()
        if [r["code"] for r in got] != list(codes):
            raise AssertionError(f"expected the front to refuse {list(codes)}, it refused "
                                 f"{describe_rejections(got) or 'nothing'}")

    def assert_no_rejections(self, when: str = "") -> None:
        """Fails (AssertionError) on any refusal not taken out by expect_rejections/take_rejections,
        naming each one; takes them, so one failure does not spill into the next test."""
        got = self.take_rejections()
        if got:
            where = f" ({when})" if when else ""
            raise AssertionError(f"the front refused {len(got)} request(s) the test did not expect{where}: "
                                 f"{describe_rejections(got)} (the front's log holds the expected canonical "
                                 f"requests: {self.log_path})")

    def assert_clean(self, when: str = "in setUpClass or after the last test") -> None:
        """What every test class checks when it ends: no request carried a header erp-backup must
        never send, and the front refused nothing the tests did not declare."""
        assert not self.violations(), "a forbidden header was sent"
        self.assert_no_rejections(when)

    def health(self) -> dict:
        """{"ok": true, "backend": ..., "backend_url": ..., "backend_pid": ..., "gcs": ...}"""
        return self._control("GET", "health")

    def reset(self) -> None:
        """Clear the faults and the record."""
        self._control("POST", "reset")


class EveryPutUnsigned:
    """Mixin for a TestCase whose `self.front` serves TLS: after each test, every PUT the tool
    sent in it (single objects and parts, first tries and retries) must have declared
    UNSIGNED-PAYLOAD (S3_PAYLOAD_SIGNING=auto over HTTPS: TLS is the only guard on the bytes).
    List it before the TestCase base: class X(EveryPutUnsigned, SomeSuite)."""

    def setUp(self):
        super().setUp()
        self.first_seq = len(self.front.requests())

    def tearDown(self):
        try:
            for target, payload_hash in self.front.tool_put_payload_hashes(self.first_seq):
                with self.subTest(target=target):
                    self.assertEqual(payload_hash, "UNSIGNED-PAYLOAD")
        finally:
            super().tearDown()
