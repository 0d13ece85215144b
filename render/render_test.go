package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const webOnly = "services:\n  web:\n    image: nginx:1.27\n"

func TestOutputFiles(t *testing.T) {
	out, ds := mustRender(t, webOnly, Options{})
	if len(ds) != 0 {
		t.Fatalf("unexpected diagnostics:\n%s", dump(ds))
	}
	if out.Template != "test.yaml" {
		t.Fatalf("template %q", out.Template)
	}
	if got := slices.Sorted(maps.Keys(out.Files)); !reflect.DeepEqual(got, []string{"test.params.json", "test.yaml"}) {
		t.Fatalf("files %v", got)
	}
	out, _ = mustRender(t, webOnly, Options{Format: JSON})
	if got := slices.Sorted(maps.Keys(out.Files)); !reflect.DeepEqual(got, []string{"test.json", "test.params.json"}) || out.Template != "test.json" {
		t.Fatalf("files %v, template %s", got, out.Template)
	}
}

func TestParameterFile(t *testing.T) {
	out, _ := mustRender(t, webOnly, Options{Parameters: map[string]string{"VpcId": "vpc-1", "SubnetIds": "subnet-1,subnet-2", "WebImage": "nginx:1.28"}})
	var got []string
	if err := json.Unmarshal(out.Files["test.params.json"], &got); err != nil {
		t.Fatal(err)
	}
	want := []string{"ClusterName=", "SubnetIds=subnet-1,subnet-2", "VpcId=vpc-1", "WebImage=nginx:1.28"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("parameters %q, want %q", got, want)
	}
	if !bytes.HasSuffix(out.Files["test.params.json"], []byte("]\n")) {
		t.Fatal("parameters file does not end with a newline")
	}

	out, _ = mustRender(t, webOnly, Options{})
	if err := json.Unmarshal(out.Files["test.params.json"], &got); err != nil {
		t.Fatal(err)
	}
	if want := []string{"ClusterName=", "WebImage=nginx:1.27"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("defaults only: %q, want %q", got, want)
	}
}

func TestParameterFileUnknownKey(t *testing.T) {
	out, ds := renderYAML(t, webOnly, Options{Parameters: map[string]string{"Vpc": "vpc-1", "Subnets": "x", "VpcId": "vpc-1"}})
	if out != nil {
		t.Fatal("output despite an unknown parameter")
	}
	wantError(t, ds, "", "", "--param Subnets, Vpc: the template has no such parameter; it has ClusterName, SubnetIds, VpcId, WebImage")
}

func TestValidatorsRunFirst(t *testing.T) {
	called := 0
	v := func(in *Input) Diagnostics {
		called++
		var ds Diagnostics
		ds.Errorf("web", ServicePath("web", "image"), "refused by a validator")
		return ds
	}
	out, ds := renderYAML(t, webOnly, Options{Validators: []Validator{v}})
	if out != nil || called != 1 {
		t.Fatalf("output %v, validator called %d times", out != nil, called)
	}
	d := wantError(t, ds, "web", "services.web.image", "refused by a validator")
	if d.Line != 3 || !strings.HasSuffix(d.File, "compose.yaml") {
		t.Fatalf("validator diagnostic not placed: %s", d)
	}
}

