package main

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/render"
	"github.com/composex/composex/schema"
)

// subMarker is what a hostile user appends to every string of a compose
// file: two references that would be live inside Fn::Sub (a pseudo parameter
// and an attribute of a role composex creates). "$$" is compose's escape for
// "$", so after interpolation the value holds ZQ${AWS::StackName}... The ZQ
// prefix tells the user's references from composex's own.
const subMarker = "ZQ$${AWS::StackName}ZQ$${WebTaskRole.Arn}"

// liveUserRef finds a reference the user wrote that Fn::Sub would resolve:
// ZQ (or ZQ$, where a key is not interpolated) followed by ${ without the
// ! that makes it literal.
var liveUserRef = regexp.MustCompile(`ZQ\$?\$\{[^!]`)

// escapedUserRef finds user text escaped for Fn::Sub (${!), which only
// Fn::Sub undoes: outside one, CloudFormation keeps the !.
var escapedUserRef = regexp.MustCompile(`ZQ\$?\$\{!`)

// TestNoUserTextLiveInSub renders every example with the marker appended to
// each string value of its compose file (the values a check refuses with
// the marker are put back, one located error at a time), in YAML and in
// JSON, and walks every template: no Fn::Sub string may hold a reference the
// user wrote, and no plain string may hold an escape (${!) that only Fn::Sub
// would undo.
func TestNoUserTextLiveInSub(t *testing.T) {
	composeFiles, _ := filepath.Glob(filepath.Join("..", "..", "examples", "*", "docker-compose.yml"))
	if len(composeFiles) == 0 {
		t.Fatal("no examples found")
	}
	mutatedTotal := 0
	for _, file := range composeFiles {
		name := filepath.Base(filepath.Dir(file))
		if name == "scale" {
			continue // thousands of generated services, nothing the others lack
		}
		t.Run(name, func(t *testing.T) {
			dir := copyTree(t, filepath.Dir(file))
			src, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			var doc yaml.Node
			if err := yaml.Unmarshal(src, &doc); err != nil {
				t.Fatal(err)
			}
			scalars := userStrings(&doc)
			byLine := map[int][]*yaml.Node{}
			originals := map[*yaml.Node]string{}
			for _, n := range scalars {
				originals[n] = n.Value
				n.Value += subMarker
				byLine[n.Line] = append(byLine[n.Line], n)
			}
			target := filepath.Join(dir, "docker-compose.yml")
			var out *render.Output
			for attempt := 0; attempt < 40; attempt++ {
				body, err := yaml.Marshal(&doc)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(target, body, 0o644); err != nil {
					t.Fatal(err)
				}
				var ds render.Diagnostics
				out, ds = renderDir(dir, target, render.JSON)
				if !ds.HasErrors() {
					break
				}
				if os.Getenv("SUBAUDIT_DEBUG") != "" {
					t.Logf("attempt %d:\n%s", attempt, ds.Errors().Error())
				}
				// Re-marshalling keeps the lines of the nodes only roughly;
				// match the lines of the re-read file instead.
				var now yaml.Node
				_ = yaml.Unmarshal(body, &now)
				reverted := 0
				lines := map[int]bool{}
				var messages strings.Builder
				for _, d := range ds.Errors() {
					lines[d.Line] = true
					messages.WriteString(d.Message + "\n")
				}
				// compose-go's own errors carry no line: they quote the value.
				for n, v := range originals {
					if n.Value != v && strings.Contains(messages.String(), v+"ZQ") {
						n.Value = v
						reverted++
					}
				}
				pairs := pairNodes(&doc, &now)
				for orig, fresh := range pairs {
					if _, ok := originals[orig]; ok && lines[fresh.Line] && orig.Value != originals[orig] {
						orig.Value = originals[orig]
						reverted++
					}
				}
				if reverted == 0 {
					// An error without a line the marker is on: put back
					// half of what is left, latest lines first.
					var left []*yaml.Node
					for n, v := range originals {
						if n.Value != v {
							left = append(left, n)
						}
					}
					if len(left) == 0 {
						t.Fatalf("the unmodified example does not render:\n%s", ds.Error())
					}
					sort.Slice(left, func(i, j int) bool { return left[i].Line > left[j].Line })
					for _, n := range left[:(len(left)+1)/2] {
						n.Value = originals[n]
					}
				}
				out = nil
			}
			if out == nil {
				t.Fatal("no render after putting back the refused values")
			}
			kept := 0
			for n, v := range originals {
				if n.Value != v {
					kept++
				}
			}
			if kept == 0 {
				t.Fatalf("every marked value was refused; the test proves nothing here")
			}
			mutatedTotal += kept
			for _, format := range []render.Format{render.JSON, render.YAML} {
				out, ds := renderDir(dir, target, format)
				if ds.HasErrors() {
					t.Fatalf("format %v: %s", format, ds.Error())
				}
				for fname, body := range out.Files {
					if !strings.HasSuffix(fname, ".json") && !strings.HasSuffix(fname, ".yaml") || strings.HasSuffix(fname, ".params.json") {
						continue
					}
					var tree any
					var err error
					if format == render.JSON {
						err = json.Unmarshal(body, &tree)
					} else {
						err = yaml.Unmarshal(body, &tree)
					}
					if err != nil {
						t.Fatalf("%s: %v", fname, err)
					}
					checkSubs(t, fname, "", tree, false)
					checkLogicalIDs(t, fname, tree)
					checkRolePolicyNames(t, fname, tree)
				}
			}
			t.Logf("%d of %d strings carried the marker into the render", kept, len(scalars))
		})
	}
}

