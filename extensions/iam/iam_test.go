package iam_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/extensions"
	"github.com/composex/composex/render"
)

// svc is a one-service compose file with an x-iam block (indented YAML).
func svc(xiam string) string {
	return "services:\n  app:\n    image: busybox\n    x-iam:\n" + xiam
}

const okDoc = `
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: "*"
`

func TestRefused(t *testing.T) {
	const p = "services.app.x-iam."
	cases := []struct {
		name, xiam, path, msg string
	}{
		{"policy without Statement", `
      Policies:
        - PolicyName: Empty
          PolicyDocument:
            Version: "2012-10-17"
`, p + "Policies.0.PolicyDocument.Statement", "Statement is required: a policy without statements grants nothing"},
		{"empty Statement", `
      Policies:
        - PolicyName: Empty
          PolicyDocument:
            Version: "2012-10-17"
            Statement: []
`, p + "Policies.0.PolicyDocument.Statement", "Statement is empty: a policy without statements grants nothing"},
		{"boundary neither name nor ARN", `
      PermissionsBoundary: "my boundary!"
`, p + "PermissionsBoundary", `"my boundary!" is neither a policy name nor a policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)`},
		{"boundary ARN of another service", `
      PermissionsBoundary: arn:aws:s3:::bucket/policy
`, p + "PermissionsBoundary", `"arn:aws:s3:::bucket/policy" is neither a policy name nor a policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)`},
		{"Principal in a policy", `
      Policies:
        - PolicyName: P
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Principal: {AWS: "*"}
                Action: s3:GetObject
                Resource: "*"
`, p + "Policies.0.PolicyDocument.Statement.0.Principal", "Principal belongs in resource policies; a role's policy applies to the role itself"},
		{"both Action and NotAction", `
      Policies:
        - PolicyName: P
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                NotAction: s3:PutObject
                Resource: "*"
`, p + "Policies.0.PolicyDocument.Statement.0", "give either Action or NotAction, not both"},
		{"neither Resource nor NotResource", `
      Policies:
        - PolicyName: P
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
`, p + "Policies.0.PolicyDocument.Statement.0.Resource", "Resource (or NotResource) is required"},
		{"bad Effect", `
      Policies:
        - PolicyName: P
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Permit
                Action: s3:GetObject
                Resource: "*"
`, p + "Policies.0.PolicyDocument.Statement.0.Effect", "Permit is not an effect; allowed: Allow, Deny"},
		{"bad Version", `
      Policies:
        - PolicyName: P
          PolicyDocument:
            Version: "2020-01-01"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: "*"
`, p + "Policies.0.PolicyDocument.Version", "2020-01-01 is not a policy language version; allowed: 2012-10-17, 2008-10-17"},
		{"policy without a name", `
      Policies:
        - PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: "*"
`, p + "Policies.0.PolicyName", "a policy name is required"},
		{"same policy name twice in a service", `
      Policies:
        - PolicyName: P` + okDoc + `        - PolicyName: P` + okDoc, p + "Policies.1.PolicyName", "policy P is defined twice in this service"},
		{"managed policy neither name nor ARN", `
      ManagedPolicyArns:
        - "arn:aws:iam::aws:role/NotAPolicy"
`, p + "ManagedPolicyArns.0", `"arn:aws:iam::aws:role/NotAPolicy" is neither a managed policy ARN (arn:aws:iam::aws:policy/NAME) nor the name of an AWS managed policy`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectRefused(t, svc(tc.xiam), nil, tc.path, tc.msg)
		})
	}
}

// family is two services of the task family shop, each with its x-iam.
func family(api, worker string) string {
	return `services:
  api:
    image: busybox
    deploy: {labels: {ecs.task.family: shop}}
    x-iam:
` + api + `
  worker:
    image: busybox
    deploy: {labels: {ecs.task.family: shop}}
    x-iam:
` + worker
}

func TestFamilyMerge(t *testing.T) {
	t.Run("same policy name, different documents: refused", func(t *testing.T) {
		other := strings.Replace(okDoc, "s3:GetObject", "s3:PutObject", 1)
		expectRefused(t, family("      Policies:\n        - PolicyName: Shared"+okDoc, "      Policies:\n        - PolicyName: Shared"+other), nil,
			"services.worker.x-iam.Policies.0.PolicyName",
			"family shop: services api and worker both define policy Shared, differently; rename one (the task role holds both)")
	})
	t.Run("same policy name, same document: merged", func(t *testing.T) {
		block := "      Policies:\n        - PolicyName: Shared" + okDoc
		_, res := mustRender(t, family(block, block), nil)
		policies := dig(res["ShopTaskRole"].Properties, "Policies").([]any)
		var names []string
		for _, p := range policies {
			names = append(names, dig(p, "PolicyName").(string))
		}
		if !reflect.DeepEqual(names, []string{"Shared"}) {
			t.Errorf("task role policies %v, want one Shared", names)
		}
	})
	t.Run("two different boundaries: refused", func(t *testing.T) {
		expectRefused(t, family("      PermissionsBoundary: team-a", "      PermissionsBoundary: arn:aws:iam::123456789012:policy/team-b"), nil,
			"services.worker.x-iam.PermissionsBoundary",
			"family shop: worker sets boundary arn:aws:iam::123456789012:policy/team-b but api sets team-a; both roles of a family have one boundary")
	})
	t.Run("the same boundary in two services: accepted", func(t *testing.T) {
		mustRender(t, family("      PermissionsBoundary: team-a", "      PermissionsBoundary: team-a"), nil)
	})
}