func TestCoreTemplate(t *testing.T) {
	out, _ := mustRender(t, webOnly, Options{})
	doc := template(t, out)
	params := doc["Parameters"].(map[string]any)
	for name, typ := range map[string]string{"VpcId": "AWS::EC2::VPC::Id", "SubnetIds": "List<AWS::EC2::Subnet::Id>", "ClusterName": "String", "WebImage": "String"} {
		p, _ := params[name].(map[string]any)
		if p["Type"] != typ {
			t.Errorf("parameter %s: %v, want type %s", name, p, typ)
		}
	}
	if d := params["WebImage"].(map[string]any)["Default"]; d != "nginx:1.27" {
		t.Errorf("WebImage default %v", d)
	}
	if !reflect.DeepEqual(doc["Conditions"], map[string]any{"CreateCluster": map[string]any{"Fn::Equals": []any{map[string]any{"Ref": "ClusterName"}, ""}}}) {
		t.Errorf("Conditions %v", doc["Conditions"])
	}
	resources := doc["Resources"].(map[string]any)
	wantIDs := []string{"Cluster", "WebExecutionRole", "WebLogGroup", "WebSecurityGroup", "WebService", "WebTaskDefinition", "WebTaskRole"}
	if got := slices.Sorted(maps.Keys(resources)); !reflect.DeepEqual(got, wantIDs) {
		t.Fatalf("resources %v", got)
	}
	if c := resources["Cluster"].(map[string]any)["Condition"]; c != "CreateCluster" {
		t.Errorf("Cluster condition %v", c)
	}
	svc := resource(t, doc, "WebService", "AWS::ECS::Service")
	if !reflect.DeepEqual(svc["Cluster"], map[string]any{"Fn::If": []any{"CreateCluster", map[string]any{"Ref": "Cluster"}, map[string]any{"Ref": "ClusterName"}}}) {
		t.Errorf("Cluster %v", svc["Cluster"])
	}
	if svc["DesiredCount"] != 1 || svc["LaunchType"] != "FARGATE" || svc["PropagateTags"] != "SERVICE" {
		t.Errorf("service %v", svc)
	}
	td := resource(t, doc, "WebTaskDefinition", "AWS::ECS::TaskDefinition")
	if td["Cpu"] != "256" || td["Memory"] != "512" || td["NetworkMode"] != "awsvpc" || !reflect.DeepEqual(td["RequiresCompatibilities"], []any{"FARGATE"}) {
		t.Errorf("task definition %v", td)
	}
	cd := containerDef(t, td, "web")
	if !reflect.DeepEqual(cd["Image"], map[string]any{"Ref": "WebImage"}) {
		t.Errorf("Image %v", cd["Image"])
	}
	logs := cd["LogConfiguration"].(map[string]any)
	if logs["LogDriver"] != "awslogs" || !reflect.DeepEqual(logs["Options"].(map[string]any)["awslogs-group"], map[string]any{"Ref": "WebLogGroup"}) {
		t.Errorf("LogConfiguration %v", logs)
	}
	lg := resource(t, doc, "WebLogGroup", "AWS::Logs::LogGroup")
	if lg["RetentionInDays"] != 30 || !reflect.DeepEqual(lg["LogGroupName"], map[string]any{"Fn::Sub": "/ecs/${AWS::StackName}/web"}) {
		t.Errorf("log group %v", lg)
	}
	exec := resource(t, doc, "WebExecutionRole", "AWS::IAM::Role")
	st := findPolicy(t, exec, "WriteLogs")["Statement"].([]any)[0].(map[string]any)
	if !reflect.DeepEqual(st["Resource"], []any{map[string]any{"Fn::Sub": "${WebLogGroup.Arn}"}}) {
		t.Errorf("WriteLogs resource %v", st["Resource"])
	}
}

func TestEcrPullPolicy(t *testing.T) {
	out, _ := mustRender(t, `services:
  web:
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:1.0
  sidecar:
    image: public.ecr.aws/nginx/nginx:1
`, Options{})
	doc := template(t, out)
	pull := findPolicy(t, resource(t, doc, "WebExecutionRole", "AWS::IAM::Role"), "PullImages")["Statement"].([]any)
	want := []any{map[string]any{"Fn::Sub": "arn:${AWS::Partition}:ecr:eu-west-1:123456789012:repository/team/web"}}
	if got := pull[1].(map[string]any)["Resource"]; !reflect.DeepEqual(got, want) {
		t.Fatalf("EcrPull resource %v", got)
	}
	if p := resource(t, doc, "SidecarExecutionRole", "AWS::IAM::Role")["Policies"].([]any); len(p) != 1 {
		t.Fatalf("sidecar execution role pulls from ECR: %v", p)
	}
}

