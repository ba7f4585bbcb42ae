"""Issue 7: a stop (SIGTERM/SIGINT) reaches the network and ends the job within 10 s.

The endpoint browns out: the front lets two part uploads through and then stalls every later one
(it reads the part and answers nothing for 120 s). With the default S3_STALL_TIMEOUT (30 s) and
S3_MAX_ATTEMPTS (7) a stalled part would hold the job for minutes; a stop must still end it within
10 s, with every open multipart upload aborted (checked on moto itself with ListMultipartUploads),
no object and no manifest, and the exit code 128 + signal. Kubernetes sends SIGKILL 30 s after
SIGTERM by default, so 10 s leaves room for the abort requests of a slow endpoint.

Every test synchronises on the front's record (the stalled request arrived), never on a sleep.

StopSpec runs on moto; StopOnRgw runs the same tests with Ceph's RADOS Gateway behind the front
(the stalls are the front's; the creates and aborts, and the listing that shows no upload left,
are RGW's own).
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
import unittest

from docs_fixture import generate_documents_tree  # noqa: E402
from erp_cli import BINARY, clean_env  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402

MiB = 1 << 20
PART = 5 * MiB
STOP_BOUND = 10.0  # seconds from the signal to the exit, whatever the endpoint does
ENV_NAME = "stop"
PREFIX = f"erp/{ENV_NAME}/"
# Two part uploads pass, every later one stalls (the front reads the body, then answers nothing).
STALL_PARTS_AFTER_TWO = {"method": "PUT", "query_contains": "partNumber", "skip": 2, "times": -1,
                         "action": "stall", "seconds": 120}
SYNC_TIMEOUT = 120.0  # for the job to reach the stalled state (generous: 2 cores shared)


class StopSpec(IntegrationCase, unittest.TestCase):
    workdir_prefix = "erp-stop-test-"
    postgres = True
    # A real dump of about three parts and a documents tree of several, so both streams open a
    # multipart upload before the front starts stalling.
    erp_scale = "tiny"
    erp_target_bytes = 14 * MiB
    # The classes vary the S3 side; stopping a run leaves the source as it was: one server for both.
    share_postgres = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.docs = os.path.join(cls.workdir, "documents")
        generate_documents_tree(cls.docs, target_bytes=24 * MiB)

    # The base's tearDown: every signature was accepted, aborts sent while stopping included.

    # -- helpers ---------------------------------------------------------------------------------
    def put_env(self):
        # S3_STALL_TIMEOUT and S3_MAX_ATTEMPTS stay at their defaults (30 s, 7): the bound must hold
        # under the settings production runs with.
        return clean_env({**self.front.env(), "S3_PART_SIZE": "5MiB", "S3_BUFFER_BUDGET": "64MiB"})

    def backup_env(self):
        return clean_env({**self.front.env(), **self.pg.env("dolibarr"), "BACKUP_ENV": ENV_NAME,
                          "DOCUMENTS_DIR": self.docs, "S3_PART_SIZE": "5MiB",
                          "PRUNE_AFTER_BACKUP": "false"})

    def last_seq(self) -> int:
        records = self.front.requests()
        return records[-1]["seq"] if records else 0

    def wait_for(self, condition, tool, what: str):
        """Poll the front's record until condition(records) holds; the tool must still run."""
        deadline = time.monotonic() + SYNC_TIMEOUT
        while True:
            records = self.front.requests(self.since)
            if condition(records):
                return records
            if tool.poll() is not None:
                self.fail(f"the job ended (status {tool.returncode}) before {what}:\n"
                          f"{tool.stderr.read().decode(errors='replace')[-3000:]}")
            self.assertLess(time.monotonic(), deadline, f"timed out waiting until {what}")
            time.sleep(0.05)  # polling the front's record, bounded by the deadline

    @staticmethod
    def stalled(records, fragment: str = ""):
        return [r for r in records if r["verdict"] == "fault:stall" and fragment in r["target"]]

    @staticmethod
    def created(records, fragment: str):
        return [r for r in records if r["method"] == "POST" and "uploads" in r["target"]
                and "uploadId" not in r["target"] and fragment in r["target"] and r["status"] == 200]

    def stop_and_wait(self, tool, signum) -> tuple[float, bytes]:
        """Send `signum`; return (seconds until the tool exited, its stderr)."""
        sent = time.monotonic()
        tool.send_signal(signum)
        try:
            tool.wait(timeout=60)
        except subprocess.TimeoutExpired:
            tool.kill()
            tool.wait()
            self.fail(f"no exit within 60 s of signal {signum}")
        elapsed = time.monotonic() - sent
        stderr = tool.stderr.read()
        for secret in self.secrets():
            self.assertNotIn(secret.encode(), stderr, "a secret reached the log")
        return elapsed, stderr

    def aborts(self, records, fragment: str):
        return [r for r in records if r["method"] == "DELETE" and "uploadId=" in r["target"]
                and fragment in r["target"]]

    def completes(self, records):
        return [r for r in records if r["method"] == "POST" and "uploadId=" in r["target"]]

    def open_uploads(self, prefix: str):
        listing = self.front.boto3_client().list_multipart_uploads(Bucket=self.front.bucket, Prefix=prefix)
        return listing.get("Uploads", [])

    def keys(self, prefix: str):
        listing = self.front.boto3_client().list_objects_v2(Bucket=self.front.bucket, Prefix=prefix)
        return [o["Key"] for o in listing.get("Contents", [])]

    # -- put ---------------------------------------------------------------------------------------
    def start_put(self, key: str):
        tool = subprocess.Popen([BINARY, "put", key], env=self.put_env(), stdin=subprocess.PIPE,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        chunk = os.urandom(MiB)

        def feed():
            # Keeps feeding until the tool stops reading: it is mid-stream (and, once every
            # upload slot holds a stalled part, blocked on its upload queue) when the signal comes.
            try:
                while True:
                    tool.stdin.write(chunk)
                    tool.stdin.flush()
            except (BrokenPipeError, ValueError, OSError):
                pass

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        return tool, feeder

    def finish_put(self, tool, feeder):
        feeder.join(timeout=30)
        self.assertFalse(feeder.is_alive(), "the feeder is still writing to a tool that exited")
        try:
            tool.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        tool.stderr.close()

    def check_put_stopped(self, key_prefix: str, signum, expected_status: int):
        self.since = self.last_seq()
        self.front.set_faults([STALL_PARTS_AFTER_TWO])
        tool, feeder = self.start_put(key_prefix + "x.bin")
        # Stalled parts fill every upload slot (S3_UPLOAD_CONCURRENCY, 4): the producer then waits
        # on the upload queue, the hardest place for a stop to reach.
        self.wait_for(lambda rs: len(self.stalled(rs, key_prefix)) >= 4, tool, "four parts stalled")
        elapsed, stderr = self.stop_and_wait(tool, signum)
        self.finish_put(tool, feeder)
        log = stderr.decode(errors="replace")
        self.assertEqual(tool.returncode, expected_status, log)
        self.assertLess(elapsed, STOP_BOUND, f"stopping took {elapsed:.1f} s\n{log}")

        self.front.set_faults([])
        records = self.front.requests(self.since)
        self.assertEqual(len(self.created(records, key_prefix)), 1)
        aborts = self.aborts(records, key_prefix)
        self.assertEqual(len(aborts), 1, "the upload is aborted exactly once")
        self.assertEqual(aborts[0]["status"], 204, aborts[0])
        self.assertEqual(self.completes(records), [], "nothing was completed")
        self.assertEqual(self.open_uploads(key_prefix), [], "the upload was left open on the server")
        self.assertEqual(self.keys(key_prefix), [], "an object was created")
        return elapsed

    def test_sigterm_ends_a_put_whose_parts_stall_within_10_s(self):
        self.check_put_stopped("stop-put-term/", signal.SIGTERM, 143)

    def test_sigint_ends_a_put_whose_parts_stall_within_10_s(self):
        self.check_put_stopped("stop-put-int/", signal.SIGINT, 130)

    def test_an_abort_that_stalls_too_still_ends_within_10_s_and_names_the_upload(self):
        key_prefix = "stop-put-all-stall/"
        self.since = self.last_seq()
        self.front.set_faults([STALL_PARTS_AFTER_TWO,
                               {"method": "DELETE", "query_contains": "uploadId", "times": -1,
                                "action": "stall", "seconds": 120}])
        tool, feeder = self.start_put(key_prefix + "x.bin")
        self.wait_for(lambda rs: self.stalled(rs, key_prefix), tool, "a part stalled")
        elapsed, stderr = self.stop_and_wait(tool, signal.SIGTERM)
        self.finish_put(tool, feeder)
        log = stderr.decode(errors="replace")
        self.assertEqual(tool.returncode, 143, log)
        self.assertLess(elapsed, STOP_BOUND, f"stopping took {elapsed:.1f} s\n{log}")
        records = self.front.requests(self.since)
        self.assertEqual(len(self.aborts(records, key_prefix)), 1, "one abort attempt, not retried")
        self.front.set_faults([])
        uploads = self.open_uploads(key_prefix)
        self.assertEqual(len(uploads), 1, "the abort never reached the server, so the upload is open")
        self.assertIn(uploads[0]["UploadId"], log, "the log names the upload that may linger")
        self.assertEqual(self.keys(key_prefix), [])
        self.front.boto3_client().abort_multipart_upload(
            Bucket=self.front.bucket, Key=uploads[0]["Key"], UploadId=uploads[0]["UploadId"])

    # -- backup ------------------------------------------------------------------------------------
    def test_sigterm_ends_a_backup_whose_parts_stall_within_10_s(self):
        self.since = self.last_seq()
        self.front.set_faults([STALL_PARTS_AFTER_TWO])
        tool = subprocess.Popen([BINARY, "backup"], env=self.backup_env(),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # Both streams have an open multipart upload, and the front holds a part of one of them.
        self.wait_for(lambda rs: self.created(rs, "/db/") and self.created(rs, "/docs/") and self.stalled(rs),
                      tool, "both uploads were open and a part stalled")
        elapsed, stderr = self.stop_and_wait(tool, signal.SIGTERM)
        tool.stderr.close()
        log = stderr.decode(errors="replace")
        self.assertEqual(tool.returncode, 143, log)
        self.assertLess(elapsed, STOP_BOUND, f"stopping took {elapsed:.1f} s\n{log}")

        self.front.set_faults([])
        records = self.front.requests(self.since)
        for stream in ("/db/", "/docs/"):
            aborts = self.aborts(records, stream)
            self.assertEqual(len(aborts), 1, f"{stream} upload aborted exactly once")
            self.assertEqual(aborts[0]["status"], 204, aborts[0])
        self.assertEqual(self.completes(records), [], "nothing was completed")
        self.assertEqual(self.open_uploads(PREFIX), [], "an upload was left open on the server")
        self.assertEqual(self.keys(PREFIX), [], "no object, no manifest, no last-success.json")


class StopOnRgw(StopSpec):
    backend = "rgw"


if __name__ == "__main__":
    unittest.main()
