{{/*
Credential scopes (docs/least-privilege.md): which secret reaches which pod.

Every pod belongs to one S3 credential scope:
  backup  the backup and doctor pods        backup.s3Secret, else the common credentials
  prune   the separate prune CronJob        prune.s3Secret, else prune.serviceAccount, else common
  read    the status and restore pods       readScope.s3Secret, else readScope.serviceAccount, else common
"common" is the simple install: the AWS_* keys of existingSecret and secretFiles.env, and the
common serviceAccount. A scope with its own service account gets no static key at all: the job
takes static keys before a web identity (src/s3/credentials/provider.h), so a common key would
silently win over the scope's IRSA role.

Database secrets are not a scope's: the pod that needs them names their prefix ("database"):
"PG" for the backup pod (the source's PGPASSWORD), "RESTORE_" for a database restore; every other
pod passes none and gets none.
*/}}

{{/* The scope's own s3Secret and serviceAccount values (empty maps when it has none).
Args: dict "root" $ "scope" NAME "out" MAP: fills out.secret and out.serviceAccount. */}}
{{- define "erp-backup.scopeValues" -}}
{{- $v := .root.Values -}}
{{- $secret := dict "backup" $v.backup.s3Secret "prune" $v.prune.s3Secret "read" $v.readScope.s3Secret -}}
{{- $account := dict "backup" (dict) "prune" $v.prune.serviceAccount "read" $v.readScope.serviceAccount -}}
{{- if not (hasKey $secret .scope) -}}
{{- fail (printf "internal: unknown credential scope %s" .scope) -}}
{{- end -}}
{{- $_ := set .out "secret" (default (dict) (get $secret .scope)) -}}
{{- $_ = set .out "serviceAccount" (default (dict) (get $account .scope)) -}}
{{- end -}}

{{/* Where the scope's S3 credentials come from: "secret", "identity" or "common".
Args: dict "root" $ "scope" NAME. */}}
{{- define "erp-backup.credentialSource" -}}
{{- $s := dict -}}
{{- include "erp-backup.scopeValues" (dict "root" .root "scope" .scope "out" $s) -}}
{{- if $s.secret.name -}}
secret
{{- else if or $s.serviceAccount.create $s.serviceAccount.name -}}
identity
{{- else -}}
common
{{- end -}}
{{- end -}}

{{/* The prefixes of the existingSecret keys and secretFiles variables a pod gets, one per line:
the database's, and AWS_ when its scope takes the common credentials.
Args: dict "root" $ "scope" NAME "database" LIST. */}}
{{- define "erp-backup.secretPrefixes" -}}
{{- $prefixes := default (list) .database -}}
{{- if eq (include "erp-backup.credentialSource" .) "common" -}}
{{- $prefixes = append $prefixes "AWS_" -}}
{{- end -}}
{{- join "\n" $prefixes -}}
{{- end -}}

{{/* Whether a variable name starts with one of the prefixes: "yes" or "". */}}
{{- define "erp-backup.hasOnePrefix" -}}
{{- range .prefixes }}{{ if and . (hasPrefix . $.name) }}yes{{ end }}{{ end -}}
{{- end -}}

{{/*
The secret env entries of a pod: the scope's own s3Secret, then the existingSecret keys and the
secretFiles (as VARIABLE_FILE) whose variable has one of secretPrefixes. A variable given both
as a Secret key and as a file is refused: the job treats setting both forms as a configuration
error. Args: dict "root" $ "scope" NAME "database" LIST.
*/}}
{{- define "erp-backup.secretEnv" -}}
{{- $v := .root.Values -}}
{{- $s := dict -}}
{{- include "erp-backup.scopeValues" (dict "root" .root "scope" .scope "out" $s) -}}
{{- $prefixes := splitList "\n" (include "erp-backup.secretPrefixes" .) -}}
{{- if $s.secret.name }}
{{- range $name, $key := $s.secret.keys }}
{{- if $key }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $s.secret.name }}
      key: {{ $key }}
{{- end }}
{{- end }}
{{- end }}
{{- if $v.existingSecret.name }}
{{- range $name, $key := $v.existingSecret.keys }}
{{- if and $key (include "erp-backup.hasOnePrefix" (dict "prefixes" $prefixes "name" $name)) }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $v.existingSecret.name }}
      key: {{ $key }}
{{- end }}
{{- end }}
{{- end }}
{{- range $name, $path := $v.secretFiles.env }}
{{- if and $v.existingSecret.name (get $v.existingSecret.keys $name) }}
{{- fail (printf "%s is both in existingSecret.keys and in secretFiles.env: give it one way (the job refuses both NAME and NAME_FILE)" $name) }}
{{- end }}
{{- if include "erp-backup.hasOnePrefix" (dict "prefixes" $prefixes "name" $name) }}
- name: {{ $name }}_FILE
  value: {{ $path | quote }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The secretFiles paths a pod gets, one per line. Args: as secretEnv. */}}
{{- define "erp-backup.secretFilePaths" -}}
{{- $prefixes := splitList "\n" (include "erp-backup.secretPrefixes" .) -}}
{{- range $name, $path := .root.Values.secretFiles.env }}
{{- if include "erp-backup.hasOnePrefix" (dict "prefixes" $prefixes "name" $name) }}
{{ $path }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The secretFiles.volumes a pod mounts: those holding a file it gets, and those no path of
secretFiles.env lies under (used some other way, e.g. by extraEnv): a Secret volume holding the
database's password is not mounted in the status pod. Args: as secretEnv; the result is the
volume names, one per line. */}}
{{- define "erp-backup.secretVolumeNames" -}}
{{- $mine := splitList "\n" (include "erp-backup.secretFilePaths" .) -}}
{{- $all := values .root.Values.secretFiles.env -}}
{{- range .root.Values.secretFiles.volumes }}
{{- $dir := printf "%s/" (trimSuffix "/" (required "secretFiles.volumes[].mountPath is required" .mountPath)) -}}
{{- $used := false -}}
{{- $held := false -}}
{{- range $all }}{{ if hasPrefix $dir . }}{{ $used = true }}{{ end }}{{ end -}}
{{- range $mine }}{{ if hasPrefix $dir . }}{{ $held = true }}{{ end }}{{ end -}}
{{- if or $held (not $used) }}
{{ .name }}
{{- end }}
{{- end }}
{{- end -}}

{{/* The pod's ServiceAccount: the scope's own (created: FULLNAME-SCOPE unless named), else the
common one. Args: dict "root" $ "scope" NAME. */}}
{{- define "erp-backup.scopeServiceAccountName" -}}
{{- $s := dict -}}
{{- include "erp-backup.scopeValues" (dict "root" .root "scope" .scope "out" $s) -}}
{{- if $s.serviceAccount.create -}}
{{- default (printf "%s-%s" (include "erp-backup.fullname" .root) .scope) $s.serviceAccount.name -}}
{{- else if $s.serviceAccount.name -}}
{{- $s.serviceAccount.name -}}
{{- else -}}
{{- include "erp-backup.serviceAccountName" .root -}}
{{- end -}}
{{- end -}}

{{/* OBJECT_LOCK_MODE and OBJECT_LOCK_MARGIN, unless the mode is off (the job's default). */}}
{{- define "erp-backup.lockEnv" -}}
{{- with .Values.objectLock }}
{{- if and .mode (ne .mode "off") }}
- name: OBJECT_LOCK_MODE
  value: {{ .mode | quote }}
{{- with .margin }}
- name: OBJECT_LOCK_MARGIN
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end -}}
