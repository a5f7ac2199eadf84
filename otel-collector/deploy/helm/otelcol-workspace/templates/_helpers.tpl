{{/* Names, labels and the collector command lines shared by the templates. */}}

{{- define "owm.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "owm.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* <fullname>-<suffix>, within the 63-character limit. */}}
{{- define "owm.component.fullname" -}}
{{- printf "%s-%s" (include "owm.fullname" .ctx | trunc (int (sub 62 (len .component)))) .component | trimSuffix "-" }}
{{- end }}

{{- define "owm.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "owm.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: otel-workspace-metrics
{{- end }}

{{/* Selector labels of one component (gateway or agent). */}}
{{- define "owm.selectorLabels" -}}
app.kubernetes.io/name: {{ include "owm.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "owm.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "owm.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "owm.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* Where the collector config files are mounted. */}}
{{- define "owm.confDir" -}}/etc/otelcol-workspace/conf{{- end }}
{{- define "owm.allowlistDir" -}}/etc/otelcol-workspace/allowlist{{- end }}

{{/* Downward-API variables every collector container starts with; the endpoints bind the pod IP. */}}
{{- define "owm.podEnv" -}}
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
- name: OTELCOL_OTLP_GRPC_ENDPOINT
  value: $(POD_IP):4317
- name: OTELCOL_OTLP_HTTP_ENDPOINT
  value: $(POD_IP):4318
- name: OTELCOL_HEALTH_ENDPOINT
  value: $(POD_IP):13133
- name: OTELCOL_TELEMETRY_HOST
  value: $(POD_IP)
- name: OTELCOL_TELEMETRY_PORT
  value: "8888"
- name: GOMEMLIMIT
  valueFrom:
    resourceFieldRef:
      resource: limits.memory
      divisor: "1"
{{- end }}

{{/* The gateway's config files, in merge order (overlays after config.yaml). */}}
{{- define "owm.gateway.configFiles" -}}
{{- $files := list "config.yaml" }}
{{- if .Values.gateway.remoteWrite.enabled }}{{ $files = append $files "config.remotewrite.yaml" }}{{ end }}
{{- if .Values.gateway.otlp.tls.enabled }}{{ $files = append $files "config.tls.yaml" }}{{ end }}
{{- if .Values.gateway.otlp.auth.enabled }}{{ $files = append $files "config.auth.yaml" }}{{ end }}
{{- if .Values.gateway.scrape.tls.enabled }}{{ $files = append $files "config.scrape-tls.yaml" }}{{ end }}
{{- if .Values.gateway.scrape.auth.enabled }}{{ $files = append $files "config.scrape-auth.yaml" }}{{ end }}
{{- toJson $files }}
{{- end }}

{{/* The agents' resolver: a fixed ring of StatefulSet pod names, or DNS on the headless Service. */}}
{{- define "owm.agent.resolver" -}}
{{- $headless := printf "%s.%s.svc" (include "owm.component.fullname" (dict "ctx" . "component" "gateway-headless")) .Release.Namespace }}
{{- if eq .Values.gateway.kind "StatefulSet" }}
{{- $gw := include "owm.component.fullname" (dict "ctx" . "component" "gateway") }}
{{- $hosts := list }}
{{- range $i := until (int .Values.gateway.replicas) }}
{{- $hosts = append $hosts (printf "%s-%d.%s:4317" $gw $i $headless) }}
{{- end }}
{{- toJson (dict "static" (dict "hostnames" $hosts)) }}
{{- else }}
{{- toJson (dict "dns" (dict "hostname" $headless "port" "4317")) }}
{{- end }}
{{- end }}
