package render

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// reported is one message the source can report: its key in the code table
// and where it is written.
type reported struct {
	component, message, severity string
	at                           string // file:line
}

// sourceDiagnostics parses every non-test Go file of the module's packages
// that report diagnostics and returns each Errorf/Warnf format string and
// each Diagnostic built whole (keyed by the function that adds it), as the
// code lookup at run time sees them. Problems it cannot key (a format that
// is not a literal) are returned as errors.
func sourceDiagnostics(t *testing.T) (found []reported, problems []string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, top := range []string{"render", "schema", "extensions", "cmd"} {
		dirs := map[string][]*ast.File{}
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && d.Name() == "testdata" {
				return filepath.SkipDir
			}
			if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, filepath.Dir(path))
			dirs[filepath.ToSlash(rel)] = append(dirs[filepath.ToSlash(rel)], f)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, component := range slices.Sorted(func(yield func(string) bool) {
			for k := range dirs {
				if !yield(k) {
					return
				}
			}
		}) {
			f, p := packageDiagnostics(fset, root, component, dirs[component])
			found, problems = append(found, f...), append(problems, p...)
		}
	}
	return found, problems
}

func packageDiagnostics(fset *token.FileSet, root, component string, files []*ast.File) (found []reported, problems []string) {
	at := func(n ast.Node) string {
		p := fset.Position(n.Pos())
		rel, _ := filepath.Rel(root, p.Filename)
		return fmt.Sprintf("%s:%d", filepath.ToSlash(rel), p.Line)
	}
	// Functions that build a Diagnostic and return it: the code is that of
	// the function that adds the result.
	builders := map[string]bool{}
	type literal struct {
		fn string
		n  ast.Node
	}
	var literals []literal
	for _, f := range files {
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			name := funcDeclName(fd)
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					sel, ok := n.Fun.(*ast.SelectorExpr)
					if !ok || (sel.Sel.Name != "Errorf" && sel.Sel.Name != "Warnf") {
						return true
					}
					if id, ok := sel.X.(*ast.Ident); ok && (id.Name == "fmt" || id.Name == "t") {
						return true
					}
					if len(n.Args) < 3 {
						return true
					}
					format, ok := constantString(n.Args[2])
					if !ok {
						problems = append(problems, fmt.Sprintf("%s: %s with a format that is not a string literal: its code cannot be known; write the format at the call", at(n), sel.Sel.Name))
						return true
					}
					sev := "error"
					if sel.Sel.Name == "Warnf" {
						sev = "warning"
					}
					found = append(found, reported{component, format, sev, at(n)})
				case *ast.CompositeLit:
					if isDiagnosticType(n.Type) && !hasField(n, "Code") {
						literals = append(literals, literal{name, n})
					}
				}
				return true
			})
			if returnsDiagnostic(fd) {
				builders[fd.Name.Name] = true
			}
		}
	}
	severityOf := func(n ast.Node) string {
		for _, e := range n.(*ast.CompositeLit).Elts {
			if kv, ok := e.(*ast.KeyValueExpr); ok && isIdent(kv.Key, "Severity") {
				if sel, ok := kv.Value.(*ast.SelectorExpr); ok && sel.Sel.Name == "Warning" || isIdent(kv.Value, "Warning") {
					return "warning"
				}
			}
		}
		return "error"
	}
	for _, l := range literals {
		if !builders[l.fn] {
			found = append(found, reported{component, "@" + l.fn, severityOf(l.n), at(l.n)})
			continue
		}
		// A builder: key by every function that calls it.
		for _, f := range files {
			for _, decl := range f.Decls {
				fd, ok := decl.(*ast.FuncDecl)
				if !ok || fd.Body == nil {
					continue
				}
				ast.Inspect(fd.Body, func(n ast.Node) bool {
					if c, ok := n.(*ast.CallExpr); ok && isIdent(c.Fun, l.fn) {
						found = append(found, reported{component, "@" + funcDeclName(fd), severityOf(l.n), at(c)})
					}
					return true
				})
			}
		}
	}
	return found, problems
}

