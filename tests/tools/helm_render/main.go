// helm_render renders a Helm chart the way `helm template` does, for tests on machines without
// Helm: Go's text/template with sprig (the engine and function library Helm itself uses) plus the
// Helm functions a chart may use here — include, toYaml, fromYaml, toJson, required, tpl is not
// offered — and Helm's values handling (values.yaml, then each -f file merged deeply, then
// --set a.b.c=value), and the check of the merged values against the chart's values.schema.json
// that `helm template`/`helm install` make before rendering.
//
// Usage: helm_render [--release NAME] [--namespace NS] [--notes] [-f values.yaml]... [--set k.k=v]... CHART_DIR
//
// It prints one YAML document per non-empty template, each starting with
// "---\n# Source: CHART/templates/FILE", like `helm template`, and exits 1 with Helm's message
// ("execution error at (...): MESSAGE") when a template fails (e.g. `required`) or a rendered
// document is not YAML. Templates named _*.tpl only define named templates and print nothing.
//
// Helm behaviours mimicked on purpose, so the chart breaks here where it would break in Helm:
//   - values are decoded as JSON would: every number is a float64 (`{{ .Values.n }}` of 1000000
//     prints 1e+06 in Helm too), maps are map[string]interface{};
//   - a values file is YAML 1.1 to Helm (sigs.k8s.io/yaml, a go-yaml v2 fork): a plain yes, on,
//     no or off (in any of YAML 1.1's capitalisations) is a boolean, where yaml.v3 reads a string
//     (y and n, booleans to some go-yaml v2 releases, stay strings here as before: unverified);
//   - missing keys render as empty: the template runs with missingkey=zero and "<no value>" is
//     then removed from the output;
//   - toYaml goes through JSON (sigs.k8s.io/yaml), so keys come out sorted, and drops the final
//     newline;
//   - the functions "env" and "expandenv" are removed from sprig, as Helm does;
//   - a chart with values.schema.json has its merged values validated against it with
//     gojsonschema (the library Helm 3 used up to 3.17), and a violation fails before any template
//     runs with Helm's message: "values don't meet the specifications of the schema(s) in the
//     following chart(s):\nCHART:\n- FIELD: DESCRIPTION".
//
// Built offline from Debian's packages (golang-go, golang-github-masterminds-sprig-dev,
// golang-gopkg-yaml.v3-dev, golang-github-xeipuuv-gojsonschema-dev) in GOPATH mode:
// GOPATH=/usr/share/gocode GO111MODULE=off.
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"

	// Debian installs sprig v3 at its GOPATH path without the /v3 suffix.
	sprig "github.com/Masterminds/sprig"
	"github.com/xeipuuv/gojsonschema"
	"gopkg.in/yaml.v3"
)

type stringList []string

func (s *stringList) add(v string) { *s = append(*s, v) }

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "Error: "+format+"\n", args...)
	os.Exit(1)
}

// jsonify turns YAML-decoded data into what Helm's values are after sigs.k8s.io/yaml: every
// number a float64, every map map[string]interface{}.
func jsonify(v interface{}) (interface{}, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out interface{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// yaml11Bools are plain scalars go-yaml v2's resolver reads as booleans and yaml.v3 as strings;
// true/false and their capitalisations are booleans to both.
var yaml11Bools = map[string]string{
	"yes": "true", "Yes": "true", "YES": "true", "on": "true", "On": "true", "ON": "true",
	"no": "false", "No": "false", "NO": "false", "off": "false", "Off": "false", "OFF": "false",
}

// asYAML11 retags the plain (unquoted) scalar values YAML 1.1 reads as booleans; mapping keys
// are left alone (sigs.k8s.io/yaml turns a boolean key back into its text anyway).
func asYAML11(n *yaml.Node) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			asYAML11(c)
		}
	case yaml.MappingNode:
		for i := 1; i < len(n.Content); i += 2 {
			asYAML11(n.Content[i])
		}
	case yaml.ScalarNode:
		if b, ok := yaml11Bools[n.Value]; ok && n.Style == 0 && n.Tag == "!!str" {
			n.Tag, n.Value = "!!bool", b
		}
	}
}

