"""Walk-through of erp-backup against a throwaway S3 server (run by scripts/demo.sh)."""

import hashlib
import os
import subprocess
import sys
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "support"))

from erp_cli import BINARY, clean_env  # noqa: E402
from s3_servers import S3Front  # noqa: E402


def step(title: str) -> None:
    print(f"\n=== {title}", flush=True)


def erp(env: dict, *args: str, stdin=None) -> bytes:
    print("$ erp-backup " + " ".join(f"'{a}'" if " " in a else a for a in args), flush=True)
    result = subprocess.run([BINARY, *args], env=env, stdin=stdin, stdout=subprocess.PIPE)
    if result.returncode != 0:
        sys.exit(f"erp-backup {args[0]} failed with exit code {result.returncode}")
    return result.stdout


def main() -> None:
    with S3Front(backend="s3rver") as s3:
        env = clean_env({**s3.env(), "S3_PART_SIZE": "8MiB"})
        print(f"S3 server: s3rver behind the SigV4-verifying front at {s3.endpoint}, bucket {s3.bucket}")

        step("stream 48 MiB from a pipe into one object (multipart, nothing staged on disk)")
        # The bytes are hashed on their way into the pipe so the round trip can be checked.
        data_hash = hashlib.sha256()
        pipe_read, pipe_write = os.pipe()
        upload = subprocess.Popen([BINARY, "put", "demo/documents with spaces+ü.bin"], env=env,
                                  stdin=pipe_read)
        os.close(pipe_read)
        with open("/dev/urandom", "rb") as random, os.fdopen(pipe_write, "wb") as pipe:
            for _ in range(48):
                chunk = random.read(1 << 20)
                data_hash.update(chunk)
                pipe.write(chunk)
        if upload.wait() != 0:
            sys.exit("put failed")

        step("list the bucket")
        sys.stdout.write(erp(env, "ls", "demo/").decode())

        step("read it back and compare SHA-256")
        body = erp(env, "cat", "demo/documents with spaces+ü.bin")
        print(f"sent     {data_hash.hexdigest()}\nreceived {hashlib.sha256(body).hexdigest()}")
        if hashlib.sha256(body).digest() != data_hash.digest():
            sys.exit("round trip mismatch")

        step("presigned URL, fetched without credentials")
        url = erp(env, "presign", "demo/documents with spaces+ü.bin", "--expires", "600").decode().strip()
        with urllib.request.urlopen(url) as response:
            print(f"fetched {len(response.read())} bytes through the presigned URL")

        step("remove it")
        erp(env, "rm", "demo/documents with spaces+ü.bin")
        sys.stdout.write(erp(env, "ls", "demo/").decode() or "(empty)\n")
        print("\ndemo finished: every request above was re-verified by botocore's SigV4 signer")


if __name__ == "__main__":
    main()
