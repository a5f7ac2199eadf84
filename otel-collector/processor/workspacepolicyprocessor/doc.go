// Package workspacepolicyprocessor applies the otel-workspace-metrics
// workspace policy (the SDK's WorkspacePolicy) to the workspace label of
// every datapoint, merges the datapoints that collide after folding, and
// keeps cumulative series monotonic across allowlist changes.
//
//go:generate mdatagen metadata.yaml
package workspacepolicyprocessor // import "github.com/otel-workspace-metrics/otelcol-workspace/processor/workspacepolicyprocessor"
