package render

import (
	"fmt"
	"sort"
	"strings"
)

// Severity tells whether a diagnostic stops the render.
type Severity int

const (
	// Error means the input cannot be rendered correctly; nothing is written.
	Error Severity = iota
	// Warning means the output is still right, but something in the input
	// has no effect or a weaker effect on Fargate than in docker compose.
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one problem found in the user's input, located as precisely
// as the input allows: file and line come from the YAML node when known.
type Diagnostic struct {
	Severity Severity
	File     string
	Line     int
	Column   int
	Service  string
	Path     string // key path, e.g. services.web.x-scaling.Range
	Message  string
	// Code is the diagnostic's stable code (see codes.go), set by Errorf,
	// Warnf and Add.
	Code string
}

func (d Diagnostic) String() string {
	var b strings.Builder
	if d.File != "" {
		b.WriteString(d.File)
		if d.Line > 0 {
			fmt.Fprintf(&b, ":%d", d.Line)
			if d.Column > 0 {
				fmt.Fprintf(&b, ":%d", d.Column)
			}
		}
		b.WriteString(": ")
	}
	b.WriteString(d.Severity.String())
	b.WriteString(": ")
	if d.Service != "" {
		fmt.Fprintf(&b, "service %q: ", d.Service)
	}
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// Diagnostics collects every problem of a run so that the user sees them all
// at once rather than one per attempt.
type Diagnostics []Diagnostic

// Errorf records an error at a key path of a service ("" for project level).
func (ds *Diagnostics) Errorf(service, path, format string, args ...any) {
	component, _ := caller(1)
	*ds = append(*ds, Diagnostic{Severity: Error, Service: service, Path: path, Message: fmt.Sprintf(format, args...), Code: lookupCode(component, format)})
}

// Warnf records a warning at a key path of a service ("" for project level).
func (ds *Diagnostics) Warnf(service, path, format string, args ...any) {
	component, _ := caller(1)
	*ds = append(*ds, Diagnostic{Severity: Warning, Service: service, Path: path, Message: fmt.Sprintf(format, args...), Code: lookupCode(component, format)})
}

// Add appends other diagnostics. One built whole (not by Errorf or Warnf)
// gets the code of the function that adds it.
func (ds *Diagnostics) Add(other ...Diagnostic) {
	for _, d := range other {
		if d.Code == "" {
			component, function := caller(1)
			d.Code = lookupCode(component, "@"+function)
		}
		*ds = append(*ds, d)
	}
}

// HasErrors reports whether any diagnostic is an error.
func (ds Diagnostics) HasErrors() bool {
	for _, d := range ds {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns only the errors.
func (ds Diagnostics) Errors() Diagnostics { return ds.filter(Error) }

// Warnings returns only the warnings.
func (ds Diagnostics) Warnings() Diagnostics { return ds.filter(Warning) }

func (ds Diagnostics) filter(s Severity) Diagnostics {
	var out Diagnostics
	for _, d := range ds {
		if d.Severity == s {
			out = append(out, d)
		}
	}
	return out
}

// Sorted returns the diagnostics in a stable order (file, line, path,
// message), without duplicates, so that output does not depend on map order.
func (ds Diagnostics) Sorted() Diagnostics {
	out := append(Diagnostics(nil), ds...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Message < b.Message
	})
	uniq := out[:0]
	for i, d := range out {
		if i > 0 && d == out[i-1] {
			continue
		}
		uniq = append(uniq, d)
	}
	return uniq
}

// Error makes Diagnostics usable as an error: one line per diagnostic.
func (ds Diagnostics) Error() string {
	lines := make([]string, 0, len(ds))
	for _, d := range ds.Sorted() {
		lines = append(lines, d.String())
	}
	return strings.Join(lines, "\n")
}