// constantString folds a string literal or a sum of them.
func constantString(e ast.Expr) (string, bool) {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(e.Value)
		return s, err == nil
	case *ast.ParenExpr:
		return constantString(e.X)
	case *ast.BinaryExpr:
		if e.Op != token.ADD {
			return "", false
		}
		a, ok1 := constantString(e.X)
		b, ok2 := constantString(e.Y)
		return a + b, ok1 && ok2
	}
	return "", false
}

func funcDeclName(fd *ast.FuncDecl) string {
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	switch t := fd.Recv.List[0].Type.(type) {
	case *ast.StarExpr:
		return "(*" + typeName(t.X) + ")." + fd.Name.Name
	default:
		return typeName(t) + "." + fd.Name.Name
	}
}

func typeName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name
	case *ast.IndexExpr:
		return typeName(t.X)
	case *ast.IndexListExpr:
		return typeName(t.X)
	}
	return "?"
}

func isIdent(e ast.Expr, name string) bool {
	id, ok := e.(*ast.Ident)
	return ok && id.Name == name
}

func isDiagnosticType(e ast.Expr) bool {
	switch t := e.(type) {
	case *ast.Ident:
		return t.Name == "Diagnostic"
	case *ast.SelectorExpr:
		return t.Sel.Name == "Diagnostic" && isIdent(t.X, "render")
	}
	return false
}

func hasField(c *ast.CompositeLit, name string) bool {
	for _, e := range c.Elts {
		if kv, ok := e.(*ast.KeyValueExpr); ok && isIdent(kv.Key, name) {
			return true
		}
	}
	return false
}

func returnsDiagnostic(fd *ast.FuncDecl) bool {
	if fd.Type.Results == nil {
		return false
	}
	for _, r := range fd.Type.Results.List {
		if isDiagnosticType(r.Type) {
			return true
		}
	}
	return false
}

// TestEveryDiagnosticHasACode: every message the source can report has a
// row in the code table, with its severity; every row is still used; no
// code is used twice or taken from the retired list. On failure it prints
// the rows to paste at the end of codeTable (render/codes_table.go).
func TestEveryDiagnosticHasACode(t *testing.T) {
	found, problems := sourceDiagnostics(t)
	for _, p := range problems {
		t.Error(p)
	}
	if len(found) < 100 {
		t.Fatalf("found only %d diagnostics in the source: the scan is broken", len(found))
	}
	type key struct{ component, message string }
	sev := map[key]map[string]bool{}
	where := map[key]string{}
	var order []key
	for _, r := range found {
		k := key{r.component, r.message}
		if sev[k] == nil {
			sev[k] = map[string]bool{}
			where[k] = r.at
			order = append(order, k)
		}
		sev[k][r.severity] = true
	}
	severity := func(k key) string {
		switch {
		case sev[k]["error"] && sev[k]["warning"]:
			return "error/warning"
		case sev[k]["warning"]:
			return "warning"
		}
		return "error"
	}
	codes := map[string]bool{}
	maxCode := 0
	number := func(c string) int {
		n, err := strconv.Atoi(strings.TrimPrefix(c, "CX"))
		if err != nil || !strings.HasPrefix(c, "CX") || len(c) != 6 {
			t.Errorf("code %q: codes are CX and four digits", c)
		}
		return n
	}
	retired := map[string]bool{}
	for _, c := range retiredCodes {
		retired[c] = true
		maxCode = max(maxCode, number(c))
	}
	table := map[key]bool{}
	for _, e := range codeTable {
		k := key{e.Component, e.Message}
		maxCode = max(maxCode, number(e.Code))
		switch {
		case e.Code == UncodedCode:
			t.Errorf("%s is reserved for a diagnostic without a code", UncodedCode)
		case codes[e.Code]:
			t.Errorf("code %s is used twice: give the second message the next free code", e.Code)
		case retired[e.Code]:
			t.Errorf("code %s is retired: a code is never given to another message", e.Code)
		case table[k]:
			t.Errorf("%s %q has two rows", e.Component, e.Message)
		}
		codes[e.Code], table[k] = true, true
		if _, ok := codeSummaries[e.Code]; strings.HasPrefix(e.Message, "@") && !ok {
			t.Errorf("%s: %s %s builds its diagnostics whole: add a one-line summary for the README to codeSummaries in render/codes.go", e.Code, e.Component, e.Message)
		}
		if sev[k] == nil {
			t.Errorf("%s: %s %q is no longer reported: delete its row and add %q to retiredCodes", e.Code, e.Component, e.Message, e.Code)
		} else if s := severity(k); s != e.Severity {
			t.Errorf("%s: %s %q is reported as %s, the table says %s", e.Code, e.Component, e.Message, s, e.Severity)
		}
	}
	var missing []string
	sort.SliceStable(order, func(i, j int) bool { return order[i].component < order[j].component })
	for _, k := range order {
		if table[k] {
			continue
		}
		maxCode++
		missing = append(missing, fmt.Sprintf("\t{%q, %q, %q, %s}, // %s", fmt.Sprintf("CX%04d", maxCode), k.component, severity(k), strconv.Quote(k.message), where[k]))
	}
	if len(missing) > 0 {
		t.Errorf("%d message(s) without a code; paste these rows at the end of codeTable in render/codes_table.go:\n%s", len(missing), strings.Join(missing, "\n"))
		if path := os.Getenv("COMPOSEX_CODES_OUT"); path != "" {
			os.WriteFile(path, []byte(strings.Join(missing, "\n")+"\n"), 0o644)
		}
	}
}

