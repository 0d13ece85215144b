// Package schema holds one draft-07 JSON Schema per x- extension composex
// supports, validates a loaded project against them (reporting every problem
// with its file, line and key path), and builds the editor schema: the
// compose specification with a definition for every x- key.
package schema

import (
	"embed"
	"sort"
)

// files holds the extension schemas, one per extension.
//
//go:embed ext/*.schema.json
var files embed.FS

// Level says where an x- key is written in a compose file.
type Level string

const (
	// ServiceLevel keys are written under services.<name>.
	ServiceLevel Level = "services"
	// ProjectLevel keys are written at the top of the file.
	ProjectLevel Level = "project"
	// SecretLevel keys are written under secrets.<name>.
	SecretLevel Level = "secrets"
	// VolumeLevel keys are written under volumes.<name> (top level).
	VolumeLevel Level = "volumes"
)

// Entry ties an x- key at one level to the schema file that checks it.
type Entry struct {
	Level Level
	Key   string
	File  string // under ext/
}

// Entries is the registry of every x- key that has a schema. A key that
// composex reads (render.CoreServiceKeys, render.CoreProjectKeys, each
// extension's ServiceKeys and ProjectKeys) must be listed here; a test
// enforces it, and that every schema file is used.
var Entries = []Entry{
	{ServiceLevel, "x-ecs", "services.x-ecs.schema.json"},
	{ServiceLevel, "x-logging", "services.x-logging.schema.json"},
	{ServiceLevel, "x-scaling", "services.x-scaling.schema.json"},
	{ServiceLevel, "x-alarms", "services.x-alarms.schema.json"},
	{ServiceLevel, "x-iam", "services.x-iam.schema.json"},
	{ServiceLevel, "x-network", "services.x-network.schema.json"},
	{ServiceLevel, "x-xray", "services.x-xray.schema.json"},
	{ServiceLevel, "x-ray", "services.x-xray.schema.json"}, // legacy alias
	{ServiceLevel, "x-prometheus", "services.x-prometheus.schema.json"},
	{ServiceLevel, "x-monitoring", "services.x-monitoring.schema.json"},
	{ServiceLevel, "x-appmesh", "x-appmesh.schema.json"}, // refused
	{ProjectLevel, "x-cluster", "x-cluster.schema.json"},
	{ProjectLevel, "x-alarms", "x-alarms.schema.json"},
	{ProjectLevel, "x-sns", "x-sns.schema.json"},
	{ProjectLevel, "x-cloudmap", "x-cloudmap.schema.json"},
	{ProjectLevel, "x-elbv2", "x-elbv2.schema.json"},
	{ProjectLevel, "x-dashboards", "x-dashboards.schema.json"},
	{ProjectLevel, "x-appmesh", "x-appmesh.schema.json"}, // refused
	{SecretLevel, "x-secrets", "secrets.x-secrets.schema.json"},
	{VolumeLevel, "x-efs", "volumes.x-efs.schema.json"},
	{SecretLevel, "x-generate", "secrets.x-generate.schema.json"},
}

// Lookup returns the schema file of an x- key at a level.
func Lookup(level Level, key string) (file string, ok bool) {
	for _, e := range Entries {
		if e.Level == level && e.Key == key {
			return e.File, true
		}
	}
	return "", false
}

// Keys returns the x- keys that have a schema at a level, sorted.
func Keys(level Level) []string {
	var keys []string
	for _, e := range Entries {
		if e.Level == level {
			keys = append(keys, e.Key)
		}
	}
	sort.Strings(keys)
	return keys
}

// FileNames returns the names of the embedded schema files, sorted.
func FileNames() []string {
	entries, err := files.ReadDir("ext")
	if err != nil {
		panic(err) // embedded at build time: cannot fail
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names
}

// File returns the content of one embedded schema file.
func File(name string) ([]byte, error) { return files.ReadFile("ext/" + name) }
