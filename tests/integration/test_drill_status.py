"""Issue 21: what `status`, `list`, the metrics and `prune` make of restore drill evidence.

The evidence objects are put straight into the bucket in the shape catalog/drill_evidence.cc's
to_json writes (its unit tests prove the round trip), as `erp-backup drill` leaves them under
drills/<ID>-<DRILLTIME>.json; the sets are seeded like test_catalog_truth's. One moto front
serves the class. Checked: `status --json` reports the newest drill and predicts the newest set's
recovery time from the newest PASSING one, names an unreadable evidence object without failing;
its text line; the metrics textfile's last drill success; `list --json`'s per-set prediction;
`prune` neither deletes drills/ nor reports it as foreign.

Run: cd tests/integration && PYTHONPATH=../harness:../fixtures python3 -m unittest -v test_drill_status
"""

from __future__ import annotations

import datetime as dt
import json
import os
import unittest

from erp_cli import clean_env, run_erp  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402
from test_catalog_truth import full_set, iso  # noqa: E402

ENV_NAME = "prod"
PREFIX = f"erp/{ENV_NAME}/"
GIB = 1024 ** 3


def evidence(set_id: str, drilled_at: dt.datetime, passed: bool, total: float, dump_bytes: int) -> bytes:
    doc = {"format_version": 1, "set_id": set_id, "drilled_at": iso(drilled_at),
           "finished_at": iso(drilled_at + dt.timedelta(seconds=total)), "passed": passed,
           "target": "embedded", "jobs": 1, "tool_version": "test", "host": "test",
           "pg_restore_version": "15", "target_server_version": "15", "source_server_version": "15",
           "row_count_method": "exact", "tables_compared": 3, "docs_compared": True,
           "dump_bytes": dump_bytes, "docs_bytes": 0,
           "mismatches": [] if passed else [{"what": "rows public.llx_societe", "expected": "12",
                                             "found": "0", "failing": True}],
           "mismatches_omitted": 0, "problems": [],
           "seconds": {"download": 0, "restore": total - 1, "docs": 0, "check": 1, "total": total}}
    return (json.dumps(doc, indent=2) + "\n").encode()


def drill_key(set_id: str, drilled_at: dt.datetime) -> str:
    return f"{PREFIX}drills/{set_id}-{drilled_at.strftime('%Y%m%dT%H%M%SZ')}.json"


class DrillStatusOnMoto(IntegrationCase, unittest.TestCase):
    backend = "moto"
    workdir_prefix = "erp-drill-status-"
    clear_prefix = "erp/"

    def erp(self, *args, **extra):
        settings = {**self.front.env(), "BACKUP_ENV": ENV_NAME, "S3_MAX_ATTEMPTS": "2"}
        settings.update(extra)
        return run_erp(list(args), clean_env(settings), self.front.secrets(), timeout=60)

    def seed(self, objects: dict[str, bytes]) -> None:
        for key, body in objects.items():
            self.client().put_object(Bucket=self.front.bucket, Key=key, Body=body)

    def test_status_list_metrics_and_prune_with_drill_evidence(self):
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        old_time, new_time = now - dt.timedelta(days=3), now - dt.timedelta(hours=1)
        old_id, new_id = old_time.strftime("%Y%m%dT%H%M%SZ"), new_time.strftime("%Y%m%dT%H%M%SZ")
        old_set, new_set = full_set(old_id, iso(old_time)), full_set(new_id, iso(new_time))
        self.seed({**old_set, **new_set})
        entry = {"id": new_id, "finished_at": iso(new_time), "manifest": f"{PREFIX}manifests/{new_id}.json"}
        self.seed({f"{PREFIX}last-success.json":
                   json.dumps({"format_version": 2, "streams": {"db": entry, "docs": entry}}).encode()})
        stored = {i: sum(len(body) for key, body in objects.items() if "/manifests/" not in key)
                  for i, objects in ((old_id, old_set), (new_id, new_set))}

        # No evidence yet: "drill" null, no prediction, one text line saying never.
        doc = json.loads(self.erp("status", "--json").stdout)
        self.assertIsNone(doc["drill"])
        self.assertRegex(self.erp("status").stdout.decode(), r"(?m)^drill\tnever$")
        self.assertIsNone(json.loads(self.erp("list", "--json").stdout)["sets"][0]["predicted_rto_seconds"])

        # A passing drill of the old set (half a GiB in 30 s: 60 s/GiB), a newer failed one of
        # the new set, and a newest object that is not evidence at all.
        passed_at, failed_at, broken_at = now - dt.timedelta(days=2), now - dt.timedelta(minutes=30), now
        broken = drill_key(new_id, broken_at)
        self.seed({drill_key(old_id, passed_at): evidence(old_id, passed_at, True, 30.0, GIB // 2),
                   drill_key(new_id, failed_at): evidence(new_id, failed_at, False, 12.5, 1000),
                   broken: b'{"format_version": 1, "set_id": '})
        textfile = os.path.join(self.workdir, "erp.prom")
        status = self.erp("status", "--json", METRICS_TEXTFILE=textfile)
        self.assertEqual(status.returncode, 0, status.stderr.decode(errors="replace"))  # backups only
        self.assertIn(broken, status.stderr.decode(errors="replace"))
        drill = json.loads(status.stdout)["drill"]
        self.assertEqual({k: drill[k] for k in ("set_id", "drilled_at", "passed", "total_seconds")},
                         {"set_id": new_id, "drilled_at": iso(failed_at), "passed": False, "total_seconds": 12.5})
        self.assertAlmostEqual(drill["seconds_per_gib"], 60.0)
        passed_finished = passed_at + dt.timedelta(seconds=30)
        self.assertEqual(drill["last_success_at"], iso(passed_finished))
        self.assertAlmostEqual(drill["predicted_rto_seconds"], 60.0 * stored[new_id] / GIB)
        with open(textfile) as f:
            metrics = f.read()
        self.assertIn('erp_backup_last_drill_success_timestamp_seconds{command="status"} '
                      f"{int(passed_finished.timestamp())}\n", metrics)
        self.assertRegex(self.erp("status").stdout.decode(),
                         rf"(?m)^drill\tFAILED\t{iso(failed_at)}\t{new_id}\t12.5s\t0s$")

        listed = self.erp("list", "--json")
        self.assertEqual(listed.returncode, 0, listed.stderr.decode(errors="replace"))
        rows = {row["id"]: row for row in json.loads(listed.stdout)["sets"]}
        for i in (old_id, new_id):
            self.assertAlmostEqual(rows[i]["predicted_rto_seconds"], 60.0 * stored[i] / GIB)
        self.assertEqual(json.loads(listed.stdout)["foreign"], [])

        # Prune with a policy that lets the old set go: its evidence stays, never called foreign.
        pruned = self.erp("prune", "--json", RETENTION_DAILY_DAYS="1", RETENTION_MONTHLY_MONTHS="0",
                          RETENTION_YEARLY_YEARS="0", RETENTION_MIN_KEEP="1")
        self.assertEqual(pruned.returncode, 0, pruned.stderr.decode(errors="replace"))
        keys = set(self.keys())
        self.assertNotIn(f"{PREFIX}manifests/{old_id}.json", keys)
        for key in (drill_key(old_id, passed_at), drill_key(new_id, failed_at), broken):
            self.assertIn(key, keys)
        self.assertNotIn("drills/", pruned.stdout.decode() + pruned.stderr.decode(errors="replace"))


if __name__ == "__main__":
    unittest.main()
