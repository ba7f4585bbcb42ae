#!/usr/bin/env python3
"""s3front: a signature-verifying, fault-injecting reverse proxy in front of a real S3 test server.

Why it exists
-------------
The integration tests run erp-backup against real S3 implementations (moto_server and s3rver),
but neither checks SigV4 signatures in a way a test can trust:

* moto's own enforcement (INITIAL_NO_AUTH_ACTION_COUNT + an IAM key) rebuilds the canonical request
  from a re-normalised URL, so it rejects *correct* signatures when a query value holds '/'
  (`list-type=2&prefix=erp%2Fprod%2F`) or a key holds '+', '=' or non-ASCII. It is therefore left
  off (moto_server is started without auth enforcement).
* s3rver 3.7.1 checks SigV2 but not SigV4: for AWS4-HMAC-SHA256 it only looks up the access key id
  (it knows `S3RVER` only), checks the date skew and the shape of x-amz-content-sha256, and then
  accepts the request whatever the signature and whatever the body hash.

So this front re-verifies every request with botocore's S3 signer (botocore.auth.S3SigV4Auth),
feeding it the request exactly as it arrived: the path bytes of the raw request line, the query as
sent (only decoded and re-encoded per name/value with the strict unreserved set and sorted, as
SigV4-for-S3 prescribes), and exactly the headers named in SignedHeaders. A request that passes is
forwarded unchanged to the backend, and the backend's answer is relayed.

What it does besides
--------------------
* Starts the backend itself (moto_server or s3rver) on a free loopback port, polls it until it
  answers (or, --backend-url, fronts a server already running: always so for Ceph's RADOS Gateway,
  --backend rgw, which tests/harness/rgw_server.py runs), binds itself on 127.0.0.1:0 and prints
  exactly one JSON line on stdout:
  {"endpoint": "http://127.0.0.1:PORT", "backend": "moto"}. It serves until SIGTERM/SIGINT or EOF
  on stdin (unless --ignore-stdin), and kills the backend on exit.
* --tls-cert/--tls-key: serves HTTPS itself (the listening socket's connections are wrapped in an
  ssl.SSLContext; the handshake runs on the connection's own thread), and the ready line says
  "https://127.0.0.1:PORT". The control API is then HTTPS too. The backend stays plain HTTP on
  loopback: what is tested is the client's TLS, and the front sees every request decrypted.
  A client that refuses the certificate shows up as a handshake failure in the front's stderr.
* Checks x-amz-content-sha256 against the received body (400 XAmzContentSHA256Mismatch), the date
  skew (15 min), session tokens, that every x-amz-* header is signed, and the signing region
  (--region, default us-east-1: a credential scope naming another region is answered 400
  AuthorizationHeaderMalformed with <Region>, as S3 does).
* Keeps a list of every request it refused for its authentication or framing (the verifier's 4xx:
  SignatureDoesNotMatch, InvalidAccessKeyId, AuthorizationHeaderMalformed, RequestTimeTooSkewed,
  XAmzContentSHA256Mismatch, ...), apart from the record, so a test can fail on any refusal it did
  not provoke itself (/__front__/rejections). Faults and GCS-mode refusals are not rejections.
* moto answers every ListMultipartUploads with the same fixed <Initiated> (2010-11-10); in front of
  moto the front notes when each CreateMultipartUpload passed through it and puts that time into
  the listing instead, as S3 reports it. (Uploads created past this front keep moto's date.)
  In front of moto and RGW, POST /__front__/initiated sets the <Initiated> of named uploads (a
  test ages an upload instead of waiting); RGW's own times are relayed for every other upload.
* Records every request; requests carrying a header erp-backup must never send (x-amz-checksum-*,
  x-amz-sdk-checksum-algorithm, x-amz-trailer, x-amz-decoded-content-length,
  Content-Encoding: aws-chunked, x-amz-content-sha256: STREAMING-*) are recorded as violations.
* --gcs: behaves like Google Cloud Storage's XML API where it differs from S3: such requests are
  rejected (400 InvalidArgument), Accept-Encoding and User-Agent are rewritten by the "front end"
  before verification (so signing them fails), multi-object delete answers 501 NotImplemented,
  a write with `x-goog-if-generation-match: 0` to a key that exists answers 412
  PreconditionFailed without reaching the backend (GCS's "only if no live object exists"),
  every answer carries GCS's `x-guploader-uploadid` header, and Object Lock and versions must be
  spelt as GCS's XML API spells them: a request with an x-amz-object-lock-* header or a
  `versionId` parameter is refused (400 InvalidArgument); in front of moto, x-goog-object-lock-*
  and `generation` are forwarded as their S3 equivalents, so the backend locks or addresses the
  version as GCS would (records keep the request as received).
* Proves that no write replaced an object: every PutObject and CompleteMultipartUpload is
  recorded with "existed_before", whether the key existed at the backend just before the request
  was forwarded (a HEAD to the backend; writes to one key pass the front one at a time, so no
  other write through the front comes between the HEAD and the write). A test then looks for a
  record with existed_before true and a 2xx backend_status: an object replaced.
* Fault injection and inspection through an unsigned control API under /__front__/ (see
  CONTROL_API_DOC below or `--help`).

Stdlib + botocore only; a test tool, not a product.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime as dt
import email.utils
import hashlib
import hmac
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote_to_bytes
from xml.sax.saxutils import escape as xml_escape

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from listening import wait_for_listening_port  # tests/harness, this script's own directory

CONTROL_API_DOC = """\
control API (unsigned, under /__front__/):
  POST /__front__/faults    body: JSON list of rules; replaces the fault list
  GET  /__front__/faults    the rules with their remaining skip/times and fired counts
  GET  /__front__/requests  every recorded request so far (JSON list); ?since=SEQ for newer ones
  POST /__front__/reset     clears the faults and the record (not the rejections)
  POST /__front__/release   lets every request a "hold" rule is holding go on (answers how many
                            rules it opened); replacing the rules or a reset releases them too
  POST /__front__/initiated body: {"UPLOADID": "2026-11-30T02:00:00.000Z", ...}; in front of moto/RGW, the
                            <Initiated> ListMultipartUploads reports for these uploads (the test
                            sets an upload's age instead of waiting for it)
  POST /__front__/credentials  body: {"KEYID": {"secret": ..., "token": ...} or null, ...}; adds,
                            replaces (a non-null entry) or removes (null) keys the front accepts, e.g.
                            keys STS just issued, or a rotated key (the others stay); answers the key ids
  GET  /__front__/rejections         the requests refused for their signature/authentication/framing
  POST /__front__/rejections/take    the same, and clears them (a test declares what it provoked)
  GET  /__front__/health    {"ok": true, "backend": ..., "backend_url": ..., "backend_pid": ..., "gcs": ...}
fault rule (all fields but "action" optional):
  {"method": "PUT", "path_contains": "docs/", "query_contains": "partNumber=3",
   "skip": 0, "times": 1, "action": "503", "seconds": 5, "bytes": 65536,
   "status": 429, "code": "SlowDown", "message": "...", "date_offset": 3600, "name": "free text"}
  skip  = matching requests to let through first (default 0); times = how many to fault after
          that (default 1, -1 = forever). Rules are tried in order; the first one that fires wins.
  "reset" rules are tried as soon as a request's headers arrive; all others once the request has
  been read and authenticated (a request refused for its signature is never faulted or counted).
  path_contains matches the raw or the percent-decoded path; query_contains the raw query.
  actions: 500 | 503 | slowdown | 403 | status (any "status"/"code") | a bare status number,
           (with "date_offset": SECONDS, the answer's Date header lies that many seconds from the
           front's clock; with "code": "RequestTimeTooSkewed" the body also carries <RequestTime>,
           <ServerTime> (the lying clock) and <MaxAllowedSkewMilliseconds>, like AWS's refusal, and
           the front's skew check adopts that clock until the next POST faults or reset: a client
           that corrects its clock by the answer is then accepted, as by S3)
           reset (read "bytes" of the body (default half, at most 1 MiB), then RST),
           stall (send nothing for "seconds" (default 30), then close),
           delay (wait "seconds", then forward normally), hold (wait until POST /__front__/release,
           at most "seconds" (default 60), then forward normally: the test acts while the
           request is held, e.g. after reading it from the record), complete_error (answer 200 with an
           <Error><Code>InternalError</Code> body without forwarding: the upload stays open), forward_then_reset (forward, then
           RST instead of answering), truncate (forward, relay the headers and "bytes" of the body
           (default half), then RST), corrupt (forward, relay with the body byte at offset "bytes"
           (default the middle) flipped)
"""

MAX_SKEW = dt.timedelta(minutes=15)
MAX_PRESIGN_EXPIRES = 7 * 24 * 3600
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
HEX64 = re.compile(r"^[0-9a-fA-F]{64}$")
SPOOL_IN_MEMORY = 8 * 1024 * 1024  # request bodies above this spill to a temp file
COPY_CHUNK = 256 * 1024
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
              "upgrade", "expect", "trailer", "proxy-authorization", "proxy-authenticate"}
FORBIDDEN_NAMES = {"x-amz-sdk-checksum-algorithm", "x-amz-trailer", "x-amz-decoded-content-length"}

STATUS_ACTIONS = {
    "500": (500, "InternalError", "We encountered an internal error. Please try again."),
    "503": (503, "ServiceUnavailable", "Service is unable to handle request."),
    "slowdown": (503, "SlowDown", "Please reduce your request rate."),
    "403": (403, "AccessDenied", "Access Denied"),
}
DEFAULT_CODES = {400: "InvalidRequest", 403: "AccessDenied", 404: "NoSuchKey", 409: "OperationAborted",
                 429: "SlowDown", 500: "InternalError", 502: "BadGateway",
                 503: "ServiceUnavailable", 504: "GatewayTimeout"}
FORWARDING_ACTIONS = {"delay", "hold", "forward_then_reset", "truncate", "corrupt"}
ALL_ACTIONS = set(STATUS_ACTIONS) | FORWARDING_ACTIONS | {"status", "reset", "stall", "complete_error"}
RULE_KEYS = {"method", "path_contains", "query_contains", "skip", "times", "action", "seconds",
             "bytes", "status", "code", "message", "date_offset", "name"}
DEFAULT_REGION = "us-east-1"
MAX_SKEW_MS = int(MAX_SKEW.total_seconds() * 1000)


def log(msg: str) -> None:
    print(f"s3front: {msg}", file=sys.stderr, flush=True)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def aws_timestamp(when: dt.datetime) -> str:
    """S3's XML timestamps: 2026-11-30T15:02:16.250Z (milliseconds, UTC)."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def as_text(raw: bytes) -> str:
    """Bytes as received → str whose UTF-8 encoding gives the same bytes when they are UTF-8."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def header_text(value: str) -> str:
    """http.server decodes header bytes as latin-1; recover the bytes and read them as UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def strict_encode(raw: bytes) -> str:
    """SigV4 URI-encoding: everything but A-Z a-z 0-9 - _ . ~ as %XX (upper-case hex)."""
    return quote(raw, safe="-_.~")


def split_query(raw_query: bytes) -> list[tuple[bytes, bytes]]:
    """Query as sent → decoded (name, value) byte pairs, in order. '+' stays a literal '+'."""
    pairs = []
    for item in raw_query.split(b"&"):
        if not item:
            continue
        name, _, value = item.partition(b"=")
        pairs.append((unquote_to_bytes(name), unquote_to_bytes(value)))
    return pairs


def canonical_query(pairs: list[tuple[bytes, bytes]], drop: tuple[bytes, ...] = ()) -> str:
    encoded = sorted((strict_encode(n), strict_encode(v)) for n, v in pairs if n not in drop)
    return "&".join(f"{n}={v}" for n, v in encoded)


def s3_error_body(code: str, message: str, extra: list[tuple[str, str]] | None = None) -> bytes:
    def clean(text: str) -> str:  # XML 1.0 cannot carry most control characters
        return xml_escape("".join(c if c in "\n\t" or ord(c) >= 0x20 else "?" for c in str(text)))

    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<Error>',
             f"<Code>{clean(code)}</Code>", f"<Message>{clean(message)}</Message>"]
    for name, value in extra or []:
        parts.append(f"<{name}>{clean(value)}</{name}>")
    parts.append(f"<RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId><HostId>s3front</HostId></Error>")
    return "".join(parts).encode("utf-8")


