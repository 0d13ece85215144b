package examples

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/composex/composex/render"
)

const (
	tableStart = "<!-- conversion-table:start -->"
	tableEnd   = "<!-- conversion-table:end -->"
)

var readme = filepath.Join("..", "README.md")

// conversionTable renders render.ConversionTable as the README's markdown.
func conversionTable() string {
	var b strings.Builder
	b.WriteString("| compose key (under `services.<name>`) | composex | what it becomes |\n")
	b.WriteString("|---|---|---|\n")
	for _, r := range render.ConversionTable {
		note := strings.ReplaceAll(r.Note, "|", `\|`)
		b.WriteString("| `" + r.Key + "` | " + r.Support.String() + " | " + note + " |\n")
	}
	return b.String()
}

// TestReadmeConversionTable keeps the README's conversion table equal to
// the one generated from render.ConversionTable; -update rewrites it.
func TestReadmeConversionTable(t *testing.T) {
	body, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	text := string(body)
	before, rest, ok1 := strings.Cut(text, tableStart)
	current, after, ok2 := strings.Cut(rest, tableEnd)
	if !ok1 || !ok2 {
		t.Fatalf("README.md must hold the markers %s and %s", tableStart, tableEnd)
	}
	want := "\n" + conversionTable()
	if current == want {
		return
	}
	if *update {
		if err := os.WriteFile(readme, []byte(before+tableStart+want+tableEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the conversion table in README.md differs from render.ConversionTable (run: go test ./examples -update)\n%s",
		firstDifference([]byte(current), []byte(want)))
}

// TestReadmeNamesCoreKeys checks that the README names every x- key the
// core reads, so that a new one cannot go undocumented.
func TestReadmeNamesCoreKeys(t *testing.T) {
	body, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range append(append([]string{}, render.CoreServiceKeys...), render.CoreProjectKeys...) {
		if !strings.Contains(string(body), "`"+k+"`") {
			t.Errorf("README.md does not name the x- key `%s` that composex reads", k)
		}
	}
}
