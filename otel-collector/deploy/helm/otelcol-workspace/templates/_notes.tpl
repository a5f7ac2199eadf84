{{/* The text of NOTES.txt (a named template, so the tests can render it without a cluster). */}}
{{- define "owm.notes" -}}
{{- $gw := include "owm.component.fullname" (dict "ctx" . "component" "gateway") -}}
{{- $g := .Values.gateway -}}
otelcol-workspace {{ .Chart.AppVersion }}: {{ $g.replicas }} gateway {{ $g.kind }} pod(s) running the workspace policy{{ if .Values.agent.enabled }}, an agent on every node{{ end }}.

Send OTLP from your services:
{{- if .Values.agent.enabled }}
  env:
    - name: HOST_IP
      valueFrom: {fieldRef: {fieldPath: status.hostIP}}
    - name: OTEL_EXPORTER_OTLP_ENDPOINT
      value: http://$(HOST_IP):4318     # the node's agent; it routes each instance to one gateway
{{- else }}
  OTEL_EXPORTER_OTLP_ENDPOINT=http{{ if $g.otlp.tls.enabled }}s{{ end }}://{{ $gw }}.{{ .Release.Namespace }}.svc:4318
{{- end }}
  OTEL_METRICS_EXPORTER=otlp   (the kit's preload: otel-workspace-metrics/register)

Workspace allowlist: {{ len .Values.workspace.allowlist }} entries (ConfigMap {{ include "owm.component.fullname" (dict "ctx" . "component" "allowlist") }}).
Prometheus scrapes {{ $gw }}:8889/metrics with honor_labels{{ if .Values.serviceMonitor.enabled }} (ServiceMonitor {{ $gw }}){{ end }}.
{{- if $g.remoteWrite.enabled }}
Remote write to {{ $g.remoteWrite.url }}.
{{- end }}
{{- if not (and $g.scrape.tls.enabled $g.scrape.auth.enabled) }}
WARNING: the gateways' /metrics listens on the pod network without {{ if not $g.scrape.tls.enabled }}TLS{{ if not $g.scrape.auth.enabled }} or {{ end }}{{ end }}{{ if not $g.scrape.auth.enabled }}a bearer token{{ end }}; set gateway.scrape.tls.enabled/secretName and gateway.scrape.auth.enabled/secretName (OTELCOL_SCRAPE_TLS_CERT_FILE, OTELCOL_SCRAPE_TLS_KEY_FILE, OTELCOL_SCRAPE_BEARER_TOKEN_FILE) before scraping from outside the cluster.
{{- end }}

{{- end }}