// checkSubs walks a template: inSub is true below an Fn::Sub's string.
func checkSubs(t *testing.T, file, path string, v any, inSub bool) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			if escapedUserRef.MatchString(k) {
				t.Errorf("%s %s: a key holds user text escaped for Fn::Sub (CloudFormation keeps the !): %q", file, path, k)
			}
			if k == "Fn::Sub" {
				switch s := c.(type) {
				case string:
					checkSubs(t, file, path+"/Fn::Sub", s, true)
				case []any:
					if len(s) > 0 {
						checkSubs(t, file, path+"/Fn::Sub", s[0], true)
					}
					for _, rest := range s[1:] {
						// A variable of the Sub named by user text would
						// make that text a live ${name}.
						if vars, ok := rest.(map[string]any); ok {
							for name := range vars {
								if strings.Contains(name, "ZQ") {
									t.Errorf("%s %s: an Fn::Sub variable is named by user text: %q", file, path, name)
								}
							}
						}
						checkSubs(t, file, path+"/Fn::Sub/vars", rest, false)
					}
				}
				continue
			}
			checkSubs(t, file, path+"/"+k, c, false)
		}
	case []any:
		for i, c := range v {
			checkSubs(t, file, path+"/"+strconv.Itoa(i), c, inSub)
		}
	case string:
		if inSub {
			if loc := liveUserRef.FindStringIndex(v); loc != nil {
				t.Errorf("%s %s: user text is a live reference inside Fn::Sub: %q", file, path, v)
			}
		} else if escapedUserRef.MatchString(v) {
			t.Errorf("%s %s: user text escaped for Fn::Sub outside of one (CloudFormation keeps the !): %q", file, path, v)
		}
	}
}

// userStrings lists the texts a user controls in a compose document: the
// string values (mapping values and sequence items) and the keys the user
// names, rather than compose or composex (environment variable names,
// label keys: they end up as keys of the task definition, of the agent's
// configuration, of tags).
func userStrings(n *yaml.Node) []*yaml.Node {
	var out []*yaml.Node
	var walk func(n *yaml.Node, isKey bool, parent string)
	walk = func(n *yaml.Node, isKey bool, parent string) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, false, "")
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				walk(n.Content[i], true, parent)
				walk(n.Content[i+1], false, n.Content[i].Value)
			}
		case yaml.ScalarNode:
			if n.Tag == "!!str" && (!isKey || userKeyed[parent]) {
				out = append(out, n)
			}
		}
	}
	walk(n, false, "")
	return out
}

// userKeyed are the compose keys whose mapping keys the user names.
var userKeyed = map[string]bool{"environment": true, "labels": true}

// logicalID is what CloudFormation allows as a logical ID: user text that
// becomes one (a service, topic or load balancer name) is reduced to it,
// so no ${ can survive there.
var logicalID = regexp.MustCompile(`^[A-Za-z0-9]{1,255}$`)

// checkLogicalIDs: every logical ID of a template is alphanumeric, and no
// key anywhere holds the marker escaped for an Fn::Sub it is not in.
func checkLogicalIDs(t *testing.T, file string, tree any) {
	t.Helper()
	doc, _ := tree.(map[string]any)
	for _, section := range []string{"Resources", "Parameters", "Outputs", "Conditions", "Mappings"} {
		m, _ := doc[section].(map[string]any)
		for id := range m {
			if !logicalID.MatchString(id) {
				t.Errorf("%s %s: logical ID %q is not alphanumeric", file, section, id)
			}
		}
	}
}

// pairNodes pairs the scalars of two documents of the same shape.
func pairNodes(a, b *yaml.Node) map[*yaml.Node]*yaml.Node {
	out := map[*yaml.Node]*yaml.Node{}
	var walk func(a, b *yaml.Node)
	walk = func(a, b *yaml.Node) {
		if a.Kind == yaml.ScalarNode {
			out[a] = b
		}
		for i := range a.Content {
			if i < len(b.Content) {
				walk(a.Content[i], b.Content[i])
			}
		}
	}
	walk(a, b)
	return out
}

func renderDir(dir, file string, format render.Format) (*render.Output, render.Diagnostics) {
	return render.Render(context.Background(), render.Options{
		Load: render.LoadOptions{
			Files:       []string{file},
			WorkingDir:  dir,
			ProjectName: "audit",
			Environment: map[string]string{},
		},
		Extensions: extensions.All(),
		Validators: []render.Validator{schema.Validator},
		Format:     format,
	})
}

// copyTree copies an example's folder (its env files, configs) into a
// temporary directory, without its expected output.
func copyTree(t *testing.T, src string) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			if rel == "expected" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// checkRolePolicyNames: no role of a template has two inline policies of
// one name (IAM would keep one of them).
func checkRolePolicyNames(t *testing.T, file string, tree any) {
	t.Helper()
	doc, _ := tree.(map[string]any)
	resources, _ := doc["Resources"].(map[string]any)
	for id, r := range resources {
		res, _ := r.(map[string]any)
		if res["Type"] != "AWS::IAM::Role" {
			continue
		}
		props, _ := res["Properties"].(map[string]any)
		policies, _ := props["Policies"].([]any)
		seen := map[any]bool{}
		for _, p := range policies {
			name := p.(map[string]any)["PolicyName"]
			if seen[name] {
				t.Errorf("%s %s: two inline policies named %v", file, id, name)
			}
			seen[name] = true
		}
	}
}
