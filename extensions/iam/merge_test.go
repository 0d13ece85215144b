package iam_test

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
	"gopkg.in/yaml.v3"
)

// renderMerged renders base and override as `composex render -f base -f
// override` does, and returns the diagnostics and the task role's inline
// policies by name (nil when the render failed).
func renderMerged(t *testing.T, base, override string) (render.Diagnostics, map[string]any) {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for name, body := range map[string]string{"compose.yaml": base, "compose.override.yaml": override} {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	if strings.HasSuffix(files[0], "override.yaml") {
		files[0], files[1] = files[1], files[0]
	}
	out, ds := render.Render(context.Background(), render.Options{
		Load:       render.LoadOptions{Files: files, ProjectName: "demo", Environment: map[string]string{}},
		Extensions: extensions.All(),
	})
	if out == nil || ds.HasErrors() {
		return ds, nil
	}
	var doc struct {
		Resources map[string]rendertest.Resource `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(out.Files[out.Template], &doc); err != nil {
		t.Fatal(err)
	}
	policies := map[string]any{}
	for _, p := range rendertest.Dig(doc.Resources["AppTaskRole"].Properties, "Policies").([]any) {
		name := rendertest.Dig(p, "PolicyName").(string)
		if _, twice := policies[name]; twice {
			t.Errorf("the task role holds two policies named %s", name)
		}
		policies[name] = rendertest.Dig(p, "PolicyDocument")
	}
	return ds, policies
}

// A policy that a base file and an override both define is listed twice
// once compose merges the files (lists are appended). The same document
// twice is one policy and no warning; compose-x's own shape (PolicyName
// inside PolicyDocument, no Version, as blog.features.x.yml writes it)
// is the same document. Different documents: the override's is used, with
// a warning at its key; the role never holds two policies of one name.
func TestPolicyDefinedInTwoFiles(t *testing.T) {
	t.Run("same document", func(t *testing.T) {
		override := `services:
  app:
    x-iam:
      Policies:
        - PolicyDocument:
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: "*"
            PolicyName: P
`
		ds, policies := renderMerged(t, svc("      Policies:\n        - PolicyName: P"+okDoc), override)
		if policies == nil {
			t.Fatalf("not rendered:\n%s", ds.Error())
		}
		if len(policies) != 1 || policies["P"] == nil {
			t.Errorf("task role policies %v, want P once", policies)
		}
		for _, d := range ds {
			if strings.Contains(d.Path, "x-iam") {
				t.Errorf("unexpected diagnostic %s", d)
			}
		}
	})
	t.Run("different documents: the override's", func(t *testing.T) {
		other := strings.Replace(okDoc, "s3:GetObject", "s3:PutObject", 1)
		ds, policies := renderMerged(t, svc("      Policies:\n        - PolicyName: P"+okDoc+"        - PolicyName: Q"+okDoc),
			"services:\n  app:\n    x-iam:\n      Policies:\n        - PolicyName: P"+other)
		if policies == nil {
			t.Fatalf("not rendered:\n%s", ds.Error())
		}
		d := rendertest.Find(ds, render.Warning, "services.app.x-iam.Policies.2.PolicyName")
		const msg = "policy P is defined twice in this service, differently (Policies.0 and Policies.2: merged compose files append their lists): the later one, Policies.2, is used, as a later file overrides an earlier one"
		if d == nil || d.Message != msg || d.Service != "app" || !strings.HasSuffix(d.File, "compose.override.yaml") || d.Line != 4 {
			t.Fatalf("want the warning at compose.override.yaml:4 (its Policies key) %q, got %v\n%s", msg, d, ds.Error())
		}
		want := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"}}}
		if !reflect.DeepEqual(policies["P"], want) {
			t.Errorf("P = %v, want the override's document %v", policies["P"], want)
		}
		if len(policies) != 2 || policies["Q"] == nil {
			t.Errorf("task role policies %v, want P and Q", policies)
		}
	})
}
