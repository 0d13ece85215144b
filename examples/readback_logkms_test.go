package examples

import (
	"encoding/json"
	"path"
	"slices"
	"strings"
	"testing"
)

// The control-tower example's log key, read back from the moto emulator:
// one key, rotating, whose policy lets CloudWatch Logs of the Region
// encrypt the family's log group (the ARN moto resolved from the stack's
// name) and nothing of another family's, and refuses grants but for AWS
// services. moto drops a log group's KmsKeyId; render/logkms_test.go
// checks in the template that the group names this key.
func init() {
	motoChecks["control-tower"] = checkLogKms
}

func checkLogKms(t *testing.T, p *project, sum *motoSummary) {
	if !same(t, "KMS keys", len(sum.KMSKeys), 1) {
		return
	}
	k := sum.KMSKeys[0]
	same(t, "key rotation", k.Rotation, true)
	group := "/ecs/" + motoStack + "/web"
	if !slices.Contains(sum.LogGroups, group) {
		t.Errorf("no log group %s among %v", group, sum.LogGroups)
	}
	var policy struct {
		Statement []struct {
			Effect    string
			Principal map[string]any
			Action    any
			Condition map[string]map[string]any
		}
	}
	if err := json.Unmarshal([]byte(k.Policy), &policy); err != nil {
		t.Fatalf("key policy: %v\n%s", err, k.Policy)
	}
	arn := "arn:aws:logs:us-east-1:123456789012:log-group:"
	allows := func(name string) bool {
		for _, st := range policy.Statement {
			if st.Effect != "Allow" || st.Principal["Service"] != "logs.us-east-1.amazonaws.com" {
				continue
			}
			for _, pat := range policyStrings(st.Condition["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]) {
				if ok, _ := path.Match(pat, arn+name); ok {
					return true
				}
			}
		}
		return false
	}
	same(t, "CloudWatch Logs may use the key for "+group, allows(group), true)
	same(t, "... and for the family's other groups", allows(group+"/prometheus"), true)
	same(t, "... but not for another family's", allows("/ecs/"+motoStack+"/web2"), false)
	denies := false
	for _, st := range policy.Statement {
		if st.Effect == "Deny" && st.Action == "kms:CreateGrant" && st.Condition["BoolIfExists"]["kms:GrantIsForAWSResource"] == "false" {
			denies = true
		}
	}
	same(t, "grants only for AWS services", denies, true)
	if !strings.Contains(k.Description, "web") {
		t.Errorf("key description %q does not name the family", k.Description)
	}
}

func policyStrings(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, x := range t {
			s, _ := x.(string)
			out = append(out, s)
		}
		return out
	}
	return nil
}
