{{/*
Named templates shared by the CronJobs and the restore Job. The chart keeps to the functions the
test renderer (tests/tools/helm_render) implements besides sprig: include, toYaml, required.
Integer fields go through int64: a value is a JSON number (float64), which would print as 1e+06.
*/}}

{{/* The release's full name, at most 45 characters so "-status" and the Job suffix the CronJob
controller adds (11 characters) stay within 63. */}}
{{- define "erp-backup.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 45 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 45 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 45 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "erp-backup.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* What selects this release's pods (the NetworkPolicies): a subset of the labels below. */}}
{{- define "erp-backup.selectorLabels" -}}
app.kubernetes.io/name: {{ include "erp-backup.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* The labels of every object and pod: the standard ones, then commonLabels. */}}
{{- define "erp-backup.labels" -}}
{{ include "erp-backup.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* An object's metadata: name, namespace, labels with its component, its own annotations.
Args: dict "root" $ "name" NAME "component" NAME-or-"" "annotations" MAP. */}}
{{- define "erp-backup.objectMeta" -}}
name: {{ .name }}
namespace: {{ .root.Release.Namespace }}
labels:
  {{- include "erp-backup.labels" .root | nindent 2 }}
  {{- with .component }}
  app.kubernetes.io/component: {{ . }}
  {{- end }}
{{- with .annotations }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{- define "erp-backup.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "erp-backup.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "erp-backup.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" (required "image.repository is required" .Values.image.repository) .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" (required "image.repository is required" .Values.image.repository) (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
Variables that hold a credential: they may only come by reference (a Secret or a file), never as
a literal value in `env`.
*/}}
{{- define "erp-backup.secretVariables" -}}
AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_CONTAINER_AUTHORIZATION_TOKEN PGPASSWORD RESTORE_PGPASSWORD
{{- end -}}

{{/* Plain settings from a map (VARIABLE: value), refusing credentials. Args: dict "env" MAP "where" NAME. */}}
{{- define "erp-backup.plainEnv" -}}
{{- $secret := splitList " " (include "erp-backup.secretVariables" .) -}}
{{- range $name, $value := .env }}
{{- if has $name $secret }}
{{- fail (printf "%s.%s: a credential must not be a value in the chart's values; use existingSecret or secretFiles" $.where $name) }}
{{- end }}
- name: {{ $name }}
  value: {{ include "erp-backup.scalar" $value | quote }}
{{- end }}
{{- end -}}

{{/* A value as text, whole numbers exactly: values are JSON numbers (float64), which Go prints
as 1e+06 from a million on, so S3_PART_SIZE: 104857600 would reach the job as "1.048576e+08". */}}
{{- define "erp-backup.scalar" -}}
{{- if and (kindIs "float64" .) (eq . (floor .)) -}}
{{- int64 . -}}
{{- else -}}
{{- toString . -}}
{{- end -}}
{{- end -}}

{{/*
The bucket, its credentials and the common settings: what every pod of the chart gets, then the
plain `env` and the global extraEnv. The secrets follow the pod's credential scope and database
(_scopes.tpl). The global extraEnv is for non-secret values: a secretKeyRef there would reach
every pod, so it is refused (a component's extraEnv takes it). OBJECT_LOCK_MODE and
OBJECT_LOCK_MARGIN in `env` are refused too: objectLock sets them on the pods that use them, and a
second entry of the same name would be a duplicate.
Args: dict "root" $ "scope" NAME "database" LIST.
*/}}
{{- define "erp-backup.commonEnv" -}}
{{- $v := .root.Values -}}
- name: BACKUP_ENV
  value: {{ required "backupEnv is required (BACKUP_ENV, [a-z0-9-]+)" $v.backupEnv | quote }}
- name: S3_BUCKET
  value: {{ required "s3.bucket is required (S3_BUCKET)" $v.s3.bucket | quote }}
{{- with $v.s3.prefix }}
- name: S3_PREFIX
  value: {{ . | quote }}
{{- end }}
{{- with $v.s3.endpoint }}
- name: AWS_ENDPOINT_URL_S3
  value: {{ . | quote }}
{{- end }}
{{- with $v.s3.region }}
- name: AWS_REGION
  value: {{ . | quote }}
{{- end }}
{{- with $v.s3.addressingStyle }}
- name: S3_ADDRESSING_STYLE
  value: {{ . | quote }}
{{- end }}
{{- if $v.s3.caBundle.configMap }}
- name: AWS_CA_BUNDLE
  value: /etc/erp-backup/ca/{{ $v.s3.caBundle.key }}
{{- end }}
{{- include "erp-backup.secretEnv" . }}
{{- range $name := list "OBJECT_LOCK_MODE" "OBJECT_LOCK_MARGIN" }}
{{- if hasKey (default (dict) $v.env) $name }}
{{- fail (printf "env.%s: set objectLock.%s instead (the chart gives it to the pods that need it)" $name (ternary "mode" "margin" (eq $name "OBJECT_LOCK_MODE"))) }}
{{- end }}
{{- end }}
{{- include "erp-backup.plainEnv" (dict "env" $v.env "where" "env") }}
{{- range $v.extraEnv }}
{{- if get (default (dict) .valueFrom) "secretKeyRef" }}
{{- fail (printf "extraEnv %s: a secretKeyRef in the global extraEnv reaches every pod; put it in the extraEnv of the component that needs it (backup.extraEnv, ...)" .name) }}
{{- end }}
{{- end }}
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Volumes every pod has: the secret files it gets (_scopes.tpl), the CA bundle, the extra
volumes. Args: dict "root" $ "scope" NAME "database" LIST. */}}
{{- define "erp-backup.commonVolumes" -}}
{{- $wanted := splitList "\n" (include "erp-backup.secretVolumeNames" .) -}}
{{- range .root.Values.secretFiles.volumes }}
{{- if has .name $wanted }}
- name: {{ .name }}
  secret:
    secretName: {{ required "secretFiles.volumes[].secretName is required" .secretName }}
    # 0444: without fsGroup the files belong to root, and the job's user must read them.
    defaultMode: 292
{{- end }}
{{- end }}
{{- if .root.Values.s3.caBundle.configMap }}
- name: ca-bundle
  configMap:
    name: {{ .root.Values.s3.caBundle.configMap }}
{{- end }}
{{- with .root.Values.extraVolumes }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "erp-backup.commonVolumeMounts" -}}
{{- $wanted := splitList "\n" (include "erp-backup.secretVolumeNames" .) -}}
{{- range .root.Values.secretFiles.volumes }}
{{- if has .name $wanted }}
- name: {{ .name }}
  mountPath: {{ required "secretFiles.volumes[].mountPath is required" .mountPath }}
  readOnly: true
{{- end }}
{{- end }}
{{- if .root.Values.s3.caBundle.configMap }}
- name: ca-bundle
  mountPath: /etc/erp-backup/ca
  readOnly: true
{{- end }}
{{- with .root.Values.extraVolumeMounts }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Pod-level fields shared by every pod (spec.template.spec minus the security context,
containers and volumes). The component's nodeSelector replaces the global one when not empty.
Args: dict "root" $ "c" THE-COMPONENT'S-VALUES "scope" NAME. */}}
{{- define "erp-backup.podCommon" -}}
{{- $v := .root.Values -}}
serviceAccountName: {{ include "erp-backup.scopeServiceAccountName" (dict "root" .root "scope" .scope) }}
automountServiceAccountToken: {{ $v.automountServiceAccountToken }}
restartPolicy: Never
{{- with $v.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with default $v.nodeSelector .c.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $v.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Pod metadata: labels and annotations (Vault agent annotations go here): the component's
podAnnotations merged over the global ones. Args: dict "root" $ "c" VALUES "component" NAME. */}}
{{- define "erp-backup.podMetadata" -}}
labels:
  {{- include "erp-backup.labels" .root | nindent 2 }}
  app.kubernetes.io/component: {{ .component }}
  {{- with .root.Values.podLabels }}
  {{- toYaml . | nindent 2 }}
  {{- end }}
{{- with mergeOverwrite (deepCopy (default (dict) .root.Values.podAnnotations)) (default (dict) .c.podAnnotations) }}
annotations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/*
A Job's spec: the CronJobs' jobTemplate.spec and the restore Job's spec. The pod runs one job
container named after the component, after the global and the component's initContainers and
beside their extraContainers; its env is ENV-YAML then the component's extraEnv, its envFrom the
global one (no secretRef: every pod gets it) then the component's.
Args: dict "root" $ "c" THE-COMPONENT'S-VALUES "component" NAME "scope" CREDENTIAL-SCOPE
"backoffLimit" N "args" LIST "env" ENV-YAML "mounts" MOUNTS-YAML "volumes" VOLUMES-YAML
"podSecurityContext" MAP "resources" MAP.
*/}}
{{- define "erp-backup.jobSpec" -}}
{{- $v := .root.Values -}}
{{- $c := .c -}}
backoffLimit: {{ int64 .backoffLimit }}
activeDeadlineSeconds: {{ int64 $c.activeDeadlineSeconds }}
ttlSecondsAfterFinished: {{ int64 $c.ttlSecondsAfterFinished }}
{{- with $c.podFailurePolicy }}
podFailurePolicy:
  {{- toYaml . | nindent 2 }}
{{- end }}
template:
  metadata:
    {{- include "erp-backup.podMetadata" (dict "root" .root "c" $c "component" .component) | nindent 4 }}
  spec:
    {{- include "erp-backup.podCommon" (dict "root" .root "c" $c "scope" .scope) | nindent 4 }}
    securityContext:
      {{- toYaml .podSecurityContext | nindent 6 }}
    terminationGracePeriodSeconds: {{ int64 $c.terminationGracePeriodSeconds }}
    {{- with concat (default (list) $v.initContainers) (default (list) $c.initContainers) }}
    initContainers:
      {{- toYaml . | nindent 6 }}
    {{- end }}
    containers:
      - name: {{ .component }}
        image: {{ include "erp-backup.image" .root | quote }}
        imagePullPolicy: {{ $v.image.pullPolicy }}
        args:
          {{- toYaml .args | nindent 10 }}
        {{- range $v.envFrom }}
        {{- if hasKey . "secretRef" }}
        {{- fail "envFrom: a secretRef in the global envFrom reaches every pod; put it in the envFrom of the component that needs it (backup.envFrom, ...)" }}
        {{- end }}
        {{- end }}
        {{- with concat (default (list) $v.envFrom) (default (list) $c.envFrom) }}
        envFrom:
          {{- toYaml . | nindent 10 }}
        {{- end }}
        env:
          {{- .env | trim | nindent 10 }}
          {{- with $c.extraEnv }}
          {{- toYaml . | nindent 10 }}
          {{- end }}
        securityContext:
          {{- toYaml $v.securityContext | nindent 10 }}
        resources:
          {{- toYaml .resources | nindent 10 }}
        {{- with trim .mounts }}
        volumeMounts:
          {{- . | nindent 10 }}
        {{- end }}
      {{- with concat (default (list) $v.extraContainers) (default (list) $c.extraContainers) }}
      {{- toYaml . | nindent 6 }}
      {{- end }}
    {{- with trim .volumes }}
    volumes:
      {{- . | nindent 6 }}
    {{- end }}
{{- end -}}

