package render

import (
	"reflect"
	"regexp"
	"strings"
	"testing"
)

var reLogicalID = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*$`)

func TestLogicalName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"web", "Web"},
		{"metadata-proxy", "MetadataProxy"},
		{"my_app.v2", "MyAppV2"},
		{"already_CamelCase", "AlreadyCamelCase"},
		{"a--b__c", "ABC"},
		{"-web-", "Web"},
		{"1web", "S1web"},
		{"2-fast", "S2Fast"},
	}
	for _, tt := range tests {
		if got := LogicalName(tt.in); got != tt.want {
			t.Errorf("LogicalName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A name with no letter or digit still gives a valid, stable logical ID,
// and two such names do not share it.
func TestLogicalNameWithoutAlphanumerics(t *testing.T) {
	for _, in := range []string{"", "--", "_._"} {
		got := LogicalName(in)
		if !reLogicalID.MatchString(got) || got[0] != 'X' || len(got) != 7 {
			t.Errorf("LogicalName(%q) = %q, want X and a 6-character hash", in, got)
		}
		if again := LogicalName(in); again != got {
			t.Errorf("LogicalName(%q) not stable: %q then %q", in, got, again)
		}
	}
	if LogicalName("--") == LogicalName("__") {
		t.Errorf("LogicalName(%q) and LogicalName(%q) collide", "--", "__")
	}
}

func TestUniqueLogicalNames(t *testing.T) {
	got := uniqueLogicalNames([]string{"a-b", "a_b", "web", "Web", "db"})
	if got["db"] != "Db" {
		t.Errorf("db -> %q, want Db (no collision, no hash)", got["db"])
	}
	for _, pair := range [][2]string{{"a-b", "a_b"}, {"web", "Web"}} {
		x, y := got[pair[0]], got[pair[1]]
		if x == y {
			t.Errorf("%s and %s both map to %q", pair[0], pair[1], x)
		}
		stem := LogicalName(pair[0])
		for _, id := range []string{x, y} {
			if len(id) != len(stem)+6 || id[:len(stem)] != stem || !reLogicalID.MatchString(id) {
				t.Errorf("%q: want %s followed by a 6-character hash", id, stem)
			}
		}
	}
	if got["a-b"] != "AB"+shortHash("a-b") || got["a_b"] != "AB"+shortHash("a_b") {
		t.Errorf("a-b -> %q, a_b -> %q: want the stem plus the hash of each raw name", got["a-b"], got["a_b"])
	}
	// The result depends on the names only, not on their order.
	again := uniqueLogicalNames([]string{"db", "Web", "a_b", "web", "a-b"})
	for k, v := range got {
		if again[k] != v {
			t.Errorf("%s: %q in one order, %q in another", k, v, again[k])
		}
	}
}

func TestResourceName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"web", "web"},
		{"my_app.v2", "my-app-v2"},
		{"metadata-proxy", "metadata-proxy"},
		{"__web__", "web"},
		{"a  b", "a-b"},
		{"Web", "Web"},
	}
	for _, tt := range tests {
		if got := ResourceName(tt.in); got != tt.want {
			t.Errorf("ResourceName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	got := ResourceName("__")
	if !regexp.MustCompile(`^x[0-9a-z]{6}$`).MatchString(got) {
		t.Errorf("ResourceName(%q) = %q, want x and a lower-case hash", "__", got)
	}
}

func TestSplitPathAndKey(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"services.web.ports.0", []string{"services", "web", "ports", "0"}},
		{"services.web.deploy.labels[ecs.task.family]", []string{"services", "web", "deploy", "labels", "ecs.task.family"}},
		{"services.[my.app].image", []string{"services", "my.app", "image"}},
	}
	for _, tt := range tests {
		got := splitPath(tt.in)
		if len(got) != len(tt.want) {
			t.Errorf("splitPath(%q) = %q, want %q", tt.in, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("splitPath(%q) = %q, want %q", tt.in, got, tt.want)
				break
			}
		}
	}
	if got := ServicePath("my.app", "deploy.labels", Key("ecs.task.family")); got != "services.[my.app].deploy.labels.[ecs.task.family]" {
		t.Errorf("ServicePath = %q", got)
	}
	if got := splitPath(ServicePath("my.app", "deploy.labels", Key("ecs.task.family"))); len(got) != 5 || got[1] != "my.app" || got[4] != "ecs.task.family" {
		t.Errorf("ServicePath does not split back: %q", got)
	}
}

// Services whose names differ only in punctuation render side by side.
func TestCollidingServiceNamesRender(t *testing.T) {
	// a-b and aB share a logical-ID stem but not their AWS names (which are
	// case-sensitive), so both render, with distinct IDs.
	out, _ := mustRender(t, "services:\n  a-b: {image: x}\n  aB: {image: y}\n  my-app: {image: z}\n", Options{})
	doc := template(t, out)
	for _, name := range []string{"a-b", "aB"} {
		stem := "AB" + shortHash(name)
		resource(t, doc, stem+"Service", "AWS::ECS::Service")
		td := resource(t, doc, stem+"TaskDefinition", "AWS::ECS::TaskDefinition")
		cd := containerDef(t, td, name)
		if !reflect.DeepEqual(cd["Image"], map[string]any{"Ref": stem + "Image"}) {
			t.Errorf("%s: Image %v", name, cd["Image"])
		}
	}
	resource(t, doc, "MyAppService", "AWS::ECS::Service")
	if got := len(doc["Resources"].(map[string]any)); got != 1+3*6 {
		t.Fatalf("%d resources, want 19", got)
	}
}

// Names that ECS or CloudWatch would refuse at deploy are refused at render,
// each message naming every service involved.
func TestNameCollisionsAreRefused(t *testing.T) {
	_, ds := buildYAML(t, "services:\n  my-app:\n    image: nginx:1.27\n  my_app:\n    image: nginx:1.27\n  myApp:\n    image: nginx:1.27\n  my.app:\n    image: nginx:1.27\n")
	d := wantError(t, ds, "my-app", "services.my-app", `task family "my-app" and "my.app", "my_app" would share the AWS names "my-app"`)
	if d.Line != 2 {
		t.Fatalf("line %d, want 2", d.Line)
	}
	wantError(t, ds, "my_app", "services.my_app", `task family "my_app" and "my-app", "my.app"`)
	wantError(t, ds, "my.app", "services.[my.app]", `the service name "my.app" cannot be an ECS container name`)
	// myApp differs in case only: CloudWatch and ECS names are case-sensitive.
	wantNoDiagAt(t, ds, "services.myApp")
}

// The ECR pull grant is built from the image text inside Fn::Sub, so only
// an image reference ECR itself allows becomes a repository ARN: a ${...}
// would be a live reference, a * or ? a wider grant.
func TestECRRepositoryArn(t *testing.T) {
	for _, tc := range []struct {
		image, want string
	}{
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/api:1.2", "arn:${AWS::Partition}:ecr:eu-west-1:123456789012:repository/team/api"},
		{"123456789012.dkr.ecr.us-gov-west-1.amazonaws.com/api@sha256:abc", "arn:${AWS::Partition}:ecr:us-gov-west-1:123456789012:repository/api"},
		{"123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn/api", "arn:${AWS::Partition}:ecr:cn-north-1:123456789012:repository/api"},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/x${AWS::StackName}:1", ""},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/*:1", ""},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/ap?", ""},
		{"12345678901*.dkr.ecr.eu-west-1.amazonaws.com/api", ""},
		{"123456789012.dkr.ecr.${AWS::Region}.amazonaws.com/api", ""},
		{"public.ecr.aws/nginx/nginx:1.27", ""},
	} {
		got, ok := ecrRepositoryArn(tc.image)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%s: %q %v, want %q", tc.image, got, ok, tc.want)
		}
		if wantErr := tc.want == "" && strings.Contains(tc.image, ".dkr.ecr."); (invalidECRImage(tc.image) != "") != wantErr {
			t.Errorf("%s: invalidECRImage = %q", tc.image, invalidECRImage(tc.image))
		}
	}
}

// TestCaseOnlyNamesGetDistinctIDsAndLogGroups: my-app and myApp share a
// logical-ID stem but not their AWS names (CloudWatch log group and ECS
// family names are case-sensitive), so both render, with distinct logical
// IDs, log groups, task families and log configurations.
func TestCaseOnlyNamesGetDistinctIDsAndLogGroups(t *testing.T) {
	out, _ := mustRender(t, "services:\n  my-app:\n    image: nginx:1.27\n  myApp:\n    image: nginx:1.27\n", Options{})
	doc := template(t, out)
	logGroups := map[string]string{}
	families := map[string]string{}
	for id, r := range doc["Resources"].(map[string]any) {
		res := r.(map[string]any)
		props, _ := res["Properties"].(map[string]any)
		switch res["Type"] {
		case "AWS::Logs::LogGroup":
			name := props["LogGroupName"].(map[string]any)["Fn::Sub"].(string)
			if other, dup := logGroups[name]; dup {
				t.Errorf("%s and %s share the log group %s", id, other, name)
			}
			logGroups[name] = id
		case "AWS::ECS::TaskDefinition":
			name := props["Family"].(map[string]any)["Fn::Sub"].(string)
			if other, dup := families[name]; dup {
				t.Errorf("%s and %s share the task family %s", id, other, name)
			}
			families[name] = id
			// The container logs to its own family's group.
			cd := props["ContainerDefinitions"].([]any)[0].(map[string]any)
			group := cd["LogConfiguration"].(map[string]any)["Options"].(map[string]any)["awslogs-group"]
			if ref, ok := group.(map[string]any)["Ref"].(string); !ok || !strings.HasPrefix(ref, strings.TrimSuffix(id, "TaskDefinition")) {
				t.Errorf("%s logs to %v", id, group)
			}
		}
	}
	for _, want := range []string{"/ecs/${AWS::StackName}/my-app", "/ecs/${AWS::StackName}/myApp"} {
		if logGroups[want] == "" {
			t.Errorf("no log group %s; have %v", want, logGroups)
		}
	}
	if len(families) != 2 {
		t.Errorf("task families %v, want two", families)
	}
}
