"""Capture the reply bodies moto and s3rver really send, for the byte-exact samples of
tests/s3/xml_replies_samples_test.cc.

    cd tests/harness && python3 capture_s3_replies.py [moto|s3rver ...] > /tmp/replies.json

Starts each backend behind s3front.py (s3_servers.S3Front) but sends every request to the backend
itself (health()["backend_url"]), signed with botocore: the front rewrites moto's
ListMultipartUploads <Initiated>, and the samples must be what the server says, not the front.
Prints one JSON object: {"<backend> <operation>": {"status": N, "body": "..."}}. Bodies hold
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
    return out


def main(argv: list[str]) -> int:
    result = {}
    for backend in argv[1:] or ["moto", "s3rver"]:
        result.update(capture(backend))
    json.dump(result, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
