"""Capture the reply bodies moto, s3rver and Ceph RGW really send, for the byte-exact samples of
tests/s3/xml_replies_samples_test.cc and tests/s3/object_lock_wire_test.cc.

    cd tests/harness && python3 capture_s3_replies.py [moto|s3rver|rgw ...] > /tmp/replies.json

rgw starts (or joins, ERP_RGW_STATE) the suite's cluster (rgw_server.py). On moto and RGW the
capture also covers Object Lock and versions (capture_versions: a bucket created with Object
Lock), recording the x-amz-* headers of the HEAD and PUT answers too (s3rver has neither).

Starts each backend behind s3front.py (s3_servers.S3Front) but sends every request to the backend
itself (health()["backend_url"]), signed with botocore: the front rewrites moto's
ListMultipartUploads <Initiated>, and the samples must be what the server says, not the front.
Prints one JSON object: {"<backend> <operation>": {"status": N, "body": "...", "headers": {...}}}
("headers" for the HEAD and PUT answers of capture_versions only). Bodies hold
random upload ids and times; the tests quote one capture verbatim and say which.
"""

from __future__ import annotations

import hashlib
import base64
import http.client
import json
import sys
import urllib.parse

from s3_servers import S3Front

KEY = "erp/prod/db/20261130T020000Z.dump"
SMALL = "erp/prod/manifests/20261130T020000Z.json"
ODD = "erp/prod/odd/a b+c&d%e\u00fc\t.txt"  # a key that encoding-type=url must encode
PART = b"x" * (5 * 1024 * 1024)


def request(front: S3Front, base: str, method: str, target: str, body: bytes = b"",
            headers: dict | None = None):
    """One signed request straight to the backend at `base` (http://host:port)."""
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    signed = AWSRequest(method=method, url=base + target, data=body, headers=dict(headers or {}))
    S3SigV4Auth(Credentials(front.access_key, front.secret_key), "s3", front.region).add_auth(signed)
    host, port = base.split("//", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=60)
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        for name, value in signed.headers.items():
            conn.putheader(name, value)
        if body or method in ("PUT", "POST"):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body if body else None)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def capture(backend: str) -> dict:
    out = {}
    with S3Front(backend=backend, session_token=False) as front:
        base = front.health()["backend_url"].rstrip("/")
        b = "/" + front.bucket

        def keep(name, reply):
            status, _headers, body = reply
            out[f"{backend} {name}"] = {"status": status, "body": body.decode("utf-8", "replace")}
            return reply
        keep.out, keep.backend = out, backend

        def quoted(key):
            return urllib.parse.quote(key, safe="/")

        request(front, base, "PUT", f"{b}/{quoted(SMALL)}", b"{}")
        request(front, base, "PUT", f"{b}/{quoted(ODD)}", b"odd")
        _, _, initiate = keep("InitiateMultipartUpload",
                              request(front, base, "POST", f"{b}/{quoted(KEY)}?uploads"))
        upload_id = initiate.decode().split("<UploadId>")[1].split("</UploadId>")[0]
        uid = urllib.parse.quote(upload_id, safe="")
        etags = []
        for number in (1, 2):
            _, headers, _ = request(front, base, "PUT",
                                    f"{b}/{quoted(KEY)}?partNumber={number}&uploadId={uid}", PART)
            etags.append(headers.get("etag", ""))
        keep("ListMultipartUploads", request(front, base, "GET",
                                             f"{b}?uploads&prefix={urllib.parse.quote('erp/', safe='')}"))
        parts = "".join(f"<Part><PartNumber>{n}</PartNumber><ETag>{e}</ETag></Part>"
                        for n, e in zip((1, 2), etags))
        keep("CompleteMultipartUpload",
             request(front, base, "POST", f"{b}/{quoted(KEY)}?uploadId={uid}",
                     f"<CompleteMultipartUpload>{parts}</CompleteMultipartUpload>".encode()))
        keep("ListObjectsV2", request(front, base, "GET", f"{b}?list-type=2&prefix=erp%2F"))
        keep("ListObjectsV2 max-keys=1",
             request(front, base, "GET", f"{b}?list-type=2&prefix=erp%2F&max-keys=1"))
        keep("ListObjectsV2 encoding-type=url",
             request(front, base, "GET", f"{b}?encoding-type=url&list-type=2&prefix=erp%2Fprod%2Fodd%2F"))
        keep("ListObjectsV2 odd key", request(front, base, "GET", f"{b}?list-type=2&prefix=erp%2Fprod%2Fodd%2F"))
        keep("HeadObject missing", request(front, base, "HEAD", f"{b}/erp/none"))
        keep("GetObject missing", request(front, base, "GET", f"{b}/erp/none"))
        for quiet in ("true", "false"):
            xml = (f"<Delete><Quiet>{quiet}</Quiet><Object><Key>{SMALL}</Key></Object>"
                   "<Object><Key>erp/never-written</Key></Object></Delete>").encode()
            md5 = base64.b64encode(hashlib.md5(xml).digest()).decode()
            keep(f"DeleteObjects quiet={quiet}",
                 request(front, base, "POST", f"{b}?delete", xml, {"Content-MD5": md5}))
            request(front, base, "PUT", f"{b}/{quoted(SMALL)}", b"{}")
        if backend in ("moto", "rgw"):
            capture_versions(front, base, keep, quoted)
    return out


