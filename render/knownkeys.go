package render

import (
	"maps"
	"slices"
)

// IgnoredServiceExtensions are the service-level x- keys of compose-x and
// of docker's ECS plugin that composex warns about and ignores, rather than
// taking them for misspellings of keys it reads (the editor schema must
// draw the same line).
func IgnoredServiceExtensions() []string { return slices.Sorted(maps.Keys(composexServiceKeys)) }

// ComposeXModules are the top-level compose-x modules composex warns about
// by name and does not implement.
func ComposeXModules() []string { return slices.Sorted(maps.Keys(composexModules)) }
