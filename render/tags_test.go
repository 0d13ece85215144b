package render

import (
	"fmt"
	"strings"
	"testing"
)

// TestTagProblem applies the Tag rules of the ECS, ELB, EFS, SNS and
// CloudWatch APIs: key 1-128 characters, value 0-256, letters, digits,
// spaces and _ . : / = + - @, no aws: prefix.
func TestTagProblem(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"team", "ops", ""},
		{"composex:family", "web_api-2", ""},
		{"Owner Name", "Zoë @ Ops/EU=1+2", ""},
		{"日本", "値", ""},
		{"k", "", ""},
		{strings.Repeat("k", 128), strings.Repeat("é", 256), ""},
		{"", "v", "a tag key cannot be empty"},
		{strings.Repeat("k", 129), "v", "the tag key is 129 characters long: AWS allows 128"},
		{"k", strings.Repeat("v", 257), "the tag value is 257 characters long: AWS allows 256"},
		{"bad key*", "v", `the tag key "bad key*" has "*", which AWS tags do not allow (letters, digits, spaces and _ . : / = + - @ only)`},
		{"k", "a<b>&<", `the tag value "a<b>&<" has "<", ">", "&", which AWS tags do not allow (letters, digits, spaces and _ . : / = + - @ only)`},
		{"k", "${AWS::StackName}", `the tag value "${AWS::StackName}" has "$", "{", "}", which AWS tags do not allow`},
		{"k", "tab\there", `the tag value "tab\there" has "\t"`},
		{"AWS:owner", "v", `the tag key "AWS:owner" starts with aws:, which AWS reserves for its own tags`},
		{"k", "aws:x", `the tag value "aws:x" starts with aws:, which AWS reserves for its own tags`},
	} {
		got := TagProblem(tc.key, tc.value)
		if tc.want == "" && got != "" || !strings.HasPrefix(got, tc.want) {
			t.Errorf("TagProblem(%q, %q) = %q, want %q", tc.key, tc.value, got, tc.want)
		}
	}
}

// TestDeployLabelsOutsideTheTagRulesAreRefused: deploy labels become tags
// of the ECS service and family names the composex:family tag, so text
// AWS refuses as a tag is refused at its key, each problem located.
func TestDeployLabelsOutsideTheTagRulesAreRefused(t *testing.T) {
	src := `services:
  web:
    image: nginx:1.27
    deploy:
      labels:
        team: "a<b>"
        "bad key*": v
        ecs.task.family: "web app!"
        aws:owner: skipped
  api:
    image: nginx:1.27
    deploy:
      labels:
        long: "` + strings.Repeat("x", 257) + `"
`
	_, ds := renderYAML(t, src, Options{})
	for _, want := range []struct {
		service, path string
		line          int
		msg           string
	}{
		{"web", "services.web.deploy.labels.team", 6, `deploy labels become tags of the ECS service, and the tag value "a<b>" has "<", ">", which AWS tags do not allow (letters, digits, spaces and _ . : / = + - @ only): change the label`},
		{"web", "services.web.deploy.labels.bad key*", 7, `deploy labels become tags of the ECS service, and the tag key "bad key*" has "*", which AWS tags do not allow`},
		{"web", "services.web.deploy.labels.[ecs.task.family]", 8, `the family name "web app!" becomes the tag composex:family of the family's resources, and the tag value "web app!" has "!", which AWS tags do not allow (letters, digits, spaces and _ . : / = + - @ only): rename the family`},
		{"api", "services.api.deploy.labels.long", 14, "deploy labels become tags of the ECS service, and the tag value is 257 characters long: AWS allows 256: change the label"},
	} {
		d := wantError(t, ds, want.service, want.path, want.msg)
		if d.Line != want.line || d.File == "" {
			t.Errorf("%s: at %s:%d, want line %d", want.path, d.File, d.Line, want.line)
		}
	}
	if n := len(ds.Errors()); n != 4 {
		t.Errorf("%d errors, want 4:\n%s", n, ds.Error())
	}
}

// TestTooManyTagsOnAServiceAreRefused: ECS allows 50 tags on a service;
// composex adds two, so 49 labels across one family are too many.
func TestTooManyTagsOnAServiceAreRefused(t *testing.T) {
	var b strings.Builder
	b.WriteString("services:\n  web:\n    image: nginx:1.27\n    deploy:\n      labels:\n")
	for i := 0; i < 49; i++ {
		fmt.Fprintf(&b, "        l%02d: v\n", i)
	}
	_, ds := renderYAML(t, b.String(), Options{})
	d := wantError(t, ds, "web", "services.web.deploy.labels", "family web would put 51 tags on its ECS service (49 deploy labels and composex:project, composex:family): AWS allows 50 a resource; move labels that are not tags to labels:")
	if d.Line != 5 {
		t.Errorf("line %d, want 5", d.Line)
	}
	// 48 labels fit.
	mustRender(t, strings.Replace(b.String(), "        l48: v\n", "", 1), Options{})
}

// TestTemplateTagsBackstop: a tag an extension writes from user text is
// checked in the template and reported where the compose file wrote it.
func TestTemplateTagsBackstop(t *testing.T) {
	src := "services:\n  web:\n    image: nginx:1.27\nx-sns:\n  alerts:\n    Properties:\n      Tags:\n        - Key: team\n          Value: \"ops & dev\"\n"
	s := &Sources{}
	s.AddBytes("compose.yaml", []byte(src))
	tree := Tree{"Resources": map[string]any{"AlertsTopic": map[string]any{"Type": "AWS::SNS::Topic", "Properties": map[string]any{
		"Tags": []any{map[string]any{"Key": "team", "Value": "ops & dev"}, map[string]any{"Key": "Name", "Value": map[string]any{"Fn::Sub": "${AWS::StackName}"}}}}}}}
	ds := checkTemplateTags(tree, s)
	if len(ds) != 1 {
		t.Fatalf("%d diagnostics, want 1:\n%s", len(ds), ds.Error())
	}
	d := ds[0]
	want := `a tag of AlertsTopic (Tags) that AWS refuses: the tag value "ops & dev" has "&", which AWS tags do not allow (letters, digits, spaces and _ . : / = + - @ only)`
	if d.Message != want || d.File != "compose.yaml" || d.Line != 8 || d.Path != "x-sns.alerts.Properties.Tags.0" || d.Code == "" {
		t.Errorf("got %s:%d %s %q (code %q)", d.File, d.Line, d.Path, d.Message, d.Code)
	}
}
