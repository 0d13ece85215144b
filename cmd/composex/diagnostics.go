package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/composex/composex/render"
)

// diagnosticFormats are the values of --diagnostics.
var diagnosticFormats = []string{"text", "json", "github", "sarif"}

// subject is what a diagnostic is about, without its location and
// severity: `service "web": services.web.ports: message`.
func subject(d render.Diagnostic) string {
	var b strings.Builder
	if d.Service != "" {
		fmt.Fprintf(&b, "service %q: ", d.Service)
	}
	if d.Path != "" {
		b.WriteString(d.Path + ": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// code is the diagnostic's code, CX0000 when it has none.
func code(d render.Diagnostic) string {
	if d.Code == "" {
		return render.UncodedCode
	}
	return d.Code
}

// writeDiagnostics prints the diagnostics in one format. fallbackFile is
// where a diagnostic of no file is placed for SARIF, which GitHub refuses
// without a location.
func writeDiagnostics(w io.Writer, format string, ds render.Diagnostics, fallbackFile string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, d := range ds {
			if err := enc.Encode(jsonDiagnostic{d.Severity.String(), d.File, d.Line, d.Column, d.Service, d.Path, d.Message, code(d)}); err != nil {
				return err
			}
		}
	case "github":
		for _, d := range ds {
			fmt.Fprintln(w, githubAnnotation(d))
		}
	case "sarif":
		b, err := json.MarshalIndent(sarifLog(ds, fallbackFile), "", "  ")
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	default:
		for _, d := range ds {
			fmt.Fprintf(w, "%s [%s]\n", d.String(), code(d))
		}
	}
	return nil
}

type jsonDiagnostic struct {
	Severity string `json:"severity"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Column   int    `json:"column"`
	Service  string `json:"service"`
	Key      string `json:"key"`
	Message  string `json:"message"`
	Code     string `json:"code"`
}

// GitHub workflow commands: in the message %, CR and LF are escaped; in a
// property value also : and , (they separate properties).
var (
	githubData     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	githubProperty = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func githubAnnotation(d render.Diagnostic) string {
	var props []string
	if d.File != "" && d.File != "-" {
		props = append(props, "file="+githubProperty.Replace(filepath.ToSlash(d.File)))
		if d.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", d.Line))
			if d.Column > 0 {
				props = append(props, fmt.Sprintf("col=%d", d.Column))
			}
		}
	}
	props = append(props, "title="+githubProperty.Replace(code(d)))
	return fmt.Sprintf("::%s %s::%s", d.Severity.String(), strings.Join(props, ","), githubData.Replace(subject(d)))
}

// sarifURI is a file as GitHub code scanning wants it: relative to the
// repository root (the working directory of the run), with forward slashes
// and percent-encoding; a file outside it as an absolute file: URI.
func sarifURI(file string) string {
	if !filepath.IsAbs(file) {
		return (&url.URL{Path: filepath.ToSlash(filepath.Clean(file))}).String()
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, file); err == nil && !strings.HasPrefix(rel, "..") {
			return (&url.URL{Path: filepath.ToSlash(rel)}).String()
		}
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(file)}).String()
}

// sarifLog is a SARIF 2.1.0 log of one run: one rule per code seen, one
// result per diagnostic, each located (GitHub rejects results without a
// location; one with no file is placed at line 1 of the first compose file).
func sarifLog(ds render.Diagnostics, fallbackFile string) map[string]any {
	var codes []string
	for _, d := range ds {
		if !slices.Contains(codes, code(d)) {
			codes = append(codes, code(d))
		}
	}
	slices.Sort(codes)
	rules := make([]map[string]any, 0, len(codes))
	for _, c := range codes {
		desc := "a diagnostic without a code of its own"
		level := "error"
		if e, ok := render.CodeEntryFor(c); ok {
			desc = render.CodeSummary(e)
			if e.Severity == "warning" {
				level = "warning"
			}
		}
		rules = append(rules, map[string]any{
			"id":                   c,
			"name":                 c,
			"shortDescription":     map[string]any{"text": desc},
			"fullDescription":      map[string]any{"text": desc},
			"help":                 map[string]any{"text": "composex diagnostic " + c + ": see the diagnostic code table in the composex README."},
			"defaultConfiguration": map[string]any{"level": level},
		})
	}
	results := make([]map[string]any, 0, len(ds))
	for _, d := range ds {
		file, line, col := d.File, d.Line, d.Column
		if file == "" || file == "-" || strings.HasPrefix(file, "<") {
			file, line, col = fallbackFile, 1, 1
		}
		region := map[string]any{"startLine": max(line, 1)}
		if col > 0 {
			region["startColumn"] = col
		}
		results = append(results, map[string]any{
			"ruleId":    code(d),
			"ruleIndex": slices.Index(codes, code(d)),
			"level":     d.Severity.String(),
			"message":   map[string]any{"text": subject(d)},
			"locations": []map[string]any{{
				"physicalLocation": map[string]any{
					"artifactLocation": map[string]any{"uri": sarifURI(file)},
					"region":           region,
				},
			}},
		})
	}
	return map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []map[string]any{{
			"tool": map[string]any{"driver": map[string]any{
				"name":    "composex",
				"version": strings.Fields(currentVersion())[0],
				"rules":   rules,
			}},
			"results": results,
		}},
	}
}

// firstComposeFile is where SARIF places a diagnostic of no file: the
// first compose file given, else the one docker compose would find.
func firstComposeFile(files []string, dir string) string {
	for _, f := range files {
		if f != "-" {
			return f
		}
	}
	for _, name := range []string{"compose.yaml", "compose.yml", "docker-compose.yml", "docker-compose.yaml"} {
		p := filepath.Join(dir, name)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	return "compose.yaml"
}
