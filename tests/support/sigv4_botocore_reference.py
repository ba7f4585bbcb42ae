#!/usr/bin/env python3
"""Reference signatures from botocore for tests/s3/sigv4_botocore_test.cc.

Generates random S3 requests from a fixed seed, signs each with botocore's own S3
signer, and prints one JSON object per line: every input the C++ signer needs plus
botocore's result. The C++ test signs the same inputs and must agree byte for byte.

  --mode header   botocore.auth.S3SigV4Auth (Authorization header); fields:
                  method, url, bucket, key (decoded, or null), query ([name, value]
                  decoded, in wire order), headers ([name, value] as sent),
                  payload_mode ("signed" | "unsigned"), body_hex, payload_hash,
                  access_key_id, secret_access_key, session_token ("" = none),
                  region, time (Unix seconds), authorization, canonical_request
  --mode presign  botocore.auth.S3SigV4QueryAuth (presigned URL); fields: method,
                  base_url, bucket, key, query, expires, credentials, region, time,
                  presigned_url, canonical_request

How the inputs are shaped so that both signers see the same wire request:
  * The key is put in the URL encoded once, as S3 wants it (every byte outside
    A-Za-z0-9-_.~ except '/'); S3SigV4Auth signs urlsplit(url).path unchanged.
  * The query is put in the URL already encoded (strict set); with request.params
    empty, botocore splits the URL query on '&' and the first '=' and sorts the
    encoded pairs without decoding, so it signs exactly the wire form.
  * Header values only use spaces and tabs as whitespace: botocore collapses with
    str.split(), which also splits on other (Unicode) whitespace.
  * Headers botocore treats differently from our signer are never generated: Date
    (botocore then rewrites Date instead of adding X-Amz-Date), Accept-Encoding and
    Content-Length (botocore signs them, we must not: GCS rewrites Accept-Encoding),
    and the hop-by-hop names in botocore's SIGNED_HEADERS_BLACKLIST that we sign
    (Connection, Keep-Alive, TE, Trailer, Upgrade, Proxy-*, X-Amzn-Trace-Id). The C++
    test adds Accept-Encoding/Content-Length/User-Agent/Expect itself to check
    that they stay unsigned.
  * Hosts are lowercase: botocore lowercases the host, libcurl (and so our signer)
    sends it as written.
  * A stale X-Amz-Security-Token is only sent when a token is set: botocore keeps
    (and signs) a stale one when there is no token; our signer removes it.
  * UNSIGNED-PAYLOAD needs client_config.s3.payload_signing_enabled=False: over
    http S3SigV4Auth otherwise always hashes the body.
  * Presign: operation parameters go in request.params (a dict, unique names);
    in the URL they would pass through parse_qs, which decodes '+' as a space and
    keeps only one value per name.
"""

import argparse
import base64
import datetime
import hashlib
import json
import random
import sys
from unittest import mock
from urllib.parse import quote

import botocore.auth
import botocore.config
import botocore.credentials
from botocore.awsrequest import AWSRequest

# ---------------------------------------------------------------------------
# Random inputs

KEY_PIECES = [
    "erp", "prod", "db", "docs", "20240229T235959Z.dump", "manifests", "a", "b", "x.json",
    " ", "  ", "+", "=", "~", "%", "%20", "%2F", "#", "?", "&", ";", ":", "@", "$", ",",
    "!", "*", "'", "(", ")", "[", "]", "{", "}", "|", "\\", "^", "`", '"', "<", ">",
    ".", "..", "-", "_", "é", "ü", "ß", "日本語", "Ω", "😀", "\u00a0", "\u200b", "\x01",
    "\x7f", "\t",
]

QUERY_TEXT_PIECES = [
    "a", "Z", "0", "9", "-", "_", ".", "~", "/", "=", "&", "+", " ", "%", "%2F", "#", "?",
    ",", ";", ":", "@", "*", "é", "€", "😀", "a/b/", "erp/prod/",
]

BUCKETS = ["erp-backups", "b1", "my.bucket", "bucket-with-many-parts-0123456789"]
REGIONS = ["us-east-1", "eu-central-1", "auto", "us-west-2", "ap-southeast-2", "garage"]
METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD"]
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def random_code_point(rng):
    """Any Unicode scalar value (no surrogates), biased toward the interesting ranges."""
    ranges = [(0x20, 0x7E), (0xA0, 0x17F), (0x370, 0x3FF), (0x4E00, 0x9FFF),
              (0xE000, 0xF8FF), (0x1F300, 0x1FAFF), (0x10000, 0x10FFFF)]
    low, high = rng.choice(ranges)
    return chr(rng.randint(low, high))


def random_key(rng):
    kind = rng.random()
    if kind < 0.1:
        return f"erp/prod/db/{rng.randint(2000, 2099)}0101T000000Z.dump"
    parts = []
    for _ in range(rng.randint(1, 10)):
        choice = rng.random()
        if choice < 0.55:
            parts.append(rng.choice(KEY_PIECES))
        elif choice < 0.8:
            parts.append("/" * rng.randint(1, 3))
        else:
            parts.append("".join(random_code_point(rng) for _ in range(rng.randint(1, 4))))
    key = "".join(parts)
    if rng.random() < 0.15:
        key = "/" + key
    if rng.random() < 0.15:
        key = key + "/"
    return key or "k"


