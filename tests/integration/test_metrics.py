"""Issue 10, item 6: Prometheus metrics at the end of every command, read back for real.

A real Pushgateway (Debian's prometheus-pushgateway, started here on a free port) receives the
pushes; the textfile is checked with `promtool check metrics` (Debian's prometheus package) and
with the strict parser in tests/harness/pushgateway_server.py. The backup runs against a real
PostgreSQL (a tiny ERP database) and moto behind the signature-verifying front, and the values
are compared with what is actually in the bucket: object sizes, the manifest's parts and
finished_at. A missing Pushgateway or promtool is a failure, not a skip.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import unittest
from datetime import datetime, timezone

from docs_fixture import generate_documents_tree  # noqa: E402
from erp_cli import BINARY, clean_env, run_erp, wait_for_a_new_set_id  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402
from postgres_server import free_port  # noqa: E402
from pushgateway_server import PushgatewayServer, find_promtool, parse_exposition, sample  # noqa: E402

ENV_NAME = "prod"
PREFIX = f"erp/{ENV_NAME}/"
LAST_SUCCESS_GROUP = f"/metrics/job/erp-backup/instance/{ENV_NAME}"
LAST_SUCCESS = "erp_backup_last_success_timestamp_seconds"


def iso_to_unix(text: str) -> int:
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())


class MetricsOnMoto(IntegrationCase, unittest.TestCase):
    workdir_prefix = "erp-metrics-test-"
    postgres = True
    erp_scale = "tiny"
    clear_prefix = PREFIX

    @classmethod
    def setUpClass(cls):
        cls.promtool = find_promtool()  # before any server: a missing promtool fails at once
        super().setUpClass()
        cls.gateway = cls.start_class_server(PushgatewayServer())
        cls.docs = os.path.join(cls.workdir, "documents")
        generate_documents_tree(cls.docs, large_files=())

    def setUp(self):
        super().setUp()
        for command in ("backup", "list", "prune"):
            self.gateway.delete_group(f"/metrics/job/erp-backup/instance/{ENV_NAME}/command/{command}")
        for group in (LAST_SUCCESS_GROUP,):
            self.gateway.delete_group(group)
        self.textfile = os.path.join(self.workdir, f"{self.id().rsplit('.', 1)[-1]}.prom")

    # -- helpers ---------------------------------------------------------------------------------
    def env(self, **extra):
        settings = {**self.front.env(), **self.pg.env("dolibarr"), "BACKUP_ENV": ENV_NAME,
                    "DOCUMENTS_DIR": self.docs, "PRUNE_AFTER_BACKUP": "false",
                    "METRICS_TEXTFILE": self.textfile, "PUSHGATEWAY_URL": self.gateway.url}
        settings.update(extra)
        return clean_env({k: v for k, v in settings.items() if v is not None})

    def erp(self, *args, **extra):
        return run_erp(list(args), self.env(**extra), self.secrets(), timeout=300)

    def manifest(self):
        manifests = [k for k in self.keys() if "/manifests/" in k]
        self.assertEqual(len(manifests), 1, manifests)
        body = self.client().get_object(Bucket=self.front.bucket, Key=manifests[0])["Body"].read()
        return json.loads(body)

    def gateway_metrics(self):
        return parse_exposition(self.gateway.metrics_text())

    def textfile_metrics(self):
        with open(self.textfile, encoding="utf-8") as f:
            text = f.read()
        checked = subprocess.run([self.promtool, "check", "metrics"], input=text.encode(),
                                 capture_output=True, timeout=60)
        self.assertEqual(checked.returncode, 0,
                         f"promtool check metrics: {checked.stdout.decode()}{checked.stderr.decode()}")
        self.assertEqual(checked.stdout + checked.stderr, b"", "promtool reported lint problems")
        self.assertEqual([n for n in os.listdir(self.workdir) if ".prom.tmp." in n], [],
                         "a temporary textfile was left behind")
        return parse_exposition(text)

    def successful_backup(self):
        """A full backup; returns (start, end) in Unix seconds around it."""
        started = time.time()
        result = self.erp("backup")
        ended = time.time()
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        # The tests' next backup must fail (or stop) for its own reason, not the existing ID.
        wait_for_a_new_set_id(result)
        return started, ended

    # -- tests -----------------------------------------------------------------------------------
    def test_a_backup_reports_the_stored_objects_to_the_pushgateway_and_the_textfile(self):
        started, ended = self.successful_backup()
        manifest = self.manifest()
        finished_at = iso_to_unix(manifest["finished_at"])
        self.assertTrue(int(started) <= finished_at <= ended, (started, finished_at, ended))
        pushed = self.gateway_metrics()
        written = self.textfile_metrics()
        for name, families, extra in (("pushgateway", pushed, {"job": "erp-backup", "instance": ENV_NAME}),
                                      ("textfile", written, {})):
            with self.subTest(name):
                run = {**extra, "command": "backup"}
                self.assertEqual(sample(families, "erp_backup_last_run_success", **run), 1)
                self.assertEqual(sample(families, "erp_backup_last_run_exit_code", **run), 0)
                self.assertTrue(started <= sample(families, "erp_backup_last_run_timestamp_seconds", **run)
                                <= ended)
                self.assertTrue(0 < sample(families, "erp_backup_last_run_duration_seconds", **run)
                                <= ended - started)
                for stream in ("db", "docs"):
                    record = manifest["streams"][stream]
                    stored = self.client().head_object(Bucket=self.front.bucket, Key=record["key"])
                    self.assertEqual(sample(families, "erp_backup_stream_bytes", **run, stream=stream),
                                     stored["ContentLength"])
                    self.assertEqual(sample(families, "erp_backup_stream_bytes", **run, stream=stream),
                                     record["bytes"])
                    self.assertEqual(sample(families, "erp_backup_stream_parts", **run, stream=stream),
                                     record["parts"])
                    self.assertEqual(sample(families, "erp_backup_stream_success", **run, stream=stream), 1)
                    self.assertTrue(0 < sample(families, "erp_backup_stream_duration_seconds", **run,
                                               stream=stream) <= ended - started)
                    self.assertEqual(sample(families, LAST_SUCCESS, **extra, stream=stream), finished_at)
                for family in ("erp_backup_last_run_success", "erp_backup_stream_bytes", LAST_SUCCESS):
                    self.assertEqual(families[family]["type"], "gauge")
                # No prune ran (PRUNE_AFTER_BACKUP=false): no prune families.
                self.assertNotIn("erp_backup_pruned_objects", families)
        # On the Pushgateway the last success is its own group, without a command label.
        last_db = [labels for (metric, labels) in pushed[LAST_SUCCESS]["samples"] if dict(labels)["stream"] == "db"]
        self.assertEqual([dict(labels).get("command") for labels in last_db], [None])

    def test_b_failed_runs_keep_the_last_success_timestamp(self):
        self.successful_backup()
        finished_at = iso_to_unix(self.manifest()["finished_at"])

        # 1. The database refuses the password: nothing committed, exit 1, the bucket still readable.
        failed = self.erp("backup", "--only", "db", PGPASSWORD="not-the-password")
        self.assertEqual(failed.returncode, 1, failed.stderr.decode())
        self.assertIn(b"password authentication failed", failed.stderr)  # not the existing-set check
        for name, families, extra in (("pushgateway", self.gateway_metrics(), {"job": "erp-backup", "instance": ENV_NAME}),
                                      ("textfile", self.textfile_metrics(), {})):
            with self.subTest(name):
                run = {**extra, "command": "backup"}
                self.assertEqual(sample(families, "erp_backup_last_run_success", **run), 0)
                self.assertEqual(sample(families, "erp_backup_last_run_exit_code", **run), 1)
                self.assertEqual(sample(families, "erp_backup_stream_success", **run, stream="db"), 0)
                with self.assertRaises(KeyError):  # a failed stream stored nothing
                    sample(families, "erp_backup_stream_bytes", **run, stream="db")
                with self.assertRaises(KeyError):  # docs did not run this time
                    sample(families, "erp_backup_stream_success", **run, stream="docs")
                for stream in ("db", "docs"):
                    self.assertEqual(sample(families, LAST_SUCCESS, **extra, stream=stream), finished_at)

        # 2. The bucket cannot be reached at all: last-success.json cannot be read. The
        # Pushgateway's last success group is left alone (its push time does not move) and the
        # textfile carries the previous values over.
        group_pushed_at = self.last_success_push_time()
        closed = f"http://127.0.0.1:{free_port()}"
        unreachable = self.erp("backup", AWS_ENDPOINT_URL_S3=closed, S3_MAX_ATTEMPTS="1")
        # 1: the job failed (a bucket that cannot be reached is no setting error, so not 2).
        self.assertEqual(unreachable.returncode, 1, unreachable.stderr.decode(errors="replace"))
        self.assertIn(b"cannot read last-success.json", unreachable.stderr)
        pushed = self.gateway_metrics()
        # The metric is held against the number the run must have exited with, not against the
        # exit status itself (which would pass whatever both were).
        self.assertEqual(sample(pushed, "erp_backup_last_run_exit_code", job="erp-backup", instance=ENV_NAME,
                                command="backup"), 1)
        self.assertEqual(self.last_success_push_time(), group_pushed_at)
        written = self.textfile_metrics()
        self.assertEqual(sample(written, "erp_backup_last_run_exit_code", command="backup"), 1)
        for stream in ("db", "docs"):
            self.assertEqual(sample(pushed, LAST_SUCCESS, job="erp-backup", instance=ENV_NAME, stream=stream),
                             finished_at)
            self.assertEqual(sample(written, LAST_SUCCESS, stream=stream), finished_at)

    def test_g_a_run_stopped_by_sigterm_reports_143_and_keeps_the_last_success(self):
        self.successful_backup()
        finished_at = iso_to_unix(self.manifest()["finished_at"])
        group_pushed_at = self.last_success_push_time()
        # A pg_dump that answers --version like the real one, then says it started and waits.
        marker = os.path.join(self.workdir, "dump-started")
        fake = os.path.join(self.workdir, "pg_dump-waits")
        with open(fake, "w", encoding="utf-8") as f:
            f.write(f'#!/bin/sh\nif [ "$1" = --version ]; then exec {self.pg.bin("pg_dump")} --version; fi\n'
                    f'touch {marker}\nexec sleep 60\n')
        os.chmod(fake, 0o755)
        tool = subprocess.Popen([BINARY, "backup", "--only", "db"], env=self.env(PG_DUMP=fake),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while not os.path.exists(marker):
            self.assertLess(time.monotonic(), deadline, "the dump never started")
            self.assertIsNone(tool.poll(), "the job ended before it could be stopped")
            time.sleep(0.05)  # polling for the marker, bounded by the deadline
        tool.send_signal(signal.SIGTERM)
        tool.wait(timeout=20)
        stderr = tool.stderr.read().decode(errors="replace")
        tool.stderr.close()
        self.assertEqual(tool.returncode, 143, stderr)
        self.assertIn("metrics: pushed", stderr)
        for name, families, extra in (("pushgateway", self.gateway_metrics(), {"job": "erp-backup", "instance": ENV_NAME}),
                                      ("textfile", self.textfile_metrics(), {})):
            with self.subTest(name):
                self.assertEqual(sample(families, "erp_backup_last_run_exit_code", **extra, command="backup"), 143)
                self.assertEqual(sample(families, "erp_backup_last_run_success", **extra, command="backup"), 0)
                self.assertEqual(sample(families, LAST_SUCCESS, **extra, stream="db"), finished_at)
        # After the stop the bucket is not read again, so the last success group was not pushed.
        self.assertEqual(self.last_success_push_time(), group_pushed_at)

    def last_success_push_time(self) -> float:
        families = self.gateway_metrics()
        found = [value for (name, labels), value in families["push_time_seconds"]["samples"].items()
                 if dict(labels) == {"job": "erp-backup", "instance": ENV_NAME}]
        self.assertEqual(len(found), 1, "the last success group should exist once")
        return found[0]

    def test_c_a_metrics_failure_fails_an_otherwise_successful_command(self):
        ok = self.erp("list")
        self.assertEqual(ok.returncode, 0, ok.stderr.decode())
        self.assertEqual(sample(self.gateway_metrics(), "erp_backup_last_run_success", command="list"), 1)
        # Never backed up: both streams report 0 ("never"), so the age alert fires.
        written = self.textfile_metrics()
        self.assertEqual(sample(written, LAST_SUCCESS, stream="db"), 0)
        self.assertEqual(sample(written, LAST_SUCCESS, stream="docs"), 0)

        closed = f"http://127.0.0.1:{free_port()}"
        unpushed = self.erp("list", PUSHGATEWAY_URL=closed)
        self.assertEqual(unpushed.returncode, 1)
        self.assertIn(b"push to the Pushgateway failed", unpushed.stderr)
        self.assertIn(closed.encode() + b"/metrics/job/erp-backup/instance/prod/command/list", unpushed.stderr)

        # A textfile that cannot be written at the end (here: a directory stands at its path).
        unwritable = os.path.join(self.workdir, "a-directory.prom")
        os.makedirs(unwritable, exist_ok=True)
        unwritten = self.erp("list", METRICS_TEXTFILE=unwritable)
        self.assertEqual(unwritten.returncode, 1)
        self.assertIn(b"writing the textfile failed", unwritten.stderr)
        self.assertIn(unwritable.encode(), unwritten.stderr)

        # A missing directory is known before the command starts (issue 17): exit 2.
        missing_dir = os.path.join(self.workdir, "no-such-dir", "erp.prom")
        refused = self.erp("list", METRICS_TEXTFILE=missing_dir)
        self.assertEqual(refused.returncode, 2)
        self.assertIn(f"METRICS_TEXTFILE '{missing_dir}': its directory".encode(), refused.stderr)

        malformed = self.erp("list", METRICS_TEXTFILE=os.path.join(self.workdir, "erp.txt"))
        self.assertEqual(malformed.returncode, 2)
        self.assertIn(b"malformed METRICS_TEXTFILE", malformed.stderr)

    def test_d_a_configuration_error_still_reports_exit_code_2(self):
        result = self.erp("backup", S3_BUCKET=None)
        self.assertEqual(result.returncode, 2)
        self.assertIn(b"missing S3_BUCKET", result.stderr)
        pushed = self.gateway_metrics()
        self.assertEqual(sample(pushed, "erp_backup_last_run_exit_code", job="erp-backup", instance=ENV_NAME,
                                command="backup"), 2)
        self.assertEqual(sample(self.textfile_metrics(), "erp_backup_last_run_exit_code", command="backup"), 2)

    def test_e_prune_reports_what_it_deleted_and_the_uploads_it_aborted(self):
        self.successful_backup()
        manifest = self.manifest()
        # An expired set: today's objects copied under a 2020 ID, its manifest rewritten to match.
        old_id = "20200115T020000Z"
        deleted_bytes = 0
        for stream in ("db", "docs"):
            key = manifest["streams"][stream]["key"]
            self.client().copy_object(Bucket=self.front.bucket, Key=key.replace(manifest["id"], old_id),
                                      CopySource={"Bucket": self.front.bucket, "Key": key})
            deleted_bytes += manifest["streams"][stream]["bytes"]
        old_manifest = json.dumps(manifest).replace(manifest["id"], old_id).encode()
        self.client().put_object(Bucket=self.front.bucket, Key=f"{PREFIX}manifests/{old_id}.json",
                                 Body=old_manifest)
        deleted_bytes += len(old_manifest)
        # A stale upload of one of the tool's own keys: old by real time passing STALE_UPLOAD_AGE.
        stale_key = f"{PREFIX}db/20261101T020000Z.dump"
        upload = self.client().create_multipart_upload(Bucket=self.front.bucket, Key=stale_key)["UploadId"]
        old_enough = time.monotonic() + 2
        while (left := old_enough - time.monotonic()) > 0:
            time.sleep(left)

        result = self.erp("prune", RETENTION_MONTHLY_MONTHS="0", RETENTION_YEARLY_YEARS="0",
                          RETENTION_MIN_KEEP="1", STALE_UPLOAD_AGE="1s")
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        self.assertFalse([k for k in self.keys() if old_id in k], "the expired set was not deleted")
        uploads = self.client().list_multipart_uploads(Bucket=self.front.bucket, Prefix=PREFIX).get("Uploads", [])
        self.assertNotIn(upload, [u["UploadId"] for u in uploads])
        for name, families, extra in (("pushgateway", self.gateway_metrics(), {"job": "erp-backup", "instance": ENV_NAME}),
                                      ("textfile", self.textfile_metrics(), {})):
            with self.subTest(name):
                run = {**extra, "command": "prune"}
                self.assertEqual(sample(families, "erp_backup_last_run_success", **run), 1)
                self.assertEqual(sample(families, "erp_backup_pruned_sets", **run), 1)
                self.assertEqual(sample(families, "erp_backup_pruned_objects", **run), 3)
                self.assertEqual(sample(families, "erp_backup_pruned_bytes", **run), deleted_bytes)
                self.assertEqual(sample(families, "erp_backup_stale_uploads_aborted", **run), 1)
                self.assertEqual(sample(families, LAST_SUCCESS, **extra, stream="db"),
                                 iso_to_unix(manifest["finished_at"]))
        # The prune's own group sits beside the backup's: the backup's metrics are still there.
        self.assertEqual(sample(self.gateway_metrics(), "erp_backup_last_run_success", job="erp-backup",
                                instance=ENV_NAME, command="backup"), 1)

    def test_f_the_documented_alert_rules_pass_promtool(self):
        # The alert rules the docs give: docs/metrics.md (the job's metrics) and docs/kubernetes.md
        # (the status CronJob's rule).
        docs = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "docs")
        pages = []
        for name in ("metrics.md", "kubernetes.md"):
            with open(os.path.join(docs, name), encoding="utf-8") as f:
                pages.append(f.read())
        # Every YAML block of those pages that holds alert rules, each cut at its closing fence.
        blocks = [b.split("```")[0] for page in pages for b in page.split("```yaml\n")[1:]]
        rule_blocks = [b for b in blocks if b.startswith("groups:")]
        metrics_blocks = [b for b in rule_blocks if "erp_backup_last_success_timestamp_seconds" in b]
        self.assertEqual(len(metrics_blocks), 1, "docs/metrics.md's alert rules block")
        self.assertIn("time() - erp_backup_last_success_timestamp_seconds > 26*3600", metrics_blocks[0])
        self.assertGreaterEqual(len(rule_blocks), 2, "the metrics rules and the status CronJob's rule")
        for number, block in enumerate(rule_blocks):
            rules = os.path.join(self.workdir, f"rules-{number}.yml")
            with open(rules, "w", encoding="utf-8") as f:
                f.write(block)
            checked = subprocess.run([self.promtool, "check", "rules", rules], capture_output=True, timeout=60)
            self.assertEqual(checked.returncode, 0, checked.stdout.decode() + checked.stderr.decode())
            # The metrics block: too old, metrics missing, a failed run, a failed doctor check, an
            # Object Lock the job's credentials could get past, a keeper's lock expiring, and the
            # restore drill too old or failed (issue 21).
            expected = b"SUCCESS: 8 rules found" if block in metrics_blocks else b"SUCCESS: 1 rules found"
            self.assertIn(expected, checked.stdout)



class MetricsToAnHttpsPushgateway(IntegrationCase, unittest.TestCase):
    """PUSHGATEWAY_CA_BUNDLE is honoured like AWS_CA_BUNDLE: it is the only trust for the push."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.gateway = cls.start_class_server(PushgatewayServer(tls=True))

    def erp(self, *args, **extra):
        env = clean_env({k: v for k, v in {**self.front.env(), "BACKUP_ENV": ENV_NAME,
                                           "PUSHGATEWAY_URL": self.gateway.url, **extra}.items()
                         if v is not None})
        return run_erp(list(args), env, self.front.secrets(), timeout=120)

    def test_the_push_trusts_exactly_the_pushgateway_ca_bundle(self):
        self.assertTrue(self.gateway.url.startswith("https://"))
        pushed = self.erp("list", PUSHGATEWAY_CA_BUNDLE=self.gateway.ca_file)
        self.assertEqual(pushed.returncode, 0, pushed.stderr.decode())
        families = parse_exposition(self.gateway.metrics_text())
        self.assertEqual(sample(families, "erp_backup_last_run_success", job="erp-backup", instance=ENV_NAME,
                                command="list"), 1)

        untrusted = self.erp("list")  # the system store does not hold the throwaway CA
        self.assertEqual(untrusted.returncode, 1)
        self.assertIn(b"TLS certificate verification failed", untrusted.stderr)
        self.assertIn(b"PUSHGATEWAY_CA_BUNDLE", untrusted.stderr)

        # S3's bundle is not the Pushgateway's: a CA handed to AWS_CA_BUNDLE does not reach the push.
        unrelated = self.erp("list", AWS_CA_BUNDLE=self.gateway.ca_file)
        self.assertEqual(unrelated.returncode, 1)
        self.assertIn(b"TLS certificate verification failed", unrelated.stderr)

if __name__ == "__main__":
    unittest.main()
