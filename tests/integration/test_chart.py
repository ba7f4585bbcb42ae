"""The Helm chart, the plain Kubernetes manifests, the Compose file, and yamllint/shellcheck.

Run: cd tests/integration && PYTHONPATH=../harness:../fixtures python3 -m unittest -v test_chart     (ctest label: chart)

Helm itself cannot be installed here, so the chart is rendered by tests/tools/helm_render: Go's
text/template with sprig, the engine and function library Helm uses, plus Helm's include, toYaml,
required and values handling, and the check of the values against the chart's values.schema.json
(built from Debian's Go packages, offline). Every rendered object,
every file of container/k8s/ and the `kubectl run` overrides are validated offline against the
Kubernetes API schema (kubernetes-models, pinned by tests/tools/k8s-validate/package-lock.json),
unknown fields included; container/compose.yaml against the Compose specification's schema. On top
of the schema, the tests assert what the chart promises: the restricted security context, the
documents PVC read-only (volume and mount), concurrencyPolicy Forbid, the grace period, credentials
only by reference, and that a missing required value fails the render naming it.

The Compose file cannot be run (no Docker engine): its job's settings are run instead against the
test PostgreSQL (loaded with container/sample-db.sql, as the postgres image would) and an S3 server:
backup, status and restore db with exactly the settings the backup service gets.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

from erp_cli import clean_env, run_erp  # noqa: E402
from integration_case import IntegrationCase  # noqa: E402

ROOT = os.path.abspath(os.environ.get("ERP_SOURCE_DIR") or
                       os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CHART = os.path.join(ROOT, "container", "helm", "erp-backup")
K8S_DIR = os.path.join(ROOT, "container", "k8s")
COMPOSE = os.path.join(ROOT, "container", "compose.yaml")
VALIDATOR_DIR = os.path.join(ROOT, "tests", "tools", "k8s-validate")
RENDERER_SRC = os.path.join(ROOT, "tests", "tools", "helm_render")

# Variables whose value is a credential: in a rendered pod they may only come from a Secret.
CREDENTIALS = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
               "AWS_CONTAINER_AUTHORIZATION_TOKEN", "PGPASSWORD", "RESTORE_PGPASSWORD"}

_work = None
_renderer = None


def log(msg: str) -> None:
    sys.stderr.write(f"[chart] {msg}\n")


def setUpModule():
    global _work, _renderer
    _work = tempfile.mkdtemp(prefix="erp-chart-")
    go = shutil.which("go")
    if go is None:
        raise RuntimeError("go is not on PATH (hint: bash scripts/install-test-deps.sh installs golang-go)")
    if not os.path.isdir(os.path.join(VALIDATOR_DIR, "node_modules", "kubernetes-models")):
        raise RuntimeError(f"{VALIDATOR_DIR}/node_modules is missing "
                           "(hint: bash scripts/install-test-deps.sh runs npm ci there)")
    _renderer = os.path.join(_work, "helm_render")
    # GOPATH mode over Debian's packaged sources: no module proxy, no network.
    env = {**os.environ, "GOPATH": "/usr/share/gocode", "GO111MODULE": "off", "GOPROXY": "off",
           "GOFLAGS": "", "GOCACHE": os.path.join(_work, "gocache")}
    res = subprocess.run([go, "build", "-o", _renderer, "."], cwd=RENDERER_SRC, env=env,
                         capture_output=True, text=True, timeout=600)
    if res.returncode != 0:
        raise RuntimeError(f"building helm_render failed: {res.stderr} (hint: install "
                           "golang-github-masterminds-sprig-dev golang-gopkg-yaml.v3-dev "
                           "golang-github-xeipuuv-gojsonschema-dev)")


def tearDownModule():
    if _work:
        shutil.rmtree(_work, ignore_errors=True)


def render(*value_files: str, sets: tuple = (), chart: str = CHART, notes: bool = False) -> subprocess.CompletedProcess:
    args = [_renderer, "--release", "erp-backup", "--namespace", "erp"] + (["--notes"] if notes else [])
    for f in value_files:
        args += ["-f", f]
    for s in sets:
        args += ["--set", s]
    return subprocess.run(args + [chart], capture_output=True, text=True, timeout=60)


def write(name: str, text: str) -> str:
    path = os.path.join(_work, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def validate(mode: str, *files: str) -> tuple[int, list[dict]]:
    """node validate.js: (exit code, documents with their errors and parsed objects)."""
    res = subprocess.run(["node", os.path.join(VALIDATOR_DIR, "validate.js"), mode, *files],
                         capture_output=True, text=True, timeout=120)
    if res.returncode not in (0, 1):
        raise AssertionError(f"validate.js {mode} failed to run (exit {res.returncode}): {res.stderr}")
    return res.returncode, json.loads(res.stdout)["documents"]


def pod_specs(obj: dict) -> list[dict]:
    """The pod spec of a CronJob, Job or Pod."""
    kind = obj["kind"]
    if kind == "CronJob":
        return [obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]]
    if kind == "Job":
        return [obj["spec"]["template"]["spec"]]
    if kind == "Pod":
        return [obj["spec"]]
    return []


class Assertions:
    """What every pod of the chart and of container/k8s/ must hold."""

    def assert_restricted(self, spec: dict, where: str, uid: int = 10001):
        """uid: the image's user 10001, or the documents' owner for a pod that restores them."""
        psc = spec.get("securityContext") or {}
        self.assertIs(psc.get("runAsNonRoot"), True, where)
        self.assertIsInstance(psc.get("runAsUser"), int, f"{where}: runAsUser must be numeric")
        self.assertEqual(psc.get("runAsUser"), uid, where)
        self.assertEqual(psc.get("runAsGroup"), uid, where)
        self.assertEqual(psc.get("seccompProfile"), {"type": "RuntimeDefault"}, where)
        for field in ("hostNetwork", "hostPID", "hostIPC"):
            self.assertFalse(spec.get(field, False), f"{where}: {field}")
        for volume in spec.get("volumes") or []:
            self.assertNotIn("hostPath", volume, f"{where}: volume {volume['name']}")
        self.assertEqual(spec.get("restartPolicy"), "Never", where)
        grace = spec.get("terminationGracePeriodSeconds")
        self.assertIsInstance(grace, int, f"{where}: terminationGracePeriodSeconds is set")
        self.assertGreaterEqual(grace, 15, f"{where}: the job needs ~6 s to abort its uploads")
        self.assertFalse(spec.get("automountServiceAccountToken", True), where)
        for c in spec["containers"] + spec.get("initContainers", []):
            csc = c.get("securityContext") or {}
            here = f"{where} container {c['name']}"
            self.assertIs(csc.get("readOnlyRootFilesystem"), True, here)
            self.assertIs(csc.get("allowPrivilegeEscalation"), False, here)
            self.assertEqual(csc.get("capabilities"), {"drop": ["ALL"]}, here)
            self.assertFalse(csc.get("privileged", False), here)
            self.assertNotEqual(csc.get("runAsUser", 10001), 0, here)
            self.assertIn("memory", (c.get("resources") or {}).get("limits", {}), here)

    def assert_credentials_by_reference(self, spec: dict, where: str):
        for c in spec["containers"]:
            names = [e["name"] for e in c.get("env") or []]
            self.assertEqual(len(names), len(set(names)), f"{where}: duplicate env {names}")
            for e in c.get("env") or []:
                if e["name"] in CREDENTIALS:
                    self.assertNotIn("value", e, f"{where}: {e['name']} is a literal value")
                    self.assertIn("secretKeyRef", e.get("valueFrom", {}), f"{where}: {e['name']}")
                if e["name"].endswith("_FILE"):
                    self.assertTrue(e["value"].startswith("/"), f"{where}: {e['name']} is a path")
                    self.assertNotIn(e["name"][:-5], names, f"{where}: {e['name']} and its plain form")

    def env_of(self, spec: dict) -> dict:
        return {e["name"]: e for e in spec["containers"][0].get("env") or []}

    def assert_documents_read_only(self, spec: dict, where: str, claim: str):
        volumes = [v for v in spec["volumes"]
                   if (v.get("persistentVolumeClaim") or {}).get("claimName") == claim]
        self.assertEqual(len(volumes), 1, f"{where}: one volume of the documents PVC {claim}")
        self.assertIs(volumes[0]["persistentVolumeClaim"].get("readOnly"), True, where)
        mounts = [m for c in spec["containers"] for m in c.get("volumeMounts") or []
                  if m["name"] == volumes[0]["name"]]
        self.assertTrue(mounts, f"{where}: the documents volume is mounted")
        for m in mounts:
            self.assertIs(m.get("readOnly"), True, f"{where}: mount {m['mountPath']}")


class ChartRenderTest(Assertions, unittest.TestCase):
    """The chart rendered with only its required values, and with every optional feature on."""

    @classmethod
    def setUpClass(cls):
        cls.required_only = os.path.join(CHART, "ci", "required-only.yaml")
        cls.all_on = os.path.join(CHART, "ci", "all-on.yaml")
        cls.rendered = {}
        for name, files in (("required-only", (cls.required_only,)), ("all-on", (cls.all_on,))):
            res = render(*files)
            if res.returncode != 0:
                raise AssertionError(f"rendering with {name} failed: {res.stderr}")
            cls.rendered[name] = write(f"{name}.yaml", res.stdout)

    def objects(self, name: str) -> list[dict]:
        code, docs = validate("k8s", self.rendered[name])
        bad = [(d.get("kind"), d.get("name"), d["errors"]) for d in docs if d["errors"]]
        self.assertEqual(code, 0, f"{name}: schema errors {bad}")
        return [d["object"] for d in docs]

    def by_component(self, objects: list[dict]) -> dict:
        return {(o["kind"], o["metadata"]["labels"].get("app.kubernetes.io/component", "")): o
                for o in objects}

    def test_required_only_renders_backup_status_and_service_account(self):
        objs = self.by_component(self.objects("required-only"))
        self.assertEqual(sorted(objs), [("CronJob", "backup"), ("CronJob", "status"), ("ServiceAccount", "")])
        backup = objs[("CronJob", "backup")]
        self.assertEqual(backup["metadata"]["name"], "erp-backup")
        self.assertEqual(backup["metadata"]["namespace"], "erp")
        spec = backup["spec"]
        self.assertEqual(spec["concurrencyPolicy"], "Forbid")
        self.assertEqual(spec["schedule"], "0 2 * * *")
        for field in ("startingDeadlineSeconds", "successfulJobsHistoryLimit", "failedJobsHistoryLimit"):
            self.assertIsInstance(spec[field], int, field)
        job = spec["jobTemplate"]["spec"]
        for field in ("backoffLimit", "activeDeadlineSeconds", "ttlSecondsAfterFinished"):
            self.assertIsInstance(job[field], int, field)
        pod = pod_specs(backup)[0]
        self.assertEqual(pod["terminationGracePeriodSeconds"], 30)
        container = pod["containers"][0]
        self.assertEqual(container["args"], ["backup"])
        self.assertEqual(container["image"], "localhost/erp-backup:0.1.0")
        self.assertEqual(container["resources"], {"requests": {"cpu": "250m", "memory": "128Mi"},
                                                  "limits": {"memory": "256Mi"}})
        env = self.env_of(pod)
        self.assertEqual(env["BACKUP_ENV"]["value"], "prod")
        self.assertEqual(env["S3_BUCKET"]["value"], "erp-backups")
        self.assertEqual(env["PGPORT"]["value"], "5432")
        self.assertEqual(env["DOCUMENTS_DIR"]["value"], "/var/www/documents")
        self.assertEqual(env["PGPASSWORD"]["valueFrom"], {"secretKeyRef": {"name": "erp-backup", "key": "PGPASSWORD"}})
        self.assertEqual(pod["serviceAccountName"], objs[("ServiceAccount", "")]["metadata"]["name"])

    def test_every_pod_is_restricted_and_takes_credentials_by_reference(self):
        for name in ("required-only", "all-on"):
            for obj in self.objects(name):
                for spec in pod_specs(obj):
                    where = f"{name}: {obj['kind']} {obj['metadata']['name']}"
                    # all-on's restore Job runs as www-data (restoreJob.podSecurityContext).
                    self.assert_restricted(spec, where, 33 if obj["kind"] == "Job" else 10001)
                    self.assert_credentials_by_reference(spec, where)
                    for c in spec["containers"]:
                        self.assertEqual(c["image"].split("@")[0].split(":")[0],
                                         "registry.example.com/erp/erp-backup" if name == "all-on"
                                         else "localhost/erp-backup", where)

    def test_backup_mounts_the_documents_pvc_read_only(self):
        for name, claim in (("required-only", "dolibarr-documents"), ("all-on", "dolibarr-documents")):
            backup = self.by_component(self.objects(name))[("CronJob", "backup")]
            spec = pod_specs(backup)[0]
            self.assert_documents_read_only(spec, name, claim)
            # No other volume of the backup pod is writable either.
            for m in spec["containers"][0].get("volumeMounts") or []:
                self.assertIs(m.get("readOnly"), True, f"{name}: {m['mountPath']}")

    def test_all_on_uses_every_feature(self):
        objects = self.objects("all-on")
        objs = self.by_component(objects)
        self.assertEqual(sorted(objs), [("CronJob", "backup"), ("CronJob", "doctor"), ("CronJob", "prune"),
                                        ("CronJob", "status"), ("Job", "restore"), ("NetworkPolicy", ""),
                                        ("NetworkPolicy", "database-egress"), ("PrometheusRule", ""),
                                        ("ServiceAccount", "")])
        accounts = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ServiceAccount"}
        self.assertEqual(sorted(accounts), ["erp-backup-prod", "erp-backup-prod-read"])
        self.assertEqual(accounts["erp-backup-prod"]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"],
                         "arn:aws:iam::123456789012:role/erp-backup")
        self.assertEqual(accounts["erp-backup-prod-read"]["metadata"]["annotations"],
                         {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/erp-backup-read"})
        self.assertIs(accounts["erp-backup-prod-read"]["automountServiceAccountToken"], False)
        backup = objs[("CronJob", "backup")]
        self.assertEqual(backup["spec"]["timeZone"], "Europe/Paris")
        pod = pod_specs(backup)[0]
        env = self.env_of(pod)
        self.assertEqual(env["PGPASSWORD_FILE"]["value"], "/vault/secrets/pgpassword")
        self.assertNotIn("PGPASSWORD", env)
        self.assertEqual(env["AWS_ACCESS_KEY_ID"]["valueFrom"]["secretKeyRef"],
                         {"name": "erp-backup", "key": "access-key-id"})
        self.assertEqual(env["AWS_CA_BUNDLE"]["value"], "/etc/erp-backup/ca/ca.pem")
        self.assertEqual(env["PUSHGATEWAY_URL"]["valueFrom"],  # backup.extraEnv: this pod's own secret
                         {"secretKeyRef": {"name": "erp-backup-pushgateway", "key": "url"}})
        self.assertEqual(env["RETENTION_DAILY_DAYS"]["value"], "30")  # a number in values, a string in env
        self.assertEqual(env["PGPORT"]["value"], "6432")
        self.assertEqual(env["POD_NAME"]["valueFrom"], {"fieldRef": {"fieldPath": "metadata.name"}})
        self.assertEqual(pod["securityContext"]["supplementalGroups"], [33])
        self.assertEqual(pod["serviceAccountName"], "erp-backup-prod")
        template_meta = backup["spec"]["jobTemplate"]["spec"]["template"]["metadata"]
        self.assertEqual(template_meta["annotations"]["vault.hashicorp.com/agent-pre-populate-only"], "true")
        self.assertIn('{{ with secret "database/creds/erp-dump" }}',
                      template_meta["annotations"]["vault.hashicorp.com/agent-inject-template-pgpassword"])
        mounts = {m["mountPath"]: m for m in pod["containers"][0]["volumeMounts"]}
        self.assertEqual(mounts["/var/www/documents"]["subPath"], "documents")
        self.assertIn("/secrets/pod-identity", mounts)
        self.assertIn("@sha256:", pod["containers"][0]["image"])

    def test_status_cronjob_checks_max_age_and_never_gets_the_database(self):
        for name in ("required-only", "all-on"):
            status = self.by_component(self.objects(name))[("CronJob", "status")]
            self.assertEqual(status["spec"]["concurrencyPolicy"], "Forbid")
            self.assertEqual(status["spec"]["jobTemplate"]["spec"]["backoffLimit"], 0)
            pod = pod_specs(status)[0]
            self.assertEqual(pod["containers"][0]["args"][:3], ["status", "--max-age", "26h"])
            env = self.env_of(pod)
            self.assertEqual(env["BACKUP_ENV"]["value"], "prod")
            leaked = [n for n in env if n.startswith("PG") and n != "PGSSLROOTCERT" or n == "DOCUMENTS_DIR"]
            self.assertEqual(leaked, [], f"{name}: the status pod gets the source database's settings")
            self.assertFalse(any(v.get("persistentVolumeClaim") for v in pod.get("volumes") or []))
        res = render(self.required_only, sets=("status.enabled=false",))
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertNotIn("erp-backup-status", res.stdout)

    def test_doctor_cronjob_off_by_default_on_with_the_backups_bucket_credentials_and_context(self):
        """doctor.enabled renders a weekly CronJob running `doctor` with exactly the backup's S3
        settings, credentials, service account and security context, and nothing of the database."""
        self.assertNotIn(("CronJob", "doctor"), self.by_component(self.objects("required-only")))
        res = render(self.required_only, sets=("doctor.enabled=true",), notes=True)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("kubectl -n erp create job erp-backup-doctor-now --from=cronjob/erp-backup-doctor",
                      res.stderr)
        code, docs = validate("k8s", write("doctor-on.yaml", res.stdout))
        self.assertEqual(code, 0, [d["errors"] for d in docs if d["errors"]])
        default = self.by_component([d["object"] for d in docs])[("CronJob", "doctor")]
        self.assertEqual(default["metadata"]["name"], "erp-backup-doctor")
        self.assertEqual(default["spec"]["schedule"], "30 3 * * 0")
        self.assertEqual(pod_specs(default)[0]["containers"][0]["args"], ["doctor"])
        for name in ("all-on", "doctor-on"):
            objs = (self.by_component(self.objects("all-on")) if name == "all-on"
                    else self.by_component([d["object"] for d in docs]))
            doctor, backup = objs[("CronJob", "doctor")], objs[("CronJob", "backup")]
            self.assertEqual(doctor["spec"]["concurrencyPolicy"], "Forbid")
            self.assertEqual(doctor["spec"]["jobTemplate"]["spec"]["backoffLimit"], 0)
            pod, backup_pod = pod_specs(doctor)[0], pod_specs(backup)[0]
            self.assertEqual(pod["terminationGracePeriodSeconds"], 45)
            self.assertEqual(pod["securityContext"], backup_pod["securityContext"], name)
            self.assertEqual(pod["containers"][0]["securityContext"],
                             backup_pod["containers"][0]["securityContext"], name)
            self.assertEqual(pod.get("serviceAccountName"), backup_pod.get("serviceAccountName"), name)
            env, backup_env = self.env_of(pod), self.env_of(backup_pod)
            bucket_side = {n: e for n, e in backup_env.items()
                           if n.startswith(("AWS_", "S3_")) or n == "BACKUP_ENV"}
            self.assertTrue(bucket_side)
            for variable, entry in bucket_side.items():
                self.assertEqual(env.get(variable), entry, f"{name}: {variable} differs from the backup's")
            leaked = [n for n in env if n.startswith("PG") and n != "PGSSLROOTCERT" or n == "DOCUMENTS_DIR"]
            self.assertEqual(leaked, [], f"{name}: the doctor pod gets the source database's settings")
            self.assertFalse(any(v.get("persistentVolumeClaim") for v in pod.get("volumes") or []))
        all_on = self.by_component(self.objects("all-on"))[("CronJob", "doctor")]
        self.assertEqual(all_on["spec"]["schedule"], "0 4 * * 1")
        self.assertEqual(all_on["spec"]["timeZone"], "Europe/Paris")
        self.assertEqual(pod_specs(all_on)[0]["containers"][0]["args"], ["doctor", "--json"])

    def test_restore_job_gets_the_target_only(self):
        restore = self.by_component(self.objects("all-on"))[("Job", "restore")]
        self.assertEqual(restore["metadata"]["name"], "erp-backup-prod-refresh-sandbox")
        pod = pod_specs(restore)[0]
        self.assertEqual(pod["containers"][0]["args"], ["refresh-sandbox", "--from-env", "prod"])
        env = self.env_of(pod)
        self.assertEqual(env["RESTORE_PGHOST"]["value"], "dolibarr-db.sandbox.svc")
        self.assertEqual(env["RESTORE_PGPASSWORD"]["valueFrom"]["secretKeyRef"],
                         {"name": "erp-backup-sandbox", "key": "password"})
        self.assertEqual(env["RESTORE_DOCUMENTS_DIR"]["value"], "/documents")
        self.assertEqual(env["RESTORE_EXCLUDE"]["value"], "FUNCTION pgbouncer user_lookup")
        for n in env:
            self.assertFalse(n in ("PGHOST", "PGPASSWORD", "PGPASSWORD_FILE", "PGUSER", "PGDATABASE"),
                             f"the restore Job gets the source's {n}")
        target = [v for v in pod["volumes"] if v.get("persistentVolumeClaim")]
        self.assertEqual(target, [{"name": "target-documents",
                                   "persistentVolumeClaim": {"claimName": "sandbox-documents"}}])

    def test_prometheus_rule_alerts_on_a_missing_backup_and_passes_promtool(self):
        rule = self.by_component(self.objects("all-on"))[("PrometheusRule", "")]
        self.assertEqual(rule["metadata"]["labels"]["release"], "kube-prometheus-stack")
        rules = {r["alert"]: r for r in rule["spec"]["groups"][0]["rules"]}
        self.assertEqual(sorted(rules), ["ErpBackupMetricsMissing", "ErpBackupNeverSucceeded",
                                         "ErpBackupPruneNotPassing", "ErpBackupStale",
                                         "ErpBackupStatusNotPassing", "ErpBackupTooOld"])
        # The separate prune CronJob (all-on): failing or never succeeded since it was created.
        prune = rules["ErpBackupPruneNotPassing"]["expr"]
        self.assertIn('kube_cronjob_status_last_successful_time{namespace="erp", cronjob="erp-backup-prod-prune"}',
                      prune)
        self.assertIn('kube_cronjob_created{namespace="erp", cronjob="erp-backup-prod-prune"}', prune)
        status = rules["ErpBackupStatusNotPassing"]["expr"]
        self.assertIn('kube_cronjob_status_last_successful_time{namespace="erp", cronjob="erp-backup-prod-status"}',
                      status)
        self.assertIn("or absent(", status, "a status that never passed must alert too")
        self.assertIn('cronjob="erp-backup-prod"}', rules["ErpBackupNeverSucceeded"]["expr"])
        self.assertIn('{job="erp-backup", instance="prod"}', rules["ErpBackupTooOld"]["expr"])
        promtool = shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool is missing (hint: install-test-deps.sh installs prometheus)")
        good = write("rules.yaml", json.dumps({"groups": rule["spec"]["groups"]}))
        res = subprocess.run([promtool, "check", "rules", good], capture_output=True, text=True, timeout=60)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        self.assertIn("SUCCESS: 6 rules found", res.stdout)
        broken = copy.deepcopy(rule["spec"]["groups"])
        broken[0]["rules"][0]["expr"] = "time() - kube_cronjob_status_last_successful_time{ > 1"
        bad = write("rules-bad.yaml", json.dumps({"groups": broken}))
        res = subprocess.run([promtool, "check", "rules", bad], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(res.returncode, 0)
        # Off by default.
        self.assertNotIn("PrometheusRule", [o["kind"] for o in self.objects("required-only")])

    def test_pure_defaults_and_each_missing_required_value_fail_naming_it(self):
        res = render()
        self.assertEqual(res.returncode, 1)
        self.assertIn("execution error at (erp-backup/templates/", res.stderr)
        self.assertIn("backupEnv is required", res.stderr)
        self.assertEqual(res.stdout, "")
        for key, message in (("backupEnv", "backupEnv is required (BACKUP_ENV"),
                             ("s3.bucket", "s3.bucket is required (S3_BUCKET)"),
                             ("postgres.host", "postgres.host is required (PGHOST)"),
                             ("postgres.database", "postgres.database is required (PGDATABASE)"),
                             ("postgres.user", "postgres.user is required (PGUSER)"),
                             ("documents.existingClaim", "documents.existingClaim is required"),
                             ("image.repository", "image.repository is required")):
            with self.subTest(key=key):
                res = render(self.required_only, sets=(f"{key}=null",))
                self.assertEqual(res.returncode, 1, f"{key}: {res.stdout[:200]}")
                self.assertIn(message, res.stderr)
        # The backup of the database alone needs no documents claim.
        res = render(self.required_only, sets=("documents.enabled=false", "documents.existingClaim=null"))
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertNotIn("DOCUMENTS_DIR", res.stdout)
        for key in ("restoreJob.target.host", "restoreJob.target.user"):
            res = render(self.all_on, sets=(f"{key}=null",))
            self.assertEqual(res.returncode, 1)
            self.assertIn(f"{key} is required", res.stderr)

    def test_a_credential_as_a_literal_value_is_refused(self):
        for key in ("env.PGPASSWORD", "env.AWS_SECRET_ACCESS_KEY", "restoreJob.env.RESTORE_PGPASSWORD"):
            with self.subTest(key=key):
                res = render(self.all_on, sets=(f"{key}=hunter2-literal",))
                self.assertEqual(res.returncode, 1)
                self.assertIn(f"{key}: a credential must not be a value", res.stderr)
                self.assertNotIn("hunter2-literal", res.stdout)
        # Both a Secret key and a file for one variable: the job would refuse NAME and NAME_FILE.
        res = render(self.all_on, sets=("existingSecret.keys.PGPASSWORD=password",))
        self.assertEqual(res.returncode, 1)
        self.assertIn("PGPASSWORD is both in existingSecret.keys and in secretFiles.env", res.stderr)

    def test_grace_period_and_schedule_values_reach_the_pod(self):
        res = render(self.required_only, sets=("backup.terminationGracePeriodSeconds=45",
                                               "backup.concurrencyPolicy=Forbid", "backup.backoffLimit=3"))
        self.assertEqual(res.returncode, 0, res.stderr)
        path = write("grace.yaml", res.stdout)
        code, docs = validate("k8s", path)
        self.assertEqual(code, 0)
        backup = [d["object"] for d in docs if d["name"] == "erp-backup"][0]
        self.assertEqual(pod_specs(backup)[0]["terminationGracePeriodSeconds"], 45)
        self.assertEqual(backup["spec"]["jobTemplate"]["spec"]["backoffLimit"], 3)

    def test_rendered_output_passes_yamllint(self):
        for name, path in self.rendered.items():
            res = subprocess.run(["yamllint", "-s", "-c", os.path.join(ROOT, ".yamllint"), path],
                                 capture_output=True, text=True, timeout=120)
            self.assertEqual(res.returncode, 0, f"{name}: {res.stdout}{res.stderr}")


def values_file(name: str, values: dict) -> str:
    """A -f file (JSON is YAML): lists and numbers as a values file carries them, which --set cannot."""
    return write(name, json.dumps(values))


def load_yaml(path: str):
    """A YAML file as data, parsed by the validator's pinned `yaml` package (no PyYAML needed)."""
    res = subprocess.run(["node", "-e", "process.stdout.write(JSON.stringify(require('yaml').parse("
                          "require('fs').readFileSync(process.argv[1], 'utf8'))))", path],
                         cwd=VALIDATOR_DIR, capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        raise AssertionError(f"parsing {path}: {res.stderr}")
    return json.loads(res.stdout)


def key_paths(node: dict, prefix: str = "") -> list[str]:
    """Every key of a values tree as a dotted path."""
    paths = []
    for key, value in node.items():
        paths.append(f"{prefix}{key}")
        if isinstance(value, dict):
            paths += key_paths(value, f"{prefix}{key}.")
    return paths


class ChartInterfaceTest(Assertions, unittest.TestCase):
    """The chart as an interface: its values schema, exact numbers, a database-only deployment,
    and the knobs operators expect (issue 19)."""

    @classmethod
    def setUpClass(cls):
        cls.required_only = os.path.join(CHART, "ci", "required-only.yaml")
        cls.all_on = os.path.join(CHART, "ci", "all-on.yaml")
        with open(os.path.join(CHART, "values.schema.json")) as f:
            cls.schema = json.load(f)

    def render_objects(self, *files: str, sets: tuple = ()) -> list[dict]:
        res = render(*files, sets=sets)
        self.assertEqual(res.returncode, 0, res.stderr)
        code, docs = validate("k8s", write("interface.yaml", res.stdout))
        self.assertEqual(code, 0, [(d.get("kind"), d.get("name"), d["errors"]) for d in docs if d["errors"]])
        return [d["object"] for d in docs]

    def component(self, objects: list[dict], kind: str, component: str) -> dict:
        found = [o for o in objects if o["kind"] == kind and
                 o["metadata"]["labels"].get("app.kubernetes.io/component", "") == component]
        self.assertEqual(len(found), 1, f"{kind} {component}")
        return found[0]

    def schema_node(self, path: str) -> dict | None:
        """The schema of a dotted values path; None below a map or Kubernetes type (not ours)."""
        node = self.schema
        for key in path.split("."):
            if "properties" not in node:
                return None
            self.assertIn(key, node["properties"], f"{path} is not in values.schema.json")
            node = node["properties"][key]
        return node

    def test_the_schema_refuses_a_misspelt_key_or_a_wrong_type(self):
        cases = {
            "backup.shedule=0 3 * * *": "- backup: Additional property shedule is not allowed",
            "backupenv=prod": "- (root): Additional property backupenv is not allowed",
            "s3.caBundle.confgMap=ca": "- s3.caBundle: Additional property confgMap is not allowed",
            "restoreJob.target.hots=db": "- restoreJob.target: Additional property hots is not allowed",
            "networkPolicy.dns.too=x": "- networkPolicy.dns: Additional property too is not allowed",
            "backup.backoffLimit=once": "- backup.backoffLimit: Invalid type. Expected: integer, given: string",
            "documents.enabled=yes": "- documents.enabled: Invalid type. Expected: boolean, given: string",
            "postgres.port=99999": "- postgres.port: Must be less than or equal to 65535",
            "postgres.sslMode=verify_full": "- postgres.sslMode: postgres.sslMode must be one of the following",
            "backup.terminationGracePeriodSeconds=5":
                "- backup.terminationGracePeriodSeconds: Must be greater than or equal to 15",
            "backupEnv=Prod_1": "- backupEnv: Does not match pattern",
        }
        for assignment, message in cases.items():
            with self.subTest(set=assignment):
                res = render(self.required_only, sets=(assignment,))
                self.assertEqual(res.returncode, 1, f"{assignment} was accepted")
                self.assertIn("Error: values don't meet the specifications of the schema(s) in the following "
                              "chart(s):\nerp-backup:\n", res.stderr)
                self.assertIn(message, res.stderr)
                self.assertEqual(res.stdout, "")
        # A wrong type from a values file.
        res = render(self.required_only, values_file("schema-type.yaml", {"status": {"extraArgs": "--json"}}))
        self.assertEqual(res.returncode, 1)
        self.assertIn("- status.extraArgs: Invalid type. Expected: array, given: string", res.stderr)
        # Closed at every level that is the chart's own: each object with properties forbids others.
        def walk(node: dict, where: str):
            if "properties" in node:
                self.assertIs(node.get("additionalProperties"), False, f"{where} is open")
                for key, child in node["properties"].items():
                    walk(child, f"{where}.{key}")
            if isinstance(node.get("items"), dict):
                walk(node["items"], f"{where}[]")
        walk(self.schema, "(root)")
        # Every key of values.yaml and of both ci/ files is in the schema (schema_node asserts it).
        for path in ("values.yaml", "ci/all-on.yaml", "ci/required-only.yaml"):
            for key in key_paths(load_yaml(os.path.join(CHART, path))):
                self.schema_node(key)

    def test_whole_numbers_render_exactly(self):
        """Values are JSON numbers (float64): Go prints 1000000 as 1e+06 (RendererTest shows Helm's
        engine doing it), which the API server refuses for an integer and the job for a size."""
        big = values_file("big-numbers.yaml", {
            "env": {"S3_PART_SIZE": 104857600, "S3_BUFFER_BUDGET": 1073741824, "DOCS_ZSTD_LEVEL": 3},
            "backup": {"activeDeadlineSeconds": 1000000, "ttlSecondsAfterFinished": 2592000,
                       "startingDeadlineSeconds": 1000000},
            "restoreJob": {"env": {"RESTORE_MIN_TABLES": 1000000}, "activeDeadlineSeconds": 1209600},
            "prometheusRule": {"backupMaxAgeSeconds": 1000000},
        })
        objs = self.render_objects(self.all_on, big)
        backup = self.component(objs, "CronJob", "backup")
        self.assertEqual(backup["spec"]["startingDeadlineSeconds"], 1000000)
        job = backup["spec"]["jobTemplate"]["spec"]
        self.assertEqual((job["activeDeadlineSeconds"], job["ttlSecondsAfterFinished"]), (1000000, 2592000))
        env = self.env_of(pod_specs(backup)[0])
        self.assertEqual(env["S3_PART_SIZE"]["value"], "104857600")
        self.assertEqual(env["S3_BUFFER_BUDGET"]["value"], "1073741824")
        self.assertEqual(env["DOCS_ZSTD_LEVEL"]["value"], "3")
        restore = self.component(objs, "Job", "restore")
        self.assertEqual(restore["spec"]["activeDeadlineSeconds"], 1209600)
        self.assertEqual(self.env_of(pod_specs(restore)[0])["RESTORE_MIN_TABLES"]["value"], "1000000")
        rule = self.component(objs, "PrometheusRule", "")
        self.assertIn("> 1000000", rule["spec"]["groups"][0]["rules"][0]["expr"])
        self.assertNotIn("e+0", render(self.all_on, big).stdout)
        # A fraction stays one.
        res = render(self.required_only, values_file("fraction.yaml", {"env": {"X_RATIO": 0.25}}))
        self.assertIn('value: "0.25"', res.stdout)

    def test_documents_disabled_backs_up_and_checks_the_database_only(self):
        objs = self.render_objects(self.required_only, sets=("documents.enabled=false",))
        pod = pod_specs(self.component(objs, "CronJob", "backup"))[0]
        self.assertEqual(pod["containers"][0]["args"], ["backup", "--only", "db"])
        self.assertNotIn("DOCUMENTS_DIR", self.env_of(pod))
        self.assertFalse([v for v in pod.get("volumes") or [] if v.get("persistentVolumeClaim")])
        self.assertFalse([m for m in pod["containers"][0].get("volumeMounts") or [] if m["name"] == "documents"])
        status = pod_specs(self.component(objs, "CronJob", "status"))[0]
        self.assertEqual(status["containers"][0]["args"], ["status", "--max-age", "26h", "--only", "db"])
        # args that already choose a stream are left alone; with the documents on nothing is added.
        own = values_file("only-db.yaml", {"documents": {"enabled": False},
                                           "backup": {"args": ["backup", "--only", "db"]},
                                           "status": {"extraArgs": ["--only", "db", "--json"]}})
        objs = self.render_objects(self.required_only, own)
        self.assertEqual(pod_specs(self.component(objs, "CronJob", "backup"))[0]["containers"][0]["args"],
                         ["backup", "--only", "db"])
        self.assertEqual(pod_specs(self.component(objs, "CronJob", "status"))[0]["containers"][0]["args"],
                         ["status", "--max-age", "26h", "--only", "db", "--json"])
        objs = self.render_objects(self.required_only)
        self.assertEqual(pod_specs(self.component(objs, "CronJob", "backup"))[0]["containers"][0]["args"],
                         ["backup"])
        self.assertEqual(pod_specs(self.component(objs, "CronJob", "status"))[0]["containers"][0]["args"],
                         ["status", "--max-age", "26h"])

    def test_a_docs_only_restore_has_no_database_target_and_the_restore_its_own_resources(self):
        docs = values_file("restore-docs.yaml", {"restoreJob": {
            "name": "restore-docs", "args": ["restore", "docs", "latest"],
            "target": {"host": None, "database": None, "user": None}}})
        restore = self.component(self.render_objects(self.all_on, docs), "Job", "restore")
        pod = pod_specs(restore)[0]
        self.assertEqual(pod["containers"][0]["args"], ["restore", "docs", "latest"])
        env = self.env_of(pod)
        # (PGSSLROOTCERT is all-on's `env`, given to every pod.)
        self.assertEqual([n for n in env if n.startswith(("RESTORE_PG", "PG")) and n != "PGSSLROOTCERT"], [],
                         list(env))
        self.assertEqual(env["RESTORE_DOCUMENTS_DIR"]["value"], "/documents")
        # all-on's read scope has its own IRSA service account: no static key at all.
        self.assertEqual([n for n in env if n.startswith("AWS_") and n not in ("AWS_REGION", "AWS_CA_BUNDLE",
                                                                               "AWS_ENDPOINT_URL_S3")], [])
        self.assertEqual(pod["serviceAccountName"], "erp-backup-prod-read")
        self.assert_restricted(pod, "docs-only restore", 33)
        # A database restore without its target still fails naming it.
        res = render(self.all_on, sets=("restoreJob.target.host=null",))
        self.assertEqual(res.returncode, 1)
        self.assertIn("restoreJob.target.host is required", res.stderr)
        # Its own resources (all-on), else the global ones.
        restore = self.component(self.render_objects(self.all_on), "Job", "restore")
        self.assertEqual(pod_specs(restore)[0]["containers"][0]["resources"],
                         {"requests": {"cpu": "1", "memory": "256Mi"}, "limits": {"memory": "512Mi"}})
        restore = self.component(self.render_objects(self.all_on, sets=("restoreJob.resources=null",)),
                                 "Job", "restore")
        self.assertEqual(pod_specs(restore)[0]["containers"][0]["resources"],
                         {"requests": {"cpu": "250m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}})

    def pod_template(self, obj: dict) -> dict:
        return obj["spec"]["jobTemplate"]["spec"]["template"] if obj["kind"] == "CronJob" else obj["spec"]["template"]

    def test_operator_knobs(self):
        objs = self.render_objects(self.all_on)
        pods = {(o["kind"], o["metadata"]["labels"]["app.kubernetes.io/component"]): o
                for o in objs if pod_specs(o)}
        self.assertEqual(sorted(pods), [("CronJob", "backup"), ("CronJob", "doctor"), ("CronJob", "prune"),
                                        ("CronJob", "status"), ("Job", "restore")])
        # commonLabels on every object and every pod.
        for o in objs:
            self.assertEqual(o["metadata"]["labels"].get("example.com/cost-center"), "erp", o["metadata"]["name"])
        for key, o in pods.items():
            self.assertEqual(self.pod_template(o)["metadata"]["labels"]["example.com/cost-center"], "erp", key)
            # The global envFrom on every job container, before the component's own (prune's).
            self.assertEqual(pod_specs(o)[0]["containers"][0]["envFrom"],
                             [{"configMapRef": {"name": "erp-backup-settings"}}] +
                             ([{"configMapRef": {"name": "erp-backup-prune-settings"}}] if key[1] == "prune" else []),
                             key)
        backup, status = pods[("CronJob", "backup")], pods[("CronJob", "status")]
        backup_pod, status_pod = pod_specs(backup)[0], pod_specs(status)[0]
        # The cloud-sql-proxy native sidecar, in the backup pod only.
        self.assertEqual([(c["name"], c["restartPolicy"]) for c in backup_pod["initContainers"]],
                         [("cloud-sql-proxy", "Always")])
        for key, o in pods.items():
            if key != ("CronJob", "backup"):
                self.assertNotIn("initContainers", pod_specs(o)[0], key)
        # Per-CronJob annotations; pod annotations merged over the global ones; resources and
        # nodeSelector with the global as default.
        self.assertEqual(backup["metadata"]["annotations"], {"example.com/runbook": "https://wiki.example.com/erp-backup"})
        self.assertEqual(status["metadata"]["annotations"],
                         {"example.com/runbook": "https://wiki.example.com/erp-backup#status"})
        self.assertNotIn("annotations", pods[("CronJob", "doctor")]["metadata"])
        backup_annotations = self.pod_template(backup)["metadata"]["annotations"]
        status_annotations = self.pod_template(status)["metadata"]["annotations"]
        self.assertEqual(backup_annotations["example.com/component-note"], "nightly")
        self.assertEqual(backup_annotations["example.com/owner"], "erp-team")
        self.assertEqual(backup_annotations["vault.hashicorp.com/role"], "erp-backup")
        self.assertNotIn("example.com/component-note", status_annotations)
        self.assertEqual(status_annotations, {"example.com/owner": "erp-team"})
        self.assertEqual(backup_pod["nodeSelector"], {"node-role.example.com/batch": "true"})
        self.assertEqual(status_pod["nodeSelector"], {"kubernetes.io/os": "linux"})
        self.assertEqual(backup_pod["containers"][0]["resources"],
                         {"requests": {"cpu": "500m", "memory": "160Mi"}, "limits": {"memory": "320Mi"}})
        self.assertEqual(status_pod["containers"][0]["resources"]["limits"], {"memory": "64Mi"})
        # podFailurePolicy: a configuration error (exit 2) fails the Job without a retry.
        fail_on_2 = {"action": "FailJob", "onExitCodes": {"containerName": "backup", "operator": "In", "values": [2]}}
        self.assertIn(fail_on_2, backup["spec"]["jobTemplate"]["spec"]["podFailurePolicy"]["rules"])
        fail_on_2["onExitCodes"]["containerName"] = "restore"
        self.assertIn(fail_on_2, pods[("Job", "restore")]["spec"]["podFailurePolicy"]["rules"])
        # suspend per CronJob.
        objs = self.render_objects(self.all_on, sets=("status.suspend=true", "doctor.suspend=true"))
        suspended = {o["metadata"]["labels"]["app.kubernetes.io/component"]: o["spec"]["suspend"]
                     for o in objs if o["kind"] == "CronJob"}
        self.assertEqual(suspended, {"backup": False, "status": True, "doctor": True, "prune": False})
        # Global init and extra containers reach every pod, before the component's own.
        def container(name: str) -> dict:
            return {"name": name, "image": "docker.io/library/busybox:1.36", "args": ["true"],
                    "securityContext": {"readOnlyRootFilesystem": True, "allowPrivilegeEscalation": False,
                                        "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]}},
                    "resources": {"limits": {"memory": "16Mi"}}}
        extra = values_file("containers.yaml", {"initContainers": [container("wait")],
                                                "extraContainers": [container("shipper")]})
        objs = self.render_objects(self.all_on, extra)
        for o in objs:
            for spec in pod_specs(o):
                where = o["metadata"]["name"]
                self.assertEqual(spec["initContainers"][0]["name"], "wait", where)
                self.assertEqual([c["name"] for c in spec["containers"]][1:], ["shipper"], where)
                self.assert_restricted(spec, where, 33 if o["kind"] == "Job" else 10001)
        backup_pod = pod_specs(self.component(objs, "CronJob", "backup"))[0]
        self.assertEqual([c["name"] for c in backup_pod["initContainers"]], ["wait", "cloud-sql-proxy"])

    def test_network_policy_is_off_by_default_and_allows_only_dns_the_store_and_the_database(self):
        self.assertNotIn("NetworkPolicy", [o["kind"] for o in self.render_objects(self.required_only)])
        objs = self.render_objects(self.all_on)
        main = self.component(objs, "NetworkPolicy", "")
        database = self.component(objs, "NetworkPolicy", "database-egress")
        self.assertEqual(main["metadata"]["name"], "erp-backup-prod")
        self.assertEqual(database["metadata"]["name"], "erp-backup-prod-database")
        # The main policy selects every pod of the release and lets nothing in.
        selector = main["spec"]["podSelector"]["matchLabels"]
        self.assertEqual(sorted(selector), ["app.kubernetes.io/instance", "app.kubernetes.io/name"])
        for o in objs:
            if pod_specs(o):
                labels = self.pod_template(o)["metadata"]["labels"]
                self.assertLessEqual(selector.items(), labels.items(), o["metadata"]["name"])
        self.assertEqual(main["spec"]["policyTypes"], ["Ingress", "Egress"])
        self.assertNotIn("ingress", main["spec"])
        egress = main["spec"]["egress"]
        self.assertEqual(len(egress), 3)
        self.assertEqual(egress[0]["ports"], [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}])
        self.assertEqual(egress[0]["to"][0]["podSelector"], {"matchLabels": {"k8s-app": "kube-dns"}})
        self.assertEqual(egress[1]["ports"], [{"protocol": "TCP", "port": 9000}])
        self.assertEqual(egress[1]["to"][0]["podSelector"], {"matchLabels": {"app": "minio"}})
        self.assertEqual(egress[2]["ports"], [{"protocol": "TCP", "port": 9091}])
        # The database: the backup and restore pods only, on the source's and the target's ports.
        spec = database["spec"]
        self.assertEqual(spec["podSelector"]["matchLabels"], selector)
        self.assertEqual(spec["podSelector"]["matchExpressions"],
                         [{"key": "app.kubernetes.io/component", "operator": "In", "values": ["backup", "restore"]}])
        self.assertEqual(spec["policyTypes"], ["Egress"])
        self.assertEqual(spec["egress"], [{"to": [{"ipBlock": {"cidr": "10.20.0.0/24"}}],
                                           "ports": [{"protocol": "TCP", "port": 6432},
                                                     {"protocol": "TCP", "port": 5432}]}])
        for part in ("store", "database"):
            with self.subTest(part=part):
                res = render(self.all_on, values_file("np-empty.yaml", {"networkPolicy": {part: {"to": []}}}))
                self.assertEqual(res.returncode, 1)
                self.assertIn(f"networkPolicy.{part}.to is required", res.stderr)

    def test_the_chart_readme_documents_every_value(self):
        """container/helm/erp-backup/README.md has a row `key` | type | default | meaning for every
        key of the schema (down to the maps and Kubernetes types it leaves open), and no other."""
        with open(os.path.join(CHART, "README.md")) as f:
            readme = f.read()
        rows = {}
        for line in readme.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if line.startswith("| `") and len(cells) == 4:
                rows[cells[0].strip("`")] = cells
        expected = []

        def walk(node: dict, prefix: str):
            for key, child in node.get("properties", {}).items():
                expected.append(prefix + key)
                walk(child, prefix + key + ".")
        walk(self.schema, "")
        expected.remove("global")
        self.assertEqual(sorted(rows), sorted(expected), "README rows and the schema's keys differ")
        values = load_yaml(os.path.join(CHART, "values.yaml"))
        for path, cells in rows.items():
            node = self.schema_node(path)
            kind = node["type"] if isinstance(node["type"], str) else "/".join(node["type"])
            self.assertEqual(cells[1], kind, f"{path}: the type column")
            default = values
            for key in path.split("."):
                default = default.get(key) if isinstance(default, dict) else None
            if not isinstance(default, dict):
                shown = "" if default is None else json.dumps(default)
                self.assertEqual(cells[2].strip("`"), shown, f"{path}: the default column")
        for job in ("erp-backup backup", "erp-backup status", "erp-backup doctor", "restoreJob.args"):
            self.assertIn(job, readme)


def secrets_of(spec: dict) -> dict:
    """Every secret a pod holds: env from a Secret (VARIABLE: "secret/key"), a secret file
    (VARIABLE_FILE: its path), a Secret as envFrom ("envFrom": [names]) or as a mounted volume
    ("volumes": [secret names]). Vault agent annotations are checked apart."""
    found = {}
    container = spec["containers"][0]
    for e in container.get("env") or []:
        ref = (e.get("valueFrom") or {}).get("secretKeyRef")
        if ref:
            found[e["name"]] = f"{ref['name']}/{ref['key']}"
        elif e["name"].endswith("_FILE"):
            found[e["name"]] = e["value"]
    env_from = [s["secretRef"]["name"] for s in container.get("envFrom") or [] if "secretRef" in s]
    if env_from:
        found["envFrom"] = env_from
    mounted = {m["name"] for m in container.get("volumeMounts") or []}
    volumes = sorted(v["secret"]["secretName"] for v in spec.get("volumes") or []
                     if "secret" in v and v["name"] in mounted)
    if volumes:
        found["volumes"] = volumes
    return found


class CredentialScopeTest(Assertions, unittest.TestCase):
    """Issue 20: each pod gets the secrets its command needs and no other. The source database's
    password only the backup pod, RESTORE_PGPASSWORD only the restore Job; the S3 credentials by
    scope (backup: backup and doctor; prune: the separate prune CronJob; read: status and restore),
    each with a fallback to the one common Secret."""

    @classmethod
    def setUpClass(cls):
        cls.required_only = os.path.join(CHART, "ci", "required-only.yaml")
        cls.all_on = os.path.join(CHART, "ci", "all-on.yaml")

    def pods(self, *files: str, sets: tuple = ()) -> tuple[dict, list[dict]]:
        """(component -> (the CronJob/Job, its pod spec), every object), validated against the API
        schema."""
        res = render(*files, sets=sets)
        self.assertEqual(res.returncode, 0, res.stderr)
        code, docs = validate("k8s", write("scopes.yaml", res.stdout))
        self.assertEqual(code, 0, [(d.get("kind"), d.get("name"), d["errors"]) for d in docs if d["errors"]])
        found = {}
        for d in docs:
            o = d["object"]
            for spec in pod_specs(o):
                component = o["metadata"]["labels"]["app.kubernetes.io/component"]
                self.assertNotIn(component, found)
                found[component] = (o, spec)
                self.assert_credentials_by_reference(spec, component)
        return found, [d["object"] for d in docs]

    def annotations(self, obj: dict) -> dict:
        template = obj["spec"]["jobTemplate"]["spec"]["template"] if obj["kind"] == "CronJob" else obj["spec"]["template"]
        return template["metadata"].get("annotations") or {}

    def test_defaults_one_secret_each_pod_its_part(self):
        common = {"AWS_ACCESS_KEY_ID": "erp-backup/AWS_ACCESS_KEY_ID",
                  "AWS_SECRET_ACCESS_KEY": "erp-backup/AWS_SECRET_ACCESS_KEY"}
        pods, objects = self.pods(self.required_only)
        self.assertEqual(sorted(p for p in pods), ["backup", "status"])
        self.assertEqual(secrets_of(pods["backup"][1]), {**common, "PGPASSWORD": "erp-backup/PGPASSWORD"})
        self.assertEqual(secrets_of(pods["status"][1]), common)
        for name, (_, spec) in pods.items():
            env = self.env_of(spec)
            self.assertNotIn("OBJECT_LOCK_MODE", env, f"{name}: objectLock.mode is off by default")
            self.assertNotIn("PRUNE_AFTER_BACKUP", env, f"{name}: the backup prunes by default")
            self.assertEqual(spec["serviceAccountName"], "erp-backup", name)
        # Every component on, still the one Secret: each pod takes only its part of it, also when
        # the Secret holds the restore target's password (a RESTORE_* key).
        restore = values_file("scopes-defaults.yaml", {
            "doctor": {"enabled": True}, "prune": {"separateJob": {"enabled": True}},
            "existingSecret": {"keys": {"RESTORE_PGPASSWORD": "RESTORE_PGPASSWORD"}},
            "restoreJob": {"enabled": True, "args": ["restore", "db", "latest"],
                           "target": {"host": "db.sandbox", "database": "sandbox", "user": "restorer"}}})
        pods, objects = self.pods(self.required_only, restore)
        self.assertEqual(sorted(p for p in pods), ["backup", "doctor", "prune", "restore", "status"])
        expected = {"backup": {**common, "PGPASSWORD": "erp-backup/PGPASSWORD"}, "doctor": common,
                    "prune": common, "status": common,
                    "restore": {**common, "RESTORE_PGPASSWORD": "erp-backup/RESTORE_PGPASSWORD"}}
        for name, secrets in expected.items():
            self.assertEqual(secrets_of(pods[name][1]), secrets, name)
        self.assertEqual(self.env_of(pods["backup"][1])["PRUNE_AFTER_BACKUP"]["value"], "false")
        prune_obj, prune = pods["prune"]
        self.assertEqual(prune_obj["metadata"]["name"], "erp-backup-prune")
        self.assertEqual(prune_obj["spec"]["schedule"], "30 4 * * *")
        self.assertEqual(prune_obj["spec"]["concurrencyPolicy"], "Forbid")
        self.assertEqual(prune_obj["spec"]["jobTemplate"]["spec"]["backoffLimit"], 0)
        self.assertEqual(prune["containers"][0]["args"], ["prune"])
        self.assertEqual([n for n in self.env_of(prune) if n.startswith("PG") or n == "DOCUMENTS_DIR"], [])
        self.assertFalse([v for v in prune.get("volumes") or [] if v.get("persistentVolumeClaim")])
        self.assert_restricted(prune, "prune")

    def test_all_on_each_pod_gets_exactly_its_secrets(self):
        pods, objects = self.pods(self.all_on)
        backup_common = {"AWS_ACCESS_KEY_ID": "erp-backup/access-key-id",
                         "AWS_SECRET_ACCESS_KEY": "erp-backup/secret-access-key",
                         "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "/secrets/pod-identity/token",
                         "volumes": ["erp-backup-pod-identity"]}
        expected = {
            "backup": {**backup_common, "PGPASSWORD_FILE": "/vault/secrets/pgpassword",
                       "PUSHGATEWAY_URL": "erp-backup-pushgateway/url"},
            "doctor": backup_common,
            "prune": {"AWS_ACCESS_KEY_ID": "erp-backup-prune/access-key-id",
                      "AWS_SECRET_ACCESS_KEY": "erp-backup-prune/secret-access-key"},
            "status": {},
            "restore": {"RESTORE_PGPASSWORD": "erp-backup-sandbox/password"},
        }
        self.assertEqual(sorted(p for p in pods), sorted(expected))
        for name, secrets in expected.items():
            self.assertEqual(secrets_of(pods[name][1]), secrets, name)
        accounts = {name: spec["serviceAccountName"] for name, (_, spec) in pods.items()}
        self.assertEqual(accounts, {"backup": "erp-backup-prod", "doctor": "erp-backup-prod",
                                    "prune": "erp-backup-prod", "status": "erp-backup-prod-read",
                                    "restore": "erp-backup-prod-read"})
        # The Vault agent (the database's password) is the backup pod's only.
        for name, (obj, _) in pods.items():
            vault = [a for a in self.annotations(obj) if a.startswith("vault.hashicorp.com/")]
            self.assertEqual(bool(vault), name == "backup", f"{name}: {vault}")
        # Object Lock and the separate prune.
        for name, (_, spec) in pods.items():
            env = self.env_of(spec)
            locked = name in ("backup", "prune", "status", "doctor")
            self.assertEqual(env.get("OBJECT_LOCK_MODE", {}).get("value"), "governance" if locked else None, name)
            self.assertEqual(env.get("OBJECT_LOCK_MARGIN", {}).get("value"), "3d" if locked else None, name)
            self.assertEqual(env.get("PRUNE_AFTER_BACKUP", {}).get("value"), "false" if name == "backup" else None)
        prune_obj, prune = pods["prune"]
        self.assertEqual(prune["containers"][0]["args"], ["prune", "--json"])
        self.assertEqual(prune_obj["spec"]["timeZone"], "Europe/Paris")

    def test_scope_secrets_and_service_accounts(self):
        own = values_file("scopes-own.yaml", {
            "backup": {"s3Secret": {"name": "erp-backup-writer"}},
            "prune": {"separateJob": {"enabled": True},
                      "serviceAccount": {"create": True, "irsaRoleArn": "arn:aws:iam::1:role/prune"}},
            "readScope": {"s3Secret": {"name": "erp-backup-reader",
                                       "keys": {"AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret",
                                                "AWS_SESSION_TOKEN": ""}}},
            "doctor": {"enabled": True}})
        pods, objects = self.pods(self.required_only, own)
        writer = {"AWS_ACCESS_KEY_ID": "erp-backup-writer/AWS_ACCESS_KEY_ID",
                  "AWS_SECRET_ACCESS_KEY": "erp-backup-writer/AWS_SECRET_ACCESS_KEY"}
        self.assertEqual(secrets_of(pods["backup"][1]), {**writer, "PGPASSWORD": "erp-backup/PGPASSWORD"})
        self.assertEqual(secrets_of(pods["doctor"][1]), writer)
        self.assertEqual(secrets_of(pods["status"][1]), {"AWS_ACCESS_KEY_ID": "erp-backup-reader/id",
                                                         "AWS_SECRET_ACCESS_KEY": "erp-backup-reader/secret"})
        # Its own service account: its IRSA role and no static key that would win over it.
        self.assertEqual(secrets_of(pods["prune"][1]), {})
        self.assertEqual(pods["prune"][1]["serviceAccountName"], "erp-backup-prune")
        accounts = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ServiceAccount"}
        self.assertEqual(sorted(accounts), ["erp-backup", "erp-backup-prune"])
        self.assertEqual(accounts["erp-backup-prune"]["metadata"]["annotations"],
                         {"eks.amazonaws.com/role-arn": "arn:aws:iam::1:role/prune"})
        # An existing account by name; none created. Without the separate job no prune account.
        pods, objects = self.pods(self.required_only, sets=("readScope.serviceAccount.name=erp-reader",
                                                   "prune.serviceAccount.create=true"))
        self.assertEqual(pods["status"][1]["serviceAccountName"], "erp-reader")
        self.assertEqual(secrets_of(pods["status"][1]), {})
        self.assertEqual([o["metadata"]["name"] for o in objects if o["kind"] == "ServiceAccount"],
                         ["erp-backup"])

    def test_a_secret_volume_is_mounted_where_its_files_are_used(self):
        files = values_file("scopes-volumes.yaml", {
            "existingSecret": {"keys": {"PGPASSWORD": ""}},
            "secretFiles": {"env": {"PGPASSWORD": "/secrets/pg/password"},
                            "volumes": [{"name": "pg", "secretName": "erp-pg", "mountPath": "/secrets/pg"},
                                        {"name": "other", "secretName": "erp-other", "mountPath": "/secrets/other"}]},
            "doctor": {"enabled": True}, "prune": {"separateJob": {"enabled": True}}})
        pods, objects = self.pods(self.required_only, files)
        for name in ("backup", "status", "doctor", "prune"):
            secrets = secrets_of(pods[name][1])
            if name == "backup":
                self.assertEqual(secrets["PGPASSWORD_FILE"], "/secrets/pg/password")
                self.assertEqual(secrets["volumes"], ["erp-other", "erp-pg"])
            else:
                self.assertNotIn("PGPASSWORD_FILE", secrets, name)
                # A volume no secretFiles path lies under is used some other way: every pod.
                self.assertEqual(secrets["volumes"], ["erp-other"], name)

    def test_what_every_pod_gets_refuses_a_secret(self):
        cases = {
            "global-extraenv": ({"extraEnv": [{"name": "PGPASSWORD", "valueFrom": {"secretKeyRef": {
                "name": "db", "key": "password"}}}]}, "extraEnv PGPASSWORD: a secretKeyRef in the global extraEnv"),
            "global-envfrom": ({"envFrom": [{"secretRef": {"name": "db"}}]},
                               "envFrom: a secretRef in the global envFrom reaches every pod"),
            "lock-in-env": ({"env": {"OBJECT_LOCK_MODE": "governance"}}, "env.OBJECT_LOCK_MODE: set objectLock.mode"),
            "prune-in-env": ({"env": {"PRUNE_AFTER_BACKUP": "true"}, "prune": {"separateJob": {"enabled": True}}},
                             "env.PRUNE_AFTER_BACKUP: prune.separateJob.enabled sets it"),
        }
        for name, (values, message) in cases.items():
            with self.subTest(case=name):
                res = render(self.required_only, values_file(f"refuse-{name}.yaml", values))
                self.assertEqual(res.returncode, 1, f"{name} was accepted")
                self.assertIn(message, res.stderr)
        # The same secret in one component's own extraEnv / envFrom: that pod only.
        own = values_file("scopes-component-env.yaml", {
            "status": {"extraEnv": [{"name": "PUSHGATEWAY_URL", "valueFrom": {"secretKeyRef": {
                "name": "pushgateway", "key": "url"}}}], "envFrom": [{"secretRef": {"name": "status-extra"}}]}})
        pods, objects = self.pods(self.required_only, own)
        self.assertEqual(secrets_of(pods["status"][1])["PUSHGATEWAY_URL"], "pushgateway/url")
        self.assertEqual(secrets_of(pods["status"][1])["envFrom"], ["status-extra"])
        self.assertNotIn("PUSHGATEWAY_URL", secrets_of(pods["backup"][1]))
        self.assertNotIn("envFrom", secrets_of(pods["backup"][1]))
        # The schema: a mode that is not one, a database password in a scope's S3 Secret.
        for assignment, message in (("objectLock.mode=on", "- objectLock.mode: objectLock.mode must be one of"),
                                    ("objectLock.margin=2 days", "- objectLock.margin: Does not match pattern"),
                                    ("prune.s3Secret.keys.PGPASSWORD=password", "- prune.s3Secret.keys: ")):
            with self.subTest(set=assignment):
                res = render(self.required_only, sets=(assignment,))
                self.assertEqual(res.returncode, 1, f"{assignment} was accepted")
                self.assertIn(message, res.stderr)
        # A bare `off` in a values file is YAML 1.1's false for Helm: the schema refuses it.
        res = render(self.required_only, write("lock-off.yaml", "objectLock:\n  mode: off\n"))
        self.assertEqual(res.returncode, 1, "a bare off was accepted")
        self.assertIn("- objectLock.mode: Invalid type. Expected: string, given: boolean", res.stderr)


class RendererTest(unittest.TestCase):
    """helm_render behaves like `helm template` where a chart could tell the difference."""

    def chart(self, templates: dict, values: str) -> str:
        root = tempfile.mkdtemp(dir=_work)
        os.makedirs(os.path.join(root, "templates"))
        with open(os.path.join(root, "Chart.yaml"), "w") as f:
            f.write("apiVersion: v2\nname: probe\nversion: 1.2.3\nappVersion: \"4.5\"\n")
        with open(os.path.join(root, "values.yaml"), "w") as f:
            f.write(values)
        for name, text in templates.items():
            with open(os.path.join(root, "templates", name), "w") as f:
                f.write(text)
        return root

    def test_helm_semantics(self):
        chart = self.chart({
            "_helpers.tpl": '{{- define "probe.need" -}}{{ required "x.y is required" .Values.x.y }}{{- end -}}',
            "a.yaml": ("kind: A\nmissing: '{{ .Values.nothere }}'\nbig: '{{ .Values.big }}'\n"
                       "chart: {{ .Chart.Name }}-{{ .Chart.Version }}-{{ .Chart.AppVersion }}\n"
                       "release: {{ .Release.Name }}/{{ .Release.Namespace }}/{{ .Release.Service }}\n"
                       "map:\n  {{- toYaml .Values.m | nindent 2 }}\nend: true\n"),
            "b.yaml": "{{- if .Values.off }}kind: B{{ end }}",
            "c.yaml": 'kind: C\nneed: {{ include "probe.need" . }}\n',
        }, "big: 1000000\nm: {z: 1, a: [x, y]}\nx: {y: ok}\noff: false\n")
        res = render(chart=chart)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertEqual(res.stdout, (
            "---\n# Source: probe/templates/a.yaml\nkind: A\nmissing: ''\nbig: '1e+06'\n"
            "chart: probe-1.2.3-4.5\nrelease: erp-backup/erp/Helm\n"
            "map:\n  a:\n    - x\n    - \"y\"\n  z: 1\nend: true\n"
            "---\n# Source: probe/templates/c.yaml\nkind: C\nneed: ok\n"))
        res = render(chart=chart, sets=("x.y=null",))
        self.assertEqual(res.returncode, 1)
        self.assertEqual(res.stderr.strip(),
                         "Error: execution error at (probe/templates/_helpers.tpl:1:30): x.y is required")
        res = render(chart=chart, sets=("off=true", "m.z=2"))
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("# Source: probe/templates/b.yaml\nkind: B", res.stdout)
        self.assertIn("  z: 2\n", res.stdout)
        bad = self.chart({"a.yaml": "kind: A\n  bad: [\n"}, "{}\n")
        res = render(chart=bad)
        self.assertEqual(res.returncode, 1)
        self.assertIn("YAML parse error on probe/templates/a.yaml", res.stderr)
        # values.schema.json is checked against the merged values before any template runs, with
        # Helm's message; a chart without one is not checked (the probe above).
        schema = self.chart({"a.yaml": "kind: A\nn: {{ .Values.n }}\n"}, "n: 1\nm: {k: x}\n")
        with open(os.path.join(schema, "values.schema.json"), "w") as f:
            json.dump({"type": "object", "additionalProperties": False, "properties": {
                "n": {"type": "integer"},
                "m": {"type": "object", "additionalProperties": False, "properties": {"k": {"type": "string"}}}}}, f)
        self.assertEqual(render(chart=schema).returncode, 0)
        res = render(chart=schema, sets=("m.kk=y", "n=x"))
        self.assertEqual(res.returncode, 1)
        header = "Error: values don't meet the specifications of the schema(s) in the following chart(s):\nprobe:\n"
        self.assertTrue(res.stderr.startswith(header), res.stderr)
        # One line per violation, in the library's order (as in Helm).
        self.assertEqual(sorted(res.stderr[len(header):].splitlines()),
                         ["- m: Additional property kk is not allowed",
                          "- n: Invalid type. Expected: integer, given: string"])
        self.assertEqual(res.stdout, "")
        # A values file is YAML 1.1 to Helm: a plain off is false, a quoted one a string.
        res = render(write("yaml11.yaml", "n: 2\nm: {k: off}\n"), chart=schema)
        self.assertEqual(res.returncode, 1, "a plain off decoded as a string")
        self.assertIn("- m.k: Invalid type. Expected: string, given: boolean", res.stderr)
        self.assertEqual(render(write("yaml11-quoted.yaml", "m: {k: 'off'}\n"), chart=schema).returncode, 0)
        res = render(chart=schema, sets=("n=null",))  # a removed key is not a violation
        self.assertEqual(res.returncode, 0, res.stderr)
        env = self.chart({"a.yaml": "home: {{ env \"HOME\" }}\n"}, "{}\n")
        res = render(chart=env)
        self.assertEqual(res.returncode, 1, "Helm removes sprig's env")
        self.assertIn('function "env" not defined', res.stderr)

    def test_notes_render(self):
        res = render(os.path.join(CHART, "ci", "required-only.yaml"), notes=True)
        self.assertEqual(res.returncode, 0, res.stderr)
        self.assertIn("kubectl -n erp create job erp-backup-now --from=cronjob/erp-backup", res.stderr)
        self.assertIn("The CronJob erp-backup-status fails", res.stderr)
        res = render(os.path.join(CHART, "ci", "required-only.yaml"), sets=("status.enabled=false",), notes=True)
        self.assertIn("nothing in this release notices a backup that stopped running", res.stderr)


class ValidatorTest(unittest.TestCase):
    """The schema check can fail: unknown fields, wrong types, bad quantities and enums."""

    def test_validator_refuses_what_the_api_server_refuses(self):
        res = render(os.path.join(CHART, "ci", "all-on.yaml"))
        self.assertEqual(res.returncode, 0, res.stderr)
        good = write("validator-good.yaml", res.stdout)
        code, docs = validate("k8s", good)
        self.assertEqual(code, 0, [d["errors"] for d in docs])
        backup = [d["object"] for d in docs if d["kind"] == "CronJob" and d["name"] == "erp-backup-prod"][0]
        rule = [d["object"] for d in docs if d["kind"] == "PrometheusRule"][0]

        def mutated(change):
            obj = copy.deepcopy(backup)
            change(obj, pod_specs(obj)[0])
            return obj

        cases = {
            "readOnlyRootFilesytem": mutated(lambda o, p: p["containers"][0]["securityContext"].update(
                readOnlyRootFilesytem=True)),
            "claimNam": mutated(lambda o, p: p["volumes"][0]["persistentVolumeClaim"].update(claimNam="x")),
            "concurency": mutated(lambda o, p: o["spec"].update(concurency="Forbid")),
            "labelz": mutated(lambda o, p: o["metadata"].update(labelz={})),
            "secretKeyRefs": mutated(lambda o, p: p["containers"][0]["env"].append(
                {"name": "X", "valueFrom": {"secretKeyRefs": {"name": "s", "key": "k"}}})),
            "concurrencyPolicy": mutated(lambda o, p: o["spec"].update(concurrencyPolicy="Never")),
            "memory": mutated(lambda o, p: p["containers"][0]["resources"]["limits"].update(memory="lots")),
            "runAsUser": mutated(lambda o, p: p["securityContext"].update(runAsUser="10001")),
            "containers": mutated(lambda o, p: p.pop("containers")),
        }
        for needle, obj in cases.items():
            with self.subTest(case=needle):
                path = write(f"validator-{needle}.yaml", json.dumps(obj))
                code, docs = validate("k8s", path)
                self.assertEqual(code, 1, f"{needle} was accepted")
                self.assertTrue(any(needle in e for e in docs[0]["errors"]), docs[0]["errors"])
        # The PrometheusRule's model declares its fields inline (a CRD): misspelt ones fail too.
        for field, where in (("fore", lambda r: r["spec"]["groups"][0]["rules"][0]),
                             ("rule", lambda r: r["spec"]["groups"][0])):
            with self.subTest(case=field):
                bad = copy.deepcopy(rule)
                where(bad)[field] = "1h"
                path = write(f"validator-rule-{field}.yaml", json.dumps(bad))
                code, out = validate("k8s", path)
                self.assertEqual(code, 1, f"{field} was accepted")
                self.assertTrue(any(f'unknown field "{field}"' in e for e in out[0]["errors"]), out[0]["errors"])
        path = write("validator-kind.yaml", json.dumps({"apiVersion": "batch/v1", "kind": "CronJobb",
                                                        "metadata": {"name": "x"}}))
        code, docs = validate("k8s", path)
        self.assertEqual(code, 1)
        self.assertIn("no model for apiVersion batch/v1 kind CronJobb", docs[0]["errors"])


class KubernetesManifestsTest(Assertions, unittest.TestCase):
    """container/k8s/: the one-off backup Job, the refresh-sandbox Job, and the kubectl run pod."""

    def test_manifests_validate_and_are_restricted(self):
        files = sorted(os.path.join(K8S_DIR, f) for f in os.listdir(K8S_DIR) if f.endswith(".yaml"))
        code, docs = validate("k8s", *files)
        self.assertEqual(code, 0, [(d["file"], d["errors"]) for d in docs if d["errors"]])
        accounts = sorted(d["object"]["metadata"]["name"] for d in docs if d["kind"] == "ServiceAccount")
        self.assertEqual(accounts, ["erp-backup", "erp-backup-prune", "erp-backup-read"], "one per scope")
        settings = {d["object"]["metadata"]["name"]: d["object"]["data"] for d in docs if d["kind"] == "ConfigMap"}
        self.assertEqual(sorted(settings), ["erp-backup-restore-target", "erp-backup-settings"])
        for name, data in settings.items():
            self.assertFalse(CREDENTIALS & set(data), f"{name} holds a credential")
        self.assertEqual(settings["erp-backup-settings"]["OBJECT_LOCK_MODE"], "off")
        jobs = {d["object"]["metadata"]["generateName"]: d["object"] for d in docs if d["kind"] == "Job"}
        self.assertEqual(sorted(jobs), ["erp-backup-manual-", "erp-backup-refresh-sandbox-"])
        for name, job in jobs.items():
            spec = pod_specs(job)[0]
            # The refresh writes the sandbox's documents: it runs as their owner, www-data.
            self.assert_restricted(spec, name, 33 if "refresh" in name else 10001)
            self.assert_credentials_by_reference(spec, name)
        backup = pod_specs(jobs["erp-backup-manual-"])[0]
        self.assertEqual(backup["containers"][0]["args"], ["backup"])
        self.assertEqual(secrets_of(backup), {"AWS_ACCESS_KEY_ID": "erp-backup/AWS_ACCESS_KEY_ID",
                                              "AWS_SECRET_ACCESS_KEY": "erp-backup/AWS_SECRET_ACCESS_KEY",
                                              "PGPASSWORD": "erp-backup/PGPASSWORD"})
        self.assertEqual(self.env_of(backup)["PRUNE_AFTER_BACKUP"]["value"], "false", "the backup key cannot delete")
        self.assert_documents_read_only(backup, "backup-job.yaml", "dolibarr-documents")
        refresh = pod_specs(jobs["erp-backup-refresh-sandbox-"])[0]
        self.assertEqual(refresh["containers"][0]["args"], ["refresh-sandbox", "--from-env", "prod"])
        env = self.env_of(refresh)
        self.assertEqual(refresh["serviceAccountName"], "erp-backup-read")
        self.assertEqual(secrets_of(refresh), {"AWS_ACCESS_KEY_ID": "erp-backup-sandbox/AWS_ACCESS_KEY_ID",
                                               "AWS_SECRET_ACCESS_KEY": "erp-backup-sandbox/AWS_SECRET_ACCESS_KEY",
                                               "RESTORE_PGPASSWORD": "erp-backup-sandbox/RESTORE_PGPASSWORD"})
        self.assertEqual(env["RESTORE_DOCUMENTS_DIR"]["value"], "/documents")
        self.assertFalse([n for n in env if n.startswith("PG")], "refresh-sandbox gets no source PG* setting")
        self.assertEqual(jobs["erp-backup-refresh-sandbox-"]["spec"]["backoffLimit"], 0)

    def test_kubectl_run_overrides_one_per_scope_each_with_only_its_secrets(self):
        """One override file per credential scope (docs/kubernetes.md says which for which
        command): each makes a restricted pod, takes its secrets by name (never a whole Secret
        through envFrom) and carries no database password its commands do not need."""
        read = {"AWS_ACCESS_KEY_ID": "erp-backup-read/AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY": "erp-backup-read/AWS_SECRET_ACCESS_KEY"}
        expected = {
            "read": ("erp-backup-read", read, ["erp-backup-settings"]),
            "restore": ("erp-backup-read", {**read, "RESTORE_PGPASSWORD": "erp-backup-restore/RESTORE_PGPASSWORD"},
                        ["erp-backup-settings", "erp-backup-restore-target"]),
            "backup": ("erp-backup", {"AWS_ACCESS_KEY_ID": "erp-backup/AWS_ACCESS_KEY_ID",
                                      "AWS_SECRET_ACCESS_KEY": "erp-backup/AWS_SECRET_ACCESS_KEY"},
                       ["erp-backup-settings"]),
            "prune": ("erp-backup-prune", {"AWS_ACCESS_KEY_ID": "erp-backup-prune/AWS_ACCESS_KEY_ID",
                                           "AWS_SECRET_ACCESS_KEY": "erp-backup-prune/AWS_SECRET_ACCESS_KEY"},
                      ["erp-backup-settings"]),
        }
        files = sorted(f for f in os.listdir(K8S_DIR) if f.startswith("kubectl-run"))
        self.assertEqual(files, sorted(f"kubectl-run-{scope}.json" for scope in expected))
        with open(os.path.join(ROOT, "docs", "kubernetes.md")) as f:
            guide = f.read()
        for scope, (account, secrets, config_maps) in expected.items():
            with self.subTest(scope=scope):
                name = f"kubectl-run-{scope}.json"
                self.assertTrue(f"container/k8s/{name}" in guide, f"docs/kubernetes.md does not name {name}")
                with open(os.path.join(K8S_DIR, name)) as f:
                    overrides = json.load(f)
                # What `kubectl run erp-backup --restart=Never --image=... --override-type=strategic
                # --overrides=... -- status` creates: its pod, merged with the overrides by container name.
                pod = copy.deepcopy(overrides)
                pod.update(kind="Pod", metadata={"name": "erp-backup", "labels": {"run": "erp-backup"}})
                pod["spec"]["restartPolicy"] = "Never"
                pod["spec"]["terminationGracePeriodSeconds"] = 30
                pod["spec"]["containers"][0]["args"] = ["status"]
                self.assertEqual(pod["spec"]["containers"][0]["name"], "erp-backup",
                                 "the override's container must carry the pod's name to be merged")
                path = write(f"kubectl-run-{scope}-pod.yaml", json.dumps(pod))
                code, docs = validate("k8s", path)
                self.assertEqual(code, 0, docs[0]["errors"])
                self.assert_restricted(pod["spec"], name)
                self.assert_credentials_by_reference(pod["spec"], name)
                self.assertEqual(pod["spec"]["serviceAccountName"], account)
                self.assertEqual(secrets_of(pod["spec"]), secrets)
                self.assertEqual([s["configMapRef"]["name"] for s in pod["spec"]["containers"][0]["envFrom"]],
                                 config_maps)


class ComposeTest(unittest.TestCase):
    """container/compose.yaml against the Compose specification, and what its services promise."""

    @classmethod
    def setUpClass(cls):
        code, docs = validate("compose", COMPOSE)
        if code != 0:
            raise AssertionError(f"compose.yaml: {docs[0]['errors']}")
        cls.compose = docs[0]["object"]

    def test_services_and_the_job(self):
        services = self.compose["services"]
        self.assertEqual(sorted(services), ["backup", "createbucket", "minio", "postgres", "restore-volume"])
        backup = services["backup"]
        self.assertEqual(backup["build"], {"context": "..", "dockerfile": "Containerfile"})
        self.assertEqual(backup["user"], "10001:10001")
        self.assertIs(backup["read_only"], True)
        self.assertEqual(backup["cap_drop"], ["ALL"])
        self.assertIn("./sample-documents:/var/www/documents:ro", backup["volumes"])
        env = backup["environment"]
        self.assertEqual(env["AWS_ENDPOINT_URL_S3"], "http://minio:9000")
        self.assertEqual(env["DOCUMENTS_DIR"], "/var/www/documents")
        # The bucket the job writes is the one the one-shot mc service creates, with MinIO's keys.
        self.assertIn(f"mc mb --ignore-existing demo/{env['S3_BUCKET']}", services["createbucket"]["command"][0])
        self.assertEqual(env["AWS_ACCESS_KEY_ID"], services["minio"]["environment"]["MINIO_ROOT_USER"])
        self.assertEqual(env["AWS_SECRET_ACCESS_KEY"], services["minio"]["environment"]["MINIO_ROOT_PASSWORD"])
        self.assertEqual(env["PGHOST"], "postgres")
        self.assertEqual(backup["depends_on"]["createbucket"]["condition"], "service_completed_successfully")
        self.assertEqual(backup["depends_on"]["postgres"]["condition"], "service_healthy")
        # Healthy over TCP only: the image's init-time server (loading the sample) has no TCP.
        self.assertIn("127.0.0.1", services["postgres"]["healthcheck"]["test"])
        self.assertIn("./sample-db.sql:/docker-entrypoint-initdb.d/10-sample-db.sql:ro",
                      services["postgres"]["volumes"])
        for path in ("container/sample-db.sql", "container/sample-documents"):
            self.assertTrue(os.path.exists(os.path.join(ROOT, path)), path)

    def test_every_image_is_pinned_by_tag(self):
        for name, service in self.compose["services"].items():
            with self.subTest(service=name):
                image = service.get("image", "")
                self.assertIn(":", image.rsplit("/", 1)[-1], f"{name}: {image!r} has no tag")
                self.assertFalse(image.endswith(":latest"), f"{name}: {image}")

    def test_schema_refuses_a_misspelt_key(self):
        with open(COMPOSE) as f:
            text = f.read()
        path = write("compose-bad.yaml", text.replace("read_only: true", "read_onyl: true"))
        code, docs = validate("compose", path)
        self.assertEqual(code, 1)
        self.assertTrue(any("read_onyl" in e for e in docs[0]["errors"]), docs[0]["errors"])


class ComposeJobSettingsTest(IntegrationCase, unittest.TestCase):
    """The backup service's settings, run for real: the sample database loaded into the test
    PostgreSQL as the postgres image would load it, the job against an S3 server, the documents
    tree of the repository; only the host names and MinIO's address and keys are replaced."""

    postgres = True
    session_token = False  # compose.yaml hands the job static keys only

    @classmethod
    def setUpClass(cls):
        code, docs = validate("compose", COMPOSE)  # before any server: a broken file fails at once
        assert code == 0, docs
        cls.env_in_compose = docs[0]["object"]["services"]["backup"]["environment"]
        super().setUpClass()
        cls.pg.create_database("dolibarr")
        # As the postgres image's entrypoint runs it: psql -v ON_ERROR_STOP=1 in POSTGRES_DB.
        with open(os.path.join(ROOT, "container", "sample-db.sql")) as f:
            cls.pg.psql("dolibarr", f.read())

    def tearDown(self):
        self.front.assert_clean()  # after every test: a superset of the base's check

    def env(self) -> dict:
        env = dict(self.env_in_compose)
        s3 = self.front.env()
        env.update(PGHOST=self.pg.host, PGPORT=str(self.pg.port),
                   RESTORE_PGHOST=self.pg.host, RESTORE_PGPORT=str(self.pg.port),
                   AWS_ENDPOINT_URL_S3=s3["AWS_ENDPOINT_URL_S3"], S3_BUCKET=s3["S3_BUCKET"],
                   AWS_ACCESS_KEY_ID=s3["AWS_ACCESS_KEY_ID"], AWS_SECRET_ACCESS_KEY=s3["AWS_SECRET_ACCESS_KEY"],
                   DOCUMENTS_DIR=os.path.join(ROOT, "container", "sample-documents"),
                   RESTORE_DOCUMENTS_DIR=os.path.join(tempfile.mkdtemp(dir=_work), "documents"))
        return clean_env(env)

    def test_backup_status_and_restore_db_with_the_compose_settings(self):
        env = self.env()
        secrets = self.front.secrets() + [env["PGPASSWORD"], env["RESTORE_PGPASSWORD"]]
        res = run_erp(["backup"], env, secrets)
        self.assertEqual(res.returncode, 0, res.stderr.decode()[-3000:])
        res = run_erp(["status"], env, secrets)
        self.assertEqual(res.returncode, 0, res.stdout.decode() + res.stderr.decode()[-2000:])
        llx = int(self.pg.scalar("dolibarr", "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'llx\\_%'"))
        self.assertEqual(llx, int(self.env_in_compose["RESTORE_MIN_TABLES"]),
                         "RESTORE_MIN_TABLES in compose.yaml is the sample's llx_ table count")
        res = run_erp(["restore", "db", "latest"], env, secrets)
        self.assertEqual(res.returncode, 0, res.stderr.decode()[-3000:])
        source = self.pg.table_fingerprints("dolibarr")
        self.assertEqual(len([t for t in source if "llx_" in t]), llx)
        self.assertEqual(self.pg.table_fingerprints("dolibarr_restore"), source)
        res = run_erp(["restore", "docs", "latest"], env, secrets)
        self.assertEqual(res.returncode, 0, res.stderr.decode()[-3000:])
        with open(os.path.join(env["RESTORE_DOCUMENTS_DIR"], "facture", "FA2611-0001", "FA2611-0001.txt")) as f:
            self.assertIn("FA2611-0001", f.read())


def repository_files() -> list[str]:
    """Tracked and untracked-but-not-ignored files of the repository (git ls-files)."""
    res = subprocess.run(["git", "-C", ROOT, "ls-files", "-co", "--exclude-standard"],
                         capture_output=True, text=True, timeout=60)
    if res.returncode != 0:
        raise AssertionError(f"git ls-files failed in {ROOT}: {res.stderr}")
    return [f for f in res.stdout.splitlines() if os.path.isfile(os.path.join(ROOT, f))]


def is_shell_script(path: str) -> bool:
    if path.endswith(".sh"):
        return True
    try:
        with open(os.path.join(ROOT, path), "rb") as f:
            first = f.readline(200)
    except OSError:
        return False
    return first.startswith(b"#!") and any(s in first for s in (b"/sh", b"bash", b"env sh", b"dash"))


class LintTest(unittest.TestCase):
    """yamllint and shellcheck on every YAML and shell file of the repository."""

    def test_yamllint_passes_on_every_yaml_file(self):
        files = [f for f in repository_files() if f.endswith((".yaml", ".yml")) or f == ".yamllint"]
        files = [f for f in files if "/templates/" not in f]  # Go templates: linted once rendered
        self.assertIn("container/compose.yaml", files)
        self.assertIn("container/helm/erp-backup/values.yaml", files)
        res = subprocess.run(["yamllint", "-s", *files], cwd=ROOT, capture_output=True, text=True, timeout=300)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        # ... and yamllint does fail with this configuration.
        bad = write("bad.yaml", "key: value\nkey: other\nlist:\n    - a\n  - b\n")
        res = subprocess.run(["yamllint", "-s", "-c", os.path.join(ROOT, ".yamllint"), bad],
                             capture_output=True, text=True, timeout=60)
        self.assertNotEqual(res.returncode, 0)

    def test_shellcheck_passes_on_every_shell_file(self):
        files = [f for f in repository_files() if is_shell_script(f)]
        self.assertIn(".ci/run", files)
        self.assertIn("scripts/test.sh", files)
        log(f"shellcheck {len(files)} files: {' '.join(files)}")
        res = subprocess.run(["shellcheck", "-x", *files], cwd=ROOT, capture_output=True, text=True, timeout=300)
        self.assertEqual(res.returncode, 0, res.stdout + res.stderr)
        bad = write("bad.sh", "#!/bin/sh\nrm -rf $1/*\n")
        res = subprocess.run(["shellcheck", bad], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("SC2086", res.stdout)


if __name__ == "__main__":
    unittest.main()
