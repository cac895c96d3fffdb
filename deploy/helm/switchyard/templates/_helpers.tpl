{{/* Name helpers, after `helm create` and the Bitnami charts. */}}

{{/* The chart name, or nameOverride. */}}
{{- define "switchyard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Object names: fullnameOverride, else RELEASE-NAME (just RELEASE when it already contains NAME), 63 characters at most. */}}
{{- define "switchyard.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "switchyard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Kubernetes recommended labels (app.kubernetes.io/*) plus helm.sh/chart and commonLabels. */}}
{{- define "switchyard.labels" -}}
helm.sh/chart: {{ include "switchyard.chart" . }}
{{ include "switchyard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/component: gateway
app.kubernetes.io/part-of: switchyard
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* The labels a Service, PDB, HPA and spread constraint select pods by: never change them on upgrade. */}}
{{- define "switchyard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "switchyard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "switchyard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "switchyard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The image: git mode needs git + ssh, which only the Dockerfile's `git` target has (tag suffix -git). */}}
{{- define "switchyard.image" -}}
{{- $tag := .Values.image.tag | default .Chart.AppVersion -}}
{{- if and (eq .Values.config.source "git") (not .Values.image.tag) -}}
{{- $tag = printf "%s-git" $tag -}}
{{- end -}}
{{- if .Values.image.digest -}}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository $tag -}}
{{- end -}}
{{- end -}}

{{/* The ConfigMap holding the config folder (inline or existing). */}}
{{- define "switchyard.configMapName" -}}
{{- if eq .Values.config.source "existingConfigMap" -}}
{{- required "config.existingConfigMap is required when config.source is existingConfigMap" .Values.config.existingConfigMap -}}
{{- else -}}
{{- printf "%s-config" (include "switchyard.fullname" .) -}}
{{- end -}}
{{- end -}}

{{/* The kind that runs the pods: a StatefulSet when each pod gets its own usage volume. */}}
{{- define "switchyard.workloadKind" -}}
{{- if and .Values.persistence.enabled (eq .Values.persistence.mode "perPod") -}}StatefulSet{{- else -}}Deployment{{- end -}}
{{- end -}}

{{/* An httpGet probe from values: enabled, path, and the probe timings. */}}
{{- define "switchyard.probe" -}}
httpGet:
  path: {{ .probe.path }}
  port: {{ .port }}
{{- with omit .probe "enabled" "path" }}
{{ toYaml . }}
{{- end }}
{{- end -}}
