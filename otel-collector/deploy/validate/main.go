// Command k8s-validate decodes Kubernetes manifests STRICTLY into the
// Kubernetes API types (k8s.io/api) and the Prometheus Operator types
// (monitoring.coreos.com/v1): an unknown field, a duplicated field, a value of
// the wrong type or a kind it does not know is a failure, as with
// `kubectl apply --validate=strict` against a cluster with the operator's CRDs.
//
// Usage: k8s-validate FILE... (or - for stdin). Every YAML document of every
// file is decoded; the objects are printed to stdout as one JSON array of
// {"file", "apiVersion", "kind", "name", "namespace", "object"} where object is
// the typed object marshalled back to JSON (what the API server would store,
// minus defaulting). Errors go to stderr, one line per document, and the exit
// status is 1 when any document failed.
//
// k8s-validate --to-json FILE prints the YAML documents of FILE as a JSON
// array, untyped (the tests compare rule files and rendered objects with it).
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: k8s-validate FILE... (- for stdin)")
		return 2
	}
	if args[0] == "--to-json" {
		return toJSON(args[1:], stdin, stdout, stderr)
	}
	decoder := newStrictDecoder()
	var objects []decoded
	failed := false
	for _, file := range args {
		data, err := readInput(file, stdin)
		if err != nil {
			fmt.Fprintf(stderr, "%s: %v\n", file, err)
			failed = true
			continue
		}
		docs, errs := decoder.decodeAll(file, data)
		objects = append(objects, docs...)
		for _, e := range errs {
			fmt.Fprintln(stderr, e)
			failed = true
		}
	}
	if objects == nil {
		objects = []decoded{}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", " ")
	if err := enc.Encode(objects); err != nil {
		fmt.Fprintf(stderr, "writing the result: %v\n", err)
		return 1
	}
	if failed {
		return 1
	}
	return 0
}

func readInput(file string, stdin io.Reader) ([]byte, error) {
	if file == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(file)
}

func toJSON(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "usage: k8s-validate --to-json FILE")
		return 2
	}
	data, err := readInput(args[0], stdin)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", args[0], err)
		return 1
	}
	docs, err := yamlDocumentsToJSON(data)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", args[0], err)
		return 1
	}
	if _, err := fmt.Fprintf(stdout, "[%s]\n", bytes.Join(docs, []byte(","))); err != nil {
		return 1
	}
	return 0
}
