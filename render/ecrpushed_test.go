package render

import (
	"encoding/json"
	"strings"
	"testing"
)

// evalIntrinsic evaluates Ref, Fn::Select, Fn::Split and Fn::Sub as
// CloudFormation does, with the given parameter values: enough to read
// the ARN a policy resource resolves to at deploy time.
func evalIntrinsic(t *testing.T, v any, params map[string]string) any {
	t.Helper()
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return v
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = evalIntrinsic(t, e, params)
		}
		return out
	case map[string]any:
		for k, arg := range v {
			switch k {
			case "Ref":
				return params[arg.(string)]
			case "Fn::Split":
				a := arg.([]any)
				parts := strings.Split(evalIntrinsic(t, a[1], params).(string), a[0].(string))
				out := make([]any, len(parts))
				for i, p := range parts {
					out[i] = p
				}
				return out
			case "Fn::Select":
				a := arg.([]any)
				list := evalIntrinsic(t, a[1], params).([]any)
				i := int(a[0].(float64))
				if i >= len(list) {
					t.Fatalf("Fn::Select %d of %v: CloudFormation fails the stack", i, list)
				}
				return list[i]
			case "Fn::Sub":
				a := arg.([]any)
				s := a[0].(string)
				for name, val := range a[1].(map[string]any) {
					s = strings.ReplaceAll(s, "${"+name+"}", evalIntrinsic(t, val, params).(string))
				}
				for name, val := range params {
					s = strings.ReplaceAll(s, "${"+name+"}", val)
				}
				return s
			}
		}
	}
	t.Fatalf("cannot evaluate %v", v)
	return nil
}

// TestBuildOnlyServicePullsItsOwnRepository: a build: service without
// image: gets ECR pull on the repository of the image given at deploy
// time, never on repository/* of the account.
func TestBuildOnlyServicePullsItsOwnRepository(t *testing.T) {
	out, _ := mustRender(t, "services:\n  web:\n    build: .\n", Options{Format: JSON})
	var doc struct {
		Resources map[string]struct {
			Properties struct {
				Policies []struct {
					PolicyName     string
					PolicyDocument struct {
						Statement []struct {
							Sid      string
							Resource []any
						}
					}
				}
			}
		}
	}
	if err := json.Unmarshal(out.Files[out.Template], &doc); err != nil {
		t.Fatal(err)
	}
	var resource any
	for _, p := range doc.Resources["WebExecutionRole"].Properties.Policies {
		for _, st := range p.PolicyDocument.Statement {
			if st.Sid == "EcrPull" {
				if len(st.Resource) != 1 {
					t.Fatalf("EcrPull resources %v, want one", st.Resource)
				}
				resource = st.Resource[0]
			}
		}
	}
	if resource == nil {
		t.Fatal("no EcrPull statement on WebExecutionRole")
	}
	for image, want := range map[string]string{
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/web:1.0":                                                                "arn:aws:ecr:eu-west-1:123456789012:repository/team/web",
		"210987654321.dkr.ecr.us-east-1.amazonaws.com/web@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef": "arn:aws:ecr:us-east-1:210987654321:repository/web",
		"123456789012.dkr.ecr.eu-west-1.amazonaws.com/web":                                                                         "arn:aws:ecr:eu-west-1:123456789012:repository/web",
	} {
		got := evalIntrinsic(t, resource, map[string]string{"WebImage": image, "AWS::Partition": "aws"})
		if got != want {
			t.Errorf("image %s: the grant resolves to %v, want %s", image, got, want)
		}
		if strings.ContainsAny(got.(string), "*?") {
			t.Errorf("image %s: a wildcard in the grant %v", image, got)
		}
	}
}