def random_query_text(rng, max_pieces=5):
    return "".join(rng.choice(QUERY_TEXT_PIECES) for _ in range(rng.randint(0, max_pieces)))


def random_token(rng, alphabet, length):
    return "".join(rng.choice(alphabet) for _ in range(length))


def random_query(rng):
    """Decoded (name, value) pairs, in the order they go on the wire."""
    kind = rng.randrange(9)
    if kind == 0:
        return []
    if kind == 1:
        return [("uploads", "")]
    if kind == 2:
        upload_id = random_token(rng, B64 + "-_.~=", rng.randint(10, 60))
        return [("partNumber", str(rng.randint(1, 10000))), ("uploadId", upload_id)]
    if kind == 3:
        query = [("list-type", "2"), ("prefix", rng.choice(["a/b/", "erp/prod/", "", "é/ /+"]))]
        if rng.random() < 0.5:
            query.append(("delimiter", "/"))
        if rng.random() < 0.5:
            query.append(("continuation-token", random_token(rng, B64 + "=", 40)))
        if rng.random() < 0.3:
            query.append(("max-keys", str(rng.randint(1, 1000))))
        return query
    if kind == 4:
        return [("uploadId", random_token(rng, B64 + "=", 32))]
    if kind == 5:
        return [("delete", "")]
    if kind == 6:  # repeated names: sorted by value after the name
        name = rng.choice(["a", "x-id", "prefix", "é"])
        return [(name, random_query_text(rng, 3)) for _ in range(rng.randint(2, 4))]
    # Arbitrary names and values, including empty ones.
    query = []
    for _ in range(rng.randint(1, 6)):
        name = rng.choice(["versionId", "response-content-type", "x-id", "tagging",
                           random_query_text(rng, 3) or "n"])
        query.append((name, random_query_text(rng)))
    return query


def odd_spacing(rng, value):
    """The same value with the whitespace a sloppy caller might add."""
    blanks = [" ", "  ", "\t", " \t "]
    out = value.replace(" ", rng.choice(blanks)) if rng.random() < 0.5 else value
    if rng.random() < 0.4:
        out = rng.choice(blanks) + out
    if rng.random() < 0.4:
        out = out + rng.choice(blanks)
    return out


def random_case(rng, name):
    choice = rng.randrange(4)
    if choice == 0:
        return name.lower()
    if choice == 1:
        return name.upper()
    if choice == 2:
        return "-".join(part.capitalize() for part in name.split("-"))
    return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in name)


def random_headers(rng, body, has_token):
    headers = []
    if rng.random() < 0.5:
        content_type = rng.choice(["application/octet-stream", "text/plain; charset=utf-8",
                                   "application/x-www-form-urlencoded; charset=utf-8",
                                   "application/xml", 'multipart/mixed; boundary="a  b"'])
        headers.append((random_case(rng, "content-type"), odd_spacing(rng, content_type)))
    if rng.random() < 0.3:
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        headers.append((random_case(rng, "content-md5"), odd_spacing(rng, md5)))
    for _ in range(rng.randint(0, 3)):
        name = "x-amz-meta-" + rng.choice(["note", "Source-Host", "erp-id", "a_b", "x1"])
        value = rng.choice(["hello world", "a   b   c", "", " lead", "trail ", "k=v&x=y",
                            "20240229T235959Z", "/path/to thing"])
        headers.append((random_case(rng, name), odd_spacing(rng, value)))
    if rng.random() < 0.2:
        start = rng.randint(0, 10_000)
        value = f"bytes={start}-{start + rng.randint(0, 10_000)}"
        headers.append((random_case(rng, "range"), odd_spacing(rng, value)))
    extras = [("x-amz-storage-class", "STANDARD_IA"), ("cache-control", "no-cache,  no-store"),
              ("if-match", '"0123456789abcdef"'), ("x-amz-acl", "private"),
              ("x-amz-tagging", "a=b&c=d"), ("content-language", "de-DE"),
              ("content-disposition", 'attachment; filename="a  b.txt"'),
              ("x-amz-copy-source", "/b1/some%20key"), ("user-agent", "erp-backup/0.1"),
              ("expect", "100-continue")]
    for name, value in rng.sample(extras, rng.randint(0, 3)):
        headers.append((random_case(rng, name), odd_spacing(rng, value)))
    # Stale signer headers, as on a retried request: both signers must replace them.
    if rng.random() < 0.1:
        headers.append(("Authorization", "AWS4-HMAC-SHA256 stale"))
        headers.append(("X-Amz-Date", "19990101T000000Z"))
        headers.append(("x-amz-content-sha256", "stale"))
        if has_token:
            headers.append(("X-Amz-Security-Token", "stale-token"))
    rng.shuffle(headers)
    return headers


def random_credentials(rng):
    access_key = "AKIA" + random_token(rng, ALNUM, 16)
    secret = random_token(rng, B64, 40)
    token = random_token(rng, B64, rng.randint(40, 400)) + "==" if rng.random() < 0.4 else ""
    return access_key, secret, token