func TestSplitFuncName(t *testing.T) {
	for _, c := range []struct{ in, component, function string }{
		{"github.com/composex/composex/render.guardSource.func1", "render", "guardSource"},
		{"github.com/composex/composex/render.(*Sources).Guard", "render", "(*Sources).Guard"},
		{"github.com/composex/composex/render.(*Sources).Guard.func2.1", "render", "(*Sources).Guard"},
		{"github.com/composex/composex/extensions/scaling.validate", "extensions/scaling", "validate"},
		{"github.com/composex/composex/schema.check.func1", "schema", "check"},
		{"github.com/composex/composex/render.Sources.Locate", "render", "Sources.Locate"},
		{"github.com/composex/composex/render.sortBy[...]", "render", "sortBy"},
	} {
		if comp, fn := splitFuncName(c.in); comp != c.component || fn != c.function {
			t.Errorf("splitFuncName(%q) = %q, %q; want %q, %q", c.in, comp, fn, c.component, c.function)
		}
	}
}

// TestCodesAtRunTime: the lookup at run time finds the same rows the
// source scan keys: an Errorf in render, a whole Diagnostic added by the
// loader, a guard error built in a closure.
func TestCodesAtRunTime(t *testing.T) {
	in := mustLoad(t, `
services:
  web:
    image: nginx
    x-scalling: {}
`)
	ds := Validate(in, []Extension{fakeExtension{service: []string{"x-scaling"}}})
	d := wantError(t, ds, "web", "services.web.x-scalling", "did you mean x-scaling?")
	if want := lookupCode("render", "unknown extension %s (did you mean %s?); composex reads %s"); d.Code != want || want == UncodedCode {
		t.Errorf("code %q, want %q", d.Code, want)
	}
	_, ds = loadYAML(t, "services:\n  web:\n    image: nginx\n    ports: {a: 1}\n")
	for _, d := range ds {
		if d.Code == "" || d.Code == UncodedCode {
			t.Errorf("loader diagnostic without a code: %+v", d)
		}
	}
	if len(ds) == 0 {
		t.Fatal("no loader diagnostic")
	}
	_, ds = loadYAML(t, "x-a: &a\n  b: *a\nservices:\n  web:\n    image: nginx\n")
	if len(ds) == 0 || ds[0].Code != lookupCode("render", "@guardSource") {
		t.Errorf("guard diagnostics %+v, want the code of @guardSource", ds)
	}
}