func loadYAMLFile(path string) (map[string]interface{}, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	asYAML11(&doc)
	var raw interface{}
	if err := doc.Decode(&raw); err != nil && doc.Kind != 0 {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if raw == nil {
		return map[string]interface{}{}, nil
	}
	v, err := jsonify(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	m, ok := v.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("%s: top level is not a map", path)
	}
	return m, nil
}

// mergeValues merges src over dst like Helm's coalescing of -f files: maps merge key by key, any
// other value replaces, and a null in src deletes the key.
func mergeValues(dst, src map[string]interface{}) {
	for k, sv := range src {
		if sv == nil {
			delete(dst, k)
			continue
		}
		sm, sIsMap := sv.(map[string]interface{})
		dm, dIsMap := dst[k].(map[string]interface{})
		if sIsMap && dIsMap {
			mergeValues(dm, sm)
			continue
		}
		dst[k] = sv
	}
}

// setValue applies one --set a.b.c=value with Helm's typing of the value (integers, booleans,
// null); list indices are not supported.
func setValue(values map[string]interface{}, assignment string) error {
	eq := strings.IndexByte(assignment, '=')
	if eq <= 0 {
		return fmt.Errorf("--set %q: expected key=value", assignment)
	}
	path := strings.Split(assignment[:eq], ".")
	raw := assignment[eq+1:]
	var value interface{} = raw
	switch raw {
	case "true":
		value = true
	case "false":
		value = false
	case "null":
		value = nil
	default:
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			value = float64(n)
		}
	}
	m := values
	for _, key := range path[:len(path)-1] {
		next, ok := m[key].(map[string]interface{})
		if !ok {
			next = map[string]interface{}{}
			m[key] = next
		}
		m = next
	}
	last := path[len(path)-1]
	if value == nil {
		delete(m, last)
	} else {
		m[last] = value
	}
	return nil
}

// toYAML is Helm's toYaml: JSON first (sorted keys, JSON's view of the data), then YAML with a
// two-space indent, without the final newline. Like Helm, an error renders as "".
func toYAML(v interface{}) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	var data interface{}
	if err := yaml.Unmarshal(raw, &data); err != nil {
		return ""
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(data); err != nil {
		return ""
	}
	_ = enc.Close()
	return strings.TrimSuffix(buf.String(), "\n")
}

func fromYAML(s string) map[string]interface{} {
	var raw interface{}
	m := map[string]interface{}{}
	if err := yaml.Unmarshal([]byte(s), &raw); err != nil {
		m["Error"] = err.Error()
		return m
	}
	if v, err := jsonify(raw); err == nil {
		if vm, ok := v.(map[string]interface{}); ok {
			return vm
		}
	}
	return m
}

func toJSON(v interface{}) string {
	raw, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(raw)
}

// required is Helm's: nil or "" fails the render with the message.
func required(message string, v interface{}) (interface{}, error) {
	if v == nil {
		return v, errors.New(message)
	}
	if s, ok := v.(string); ok && s == "" {
		return v, errors.New(message)
	}
	return v, nil
}

// validateSchema is Helm's ValidateAgainstSchema for a chart without subcharts: the values as JSON
// against values.schema.json when the chart has one; nil when it has none or the values conform.
func validateSchema(chartDir, chartName string, values map[string]interface{}) error {
	schema, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	valuesJSON, err := json.Marshal(values)
	if err != nil {
		return err
	}
	result, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema),
		gojsonschema.NewBytesLoader(valuesJSON))
	if err != nil {
		return fmt.Errorf("%s: values.schema.json: %w", chartName, err)
	}
	if result.Valid() {
		return nil
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "values don't meet the specifications of the schema(s) in the following chart(s):\n%s:\n", chartName)
	for _, desc := range result.Errors() {
		fmt.Fprintf(&sb, "- %s\n", desc)
	}
	return errors.New(strings.TrimSuffix(sb.String(), "\n"))
}

type chartMeta struct {
	Name        string
	Version     string
	AppVersion  string
	Description string
	Type        string
	APIVersion  string
}

type releaseInfo struct {
	Name      string
	Namespace string
	Service   string
	IsInstall bool
	IsUpgrade bool
	Revision  int
}

func loadChart(dir string) (chartMeta, error) {
	data, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return chartMeta{}, err
	}
	var raw struct {
		APIVersion  string `yaml:"apiVersion"`
		Name        string `yaml:"name"`
		Version     string `yaml:"version"`
		AppVersion  string `yaml:"appVersion"`
		Description string `yaml:"description"`
		Type        string `yaml:"type"`
	}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return chartMeta{}, fmt.Errorf("Chart.yaml: %w", err)
	}
	if raw.APIVersion != "v2" || raw.Name == "" || raw.Version == "" {
		return chartMeta{}, errors.New("Chart.yaml: apiVersion v2, name and version are required")
	}
	return chartMeta{Name: raw.Name, Version: raw.Version, AppVersion: raw.AppVersion,
		Description: raw.Description, Type: raw.Type, APIVersion: raw.APIVersion}, nil
}

// Helm reports a failed function as "execution error at (TEMPLATE:LINE:COL): MESSAGE" with the
// innermost template's position; Go's text/template nests them: "template: A:1:2: executing "A" at
// <include ...>: error calling include: template: B:3:4: executing "B" at <...>: error calling
// required: MESSAGE".
var execAt = regexp.MustCompile(`template: (\S+?:\d+:\d+): executing `)

func helmError(err error) string {
	msg := err.Error()
	const calling = "error calling "
	last := strings.LastIndex(msg, calling)
	if last < 0 {
		return msg
	}
	rest := msg[last+len(calling):]
	colon := strings.Index(rest, ": ")
	if colon < 0 {
		return msg
	}
	locations := execAt.FindAllStringSubmatch(msg[:last], -1)
	if len(locations) == 0 {
		return msg
	}
	return fmt.Sprintf("execution error at (%s): %s", locations[len(locations)-1][1], rest[colon+2:])
}

