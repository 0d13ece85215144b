package templatediff

import (
	"fmt"
	"strings"
	"testing"
)

const base = `AWSTemplateFormatVersion: "2010-09-09"
Description: shop
Parameters:
  WebImage:
    Type: String
    Default: nginx:1.27
Resources:
  WebTaskDefinition:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Cpu: "256"
      ContainerDefinitions:
        - Name: web
          Image:
            Ref: WebImage
          PortMappings:
            - ContainerPort: 80
  WebLogGroup:
    Type: AWS::Logs::LogGroup
    Properties:
      RetentionInDays: 30
Outputs:
  Cluster:
    Value:
      Ref: Cluster
`

func render(edit func(string) string) map[string][]byte {
	return map[string][]byte{
		"shop.yaml":        []byte(edit(base)),
		"shop.params.json": []byte(`["WebImage=nginx:1.27"]`),
	}
}

func lines(cs []Change) string {
	var out []string
	for _, c := range cs {
		out = append(out, c.String())
	}
	return strings.Join(out, "\n")
}

func TestCompare(t *testing.T) {
	same := func(s string) string { return s }
	cases := []struct {
		name string
		edit func(string) string
		want string
	}{
		{"identical", same, ""},
		{"a nested property", func(s string) string { return strings.Replace(s, "ContainerPort: 80", "ContainerPort: 8080", 1) },
			"~ shop.yaml Resources.WebTaskDefinition (AWS::ECS::TaskDefinition): Properties.ContainerDefinitions[0].PortMappings[0].ContainerPort"},
		{"a resource removed", func(s string) string {
			return strings.Replace(s, "  WebLogGroup:\n    Type: AWS::Logs::LogGroup\n    Properties:\n      RetentionInDays: 30\n", "", 1)
		}, "- shop.yaml Resources.WebLogGroup (AWS::Logs::LogGroup)"},
		{"a resource added", func(s string) string {
			return strings.Replace(s, "Outputs:", "  Queue:\n    Type: AWS::SQS::Queue\nOutputs:", 1)
		}, "+ shop.yaml Resources.Queue (AWS::SQS::Queue)"},
		{"a top-level value", func(s string) string { return strings.Replace(s, "Description: shop", "Description: shop v2", 1) },
			"~ shop.yaml Description: (value)"},
		{"an output removed", func(s string) string {
			return strings.Replace(s, "Outputs:\n  Cluster:\n    Value:\n      Ref: Cluster\n", "", 1)
		},
			"- shop.yaml Outputs.Cluster"},
		{"a list that grows is one change at the list", func(s string) string {
			return strings.Replace(s, "            - ContainerPort: 80\n", "            - ContainerPort: 80\n            - ContainerPort: 443\n", 1)
		}, "~ shop.yaml Resources.WebTaskDefinition (AWS::ECS::TaskDefinition): Properties.ContainerDefinitions[0].PortMappings"},
		{"a number written as an integer or a float is the same", func(s string) string { return strings.Replace(s, "RetentionInDays: 30", "RetentionInDays: 30.0", 1) }, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Compare(render(same), render(tc.edit))
			if err != nil {
				t.Fatal(err)
			}
			if lines(got) != tc.want {
				t.Errorf("got\n%s\nwant\n%s", lines(got), tc.want)
			}
		})
	}
}

func TestYAMLAndJSONRendersAreEqual(t *testing.T) {
	json := `{"AWSTemplateFormatVersion":"2010-09-09","Description":"shop","Parameters":{"WebImage":{"Type":"String","Default":"nginx:1.27"}},
"Resources":{"WebTaskDefinition":{"Type":"AWS::ECS::TaskDefinition","Properties":{"Cpu":"256","ContainerDefinitions":[{"Name":"web","Image":{"Ref":"WebImage"},"PortMappings":[{"ContainerPort":80}]}]}},
"WebLogGroup":{"Type":"AWS::Logs::LogGroup","Properties":{"RetentionInDays":30}}},"Outputs":{"Cluster":{"Value":{"Ref":"Cluster"}}}}`
	got, err := Compare(render(func(s string) string { return s }), map[string][]byte{
		"shop.json": []byte(json), "shop.params.json": []byte(`["WebImage=nginx:1.27"]`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("a JSON render of the same template differs:\n%s", lines(got))
	}
}

func TestParameterFiles(t *testing.T) {
	old := map[string][]byte{"shop.params.json": []byte(`["WebImage=nginx:1.27","ClusterName="]`)}
	new := map[string][]byte{"shop.params.json": []byte(`["WebImage=nginx:1.28","VpcId=vpc-1"]`)}
	got, err := Compare(old, new)
	if err != nil {
		t.Fatal(err)
	}
	want := "- shop.params.json Values.ClusterName\n+ shop.params.json Values.VpcId\n~ shop.params.json Values.WebImage"
	if lines(got) != want {
		t.Errorf("got\n%s\nwant\n%s", lines(got), want)
	}
}

func TestNestedStacksAddedAndRemoved(t *testing.T) {
	old := render(func(s string) string { return s })
	old["shop-web.yaml"] = []byte("Resources: {}\n")
	new := render(func(s string) string { return s })
	new["shop-api.yaml"] = []byte("Resources: {}\n")
	// Files that are not part of a render are ignored, whatever their name.
	new["docker-compose.yml"] = []byte("services: {web: {image: nginx}}\n")
	new["README.md"] = []byte("# notes\n")
	got, err := Compare(old, new)
	if err != nil {
		t.Fatal(err)
	}
	if want := "+ shop-api.yaml\n- shop-web.yaml"; lines(got) != want {
		t.Errorf("got\n%s\nwant\n%s", lines(got), want)
	}
}

func TestManyPathsAreCut(t *testing.T) {
	var old, new strings.Builder
	old.WriteString("Resources:\n  R:\n    Type: AWS::SSM::Parameter\n    Properties:\n")
	new.WriteString("Resources:\n  R:\n    Type: AWS::SSM::Parameter\n    Properties:\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&old, "      K%02d: a\n", i)
		fmt.Fprintf(&new, "      K%02d: b\n", i)
	}
	got, err := Compare(map[string][]byte{"t.yaml": []byte(old.String())}, map[string][]byte{"t.yaml": []byte(new.String())})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Paths) != maxPaths+1 || got[0].Paths[maxPaths] != "and 8 more" {
		t.Errorf("got %v", got)
	}
}

func TestErrors(t *testing.T) {
	for name, files := range map[string]map[string][]byte{
		"new render: shop.yaml: yaml: line 1: did not find expected node content": {"shop.yaml": []byte("[")},
		"new render: shop.json and shop.yaml are the same template in two formats": {
			"shop.yaml": []byte("Resources: {}\n"), "shop.json": []byte(`{"Resources":{}}`)},
	} {
		_, err := Compare(map[string][]byte{}, files)
		if err == nil || err.Error() != name {
			t.Errorf("got %v, want %s", err, name)
		}
	}
}
