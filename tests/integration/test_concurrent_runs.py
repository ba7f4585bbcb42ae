"""Issue 17, case 3: one set, one run. Two backups of one env that start in the same second (a
manual `kubectl create job --from=cronjob` beside the scheduled one) must never write into one
set; an ambiguous answer from the store is resolved by reading it, never by deleting; and a
prune with a far too short STALE_UPLOAD_AGE never aborts a running backup's upload.

Same second, really: both processes run under libfaketime (Debian's `faketime` package) with
FAKETIME="@<now floored to the second>", so both clocks start at the same second, within the
front's 15-minute skew window; each pair asserts from the runs' own logs that it shared an ID.
The pairs run against moto (which honours If-None-Match on PutObject and CompleteMultipartUpload),
s3rver (which ignores it: there the lease alone keeps the runs apart) and Ceph's RADOS Gateway
(which honours it on PutObject in an unversioned bucket, so on the lease and the manifest, and
ignores it on CompleteMultipartUpload: the streams' objects are kept apart by the lease), all
behind the signature-verifying front, whose record tells for every PutObject and
CompleteMultipartUpload whether the key already existed at the backend (existed_before): no write
may replace an object.

For every pair: the two runs logged the same set ID; at most one exits 0, the other exits 1
naming the refusal; an exit-0 run's set is complete, `verify ID` passes, and its manifest's
SHA-256s are the ones that run logged and the stored objects have; a pair without a winner left
no manifest; no lease is left behind. After all pairs, `status` names the last winners.

Run: cd tests/integration && PYTHONPATH=../harness:../fixtures python3 -m unittest -v test_concurrent_runs
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
import unittest

import boto3

from erp_cli import BINARY, clean_env, run_erp, set_id_of, wait_for_a_new_set_id  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402

ENV_NAME = "prod"
PREFIX = f"erp/{ENV_NAME}/"
DATABASE = "conc"
PAIRS_PER_MODE = 7  # three modes (full, db-only, mixed): 21 pairs per backend
MODES = {"full": ([], []), "db-only": (["--only", "db"], ["--only", "db"]),
         "mixed": (["--only", "db"], [])}
# The refusals a loser may end with: the lease of the other run, or the other run's objects.
REFUSALS = ("is claimed by another run", "already has")


def libfaketime() -> str:
    found = sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))
    if not found:
        raise RuntimeError("libfaketime is missing (hint: apt-get install faketime; "
                           "scripts/install-test-deps.sh installs it)")
    return found[0]


def log_lines(stderr: bytes) -> list[dict]:
    lines = []
    for raw in stderr.decode(errors="replace").splitlines():
        try:
            lines.append(json.loads(raw))
        except json.JSONDecodeError:
            pass  # pg_dump's own stderr is logged through the tool; anything else is ignored
    return lines


class Run:
    """One backup process of a pair, and what its JSON log says."""

    def __init__(self, args: list[str], returncode: int, stdout: bytes, stderr: bytes):
        self.args, self.returncode, self.stdout, self.stderr = args, returncode, stdout, stderr
        self.lines = log_lines(stderr)

    def field(self, msg: str, name: str) -> str | None:
        for line in self.lines:
            if line.get("msg") == msg and name in line:
                return line[name]
        return None

    @property
    def id(self) -> str | None:
        return self.field("backup starting", "id")

    def sha256(self, stream: str) -> str | None:
        return self.field(f"{stream} stream committed", "sha256")

    def text(self) -> str:
        return self.stderr.decode(errors="replace")


class ConcurrentRunsSpec(IntegrationCase):
    workdir_prefix = "erp-concurrent-"
    postgres = True
    clear_prefix = PREFIX
    pairs_per_mode = PAIRS_PER_MODE
    # The classes vary the S3 side and only read DATABASE: one server serves them in turn.
    share_postgres = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.faketime = libfaketime()
        # A tiny database and tree: the point is the timing, and 48 runs must stay quick.
        if not cls.pg_reused:
            cls.pg.create_database(DATABASE)
            cls.pg.psql(DATABASE, "create table invoice (id int primary key, total numeric);"
                                  "insert into invoice select i, i * 1.5 from generate_series(1, 200) i")
        cls.docs = os.path.join(cls.workdir, "documents")
        os.makedirs(os.path.join(cls.docs, "mycompany"))
        for name, body in (("a.txt", b"facture 1\n"), ("mycompany/b.pdf", os.urandom(2048))):
            with open(os.path.join(cls.docs, name), "wb") as f:
                f.write(body)
        # Larger than one 5 MiB part and incompressible: the docs stream is a multipart upload.
        cls.big_docs = os.path.join(cls.workdir, "big-documents")
        os.makedirs(cls.big_docs)
        with open(os.path.join(cls.big_docs, "scan.bin"), "wb") as f:
            f.write(os.urandom(6 * 1024 * 1024 + 4096))

    def env(self, **extra) -> dict:
        settings = {**self.front.env(), **self.pg.env(DATABASE), "BACKUP_ENV": ENV_NAME,
                    "DOCUMENTS_DIR": self.docs, "S3_PART_SIZE": "5MiB", "S3_MAX_ATTEMPTS": "3",
                    "PRUNE_AFTER_BACKUP": "false", "LOG_FORMAT": "json"}
        settings.update(extra)
        return clean_env({k: v for k, v in settings.items() if v is not None})

    def erp(self, *args, **extra):
        return run_erp(list(args), self.env(**extra), self.secrets(), timeout=300)

    def assert_no_secrets(self, run: Run) -> None:
        for secret in self.secrets():
            self.assertNotIn(secret.encode(), run.stdout + run.stderr, "a secret leaked")

    # -- one pair ------------------------------------------------------------------------------
    def run_pair(self, args_a: list[str], args_b: list[str]) -> tuple[Run, Run]:
        """Starts two backups whose clocks both start at the current second; waits for both."""
        second = int(time.time())
        env = self.env(LD_PRELOAD=self.faketime, TZ="UTC", FAKETIME_DONT_FAKE_MONOTONIC="1",
                       FAKETIME=time.strftime("@%Y-%m-%d %H:%M:%S", time.gmtime(second)))
        procs = [subprocess.Popen([BINARY, "backup", *args], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for args in (args_a, args_b)]
        runs = []
        for args, proc in zip((args_a, args_b), procs):
            stdout, stderr = proc.communicate(timeout=300)
            runs.append(Run(args, proc.returncode, stdout, stderr))
        for run in runs:
            self.assert_no_secrets(run)
        # The next pair gets a second of its own (both faked clocks started at `second`).
        wait_for_a_new_set_id(time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(second)))
        return runs[0], runs[1]

    def check_pair(self, a: Run, b: Run) -> Run | None:
        """Everything one pair must show; returns the winner, if any."""
        detail = f"\n--- A {a.args} exit {a.returncode}:\n{a.text()[-3000:]}\n--- B {b.args} exit " \
                 f"{b.returncode}:\n{b.text()[-3000:]}"
        self.assertIsNotNone(a.id, detail)
        self.assertEqual(a.id, b.id, "the pair did not share a set ID" + detail)
        set_id = a.id
        winners = [r for r in (a, b) if r.returncode == 0]
        self.assertLessEqual(len(winners), 1, "both runs of one second exited 0" + detail)
        for run in (a, b):
            if run.returncode != 0:
                self.assertEqual(run.returncode, 1, detail)
                self.assertTrue(any(r in run.text() for r in REFUSALS),
                                "the loser does not say why it refused" + detail)
        manifest_key = f"{PREFIX}manifests/{set_id}.json"
        keys = self.bucket_keys(PREFIX)
        self.assertEqual([k for k in keys if "/leases/" in k], [], "a lease was left behind" + detail)
        if not winners:
            self.assertNotIn(manifest_key, keys, "no run exited 0, yet a manifest exists" + detail)
            return None
        winner = winners[0]
        manifest = json.loads(self.get(manifest_key))
        self.assertEqual(manifest["id"], set_id)
        self.assertEqual(manifest["status"], "complete", detail)
        expected_streams = {"db"} if winner.args == ["--only", "db"] else {"db", "docs"}
        self.assertEqual(set(manifest["streams"]), expected_streams, detail)
        for stream in expected_streams:
            record = manifest["streams"][stream]
            # The set's objects are the ones this run wrote: the hashes it logged while
            # streaming are the manifest's and the stored bytes'.
            self.assertEqual(record["sha256"], winner.sha256(stream), f"{stream}{detail}")
            body = self.get(record["key"])
            self.assertEqual(hashlib.sha256(body).hexdigest(), record["sha256"], stream)
            self.assertEqual(len(body), record["bytes"], stream)
        verified = self.erp("verify", set_id)
        self.assertEqual(verified.returncode, 0, verified.stderr.decode(errors="replace")[-3000:])
        return winner

    def assert_nothing_replaced(self, since: int, except_seq: int | None = None) -> None:
        """The front's record: no PutObject or CompleteMultipartUpload succeeded on a key that
        existed just before (last-success.json is rewritten by design). except_seq: a request
        the caller has shown by other means not to have replaced anything."""
        replaced = [f"{r['method']} {r['target']} -> {r['backend_status']}"
                    for r in self.front.requests(since)
                    if r["existed_before"] and r["backend_status"] and 200 <= r["backend_status"] < 300
                    and not r["target"].split("?")[0].endswith("/last-success.json")
                    and r["seq"] != except_seq]
        self.assertEqual(replaced, [], "a write replaced an existing object")

    def last_seq(self) -> int:
        requests = self.front.requests()
        return requests[-1]["seq"] if requests else 0

    # -- the tests -----------------------------------------------------------------------------
    def test_two_backups_in_the_same_second_never_share_a_set(self):
        since = self.last_seq()
        started = time.monotonic()
        expected_last = {}  # stream -> the newest winner's set ID
        winners = {mode: 0 for mode in MODES}
        writes_checked = 0
        for mode, (args_a, args_b) in MODES.items():
            for i in range(self.pairs_per_mode):
                with self.subTest(mode=mode, pair=i):
                    a, b = self.run_pair(args_a, args_b) if i % 2 == 0 else self.run_pair(args_b, args_a)
                    winner = self.check_pair(a, b)
                    if winner is not None:
                        winners[mode] += 1
                        streams = ["db"] if winner.args == ["--only", "db"] else ["db", "docs"]
                        for stream in streams:
                            expected_last[stream] = winner.id
        # The front saw every write of every run; none replaced an object.
        self.assert_nothing_replaced(since)
        for r in self.front.requests(since):
            writes_checked += r["existed_before"] is not None
        self.assertGreater(writes_checked, 0, "the front recorded no writes: the record is broken")
        for mode, count in winners.items():
            self.assertGreater(count, 0, f"no pair of mode {mode} had a winner")
        # status tells the truth: each stream's last success is the last winner's set.
        status = self.erp("status", "--json")
        self.assertEqual(status.returncode, 0, status.stderr.decode(errors="replace"))
        report = json.loads(status.stdout)
        for stream, set_id in expected_last.items():
            self.assertEqual(report["streams"][stream]["id"], set_id, stream)
        print(f"\n{len(MODES) * self.pairs_per_mode} pairs on {self.backend}: winners {winners}, "
              f"{time.monotonic() - started:.1f} s", file=sys.stderr)

    def start_slow_docs_backup(self) -> subprocess.Popen:
        """`backup --only docs` of the big tree, its first part held at the front for 8 s."""
        self.front.set_faults([{"method": "PUT", "path_contains": "/docs/",
                                "query_contains": "partNumber=1", "action": "delay",
                                "seconds": 8, "name": "a slow part"}])
        return subprocess.Popen([BINARY, "backup", "--only", "docs"],
                                env=self.env(DOCUMENTS_DIR=self.big_docs),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)

    def wait_for_open_upload(self, since: int, backup: subprocess.Popen) -> float:
        """Polls the front's record until the backup's docs upload is open; returns when
        (time.monotonic()) it was seen."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and backup.poll() is None:
            if any(r["method"] == "POST" and "/docs/" in r["target"] and r["target"].endswith("?uploads")
                   and r["status"] == 200 for r in self.front.requests(since)):
                return time.monotonic()
            time.sleep(0.05)
        self.fail("the backup opened no upload")

    def test_a_stopped_backup_releases_its_lease(self):
        since = self.last_seq()
        backup = self.start_slow_docs_backup()
        try:
            self.wait_for_open_upload(since, backup)
            backup.send_signal(signal.SIGTERM)
        finally:
            stdout, stderr = backup.communicate(timeout=120)
            # The next test's backup must not get this run's set ID (its start second): an upload
            # this run created while SIGTERM arrived, whose answer it never read, would be counted
            # as the next run's. Each test's claims are about its own run.
            wait_for_a_new_set_id(subprocess.CompletedProcess(backup.args, backup.returncode,
                                                              stdout, stderr))
        self.assertEqual(backup.returncode, 143, stderr.decode(errors="replace")[-3000:])
        requests = self.front.requests(since)
        written = [r["target"].split("?")[0] for r in requests if r["method"] == "PUT" and "/leases/" in r["target"]]
        self.assertEqual(len(written), 1, "the run wrote its lease")
        deleted = [r["target"] for r in requests if r["method"] == "DELETE" and "/leases/" in r["target"]]
        self.assertEqual(deleted, written, "the stopped run deleted its lease")
        self.assertEqual(self.bucket_keys(PREFIX + "leases/"), [])
        self.assertEqual([k for k in self.keys() if "/manifests/" in k], [])

    def lost_answer_faults(self) -> list[dict]:
        """The front forwards the docs stream's CompleteMultipartUpload, then resets the
        connection instead of answering: the store has assembled the object; the tool saw an
        error. What its retry meets is the backend's (or, on moto, the rules below)."""
        return [{"method": "POST", "path_contains": "/docs/", "query_contains": "uploadId=",
                 "action": "forward_then_reset", "name": "the answer is lost"}]

    def check_lost_answer(self, faults: list[dict], settled_by_the_retry: bool = False) -> None:
        """settled_by_the_retry: the store answers the retried Complete 200 with the object's
        ETag (RGW), so there is nothing ambiguous left to read; else the retry's answer is
        ambiguous and one HEAD settles it."""
        self.front.set_faults(faults)
        since = self.last_seq()
        result = self.erp("backup", "--only", "docs", DOCUMENTS_DIR=self.big_docs)
        stderr = result.stderr.decode(errors="replace")
        self.assertEqual(result.returncode, 0, stderr[-4000:])
        fired = [r for r in self.front.requests(since) if r["fault"]]
        self.assertEqual(len(fired), len(faults), "the faults did not all fire")
        retry_seq = None
        if settled_by_the_retry:
            completes = [r for r in self.front.requests(since)
                         if r["method"] == "POST" and "/docs/" in r["target"] and "uploadId=" in r["target"]]
            self.assertEqual([(r["verdict"], r["backend_status"], r["existed_before"]) for r in completes],
                             [("fault:forward_then_reset", 200, False), ("ok", 200, True)],
                             "the store completed the upload, then answered the retry itself")
            # The retry met the object its first attempt made. It did not write it again: the
            # object was last modified while the first attempt ran, before the retry arrived.
            first, retry = completes
            key = first["target"].split("?")[0].split("/", 2)[2]
            [listed] = self.client().list_objects_v2(Bucket=self.front.bucket, Prefix=key)["Contents"]

            def received(record):
                return dt.datetime.strptime(record["time"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                    tzinfo=dt.timezone.utc)
            self.assertGreaterEqual(listed["LastModified"], received(first).replace(
                microsecond=received(first).microsecond // 1000 * 1000))  # the listing has ms
            self.assertLess(listed["LastModified"], received(retry), "the retried Complete rewrote the object")
            retry_seq = retry["seq"]
        else:
            self.assertIn("reading the key showed this stream's object", stderr)
        deletes = [r["target"] for r in self.front.requests(since)
                   if r["method"] == "DELETE" and "/docs/" in r["target"]]
        self.assertEqual(deletes, [], "an object was deleted")
        manifests = [k for k in self.keys() if "/manifests/" in k]
        self.assertEqual(len(manifests), 1)
        manifest = json.loads(self.get(manifests[0]))
        record = manifest["streams"]["docs"]
        self.assertGreaterEqual(record["parts"], 2)  # a multipart upload, the case at hand
        body = self.get(record["key"])
        self.assertEqual(hashlib.sha256(body).hexdigest(), record["sha256"])
        verified = self.erp("verify", manifest["id"])
        self.assertEqual(verified.returncode, 0, verified.stderr.decode(errors="replace")[-3000:])
        self.assert_nothing_replaced(since, except_seq=retry_seq)

    def check_a_manifest_another_writer_put_first_is_never_replaced(self):
        """On a store that honours If-None-Match: * on PutObject as AWS S3 and MinIO do (moto; RGW
        in an unversioned bucket). The front holds the run's manifest PUT until the test has
        written another object at that very key: the lease and the set-key check are behind the
        run, only the conditional commit stands in the way."""
        since = self.last_seq()
        self.front.set_faults([{"method": "PUT", "path_contains": "/manifests/", "action": "hold",
                                "seconds": 300}])
        run = subprocess.Popen([BINARY, "backup", "--only", "docs"], env=self.env(), stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        theirs = b'{"written by": "another writer"}'
        try:
            key = self.wait_for_held_key(since, "PUT", "/manifests/", run, "wrote its manifest")
            # Straight to the store: the front serialises writes to one key, and holds the run's.
            backend = boto3.client("s3", endpoint_url=self.front.health()["backend_url"],
                                   region_name=self.front.region, aws_access_key_id=self.front.access_key,
                                   aws_secret_access_key=self.front.secret_key)
            backend.put_object(Bucket=self.front.bucket, Key=key, Body=theirs)
            self.front.release()
            stdout, stderr = run.communicate(timeout=300)
        finally:
            self.front.set_faults([])
            if run.poll() is None:
                run.kill()
                run.communicate()
        text = (stdout + stderr).decode(errors="replace")
        self.assertEqual(run.returncode, 1, text[-3000:])
        self.assertIn(key, text)
        self.assertIn("left untouched", text)
        self.assertEqual(self.get(key), theirs, "the manifest another writer put was replaced")
        self.assertNotIn(f"{PREFIX}last-success.json", self.keys())

    def check_prune_with_a_one_second_age_never_aborts_a_running_backup(self):
        """The docs stream's first part is held at the front for a while: its upload is open
        and older than STALE_UPLOAD_AGE=1s when prune runs beside it (on a store that lists
        multipart uploads)."""
        since = self.last_seq()
        backup = self.start_slow_docs_backup()
        try:
            created = self.wait_for_open_upload(since, backup)
            while time.monotonic() - created < 2 and backup.poll() is None:
                time.sleep(0.05)  # the condition is the upload's age: older than the 1 s
            self.assertIsNone(backup.poll(), "the backup ended before prune could run")
            pruned = self.erp("prune", "--json", STALE_UPLOAD_AGE="1s")
        finally:
            stdout, stderr = backup.communicate(timeout=300)
        prune_err = pruned.stderr.decode(errors="replace")
        # The running backup's docs key. An earlier test's stopped run may have left an upload of
        # its own set (no lease any more): prune rightly aborts that one; the claim is about this.
        set_id = set_id_of(subprocess.CompletedProcess(backup.args, backup.returncode, stdout, stderr))
        self.assertIsNotNone(set_id, stderr.decode(errors="replace")[-3000:])
        docs_key = f"{PREFIX}docs/{set_id}.tar.zst"
        aborts = [r["target"] for r in self.front.requests(since)
                  if r["method"] == "DELETE" and "uploadId=" in r["target"] and docs_key in r["target"]]
        self.assertEqual(aborts, [], "prune aborted the running backup's upload")
        self.assertEqual(backup.returncode, 0, stderr.decode(errors="replace")[-4000:])
        self.assertEqual(pruned.returncode, 0, prune_err)
        uploads = json.loads(pruned.stdout)["uploads"]["uploads"]
        docs = [u for u in uploads if u["key"] == docs_key]
        self.assertEqual(len(docs), 1, uploads)
        self.assertEqual(docs[0]["state"], "in progress")
        self.assertTrue(docs[0]["held_by_lease"])
        self.assertGreater(docs[0]["age_seconds"], 1)
        self.assertIn("STALE_UPLOAD_AGE is below 1h", prune_err)
        manifests = [k for k in self.keys() if "/manifests/" in k]
        self.assertEqual(len(manifests), 1)
        set_id = json.loads(self.get(manifests[0]))["id"]
        verified = self.erp("verify", set_id)
        self.assertEqual(verified.returncode, 0, verified.stderr.decode(errors="replace")[-3000:])


class ConcurrentRunsOnMoto(ConcurrentRunsSpec, unittest.TestCase):
    backend = "moto"

    def test_a_lost_complete_answer_retried_into_no_such_upload_is_resolved_by_reading(self):
        # moto answers a repeated Complete idempotently; a store that forgets a completed upload
        # answers NoSuchUpload, as the next rule does.
        self.check_lost_answer(self.lost_answer_faults() + [
            {"method": "POST", "path_contains": "/docs/", "query_contains": "uploadId=",
             "action": "status", "status": 404, "code": "NoSuchUpload",
             "message": "The specified upload does not exist.", "name": "the retry"}])

    def test_a_lost_complete_answer_retried_into_412_is_resolved_by_reading(self):
        # AWS with If-None-Match: the retry meets the object its first attempt created.
        self.check_lost_answer(self.lost_answer_faults() + [
            {"method": "POST", "path_contains": "/docs/", "query_contains": "uploadId=",
             "action": "status", "status": 412, "code": "PreconditionFailed", "name": "the retry"}])

    def test_a_manifest_another_writer_put_first_is_never_replaced(self):
        self.check_a_manifest_another_writer_put_first_is_never_replaced()

    def test_prune_with_a_one_second_age_never_aborts_a_running_backup(self):
        self.check_prune_with_a_one_second_age_never_aborts_a_running_backup()


class ConcurrentRunsOnS3rver(ConcurrentRunsSpec, unittest.TestCase):
    backend = "s3rver"

    def test_a_lost_complete_answer_is_resolved_by_reading(self):
        # s3rver answers the retried Complete of a completed upload with 500 InternalError
        # until the retries run out.
        self.check_lost_answer(self.lost_answer_faults())


class ConcurrentRunsOnRgw(ConcurrentRunsSpec, unittest.TestCase):
    """Ceph's RADOS Gateway: If-None-Match: * is honoured on PutObject (the lease, the manifest)
    and ignored on CompleteMultipartUpload, which then replaces an object (proven below): the
    lease alone keeps two runs' streams apart."""
    backend = "rgw"

    def test_rgw_ignores_if_none_match_on_complete_and_honours_it_on_put(self):
        client, bucket, key = self.client(), self.front.bucket, PREFIX + "probe/taken.bin"
        client.put_object(Bucket=bucket, Key=key, Body=b"first")
        status, _, body = self.front.raw_request("PUT", f"/{bucket}/{key}", body=b"second",
                                                 headers={"If-None-Match": "*"})
        self.assertEqual(status, 412, body)
        self.assertEqual(self.get(key), b"first")
        upload = client.create_multipart_upload(Bucket=bucket, Key=key)["UploadId"]
        etag = client.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"third")["ETag"]
        status, _, body = self.front.raw_request(
            "POST", f"/{bucket}/{key}?uploadId={upload}", headers={"If-None-Match": "*"},
            body=f"<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{etag}</ETag></Part>"
                 "</CompleteMultipartUpload>".encode())
        self.assertEqual(status, 200, body)
        self.assertEqual(self.get(key), b"third", "RGW replaced the object despite If-None-Match")
        client.delete_object(Bucket=bucket, Key=key)

    def test_a_lost_complete_answer_is_settled_by_the_retry_and_nothing_deleted(self):
        # RGW answers the retried Complete of an upload it completed 200 again, this time with
        # the object's ETag (unquoted): the retry settles it, with no HEAD needed.
        self.check_lost_answer(self.lost_answer_faults(), settled_by_the_retry=True)

    def test_a_manifest_another_writer_put_first_is_never_replaced(self):
        self.check_a_manifest_another_writer_put_first_is_never_replaced()

    def test_prune_with_a_one_second_age_never_aborts_a_running_backup(self):
        self.check_prune_with_a_one_second_age_never_aborts_a_running_backup()


if __name__ == "__main__":
    unittest.main()