func TestEncodeListRef(t *testing.T) {
	out, _ := mustRender(t, webOnly, Options{})
	svc := resource(t, template(t, out), "WebService", "AWS::ECS::Service")
	vpc := svc["NetworkConfiguration"].(map[string]any)["AwsvpcConfiguration"].(map[string]any)
	if !reflect.DeepEqual(vpc["Subnets"], map[string]any{"Ref": "SubnetIds"}) {
		t.Fatalf("Subnets %#v, want {Ref: SubnetIds}", vpc["Subnets"])
	}
	// A list holding one Ref to a plain parameter stays a list.
	if !reflect.DeepEqual(vpc["SecurityGroups"], []any{map[string]any{"Fn::GetAtt": []any{"WebSecurityGroup", "GroupId"}}}) {
		t.Fatalf("SecurityGroups %#v", vpc["SecurityGroups"])
	}
}

// YAML 1.1 readers (CloudFormation is one) take yes, on, n and 12:30 for a
// boolean or a number; the YAML output must keep them strings.
func TestEncodeQuotesYAML11Scalars(t *testing.T) {
	out, _ := mustRender(t, svc("    environment: {A: \"yes\", B: \"on\", C: \"n\", D: \"12:30\", E: \"Off\", F: \"0777\", G: \"plain\"}\n"), Options{})
	body := string(out.Files[out.Template])
	for _, want := range []string{`Value: "yes"`, `Value: "on"`, `Value: "n"`, `Value: "12:30"`, `Value: "Off"`, `Value: "0777"`, "Value: plain\n"} {
		if !strings.Contains(body, want) {
			t.Errorf("template lacks %s", want)
		}
	}
}

// YAML and JSON say the same thing; strings that look like numbers or
// booleans stay strings in YAML.
func TestEncodeFormatsAgree(t *testing.T) {
	src := `services:
  web:
    image: nginx
    environment: {PORT: "8080", DEBUG: "true", EMPTY: "", MULTI: "a\nb", HTML: "<a&b>"}
    labels: {version: "1.0"}
`
	y, _ := mustRender(t, src, Options{Format: YAML})
	j, _ := mustRender(t, src, Options{Format: JSON})
	var fromYAML, fromJSON any
	if err := yaml.Unmarshal(y.Files["test.yaml"], &fromYAML); err != nil {
		t.Fatalf("YAML does not parse: %v", err)
	}
	if err := json.Unmarshal(j.Files["test.json"], &fromJSON); err != nil {
		t.Fatalf("JSON does not parse: %v", err)
	}
	// Compare both through JSON, where numbers are float64 on both sides.
	a, _ := json.Marshal(fromYAML)
	var norm any
	_ = json.Unmarshal(a, &norm)
	if !reflect.DeepEqual(norm, fromJSON) {
		t.Fatalf("YAML and JSON differ:\nYAML: %s\nJSON: %s", a, j.Files["test.json"])
	}
	cd := containerDef(t, resource(t, fromYAML.(map[string]any), "WebTaskDefinition", "AWS::ECS::TaskDefinition"), "web")
	env := map[string]any{}
	for _, e := range cd["Environment"].([]any) {
		kv := e.(map[string]any)
		env[kv["Name"].(string)] = kv["Value"]
	}
	want := map[string]any{"PORT": "8080", "DEBUG": "true", "EMPTY": "", "MULTI": "a\nb", "HTML": "<a&b>"}
	if !reflect.DeepEqual(env, want) {
		t.Fatalf("environment %#v", env)
	}
	if !bytes.Contains(j.Files["test.json"], []byte(`"<a&b>"`)) {
		t.Fatal("JSON escapes < > & as for HTML")
	}
	if !bytes.HasSuffix(j.Files["test.json"], []byte("}\n")) {
		t.Fatal("JSON does not end with a newline")
	}
}

