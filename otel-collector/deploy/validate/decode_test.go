package main

import (
	"bytes"
	"strings"
	"testing"
)

const configMap = `apiVersion: v1
kind: ConfigMap
metadata:
  name: a
data:
  k: v
`

func TestDecodeAll(t *testing.T) {
	tests := []struct {
		name    string
		input   string
		objects int
		errPart string
	}{
		{name: "valid", input: configMap, objects: 1},
		{name: "two documents and an empty one", input: configMap + "---\n# nothing\n---\n" + strings.Replace(configMap, "name: a", "name: b", 1), objects: 2},
		{name: "unknown field", input: configMap + "dta: {}\n", errPart: `unknown field "dta"`},
		{name: "unknown nested field", input: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n  selector: {matchLabels: {a: b}}\n  template:\n    metadata: {labels: {a: b}}\n    spec:\n      containers: [{name: c, image: i, livenessProbe: {httpGet: {path: /, port: 1, hots: x}}}]\n", errPart: `unknown field "spec.template.spec.containers[0].livenessProbe.httpGet.hots"`},
		{name: "duplicate field", input: configMap + "data:\n  k: w\n", errPart: `key "data" already set`},
		{name: "wrong type", input: "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec: {replicas: two}\n", errPart: "replicas"},
		{name: "field case differs", input: configMap + "Data: {}\n", errPart: `unknown field "Data"`},
		{name: "unknown kind", input: "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n", errPart: "no kind"},
		{name: "missing name", input: "apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", errPart: "metadata.name"},
		{name: "ServiceMonitor", input: "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: s}\nspec:\n  selector: {matchLabels: {a: b}}\n  endpoints: [{port: metrics, honorLabels: true}]\n", objects: 1},
		{name: "ServiceMonitor unknown endpoint field", input: "apiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata: {name: s}\nspec:\n  selector: {matchLabels: {a: b}}\n  endpoints: [{port: metrics, honor_labels: true}]\n", errPart: "honor_labels"},
		{name: "PrometheusRule", input: "apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata: {name: r}\nspec:\n  groups: [{name: g, rules: [{record: a:b:c, expr: sum(x)}]}]\n", objects: 1},
		{name: "PodMonitor unknown field", input: "apiVersion: monitoring.coreos.com/v1\nkind: PodMonitor\nmetadata: {name: p}\nspec:\n  selector: {}\n  podMetricsEndpoints: [{port: m, interval: 30s, scrapeTimout: 5s}]\n", errPart: "scrapeTimout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			objects, errs := newStrictDecoder().decodeAll("in.yaml", []byte(tt.input))
			if tt.errPart == "" {
				if len(errs) > 0 {
					t.Fatalf("unexpected errors: %v", errs)
				}
				if len(objects) != tt.objects {
					t.Fatalf("got %d objects, want %d", len(objects), tt.objects)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("got %d errors (%v), want 1 containing %q", len(errs), errs, tt.errPart)
			}
			if !strings.Contains(errs[0].Error(), tt.errPart) {
				t.Fatalf("error %q does not contain %q", errs[0], tt.errPart)
			}
		})
	}
}

func TestRunExitStatus(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-"}, strings.NewReader(configMap), &out, &errOut); code != 0 {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
	if !strings.Contains(out.String(), `"kind": "ConfigMap"`) {
		t.Fatalf("stdout lacks the object: %s", out.String())
	}
	out.Reset()
	errOut.Reset()
	if code := run([]string{"-"}, strings.NewReader(configMap+"bogus: 1\n"), &out, &errOut); code != 1 {
		t.Fatalf("exit %d for an unknown field, want 1", code)
	}
	if code := run(nil, strings.NewReader(""), &out, &errOut); code != 2 {
		t.Fatalf("exit %d without arguments, want 2", code)
	}
}

func TestToJSON(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--to-json", "-"}, strings.NewReader("a: 1\n---\nb: [x]\n"), &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if got := strings.TrimSpace(out.String()); got != `[{"a":1},{"b":["x"]}]` {
		t.Fatalf("got %s", got)
	}
	if code := run([]string{"--to-json", "-"}, strings.NewReader("a: 1\na: 2\n"), &out, &errOut); code != 1 {
		t.Fatalf("exit %d for a duplicated key, want 1", code)
	}
}