class Reject(Exception):
    """A request the front answers itself with an S3 error."""

    def __init__(self, status: int, code: str, message: str, extra=None, verdict: str | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.extra = extra or []
        self.verdict = verdict or code


# ---------------------------------------------------------------------------------------------
# Signature verification
# ---------------------------------------------------------------------------------------------

class ReceivedRequestAuth(S3SigV4Auth):
    """botocore's S3 SigV4 signer, fed with the request exactly as it arrived.

    canonical_request(), canonical_headers(), signed_headers(), string_to_sign() and signature()
    are botocore's. Only the inputs are overridden: the canonical URI is the raw path (S3 never
    normalises it), the canonical query is computed from the query as sent, the headers are exactly
    those named in SignedHeaders (botocore would otherwise choose its own set and drop e.g. a
    signed User-Agent), and the payload hash is the one the client declared.
    """

    def __init__(self, credentials, region, service, raw_path, query, signed, payload_hash):
        super().__init__(credentials, service, region)
        self._raw_path, self._query, self._signed, self._payload_hash = raw_path, query, signed, payload_hash

    def _normalize_url_path(self, path):
        return self._raw_path

    def canonical_query_string(self, request):
        return self._query

    def headers_to_sign(self, request):
        return self._signed

    def payload(self, request):
        return self._payload_hash


def parse_auth_header(value: str) -> dict:
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != "AWS4-HMAC-SHA256":
        if algorithm == "AWS":
            raise Reject(400, "InvalidRequest", "SigV2 (AWS key:signature) is not accepted; use AWS4-HMAC-SHA256")
        raise Reject(400, "InvalidArgument", f"Unsupported Authorization Type {algorithm!r}")
    parts = {}
    for component in rest.split(","):
        name, eq, val = component.strip().partition("=")
        if not eq:
            raise Reject(400, "AuthorizationHeaderMalformed", f"malformed component {component.strip()!r}")
        parts[name] = val
    missing = [n for n in ("Credential", "SignedHeaders", "Signature") if n not in parts]
    if missing:
        raise Reject(400, "AuthorizationHeaderMalformed",
                     f"The authorization header is malformed; missing {', '.join(missing)}.")
    return parts


class Verifier:
    def __init__(self, credentials: dict, region: str | None):
        self.credentials = credentials  # key id -> {"secret": ..., "token": ...}
        self.region = region
        # Seconds the front's clock is off, as a RequestTimeTooSkewed fault last told a client.
        self.clock_offset = 0.0

    def verify(self, method, raw_path: bytes, raw_query: bytes, headers, body_sha256: str, info: dict):
        """Raises Reject unless the request is correctly signed. Fills info (auth, signed_headers)."""
        auth_header = headers.get("Authorization")
        pairs = split_query(raw_query)
        query = {}
        for n, v in pairs:
            query.setdefault(n.decode("latin-1"), as_text(v))
        presigned = "X-Amz-Algorithm" in query
        if auth_header is not None and (presigned or "X-Amz-Signature" in query):
            raise Reject(400, "InvalidArgument", "Only one auth mechanism allowed; "
                         "the X-Amz-Algorithm query parameter or the Authorization header")
        if auth_header is None and not presigned:
            info["auth"] = "none"
            raise Reject(403, "AccessDenied", "Access Denied (anonymous requests are not accepted)")

        if presigned:
            info["auth"] = "query"
            if query["X-Amz-Algorithm"] != "AWS4-HMAC-SHA256":
                raise Reject(400, "AuthorizationQueryParametersError",
                             'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"')
            needed = ["X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Signature"]
            if any(n not in query for n in needed):
                raise Reject(400, "AuthorizationQueryParametersError",
                             "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
                             "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
            credential, signed_list = query["X-Amz-Credential"], query["X-Amz-SignedHeaders"]
            provided, timestamp = query["X-Amz-Signature"], query["X-Amz-Date"]
            token = query.get("X-Amz-Security-Token")
            payload_hash = query.get("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
            canonical_q = canonical_query(pairs, drop=(b"X-Amz-Signature",))
        else:
            info["auth"] = "header"
            parts = parse_auth_header(auth_header)
            credential, signed_list, provided = parts["Credential"], parts["SignedHeaders"], parts["Signature"]
            timestamp = headers.get("X-Amz-Date")
            if timestamp is None and headers.get("Date"):
                try:
                    timestamp = email.utils.parsedate_to_datetime(headers["Date"]).astimezone(
                        dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
                except (TypeError, ValueError):
                    timestamp = None
            if timestamp is None:
                raise Reject(403, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
            token = headers.get("X-Amz-Security-Token")
            payload_hash = headers.get("X-Amz-Content-SHA256")
            if payload_hash is None:
                raise Reject(400, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
            payload_hash = payload_hash.strip()
            canonical_q = canonical_query(pairs)

        scope = credential.split("/")
        if len(scope) != 5:
            raise Reject(400, "AuthorizationHeaderMalformed", f"malformed Credential {credential!r}")
        key_id, scope_date, region, service, terminator = scope
        info["access_key"], info["region"] = key_id, region
        signed_names = [n for n in signed_list.split(";")]
        info["signed_headers"] = signed_names

        try:
            when = dt.datetime.strptime(timestamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.timezone.utc)
        except ValueError:
            raise Reject(403, "AccessDenied", f"X-Amz-Date must be in the ISO8601 Long Format, got {timestamp!r}")
        if terminator != "aws4_request" or service != "s3" or scope_date != timestamp[:8]:
            raise Reject(400, "AuthorizationHeaderMalformed",
                         f"bad credential scope {'/'.join(scope[1:])!r} for date {timestamp!r}")
        if self.region is not None and region != self.region:
            raise Reject(400, "AuthorizationHeaderMalformed",
                         f"The authorization header is malformed; the region '{region}' is wrong; "
                         f"expecting '{self.region}'", [("Region", self.region)])
        current = now_utc() + dt.timedelta(seconds=self.clock_offset)
        if presigned:
            try:
                expires = int(query["X-Amz-Expires"])
            except ValueError:
                raise Reject(400, "AuthorizationQueryParametersError", "X-Amz-Expires should be a number")
            if not 0 <= expires <= MAX_PRESIGN_EXPIRES:
                raise Reject(400, "AuthorizationQueryParametersError", "X-Amz-Expires must be between 0 and 604800")
            if current > when + dt.timedelta(seconds=expires) or when - current > MAX_SKEW:
                raise Reject(403, "AccessDenied", "Request has expired")
        elif abs(current - when) > MAX_SKEW:
            raise Reject(403, "RequestTimeTooSkewed",
                         "The difference between the request time and the current time is too large.",
                         [("RequestTime", timestamp), ("ServerTime", current.strftime("%Y-%m-%dT%H:%M:%SZ")),
                          ("MaxAllowedSkewMilliseconds", str(MAX_SKEW_MS))])

        account = self.credentials.get(key_id)
        if account is None:
            raise Reject(403, "InvalidAccessKeyId",
                         "The AWS Access Key Id you provided does not exist in our records.",
                         [("AWSAccessKeyId", key_id)])
        expected_token = account.get("token")
        if token is not None:
            token = header_text(token) if not presigned else token
        if expected_token is not None and token is None:
            raise Reject(400, "InvalidToken",
                         "This key needs a session token (x-amz-security-token) and none was sent.")
        if token is not None and not hmac.compare_digest(token.encode(), (expected_token or "").encode()):
            raise Reject(400, "InvalidToken", "The provided token is malformed or otherwise invalid.")

        names_lower = [n.lower() for n in signed_names]
        if "host" not in names_lower:
            raise Reject(400, "AuthorizationHeaderMalformed", "SignedHeaders must include host")
        unsigned_amz = sorted({n.lower() for n in headers.keys()
                               if n.lower().startswith("x-amz-") and n.lower() not in names_lower})
        if unsigned_amz:
            raise Reject(403, "AccessDenied", "There were headers present in the request which were not signed",
                         [("HeadersNotSigned", ", ".join(unsigned_amz))])

        signed = HTTPHeaders()
        for name in signed_names:
            values = headers.get_all(name) or [""]
            for value in values:
                signed[name] = header_text(value)
        raw_path_text = as_text(raw_path)
        auth = ReceivedRequestAuth(Credentials(key_id, account["secret"]), region, service,
                                   raw_path_text, canonical_q, signed, payload_hash)
        request = AWSRequest(method=method, url="http://s3front.invalid/", headers={})
        request.context["timestamp"] = timestamp
        canonical_request = auth.canonical_request(request)
        string_to_sign = auth.string_to_sign(request, canonical_request)
        expected = auth.signature(string_to_sign, request)
        if not hmac.compare_digest(expected.encode(), provided.strip().encode()):
            if token:  # the echo is for debugging signers; it must not trip a test's secret grep
                canonical_request = canonical_request.replace(token, "<redacted>")
            log(f"SignatureDoesNotMatch for {method} {raw_path_text}\n"
                f"--- expected canonical request ---\n{canonical_request}\n"
                f"--- string to sign ---\n{string_to_sign}\n--- provided signature {provided} ---")
            raise Reject(403, "SignatureDoesNotMatch",
                         "The request signature we calculated does not match the signature you provided. "
                         "Check your key and signing method.",
                         [("AWSAccessKeyId", key_id), ("StringToSign", string_to_sign),
                          ("SignatureProvided", provided), ("CanonicalRequest", canonical_request)])
        if not presigned:
            check_payload_hash(payload_hash, body_sha256)


def check_payload_hash(declared: str, actual: str) -> None:
    if declared == "UNSIGNED-PAYLOAD" or declared.upper().startswith("STREAMING-"):
        return  # STREAMING-* is recorded as a violation; chunk signatures are not checked here
    if not HEX64.match(declared):
        raise Reject(400, "InvalidArgument",
                     "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-..., or a valid sha256 value.",
                     [("ArgumentName", "x-amz-content-sha256"), ("ArgumentValue", declared)])
    if declared.lower() != actual:
        raise Reject(400, "XAmzContentSHA256Mismatch",
                     "The provided 'x-amz-content-sha256' header does not match what was computed.",
                     [("ClientComputedContentSHA256", declared), ("S3ComputedContentSHA256", actual)])


# ---------------------------------------------------------------------------------------------
# Policy checks, redaction, faults, record
# ---------------------------------------------------------------------------------------------

def forbidden_headers(headers) -> list[str]:
    """The headers erp-backup must never send (SPEC §4), as they appear in this request."""
    found = []
    for name, value in headers.items():
        lname = name.lower()
        if lname.startswith("x-amz-checksum-") or lname in FORBIDDEN_NAMES:
            found.append(lname)
        elif lname == "content-encoding" and "aws-chunked" in value.lower():
            found.append(f"content-encoding: {value.strip()}")
        elif lname == "x-amz-content-sha256" and value.strip().upper().startswith("STREAMING-"):
            found.append(f"x-amz-content-sha256: {value.strip()}")
    return found


def redact_header(name: str, value: str) -> str:
    lname = name.lower()
    if lname == "authorization":
        return re.sub(r"Signature=[0-9A-Za-z]*", "Signature=<redacted>", value)
    if lname in ("x-amz-security-token", "proxy-authorization", "cookie"):
        return "<redacted>"
    return value


def redact_target(target: str) -> str:
    return re.sub(r"((?:^|[?&])X-Amz-(?:Signature|Security-Token)=)[^&]*", r"\1<redacted>", target,
                  flags=re.IGNORECASE)


class FaultRule:
    def __init__(self, index: int, spec: dict):
        if not isinstance(spec, dict):
            raise ValueError(f"rule {index}: must be a JSON object")
        unknown = set(spec) - RULE_KEYS
        if unknown:
            raise ValueError(f"rule {index}: unknown field(s) {sorted(unknown)}; known: {sorted(RULE_KEYS)}")
        if "action" not in spec:
            raise ValueError(f"rule {index}: missing \"action\"")
        action = str(spec["action"]).lower()
        if action not in ALL_ACTIONS and not re.fullmatch(r"[1-5][0-9][0-9]", action):
            raise ValueError(f"rule {index}: unknown action {spec['action']!r}; known: {sorted(ALL_ACTIONS)} "
                             "or a status number")
        if action == "status" and "status" not in spec:
            raise ValueError(f"rule {index}: action \"status\" needs a \"status\" field")
        self.index, self.spec, self.action = index, spec, action
        self.method = spec.get("method")
        self.path_contains = spec.get("path_contains")
        self.query_contains = spec.get("query_contains")
        self.skip_left = int(spec.get("skip", 0))
        self.times_left = int(spec.get("times", 1))
        self.seconds = float(spec.get("seconds", {"stall": 30, "hold": 60}.get(action, 1)))
        self.released = threading.Event()  # "hold": set by POST /__front__/release
        self.bytes = spec.get("bytes")
        try:
            self.date_offset = float(spec.get("date_offset", 0))
        except (TypeError, ValueError):
            raise ValueError(f"rule {index}: \"date_offset\" must be a number of seconds")
        if self.date_offset and (action in FORWARDING_ACTIONS or action in ("reset", "stall", "complete_error")):
            raise ValueError(f"rule {index}: \"date_offset\" applies to status answers only")
        self.fired = 0
        self.matched = 0

    @property
    def pre_body(self) -> bool:
        return self.action == "reset"

    def matches(self, method: str, raw_path: bytes, raw_query: bytes) -> bool:
        if self.method and self.method.upper() != method.upper():
            return False
        if self.path_contains is not None:
            raw = raw_path.decode("latin-1")
            if self.path_contains not in raw and self.path_contains not in as_text(unquote_to_bytes(raw_path)):
                return False
        if self.query_contains is not None and self.query_contains not in raw_query.decode("latin-1"):
            return False
        return True

    def status_reply(self) -> tuple[int, str, str]:
        if self.action in STATUS_ACTIONS:
            status, code, message = STATUS_ACTIONS[self.action]
        else:
            status = int(self.spec.get("status", self.action if self.action.isdigit() else 500))
            code, message = DEFAULT_CODES.get(status, "InjectedFault"), "fault injected by s3front"
        return status, self.spec.get("code", code), self.spec.get("message", message)

    def describe(self) -> dict:
        return dict(self.spec, index=self.index, skip_left=self.skip_left, times_left=self.times_left,
                    matched=self.matched, fired=self.fired)


class State:
    def __init__(self, verifier: Verifier, gcs: bool, record_path: str | None, backend: str, backend_url: str):
        self.verifier, self.gcs = verifier, gcs
        self.backend, self.backend_url = backend, backend_url
        self.lock = threading.Lock()
        self.rules: list[FaultRule] = []
        self.records: list[dict] = []
        self.seq = 0
        self.stop = threading.Event()
        self.record_file = open(record_path, "a", encoding="utf-8") if record_path else None
        self.verbose = False
        self.backend_pid = None
        # Requests refused for their authentication or framing; kept apart from the record and
        # not cleared by reset(), so a test's reset cannot hide one: only take_rejections() does.
        self.rejections: list[dict] = []
        # upload id -> when its CreateMultipartUpload passed through (moto reports a fixed date)
        self.initiated: dict[str, str] = {}
        # raw path -> lock held while a write to that key is checked and forwarded
        self.key_locks: dict[bytes, threading.Lock] = {}

    def key_lock(self, raw_path: bytes) -> threading.Lock:
        with self.lock:
            return self.key_locks.setdefault(raw_path, threading.Lock())

    def set_rules(self, specs) -> int:
        if not isinstance(specs, list):
            raise ValueError("the fault list must be a JSON list of rules")
        rules = [FaultRule(i, s) for i, s in enumerate(specs)]
        with self.lock:
            old, self.rules = self.rules, rules
            self.verifier.clock_offset = 0.0
        for rule in old:  # a replaced "hold" rule holds nothing any more
            rule.released.set()
        return len(rules)

    def release(self) -> int:
        with self.lock:
            rules = list(self.rules)
        for rule in rules:
            rule.released.set()
        return len(rules)

    def reset(self) -> None:
        with self.lock:
            old, self.rules, self.records = self.rules, [], []
            self.verifier.clock_offset = 0.0
        for rule in old:
            rule.released.set()

    def add_rejection(self, record: dict, rej: "Reject") -> None:
        with self.lock:
            self.rejections.append({"seq": record["seq"], "time": record["time"], "method": record["method"],
                                    "target": record["target"], "status": rej.status, "code": rej.code,
                                    "message": rej.message, "access_key": record.get("access_key"),
                                    "region": record.get("region")})

    def rejections_json(self, take: bool) -> bytes:
        with self.lock:
            found = list(self.rejections)
            if take:
                self.rejections = []
        return json.dumps(found, ensure_ascii=False).encode("utf-8")

    def take_fault(self, method, raw_path, raw_query, pre_body: bool) -> FaultRule | None:
        """The first rule that fires for this request; consumes skip/times counters."""
        with self.lock:
            for rule in self.rules:
                if rule.pre_body != pre_body or not rule.matches(method, raw_path, raw_query):
                    continue
                rule.matched += 1
                if rule.skip_left > 0:
                    rule.skip_left -= 1
                    continue
                if rule.times_left == 0:
                    continue
                if rule.times_left > 0:
                    rule.times_left -= 1
                rule.fired += 1
                return rule
        return None

    def new_record(self, record: dict) -> dict:
        with self.lock:
            self.seq += 1
            record = {"seq": self.seq, **record}
            self.records.append(record)
        return record

    def write_record(self, record: dict) -> None:
        if self.verbose:
            log(f"{record['method']} {record['target']} -> {record.get('status')} {record.get('verdict')}")
        if self.record_file is not None:
            line = json.dumps(record, ensure_ascii=False)
            with self.lock:
                self.record_file.write(line + "\n")
                self.record_file.flush()

    def snapshot(self, since: int = 0) -> bytes:
        with self.lock:
            return json.dumps([r for r in self.records if r["seq"] > since], ensure_ascii=False).encode("utf-8")


# ---------------------------------------------------------------------------------------------
# The proxy
# ---------------------------------------------------------------------------------------------

class ClientGone(Exception):
    """The client closed its connection (or the front did, on purpose)."""


class FrontHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "s3front"
    timeout = 300  # idle keep-alive connections and stalled uploads are dropped after this

    # -- plumbing --------------------------------------------------------------------------
    @property
    def state(self) -> State:
        return self.server.state

    def log_message(self, fmt, *args):  # the record is the log; keep stderr for what matters
        pass

    def setup(self):
        super().setup()
        self.backend_conn = None

    def finish(self):
        try:
            super().finish()
        finally:
            if self.backend_conn is not None:
                self.backend_conn.close()

    def handle(self):
        # Over TLS the handshake is done here, on this connection's thread, so a slow or refusing
        # client cannot hold up accept(). A client that rejects the certificate ends here.
        if isinstance(self.connection, ssl.SSLSocket):
            try:
                self.connection.do_handshake()
            except (ssl.SSLError, OSError) as exc:
                log(f"TLS handshake with {self.client_address[0]}:{self.client_address[1]} failed: {exc}")
                self.close_connection = True
                return
        super().handle()

    def do_GET(self):
        self.handle_request()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = do_GET

    def end_headers(self):
        # GCS's front end stamps every XML API answer with an x-guploader-uploadid header, the
        # sign by which a client (erp-backup doctor) tells it is talking to GCS.
        if self.state.gcs:
            self.send_header("x-guploader-uploadid", "ABgVH8" + uuid.uuid4().hex)
        super().end_headers()

    def send_plain(self, status: int, body: bytes, content_type="application/xml", extra_headers=(),
                   date: dt.datetime | None = None):
        self.send_response_only(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Date", email.utils.format_datetime(date or now_utc(), usegmt=True))
        self.send_header("Server", "s3front")
        for name, value in extra_headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def send_s3_error(self, status: int, code: str, message: str, extra=None, date: dt.datetime | None = None):
        self.send_plain(status, s3_error_body(code, message, extra),
                        extra_headers=[("x-amz-request-id", uuid.uuid4().hex[:16].upper())], date=date)

    def abort_connection(self):
        """Close the client socket with SO_LINGER 0: the peer sees a connection reset."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.rfile.close()  # the makefile() reference keeps the fd open otherwise
            self.connection.close()
        except OSError:
            pass

    # -- control API ---------------------------------------------------------------------------
    def handle_control(self, raw_target: str):
        path, _, query = raw_target.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        state = self.state
        try:
            if path == "/__front__/faults" and self.command == "POST":
                count = state.set_rules(json.loads(body or b"[]"))
                return self.send_json(200, {"ok": True, "rules": count})
            if path == "/__front__/faults" and self.command == "GET":
                with state.lock:
                    rules = [r.describe() for r in state.rules]
                return self.send_json(200, rules)
            if path == "/__front__/requests" and self.command == "GET":
                since = int(dict(p.partition("=")[::2] for p in query.split("&") if p).get("since", 0))
                return self.send_plain(200, state.snapshot(since), "application/json")
            if path == "/__front__/rejections" and self.command == "GET":
                return self.send_plain(200, state.rejections_json(take=False), "application/json")
            if path == "/__front__/rejections/take" and self.command == "POST":
                return self.send_plain(200, state.rejections_json(take=True), "application/json")
            if path == "/__front__/credentials" and self.command == "POST":
                changes = json.loads(body or b"{}")
                if not isinstance(changes, dict):
                    raise ValueError("expected a JSON object {\"KEYID\": {\"secret\": ...} or null}")
                accounts = dict(state.verifier.credentials)
                for key_id, account in changes.items():
                    if account is None:
                        accounts.pop(key_id, None)
                    elif isinstance(account, dict) and isinstance(account.get("secret"), str):
                        accounts[key_id] = {"secret": account["secret"], "token": account.get("token")}
                    else:
                        raise ValueError(f"{key_id}: expected {{\"secret\": ..., \"token\": ...}} or null")
                state.verifier.credentials = accounts  # one assignment: a request sees old or new
                return self.send_json(200, {"ok": True, "keys": sorted(accounts)})
            if path == "/__front__/reset" and self.command == "POST":
                state.reset()
                return self.send_json(200, {"ok": True})
            if path == "/__front__/release" and self.command == "POST":
                return self.send_json(200, {"ok": True, "rules": state.release()})
            if path == "/__front__/initiated" and self.command == "POST":
                times = json.loads(body or b"{}")
                if not isinstance(times, dict) or not all(
                        isinstance(v, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", v)
                        for v in times.values()):
                    raise ValueError('expected {"UPLOADID": "YYYY-MM-DDTHH:MM:SS.mmmZ", ...}')
                with state.lock:
                    state.initiated.update(times)
                return self.send_json(200, {"ok": True, "uploads": len(times)})
            if path == "/__front__/health":
                return self.send_json(200, {"ok": True, "backend": state.backend, "backend_url": state.backend_url,
                                            "backend_pid": state.backend_pid, "gcs": state.gcs})
            return self.send_json(404, {"error": f"no control endpoint {self.command} {path}",
                                        "help": CONTROL_API_DOC})
        except (ValueError, TypeError) as exc:
            return self.send_json(400, {"error": str(exc), "help": CONTROL_API_DOC})

    def send_json(self, status: int, value) -> None:
        self.send_plain(status, json.dumps(value).encode(), "application/json")

    # -- S3 requests -------------------------------------------------------------------------------
    def handle_request(self):
        # The raw target, as sent: http.server's self.path has already been altered ('//' collapsed).
        raw_target = self.requestline.split()[1]
        if raw_target.startswith("/__front__/"):
            return self.handle_control(raw_target)
        state = self.state
        target_bytes = raw_target.encode("latin-1")
        raw_path, _, raw_query = target_bytes.partition(b"?")

        headers_list = [[n, redact_header(n, header_text(v))] for n, v in self.headers.items()]  # as received
        if state.gcs:  # Google's front end rewrites these before the signature is checked
            for name, suffix in (("Accept-Encoding", ",gzip(gfe)"), ("User-Agent", ",gzip(gfe)")):
                if name in self.headers:
                    self.headers.replace_header(name, self.headers[name] + suffix)

        violations = forbidden_headers(self.headers)
        notes = []
        if strict_encode(unquote_to_bytes(raw_path)).replace("%2F", "/") != raw_path.decode("latin-1"):
            notes.append("path-not-canonically-encoded")
        if any(b >= 0x80 for b in target_bytes):
            notes.append("non-ascii-bytes-in-target")
        self.record_committed = False
        record = state.new_record({
            "time": now_utc().strftime("%Y-%m-%dT%H:%M:%S.%fZ"), "method": self.command,
            "target": redact_target(as_text(target_bytes)), "headers": headers_list, "body_length": 0,
            "verdict": None, "status": None, "violations": violations, "notes": notes, "auth": None,
            "signed_headers": None, "access_key": None, "region": None, "fault": None, "backend_status": None,
            "error_message": None, "existed_before": None})  # every key exists from the start: snapshots run while it is filled in
        try:
            self.process(record, raw_path, raw_query)
        except ClientGone:
            record["verdict"] = record["verdict"] or "client-disconnected"
            self.close_connection = True
        except (ConnectionError, socket.timeout) as exc:
            record["verdict"] = record["verdict"] or f"client-error: {exc.__class__.__name__}"
            self.close_connection = True
        finally:
            self.commit_record(record)

    def commit_record(self, record: dict) -> None:
        """Write the record once, before the client can see the outcome (so a test that reads the
        record file right after its request finds the line)."""
        if not self.record_committed:
            self.record_committed = True
            self.state.write_record(record)

    def process(self, record: dict, raw_path: bytes, raw_query: bytes):
        state, method, headers = self.state, self.command, self.headers
        signed_names = self.signed_header_names()
        for name in ("accept-encoding", "user-agent"):
            if name in signed_names:
                record["notes"].append(f"signed-{name}")
        if "Content-MD5" in headers:
            record["notes"].append("content-md5")

        if "Transfer-Encoding" in headers:
            self.close_connection = True  # the body cannot be skipped reliably
            return self.reject(record, Reject(411, "MissingContentLength",
                                              "You must provide the Content-Length HTTP header."), refused=True)
        try:
            length = int(headers.get("Content-Length") or 0)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            return self.reject(record, Reject(400, "InvalidArgument", "bad Content-Length"), refused=True)
        record["body_length"] = length

        rule = state.take_fault(method, raw_path, raw_query, pre_body=True)
        if rule is not None:  # reset: read some of the body, then RST
            record["fault"], record["verdict"] = rule.describe(), "fault:reset"
            want = min(length, int(rule.bytes if rule.bytes is not None else min(length // 2, 1 << 20)))
            self.read_exact(want, sink=None)
            self.commit_record(record)
            return self.abort_connection()

        body, body_sha256 = self.read_body(length)
        try:
            try:
                state.verifier.verify(method, raw_path, raw_query, headers, body_sha256, record)
            except Reject as rej:
                return self.reject(record, rej, refused=True)
            try:
                if state.gcs:  # the service's own refusals, not the signature's
                    self.gcs_policy(method, raw_query, record)
            except Reject as rej:
                return self.reject(record, rej)

            rule = state.take_fault(method, raw_path, raw_query, pre_body=False)
            if rule is not None and rule.action not in FORWARDING_ACTIONS:
                # Answered here, never reaching the backend: nothing to lock or to record.
                record["fault"], record["verdict"] = rule.describe(), f"fault:{rule.action}"
                return self.apply_fault(rule, record, body)
            with self.object_write(record, method, raw_path, raw_query):
                try:
                    if state.gcs:
                        self.gcs_precondition(record)
                except Reject as rej:
                    return self.reject(record, rej)
                if rule is not None:
                    record["fault"], record["verdict"] = rule.describe(), f"fault:{rule.action}"
                    return self.apply_fault(rule, record, body)
                record["verdict"] = "ok"
                self.forward(record, body, rewrite=self.initiated_rewrite(method, raw_query))
        finally:
            body.close()

    # -- did this write replace an object? ---------------------------------------------------------
    @contextlib.contextmanager
    def object_write(self, record: dict, method: str, raw_path: bytes, raw_query: bytes):
        """For PutObject and CompleteMultipartUpload: holds the key's lock while the request is
        forwarded (or faulted) and records in record["existed_before"] whether the backend had
        the key just before. Anything else passes through untouched."""
        names = {n for n, _ in split_query(raw_query)}
        is_write = ((method == "PUT" and b"partNumber" not in names and b"uploadId" not in names)
                    or (method == "POST" and b"uploadId" in names))
        if not is_write or raw_path.strip(b"/").count(b"/") < 1:  # bucket-level PUTs are not writes
            yield
            return
        with self.state.key_lock(raw_path):
            record["existed_before"] = self.backend_has(raw_path)
            yield

    def backend_has(self, raw_path: bytes) -> bool | None:
        """Whether the backend has the object at raw_path (a HEAD on a connection of its own,
        signed with one of the front's keys by the same botocore signer the verifier uses: moto
        refuses anonymous reads of private objects, and RGW checks the signature); None when its
        answer is neither 200 nor 404."""
        host, port = self.server.backend_addr
        key_id, account = next(iter(sorted(self.state.verifier.credentials.items())))
        region = self.state.verifier.region or DEFAULT_REGION
        stamp = now_utc().strftime("%Y%m%dT%H%M%SZ")
        headers = {"Host": f"{host}:{port}", "X-Amz-Date": stamp, "X-Amz-Content-SHA256": EMPTY_SHA256}
        if account.get("token"):
            headers["X-Amz-Security-Token"] = account["token"]
        signed = HTTPHeaders()
        for name, value in headers.items():
            signed[name.lower()] = value  # as the verifier has them: the names in SignedHeaders
        auth = ReceivedRequestAuth(Credentials(key_id, account["secret"]), region, "s3",
                                   as_text(raw_path), "", signed, EMPTY_SHA256)
        request = AWSRequest(method="HEAD", url="http://s3front.invalid/", headers={})
        request.context["timestamp"] = stamp
        signature = auth.signature(auth.string_to_sign(request, auth.canonical_request(request)), request)
        headers["Authorization"] = (f"AWS4-HMAC-SHA256 Credential={key_id}/{stamp[:8]}/{region}/s3/aws4_request, "
                                    f"SignedHeaders={auth.signed_headers(signed)}, Signature={signature}")
        conn = http.client.HTTPConnection(host, port, timeout=60)
        try:
            conn.request("HEAD", raw_path.decode("latin-1"), headers=headers)
            status = conn.getresponse().status
        except (ConnectionError, http.client.HTTPException, OSError) as exc:
            log(f"HEAD {raw_path!r} at the backend failed: {exc!r}")
            return None
        finally:
            conn.close()
        if status not in (200, 404):
            log(f"HEAD {raw_path!r} at the backend answered {status}: existed_before stays unknown")
        return {200: True, 404: False}.get(status)

    def gcs_precondition(self, record: dict):
        """GCS's conditional write: generation 0 means "only if there is no live object"."""
        if self.headers.get("x-goog-if-generation-match", "").strip() == "0" and record["existed_before"]:
            raise Reject(412, "PreconditionFailed",
                         "At least one of the pre-conditions you specified did not hold.",
                         [("Details", "x-goog-if-generation-match: 0")])

    def signed_header_names(self) -> set[str]:
        auth = self.headers.get("Authorization", "")
        m = re.search(r"SignedHeaders=([^,\s]*)", auth)
        if m:
            return {n.lower() for n in m.group(1).split(";")}
        m = re.search(r"[?&]X-Amz-SignedHeaders=([^&]*)", self.requestline)
        return {n.lower() for n in unquote_to_bytes(m.group(1)).decode("latin-1").split(";")} if m else set()

    def gcs_policy(self, method: str, raw_query: bytes, record: dict):
        names = {n for n, _ in split_query(raw_query)}
        if method == "POST" and b"delete" in names:
            raise Reject(501, "NotImplemented",
                         "A header or query you provided requested a function that is not implemented.",
                         [("Details", "POST ?delete is not implemented.")])
        # Object Lock and versions in GCS's own spelling only (docs/s3-stores.md, "Object Lock").
        amz_lock = sorted(n.lower() for n in self.headers.keys() if n.lower().startswith("x-amz-object-lock-"))
        if amz_lock:
            raise Reject(400, "InvalidArgument", "Invalid argument.",
                         [("Details", f"not supported by this service: {', '.join(amz_lock)} "
                                      "(GCS spells them x-goog-object-lock-mode / -retain-until-date)")])
        if b"versionId" in names:
            raise Reject(400, "InvalidArgument", "Invalid argument.",
                         [("Details", "versionId is not supported by this service: "
                                      "a version is addressed by its generation (?generation=)")])
        if record["violations"]:
            raise Reject(400, "InvalidArgument", "Invalid argument.",
                         [("Details", f"not supported by this service: {', '.join(record['violations'])}")])

    def reject(self, record: dict, rej: Reject, refused: bool = False):
        """Answer with rej. refused: the request itself was refused (signature, authentication,
        framing), which goes to the rejections list as well as the record."""
        record["verdict"], record["status"] = rej.verdict, rej.status
        record["error_message"] = rej.message
        if refused:
            self.state.add_rejection(record, rej)
        self.commit_record(record)
        self.send_s3_error(rej.status, rej.code, rej.message, rej.extra)

    def read_exact(self, length: int, sink) -> None:
        left = length
        while left > 0:
            chunk = self.rfile.read(min(COPY_CHUNK, left))
            if not chunk:
                raise ClientGone()
            if sink is not None:
                sink(chunk)
            left -= len(chunk)

    def read_body(self, length: int):
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
        digest = hashlib.sha256()

        def sink(chunk):
            digest.update(chunk)
            spool.write(chunk)

        try:
            self.read_exact(length, sink)
        except BaseException:
            spool.close()
            raise
        spool.seek(0)
        return spool, digest.hexdigest()

    # -- faults ---------------------------------------------------------------------------------
    def apply_fault(self, rule: FaultRule, record: dict, body):
        action = rule.action
        if action == "stall":
            self.commit_record(record)
            self.state.stop.wait(rule.seconds)  # the wait is the fault itself
            self.close_connection = True
            return
        if action == "delay":
            self.state.stop.wait(rule.seconds)
            return self.forward(record, body)
        if action == "hold":
            self.commit_record(record)  # the test finds the held request in the record
            if not rule.released.wait(rule.seconds):
                log(f"hold: {record['method']} {record['target']} not released within {rule.seconds:.0f}s")
            return self.forward(record, body)
        if action == "complete_error":
            # Like S3 reporting a late failure: 200 with <Error>, and the upload is NOT completed
            # (not forwarded), so a correct client retries the complete and succeeds.
            record["status"] = 200
            self.commit_record(record)
            return self.send_s3_error(200, "InternalError", "We encountered an internal error. Please try again.")
        if action == "forward_then_reset":
            try:
                status, _, _ = self.backend_exchange(record, body, consume=True)
            except Reject as rej:
                return self.reject(record, rej)
            record["backend_status"] = status
            self.commit_record(record)
            return self.abort_connection()
        if action in ("truncate", "corrupt"):
            return self.forward(record, body, mangle=rule)
        status, code, message = rule.status_reply()
        record["status"] = status
        self.commit_record(record)
        # The server's clock, as this answer tells it: a test can make it lie (date_offset).
        server_time = now_utc() + dt.timedelta(seconds=rule.date_offset)
        extra = []
        if code == "RequestTimeTooSkewed":  # AWS's body for it, so a client can show the offset
            if rule.date_offset:  # the front now keeps the time it told: a corrected client passes
                self.state.verifier.clock_offset = rule.date_offset
            extra = [("RequestTime", self.headers.get("X-Amz-Date") or self.headers.get("Date") or ""),
                     ("ServerTime", server_time.strftime("%Y-%m-%dT%H:%M:%SZ")),
                     ("MaxAllowedSkewMilliseconds", str(MAX_SKEW_MS))]
        self.send_s3_error(status, code, message, extra, date=server_time)

    # -- forwarding --------------------------------------------------------------------------------
    def backend_shape(self) -> tuple[str, list[tuple[str, str]]]:
        """The target and headers sent to the backend: as received, except in GCS mode in front of
        moto (which checks no signature), where GCS's spelling of versions and locks is translated
        to S3's so that moto does what GCS would: ?generation= becomes ?versionId=,
        x-goog-object-lock-* becomes x-amz-object-lock-*."""
        raw_target = self.requestline.split()[1]
        headers = [(n, v) for n, v in self.headers.items() if n.lower() not in HOP_BY_HOP]
        if not (self.state.gcs and self.state.backend == "moto"):
            return raw_target, headers
        path, sep, query = raw_target.partition("?")
        query = "&".join("versionId" + item[len("generation"):] if item.split("=", 1)[0] == "generation" else item
                         for item in query.split("&"))
        headers = [("x-amz-" + n[len("x-goog-"):] if n.lower().startswith("x-goog-object-lock-") else n, v)
                   for n, v in headers]
        return path + sep + query, headers

    def backend_exchange(self, record: dict, body, consume: bool):
        """Send the request to the backend; returns (status, reason, response) or raises Reject."""
        raw_target, headers = self.backend_shape()
        for attempt in (1, 2):
            if self.backend_conn is None:
                host, port = self.server.backend_addr
                self.backend_conn = http.client.HTTPConnection(host, port, timeout=300)
            conn = self.backend_conn
            try:
                conn.putrequest(self.command, raw_target, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    conn.putheader(name, value)
                conn.endheaders()
                body.seek(0)
                while chunk := body.read(COPY_CHUNK):
                    conn.send(chunk)
                response = conn.getresponse()
                break
            except (ConnectionError, http.client.HTTPException, OSError) as exc:
                conn.close()
                self.backend_conn = None
                if attempt == 2:  # a stale keep-alive connection gets one fresh retry
                    log(f"backend error for {self.command} {raw_target}: {exc!r}")
                    raise Reject(502, "BadGateway", f"the backend failed: {exc!r}", verdict="backend-error")
        if consume:
            response.read()
            if response.will_close:
                self.backend_conn.close()
                self.backend_conn = None
        return response.status, response.reason, response

    def initiated_rewrite(self, method: str, raw_query: bytes):
        """In front of moto (or RGW): a function that notes (moto) or fixes multipart upload times
        (see the module doc), or None. Everything else is relayed untouched."""
        if self.state.backend not in ("moto", "rgw"):
            return None
        names = {n for n, _ in split_query(raw_query)}
        if b"uploads" not in names:
            return None
        state = self.state
        if method == "POST" and state.backend == "moto":  # CreateMultipartUpload: note when, under the id
            started = now_utc()

            def note(body: bytes) -> bytes:
                m = re.search(rb"<UploadId>([^<]+)</UploadId>", body)
                if m:
                    with state.lock:
                        state.initiated[m.group(1).decode()] = aws_timestamp(started)
                return body
            return note
        if method == "GET":  # ListMultipartUploads: the noted times instead of moto's fixed one
            def fix(body: bytes) -> bytes:
                def one(m):
                    upload = m.group(0)
                    uid = re.search(rb"<UploadId>([^<]+)</UploadId>", upload)
                    with state.lock:
                        when = state.initiated.get(uid.group(1).decode()) if uid else None
                    if when is None:
                        return upload
                    return re.sub(rb"<Initiated>[^<]*</Initiated>",
                                  b"<Initiated>" + when.encode() + b"</Initiated>", upload)
                return re.sub(rb"<Upload>.*?</Upload>", one, body, flags=re.DOTALL)
            return fix
        return None

    def forward(self, record: dict, body, mangle: FaultRule | None = None, rewrite=None):
        try:
            status, reason, response = self.backend_exchange(record, body, consume=False)
        except Reject as rej:
            return self.reject(record, rej)
        record["backend_status"] = record["status"] = status
        self.commit_record(record)
        try:
            if rewrite is not None and status == 200 and self.command != "HEAD":
                return self.relay_rewritten(response, status, reason, rewrite)
            self.relay(response, status, reason, mangle)
        finally:
            if response.will_close or not response.isclosed():
                self.backend_conn.close()
                self.backend_conn = None

    def relay_rewritten(self, response, status: int, reason: str, rewrite) -> None:
        """Relay a small answer whole, after rewrite(body) (Content-Length set to the new size)."""
        try:
            body = rewrite(response.read())
        except (ConnectionError, http.client.HTTPException) as exc:
            raise ClientGone() from exc
        self.send_response_only(status, reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        try:
            self.wfile.write(body)
        except (ConnectionError, socket.timeout) as exc:
            raise ClientGone() from exc

    def relay(self, response, status: int, reason: str, mangle: FaultRule | None):
        no_body = self.command == "HEAD" or status in (204, 304) or 100 <= status < 200
        length = response.getheader("Content-Length")
        chunked = not no_body and length is None and response.chunked
        if not no_body and length is None and not chunked:
            self.close_connection = True  # body delimited by the backend closing its connection
        self.send_response_only(status, reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if no_body:
            response.read()  # nothing to read; lets http.client keep the backend connection
            return
        limit = None
        flip_at = None
        if mangle is not None and length is not None:
            total = int(length)
            if mangle.action == "truncate":
                limit = int(mangle.bytes) if mangle.bytes is not None else total // 2
            else:
                flip_at = int(mangle.bytes) if mangle.bytes is not None else total // 2
        sent = 0
        try:
            while True:
                chunk = response.read1(COPY_CHUNK) if hasattr(response, "read1") else response.read(COPY_CHUNK)
                if not chunk:
                    break
                if flip_at is not None and sent <= flip_at < sent + len(chunk):
                    i = flip_at - sent
                    chunk = chunk[:i] + bytes([chunk[i] ^ 0x01]) + chunk[i + 1:]
                if limit is not None and sent + len(chunk) >= limit:
                    self.wfile.write(chunk[:limit - sent])
                    return self.abort_connection()
                if chunked:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                else:
                    self.wfile.write(chunk)
                sent += len(chunk)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        except (ConnectionError, socket.timeout) as exc:
            raise ClientGone() from exc


class FrontServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, state: State, backend_addr: tuple[str, int], tls: ssl.SSLContext | None = None):
        super().__init__(("127.0.0.1", 0), FrontHandler)
        self.state, self.backend_addr, self.tls = state, backend_addr, tls

    def get_request(self):
        sock, addr = super().get_request()
        if self.tls is not None:  # handshake later, in FrontHandler.handle on the thread
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        log(f"unhandled error while serving {client_address}:")
        import traceback
        traceback.print_exc(file=sys.stderr)


# ---------------------------------------------------------------------------------------------
# Backends
# ---------------------------------------------------------------------------------------------

HARNESS_DIR = os.path.dirname(os.path.abspath(__file__))
S3RVER_JS = os.path.join(HARNESS_DIR, "..", "tools", "s3rver", "node_modules", "s3rver", "bin",
                         "s3rver.js")


def _die_with_parent():
    """preexec_fn: the backend gets SIGKILL if the front dies without cleaning up (Linux)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class Backend:
    """A real S3 server process on a free loopback port."""

    def __init__(self, kind: str, log_path: str | None, startup_timeout: float):
        self.kind, self.proc, self.port = kind, None, None
        self.tmp = tempfile.mkdtemp(prefix=f"s3front-{kind}-")
        self.log_path = log_path or os.path.join(self.tmp, "backend.log")
        self.startup_timeout = startup_timeout

    def command(self, port: int) -> list[str]:
        if self.kind == "moto":
            # `moto_server` is this module's entry point; running it with our interpreter skips the pyenv shim.
            return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        node = shutil.which("node")
        if node is None:
            raise RuntimeError("s3rver backend: `node` is not on PATH (hint: apt-get install nodejs)")
        if not os.path.exists(S3RVER_JS):
            raise RuntimeError(f"s3rver backend: {S3RVER_JS} is missing "
                               "(hint: run `npm ci` in tests/tools/s3rver)")
        data = os.path.join(self.tmp, "data")
        os.makedirs(data, exist_ok=True)
        # s3rver's continuation tokens use a cipher OpenSSL 3 only offers in its legacy provider;
        # without this flag every listing that needs a second page answers 500.
        return [node, "--openssl-legacy-provider", S3RVER_JS, "--directory", data, "--address", "127.0.0.1", "--port", str(port), "--silent"]

    def start(self) -> None:
        # Port 0: the backend binds a port the kernel picks, so no other process can take it
        # between a probe and the bind; its own listening socket (in /proc) tells which it is,
        # and only then is it asked over HTTP whether it serves.
        log_file = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(self.command(0), stdin=subprocess.DEVNULL, stdout=log_file,
                                         stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        finally:
            log_file.close()
        deadline = time.monotonic() + self.startup_timeout
        port = wait_for_listening_port(self.proc.pid, deadline, alive=lambda: self.proc.poll() is None)
        if port is None:
            error = (f"exited with status {self.proc.returncode}" if self.proc.poll() is not None
                     else f"not listening after {self.startup_timeout:.0f}s")
        else:
            ok, error = self._wait_ready(port, deadline)
            if ok:
                self.port = port
                return
        self.stop()
        raise RuntimeError(f"{self.kind} backend did not start: {error}\n--- backend log ---\n{self._log_tail()}")

    def _wait_ready(self, port: int, deadline: float) -> tuple[bool, str]:
        """Polls until the backend (known to hold `port` itself) answers HTTP on it."""
        error = "no answer"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False, f"exited with status {self.proc.returncode}"
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            try:
                conn.request("GET", "/")
                conn.getresponse().read()
                return True, ""
            except (OSError, http.client.HTTPException) as exc:
                error = repr(exc)
            finally:
                conn.close()
            self.proc_wait(0.05)  # poll interval: returns at once if the process exits
        return False, f"not answering after {self.startup_timeout:.0f}s ({error})"

    def proc_wait(self, seconds: float) -> None:
        try:
            self.proc.wait(seconds)
        except subprocess.TimeoutExpired:
            pass

    def _log_tail(self) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-4000:].decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------

def load_credentials(path: str) -> dict:
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    if not isinstance(data, dict) or not data:
        raise ValueError(f"{path}: expected a JSON object {{\"KEYID\": {{\"secret\": ..., \"token\": ...}}}}")
    for key_id, entry in data.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("secret"), str):
            raise ValueError(f"{path}: key {key_id!r} needs a \"secret\" string")
    return data


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], epilog=CONTROL_API_DOC,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=["moto", "s3rver", "rgw"], default="moto",
                        help="the server to start (with --backend-url: the kind of server found there; "
                        "rgw only with --backend-url)")
    parser.add_argument("--backend-url", help="front an already running server instead of starting one "
                        "(http://HOST:PORT); e.g. a second front, in GCS mode, on the same backend")
    parser.add_argument("--credentials", required=True, help='JSON file {"KEYID": {"secret": "...", "token": "..."}}')
    parser.add_argument("--gcs", action="store_true", help="behave like GCS's XML API where it differs")
    parser.add_argument("--record", help="append every request as a JSON line to this file")
    parser.add_argument("--region", default=DEFAULT_REGION,
                        help=f"the signing region; any other is refused (default {DEFAULT_REGION})")
    parser.add_argument("--backend-log", help="backend stdout/stderr go here (default: a temp file)")
    parser.add_argument("--startup-timeout", type=float, default=30.0)
    parser.add_argument("--ignore-stdin", action="store_true", help="do not stop on EOF on stdin")
    parser.add_argument("--verbose", action="store_true", help="log every request on stderr")
    parser.add_argument("--tls-cert", help="serve HTTPS with this PEM certificate (chain) ...")
    parser.add_argument("--tls-key", help="... and this PEM private key")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.minimum_version = ssl.TLSVersion.TLSv1_2
        tls.load_cert_chain(args.tls_cert, args.tls_key)

    if args.backend == "rgw" and not args.backend_url:
        parser.error("--backend rgw needs --backend-url (tests/harness/rgw_server.py runs the cluster)")
    credentials = load_credentials(args.credentials)
    backend = None
    if args.backend_url:
        m = re.fullmatch(r"http://([^:/]+):(\d+)/?", args.backend_url)
        if not m:
            parser.error("--backend-url must look like http://HOST:PORT")
        backend_name, backend_addr = args.backend, (m.group(1), int(m.group(2)))
    else:
        backend = Backend(args.backend, args.backend_log, args.startup_timeout)
        backend_name = args.backend
    try:
        if backend is not None:
            backend.start()
            backend_addr = ("127.0.0.1", backend.port)
        state = State(Verifier(credentials, args.region), args.gcs, args.record, backend_name,
                      f"http://{backend_addr[0]}:{backend_addr[1]}")
        state.verbose = args.verbose
        state.backend_pid = backend.proc.pid if backend is not None else None
        server = FrontServer(state, backend_addr, tls)

        def stop(*_):
            state.stop.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        if not args.ignore_stdin:
            def watch_stdin():
                try:  # the raw fd: a daemon thread inside a buffered read aborts interpreter exit
                    while os.read(0, 4096):
                        pass
                except OSError:
                    pass
                state.stop.set()
            threading.Thread(target=watch_stdin, daemon=True, name="stdin-watch").start()
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                         name="serve").start()
        port = server.server_address[1]
        scheme = "https" if tls is not None else "http"
        print(json.dumps({"endpoint": f"{scheme}://127.0.0.1:{port}", "backend": backend_name}), flush=True)
        while not state.stop.wait(1.0):  # wakes at once on a signal or stdin EOF
            if backend is not None and backend.proc is not None and backend.proc.poll() is not None:
                log(f"backend {backend_name} exited with status {backend.proc.returncode}; stopping\n"
                    f"{backend._log_tail()}")
                return 1
        server.shutdown()
        server.server_close()
        return 0
    finally:
        if backend is not None:
            backend.cleanup()


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (RuntimeError, ValueError, OSError) as exc:
        log(f"error: {exc}")
        sys.exit(1)
