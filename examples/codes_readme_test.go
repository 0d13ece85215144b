package examples

import (
	"os"
	"strings"
	"testing"

	"github.com/composex/composex/render"
)

const (
	codesStart = "<!-- diagnostic-codes:start -->"
	codesEnd   = "<!-- diagnostic-codes:end -->"
)

// codeTable renders render.CodeTable as the README's markdown.
func codeTable() string {
	var b strings.Builder
	b.WriteString("| code | severity | reported by | message (… is a value from your file) |\n")
	b.WriteString("|---|---|---|---|\n")
	cell := func(s string) string {
		return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
	}
	for _, e := range render.CodeTable() {
		b.WriteString("| " + e.Code + " | " + e.Severity + " | " + e.Component + " | " + cell(render.CodeSummary(e)) + " |\n")
	}
	return b.String()
}

// TestReadmeCodeTable keeps the README's table of diagnostic codes equal to
// render's code table, so that every code a user sees can be looked up;
// -update rewrites it.
func TestReadmeCodeTable(t *testing.T) {
	body, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	text := string(body)
	before, rest, ok1 := strings.Cut(text, codesStart)
	current, after, ok2 := strings.Cut(rest, codesEnd)
	if !ok1 || !ok2 {
		t.Fatalf("README.md must hold the markers %s and %s", codesStart, codesEnd)
	}
	want := "\n" + codeTable()
	if current == want {
		return
	}
	if *update {
		if err := os.WriteFile(readme, []byte(before+codesStart+want+codesEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("the diagnostic code table in README.md differs from render.CodeTable (run: go test ./examples -run TestReadmeCodeTable -update)\n%s",
		firstDifference([]byte(current), []byte(want)))
}