func main() {
	var valueFiles, sets stringList
	release := "erp-backup"
	namespace := "default"
	notes := false
	args := os.Args[1:]
	var chartDir string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		next := func() string {
			if i+1 >= len(args) {
				fail("%s needs a value", arg)
			}
			i++
			return args[i]
		}
		switch arg {
		case "-f", "--values":
			valueFiles.add(next())
		case "--set":
			sets.add(next())
		case "--release":
			release = next()
		case "--namespace", "-n":
			namespace = next()
		case "--notes":
			notes = true
		default:
			if strings.HasPrefix(arg, "-") || chartDir != "" {
				fail("usage: helm_render [--release NAME] [--namespace NS] [--notes] [-f FILE]... [--set k=v]... CHART_DIR")
			}
			chartDir = arg
		}
	}
	if chartDir == "" {
		fail("usage: helm_render [--release NAME] [--namespace NS] [--notes] [-f FILE]... [--set k=v]... CHART_DIR")
	}

	chart, err := loadChart(chartDir)
	if err != nil {
		fail("%v", err)
	}
	values, err := loadYAMLFile(filepath.Join(chartDir, "values.yaml"))
	if err != nil {
		fail("%v", err)
	}
	for _, f := range valueFiles {
		override, err := loadYAMLFile(f)
		if err != nil {
			fail("%v", err)
		}
		mergeValues(values, override)
	}
	for _, s := range sets {
		if err := setValue(values, s); err != nil {
			fail("%v", err)
		}
	}

	if err := validateSchema(chartDir, chart.Name, values); err != nil {
		fail("%v", err)
	}

	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	root := template.New("gotpl")
	// include renders a named template into a string so it can be piped (nindent, quote, ...).
	includeDepth := 0
	funcs["include"] = func(name string, data interface{}) (string, error) {
		includeDepth++
		defer func() { includeDepth-- }()
		if includeDepth > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", name)
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	funcs["toYaml"] = toYAML
	funcs["fromYaml"] = fromYAML
	funcs["toJson"] = toJSON
	funcs["required"] = required
	root.Funcs(funcs).Option("missingkey=zero")

	templatesDir := filepath.Join(chartDir, "templates")
	entries, err := os.ReadDir(templatesDir)
	if err != nil {
		fail("%v", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		name := e.Name()
		if !strings.HasSuffix(name, ".yaml") && !strings.HasSuffix(name, ".yml") &&
			!strings.HasSuffix(name, ".tpl") && name != "NOTES.txt" {
			continue
		}
		text, err := os.ReadFile(filepath.Join(templatesDir, name))
		if err != nil {
			fail("%v", err)
		}
		full := chart.Name + "/templates/" + name
		if _, err := root.New(full).Parse(string(text)); err != nil {
			fail("parse error at (%s): %v", full, err)
		}
		names = append(names, name)
	}
	sort.Strings(names)

	top := map[string]interface{}{
		"Values":  values,
		"Chart":   chart,
		"Release": releaseInfo{Name: release, Namespace: namespace, Service: "Helm", IsInstall: true, Revision: 1},
		"Capabilities": map[string]interface{}{
			"KubeVersion": map[string]interface{}{"Version": "v1.30.0", "Major": "1", "Minor": "30"},
		},
	}

	var out bytes.Buffer
	for _, name := range names {
		// Partials only define templates. NOTES.txt is what `helm install` prints, not a manifest:
		// it is rendered (so its errors fail here as in Helm) and printed to stderr with --notes.
		if strings.HasPrefix(name, "_") {
			continue
		}
		if name == "NOTES.txt" {
			full := chart.Name + "/templates/" + name
			var buf bytes.Buffer
			if err := root.ExecuteTemplate(&buf, full, top); err != nil {
				fail("%s", helmError(err))
			}
			if notes {
				fmt.Fprint(os.Stderr, strings.ReplaceAll(buf.String(), "<no value>", ""))
			}
			continue
		}
		full := chart.Name + "/templates/" + name
		top["Template"] = map[string]interface{}{"Name": full, "BasePath": chart.Name + "/templates"}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, full, top); err != nil {
			fail("%s", helmError(err))
		}
		rendered := strings.ReplaceAll(buf.String(), "<no value>", "")
		if strings.TrimSpace(rendered) == "" {
			continue
		}
		// Like Helm: every document of the output must be YAML.
		dec := yaml.NewDecoder(strings.NewReader(rendered))
		for {
			var doc interface{}
			if err := dec.Decode(&doc); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				fail("YAML parse error on %s: %v", full, err)
			}
		}
		fmt.Fprintf(&out, "---\n# Source: %s\n%s", full, strings.TrimLeft(rendered, "\n"))
		if !strings.HasSuffix(rendered, "\n") {
			out.WriteByte('\n')
		}
	}
	os.Stdout.Write(out.Bytes())
}