// Every resource starts with its Type, in both formats.
func TestEncodeTypeFirst(t *testing.T) {
	for _, format := range []Format{YAML, JSON} {
		out, _ := mustRender(t, webOnly, Options{Format: format})
		var doc yaml.Node
		if err := yaml.Unmarshal(out.Files[out.Template], &doc); err != nil {
			t.Fatal(err)
		}
		root := doc.Content[0]
		var resources *yaml.Node
		for i := 0; i+1 < len(root.Content); i += 2 {
			if root.Content[i].Value == "Resources" {
				resources = root.Content[i+1]
			}
		}
		if resources == nil || len(resources.Content) != 14 {
			t.Fatalf("%s: resources not found", format)
		}
		for i := 0; i+1 < len(resources.Content); i += 2 {
			r := resources.Content[i+1]
			if r.Content[0].Value != "Type" {
				t.Errorf("%s: resource %s starts with %s", format, resources.Content[i].Value, r.Content[0].Value)
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	a := `secrets:
  db:
    x-secrets: {Name: prod/db, JsonKeys: [{SecretKey: user}, {SecretKey: pass}]}
volumes:
  data: {}
  cache: {}
services:
  web:
    image: nginx
    environment: {Z: "1", A: "2", M: "3"}
    labels: {b: "1", a: "2"}
    ports: ["443", "80"]
    depends_on: [api]
    volumes: ["data:/data", "cache:/cache"]
    deploy: {labels: {zeta: z, alpha: a}}
  api:
    image: api
    secrets: [db]
    deploy: {labels: {ecs.task.family: backend}}
  worker:
    image: worker
    depends_on: [api]
    x-ecs: {EnableExecuteCommand: true}
    deploy: {labels: {ecs.task.family: backend}}
`
	// The same project with services, keys and maps written in another order.
	b := `services:
  worker:
    x-ecs: {EnableExecuteCommand: true}
    deploy: {labels: {ecs.task.family: backend}}
    depends_on: [api]
    image: worker
  api:
    deploy: {labels: {ecs.task.family: backend}}
    secrets: [db]
    image: api
  web:
    volumes: ["data:/data", "cache:/cache"]
    deploy: {labels: {alpha: a, zeta: z}}
    depends_on: [api]
    ports: ["443", "80"]
    labels: {a: "2", b: "1"}
    environment: {M: "3", A: "2", Z: "1"}
    image: nginx
volumes:
  cache: {}
  data: {}
secrets:
  db:
    x-secrets: {JsonKeys: [{SecretKey: user}, {SecretKey: pass}], Name: prod/db}
`
	for _, format := range []Format{YAML, JSON} {
		first, _ := mustRender(t, a, Options{Format: format})
		for i := 0; i < 5; i++ {
			again, _ := mustRender(t, a, Options{Format: format})
			for name, body := range first.Files {
				if !bytes.Equal(body, again.Files[name]) {
					t.Fatalf("%s: %s differs between two renders", format, name)
				}
			}
		}
		other, _ := mustRender(t, b, Options{Format: format})
		for name, body := range first.Files {
			if !bytes.Equal(body, other.Files[name]) {
				t.Fatalf("%s: %s differs when the file is written in another order:\n%s\n---\n%s", format, name, body, other.Files[name])
			}
		}
	}
}

// A template over 51,200 bytes cannot be sent inline by
// `aws cloudformation deploy`: the render says so, naming the fix.
func TestInlineDeployLimitWarning(t *testing.T) {
	var b strings.Builder
	b.WriteString("services:\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "  web%d:\n    image: nginx:1.27\n", i)
	}
	_, ds := mustRender(t, b.String(), Options{})
	wantWarning(t, ds, "", "", "over the 51200 bytes that aws cloudformation deploy can send inline: deploy it with --s3-bucket")
	_, ds = mustRender(t, "services:\n  web:\n    image: nginx:1.27\n", Options{})
	if _, found := findDiag(ds, Warning, "", "", "--s3-bucket"); found {
		t.Fatal("a small template is warned about")
	}
}