{{/*
A CronJob running jobSpec. Args: those of jobSpec plus "name" NAME "concurrencyPolicy" POLICY;
the schedule, time zone, suspend, deadlines and history limits come from the component's values.
*/}}
{{- define "erp-backup.cronJob" -}}
{{- $c := .c -}}
apiVersion: batch/v1
kind: CronJob
metadata:
  {{- include "erp-backup.objectMeta" (dict "root" .root "name" .name "component" .component "annotations" $c.annotations) | nindent 2 }}
spec:
  schedule: {{ required (printf "%s.schedule is required" .component) $c.schedule | quote }}
  {{- with $c.timeZone }}
  timeZone: {{ . | quote }}
  {{- end }}
  suspend: {{ $c.suspend | default false }}
  concurrencyPolicy: {{ .concurrencyPolicy }}
  startingDeadlineSeconds: {{ int64 $c.startingDeadlineSeconds }}
  successfulJobsHistoryLimit: {{ int64 $c.successfulJobsHistoryLimit }}
  failedJobsHistoryLimit: {{ int64 $c.failedJobsHistoryLimit }}
  jobTemplate:
    metadata:
      labels:
        {{- include "erp-backup.labels" .root | nindent 8 }}
        app.kubernetes.io/component: {{ .component }}
    spec:
      {{- include "erp-backup.jobSpec" . | nindent 6 }}
{{- end -}}

{{/* The backup pod's mounts: the documents volume read-only (the mount and, below, the volume).
Args: as commonVolumes. */}}
{{- define "erp-backup.backupVolumeMounts" -}}
{{- $v := .root.Values -}}
{{- if $v.documents.enabled }}
- name: documents
  mountPath: {{ $v.documents.mountPath }}
  readOnly: true
  {{- with $v.documents.subPath }}
  subPath: {{ . }}
  {{- end }}
{{- end }}
{{- include "erp-backup.commonVolumeMounts" . }}
{{- end -}}

{{- define "erp-backup.backupVolumes" -}}
{{- $v := .root.Values -}}
{{- if $v.documents.enabled }}
- name: documents
  persistentVolumeClaim:
    claimName: {{ required "documents.existingClaim is required when documents.enabled (the PVC of the documents volume)" $v.documents.existingClaim }}
    readOnly: true
{{- end }}
{{- include "erp-backup.commonVolumes" . }}
{{- end -}}