LOCKED_BUCKET = "erp-capture-locked"
RETAIN_UNTIL = "2099-01-01T00:00:00Z"  # far enough that no capture ever sees it lapse


def capture_versions(front: S3Front, base: str, keep, quoted) -> None:
    """Issue 20's replies, on a bucket created with Object Lock (versioning on): a locked PUT,
    HEAD with and without a lock, ListObjectVersions (one page and paged), the refusal of a
    locked version's delete, HEAD of a delete marker and the delete of a version that is not there."""
    b = "/" + LOCKED_BUCKET
    request(front, base, "PUT", b, headers={"x-amz-bucket-object-lock-enabled": "true"})
    lock = {"x-amz-object-lock-mode": "GOVERNANCE", "x-amz-object-lock-retain-until-date": RETAIN_UNTIL}

    def md5(body: bytes) -> str:
        return base64.b64encode(hashlib.md5(body).digest()).decode()

    def keep_headers(name, reply):
        status, headers, body = reply
        wanted = {k: v for k, v in headers.items() if k.startswith("x-amz-") and k != "x-amz-id-2"}
        out_reply = keep(name, (status, headers, body))
        keep.out[f"{keep.backend} {name}"]["headers"] = wanted
        return out_reply

    keep_headers("PutObject locked", request(front, base, "PUT", f"{b}/{quoted(SMALL)}", b"{}",
                                             dict(lock, **{"Content-MD5": md5(b"{}")})))
    _, headers, _ = keep_headers("HeadObject locked", request(front, base, "HEAD", f"{b}/{quoted(SMALL)}"))
    locked_version = headers.get("x-amz-version-id", "")
    request(front, base, "PUT", f"{b}/{quoted(ODD)}", b"odd")
    keep_headers("HeadObject unlocked", request(front, base, "HEAD", f"{b}/{quoted(ODD)}"))
    request(front, base, "PUT", f"{b}/{quoted(ODD)}", b"odd again")
    _, headers, _ = request(front, base, "DELETE", f"{b}/{quoted(ODD)}")
    marker = headers.get("x-amz-version-id", "")
    keep("ListObjectVersions", request(front, base, "GET", f"{b}?versions&prefix=erp%2F"))
    keep("ListObjectVersions encoding-type=url",
         request(front, base, "GET", f"{b}?versions&encoding-type=url&prefix=erp%2F"))
    keep("ListObjectVersions max-keys=1", request(front, base, "GET", f"{b}?versions&max-keys=1&prefix=erp%2F"))
    keep("DeleteObject locked version",
         request(front, base, "DELETE", f"{b}/{quoted(SMALL)}?versionId={urllib.parse.quote(locked_version)}"))
    keep_headers("HeadObject delete marker",
                 request(front, base, "HEAD", f"{b}/{quoted(ODD)}?versionId={urllib.parse.quote(marker)}"))
    keep("DeleteObject absent version",
         request(front, base, "DELETE", f"{b}/{quoted(SMALL)}?versionId=0000000000000000000000000000000a"))
    # A multipart upload created with the lock headers: which stores carry them to the object.
    _, _, initiate = request(front, base, "POST", f"{b}/{quoted(KEY)}?uploads", headers=lock)
    uid = urllib.parse.quote(initiate.decode().split("<UploadId>")[1].split("</UploadId>")[0], safe="")
    _, headers, _ = request(front, base, "PUT", f"{b}/{quoted(KEY)}?partNumber=1&uploadId={uid}", b"part")
    request(front, base, "POST", f"{b}/{quoted(KEY)}?uploadId={uid}",
            (f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{headers.get('etag', '')}"
             "</ETag></Part></CompleteMultipartUpload>").encode())
    keep_headers("HeadObject multipart created with a lock", request(front, base, "HEAD", f"{b}/{quoted(KEY)}"))
    retention = (f"<Retention><Mode>GOVERNANCE</Mode><RetainUntilDate>{RETAIN_UNTIL}"
                 "</RetainUntilDate></Retention>").encode()
    keep("PutObjectRetention without Content-MD5",
         request(front, base, "PUT", f"{b}/{quoted(SMALL)}?retention&versionId={urllib.parse.quote(locked_version)}",
                 retention))


def main(argv: list[str]) -> int:
    result = {}
    for backend in argv[1:] or ["moto", "s3rver"]:
        result.update(capture(backend))
    json.dump(result, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