def random_time(rng):
    start = int(datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc).timestamp())
    end = int(datetime.datetime(2099, 12, 31, 23, 59, 59, tzinfo=datetime.timezone.utc).timestamp())
    return rng.randint(start, end)


def random_origin(rng):
    port = rng.choice([None, 80, rng.randint(1024, 65535), rng.randint(1024, 65535)])
    host = rng.choice(["127.0.0.1", "127.0.0.1", "localhost"])
    return f"http://{host}" + (f":{port}" if port else "")


# ---------------------------------------------------------------------------
# Wire form, as our S3 client builds it

def encode_path(text):
    return quote(text.encode("utf-8"), safe="/~")


def encode_query_part(text):
    return quote(text.encode("utf-8"), safe="-_.~")


def wire_query(rng, query):
    parts = []
    for name, value in query:
        # "uploads" and "uploads=" mean the same; both forms appear on the wire.
        if value == "" and rng.random() < 0.5:
            parts.append(encode_query_part(name))
        else:
            parts.append(f"{encode_query_part(name)}={encode_query_part(value)}")
    return "&".join(parts)


def object_path(bucket, key):
    return f"/{bucket}" if key is None else f"/{bucket}/{encode_path(key)}"


# ---------------------------------------------------------------------------
# Signing with botocore

def fixed_time(unix_seconds):
    moment = datetime.datetime.fromtimestamp(unix_seconds, tz=datetime.timezone.utc)
    return mock.patch("botocore.auth.get_current_datetime",
                      return_value=moment.replace(tzinfo=None))


def recording(signer_class):
    """A signer that keeps the canonical request it signed."""

    class Recording(signer_class):
        canonical = None

        def string_to_sign(self, request, canonical_request):
            self.canonical = canonical_request
            return super().string_to_sign(request, canonical_request)

    return Recording


def header_case(rng, index):
    method = rng.choice(METHODS)
    bucket = rng.choice(BUCKETS)
    key = None if rng.random() < 0.1 else random_key(rng)
    query = random_query(rng)
    access_key, secret, token = random_credentials(rng)
    region = rng.choice(REGIONS)
    unix_time = random_time(rng)
    payload_mode = rng.choice(["signed", "unsigned"])
    body = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200))) \
        if method in ("PUT", "POST") else b""
    headers = random_headers(rng, body, bool(token))

    url = random_origin(rng) + object_path(bucket, key)
    if query:
        url += "?" + wire_query(rng, query)

    request = AWSRequest(method=method, url=url, data=body)
    for name, value in headers:
        request.headers[name] = value  # HTTPHeaders appends: repeated names stay repeated
    request.context["client_config"] = botocore.config.Config(
        s3={"payload_signing_enabled": payload_mode == "signed"})
    credentials = botocore.credentials.Credentials(access_key, secret, token or None)
    signer = recording(botocore.auth.S3SigV4Auth)(credentials, "s3", region)
    with fixed_time(unix_time):
        signer.add_auth(request)

    return {
        "index": index, "method": method, "url": url, "bucket": bucket, "key": key,
        "query": query, "headers": headers, "payload_mode": payload_mode,
        "body_hex": body.hex(), "payload_hash": request.headers["X-Amz-Content-SHA256"],
        "access_key_id": access_key, "secret_access_key": secret, "session_token": token,
        "region": region, "time": unix_time,
        "authorization": request.headers["Authorization"],
        "canonical_request": signer.canonical,
    }


def presign_case(rng, index):
    method = rng.choice(["GET", "PUT", "HEAD", "DELETE"])
    bucket = rng.choice(BUCKETS)
    key = random_key(rng)
    query = []
    names = set()
    for name, value in random_query(rng):
        if name not in names:  # botocore keeps one value per name
            names.add(name)
            query.append((name, value))
    access_key, secret, token = random_credentials(rng)
    region = rng.choice(REGIONS)
    unix_time = random_time(rng)
    expires = rng.choice([1, 60, 900, 3600, 86400, 604800])
    base_url = random_origin(rng) + object_path(bucket, key)

    request = AWSRequest(method=method, url=base_url, params=dict(query))
    credentials = botocore.credentials.Credentials(access_key, secret, token or None)
    signer = recording(botocore.auth.S3SigV4QueryAuth)(credentials, "s3", region,
                                                       expires=expires)
    with fixed_time(unix_time):
        signer.add_auth(request)

    return {
        "index": index, "method": method, "base_url": base_url, "bucket": bucket, "key": key,
        "query": query, "expires": expires, "access_key_id": access_key,
        "secret_access_key": secret, "session_token": token, "region": region,
        "time": unix_time, "presigned_url": request.url, "canonical_request": signer.canonical,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["header", "presign"], required=True)
    parser.add_argument("--count", type=int, default=1200)
    parser.add_argument("--seed", type=int, default=20240229)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    make_case = header_case if args.mode == "header" else presign_case
    out = sys.stdout
    for index in range(args.count):
        out.write(json.dumps(make_case(rng, index)) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
