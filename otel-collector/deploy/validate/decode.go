package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	serializerjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// decoded is one object that passed strict decoding.
type decoded struct {
	File       string          `json:"file"`
	APIVersion string          `json:"apiVersion"`
	Kind       string          `json:"kind"`
	Name       string          `json:"name"`
	Namespace  string          `json:"namespace,omitempty"`
	Object     json.RawMessage `json:"object"`
}

type strictDecoder struct {
	scheme     *runtime.Scheme
	serializer *serializerjson.Serializer
}

// newStrictDecoder knows the groups the chart and the kustomize bases render.
func newStrictDecoder() *strictDecoder {
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme,
		appsv1.AddToScheme,
		policyv1.AddToScheme,
		rbacv1.AddToScheme,
		monitoringv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			panic(err)
		}
	}
	serializer := serializerjson.NewSerializerWithOptions(serializerjson.DefaultMetaFactory, scheme, scheme,
		serializerjson.SerializerOptions{Yaml: true, Strict: true})
	return &strictDecoder{scheme: scheme, serializer: serializer}
}

// decodeAll decodes every document of one multi-document YAML stream. Empty
// documents (a lone "---", comments only) are skipped.
func (d *strictDecoder) decodeAll(file string, data []byte) ([]decoded, []error) {
	var out []decoded
	var errs []error
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for index := 0; ; index++ {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: document %d: %w", file, index, err))
			break
		}
		if isEmpty(doc) {
			continue
		}
		obj, err := d.decodeOne(doc)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: document %d: %w", file, index, err))
			continue
		}
		obj.File = file
		out = append(out, obj)
	}
	return out, errs
}

func (d *strictDecoder) decodeOne(doc []byte) (decoded, error) {
	// Strict: unknown or duplicated fields come back as a strict decoding error
	// next to a decoded object; both are failures here.
	obj, gvk, err := d.serializer.Decode(doc, nil, nil)
	if err != nil {
		return decoded{}, err
	}
	accessor, err := meta.Accessor(obj)
	if err != nil {
		return decoded{}, fmt.Errorf("%s has no object metadata: %w", gvk.Kind, err)
	}
	if accessor.GetName() == "" {
		return decoded{}, fmt.Errorf("%s without metadata.name", gvk.Kind)
	}
	raw, err := json.Marshal(obj)
	if err != nil {
		return decoded{}, err
	}
	return decoded{
		APIVersion: gvk.GroupVersion().String(),
		Kind:       gvk.Kind,
		Name:       accessor.GetName(),
		Namespace:  accessor.GetNamespace(),
		Object:     raw,
	}, nil
}

func isEmpty(doc []byte) bool {
	for _, line := range bytes.Split(doc, []byte("\n")) {
		trimmed := bytes.TrimSpace(line)
		if len(trimmed) > 0 && trimmed[0] != '#' && !bytes.Equal(trimmed, []byte("---")) {
			return false
		}
	}
	return true
}

// yamlDocumentsToJSON converts every non-empty document of a YAML stream to JSON, untyped.
func yamlDocumentsToJSON(data []byte) ([][]byte, error) {
	var out [][]byte
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		if isEmpty(doc) {
			continue
		}
		j, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return nil, err
		}
		out = append(out, j)
	}
}