func TestGenerated(t *testing.T) {
	_, res := mustRender(t, svc(`
      PermissionsBoundary: team-boundary
      ManagedPolicyArns:
        - AmazonS3ReadOnlyAccess
        - service-role/AWSAppSyncPushToCloudWatchLogs
        - arn:aws-us-gov:iam::aws:policy/AmazonSQSReadOnlyAccess
        - arn:aws:iam::123456789012:policy/team/custom
      Policies:
        - PolicyName: ReadThings`+okDoc), nil)
	task := res["AppTaskRole"].Properties
	want := []any{
		// sorted: literal ARNs first, then the Fn::Sub of the names
		"arn:aws-us-gov:iam::aws:policy/AmazonSQSReadOnlyAccess",
		"arn:aws:iam::123456789012:policy/team/custom",
		map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonS3ReadOnlyAccess"},
		map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSAppSyncPushToCloudWatchLogs"},
	}
	got := task["ManagedPolicyArns"].([]any)
	sort.SliceStable(got, func(i, j int) bool { _, a := got[i].(string); _, b := got[j].(string); return a && !b })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ManagedPolicyArns:\n got %#v\nwant %#v", got, want)
	}
	boundary := map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/team-boundary"}
	for _, id := range []string{"AppTaskRole", "AppExecutionRole"} {
		if b := res[id].Properties["PermissionsBoundary"]; !reflect.DeepEqual(b, boundary) {
			t.Errorf("%s boundary %#v, want %#v", id, b, boundary)
		}
	}
	if dig(task, "Policies", 0, "PolicyName") != "ReadThings" || dig(task, "Policies", 0, "PolicyDocument", "Statement", 0, "Action") != "s3:GetObject" {
		t.Errorf("inline policy not passed through: %v", task["Policies"])
	}
	// The execution role gets no user policy and no managed policy.
	exec := res["AppExecutionRole"].Properties
	if exec["ManagedPolicyArns"] != nil {
		t.Errorf("execution role got managed policies: %v", exec["ManagedPolicyArns"])
	}
	for _, p := range exec["Policies"].([]any) {
		if dig(p, "PolicyName") == "ReadThings" {
			t.Errorf("x-iam policy on the execution role")
		}
	}
}

func TestTooManyManagedPoliciesWarns(t *testing.T) {
	var b strings.Builder
	b.WriteString("      ManagedPolicyArns:\n")
	for _, n := range []string{"A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10", "A11"} {
		b.WriteString("        - Policy" + n + "\n")
	}
	ds, _ := mustRender(t, svc(b.String()), nil)
	if d := findDiag(ds, render.Warning, "services.app.x-iam.ManagedPolicyArns"); d == nil || !strings.Contains(d.Message, "11 managed policies") {
		t.Errorf("want a warning about 11 managed policies; got %v", ds)
	}
}

// renderCompose writes compose (and extra files) into a temporary project
// and renders it with every extension, as `composex render -p demo` does
// minus the JSON Schemas: the Go checks of the extensions are what these
// tests assert.
func renderCompose(t *testing.T, compose string, extra map[string]string) (render.Diagnostics, map[string]resource) {
	t.Helper()
	dir := t.TempDir()
	extra = maps.Clone(extra)
	if extra == nil {
		extra = map[string]string{}
	}
	extra["docker-compose.yml"] = compose
	for name, body := range extra {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, ds := render.Render(context.Background(), render.Options{
		Load:       render.LoadOptions{Files: []string{filepath.Join(dir, "docker-compose.yml")}, ProjectName: "demo", Environment: map[string]string{}},
		Extensions: extensions.All(),
	})
	if out == nil || ds.HasErrors() {
		return ds, nil
	}
	var doc struct {
		Resources map[string]resource `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(out.Files[out.Template], &doc); err != nil {
		t.Fatal(err)
	}
	return ds, doc.Resources
}

// resource is a template resource as parsed from YAML.
type resource struct {
	Type       string         `yaml:"Type"`
	Properties map[string]any `yaml:"Properties"`
}

// mustRender renders and fails on any error.
func mustRender(t *testing.T, compose string, extra map[string]string) (render.Diagnostics, map[string]resource) {
	t.Helper()
	ds, res := renderCompose(t, compose, extra)
	if res == nil {
		t.Fatalf("render failed:\n%s", ds.Error())
	}
	return ds, res
}

// expectRefused checks that rendering fails with an error at path whose
// message is exactly msg.
func expectRefused(t *testing.T, compose string, extra map[string]string, path, msg string) {
	t.Helper()
	ds, res := renderCompose(t, compose, extra)
	if res != nil {
		t.Fatalf("rendered; want the error %s: %s", path, msg)
	}
	for _, d := range ds.Errors() {
		if d.Path == path && d.Message == msg {
			return
		}
	}
	t.Errorf("no error at %s with message\n  %s\ngot:\n%s", path, msg, ds.Error())
}

// findDiag returns the diagnostic of that severity at path, or nil.
func findDiag(ds render.Diagnostics, sev render.Severity, path string) *render.Diagnostic {
	for i := range ds {
		if ds[i].Severity == sev && ds[i].Path == path {
			return &ds[i]
		}
	}
	return nil
}

func dig(v any, keys ...any) any {
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func ofType(res map[string]resource, typ string) map[string]resource {
	out := map[string]resource{}
	for id, r := range res {
		if r.Type == typ {
			out[id] = r
		}
	}
	return out
}
