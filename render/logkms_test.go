package render

import (
	"fmt"
	"path"
	"strings"
	"testing"
)

const testKey = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// Bad key settings are refused at their key, each once, with what is
// allowed; all of them in one run.
func TestLogKmsKeyRefused(t *testing.T) {
	_, ds := buildYAML(t, `services:
  wild:
    image: nginx:1.27
    x-logging:
      KmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/*"
  alias:
    image: nginx:1.27
    x-logging:
      KmsKeyId: arn:aws:kms:eu-west-1:123456789012:alias/logs
  bare:
    image: nginx:1.27
    x-logging:
      KmsKeyId: 1234abcd-12ab-34cd-56ef-1234567890ab
  both:
    image: nginx:1.27
    x-logging:
      KmsKeyId: `+testKey+`
      CreateKmsKey: true
  a:
    image: nginx:1.27
    deploy: {labels: {ecs.task.family: shared}}
    x-logging: {KmsKeyId: `+testKey+`}
  b:
    image: nginx:1.27
    deploy: {labels: {ecs.task.family: shared}}
    x-logging: {KmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef"}
  c:
    image: nginx:1.27
    deploy: {labels: {ecs.task.family: shared}}
    x-logging: {CreateKmsKey: true}
`)
	d := wantError(t, ds, "wild", "services.wild.x-logging.KmsKeyId", `"arn:aws:kms:eu-west-1:123456789012:key/*" is not the ARN of a KMS key; give arn:aws:kms:REGION:ACCOUNT:key/KEY-ID (no wildcard), a symmetric key in the stack's Region whose key policy lets logs.REGION.amazonaws.com use it`)
	if d.Line != 5 {
		t.Errorf("wildcard key reported at line %d, want 5", d.Line)
	}
	wantError(t, ds, "alias", "services.alias.x-logging.KmsKeyId", `"arn:aws:kms:eu-west-1:123456789012:alias/logs" is an alias; give the key's ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID): the key policy that lets CloudWatch Logs use it belongs to the key, and an alias can move`)
	wantError(t, ds, "bare", "services.bare.x-logging.KmsKeyId", `"1234abcd-12ab-34cd-56ef-1234567890ab" is not the ARN of a KMS key`)
	wantError(t, ds, "both", "services.both.x-logging.KmsKeyId", "give KmsKeyId (an existing key) or CreateKmsKey: true (a key the stack creates), not both")
	wantError(t, ds, "b", "services.b.x-logging.KmsKeyId", "family shared has one log group with one key: a gives "+testKey+", b gives arn:aws:kms:eu-west-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef; give them the same")
	wantError(t, ds, "c", "services.c.x-logging.CreateKmsKey", "family shared has one log group: a gives it the key "+testKey+", so it cannot also get a key of its own; remove one")
	n := 0
	for _, d := range ds {
		if strings.Contains(d.Path, "KmsKey") {
			n++
		}
	}
	if n != 6 {
		t.Errorf("%d diagnostics about keys, want 6 (one per problem):\n%s", n, dump(ds))
	}
}

// An existing key is written as given; no key is created.
func TestLogKmsKeyExisting(t *testing.T) {
	out, _ := mustRender(t, `services:
  web:
    image: nginx:1.27
    x-logging: {KmsKeyId: `+testKey+`}
  worker:
    image: nginx:1.27
`, Options{})
	doc := template(t, out)
	if got := resource(t, doc, "WebLogGroup", "AWS::Logs::LogGroup")["KmsKeyId"]; got != testKey {
		t.Errorf("WebLogGroup KmsKeyId %v, want %s", got, testKey)
	}
	if got, has := resource(t, doc, "WorkerLogGroup", "AWS::Logs::LogGroup")["KmsKeyId"]; has {
		t.Errorf("WorkerLogGroup asked for no key, has %v", got)
	}
	for id, r := range doc["Resources"].(map[string]any) {
		if r.(map[string]any)["Type"] == "AWS::KMS::Key" {
			t.Errorf("%s: a key was created for an existing one", id)
		}
	}
}

// CreateKmsKey: the consumer is CloudWatch Logs, which uses the key only
// when its policy lets the Region's logs service principal encrypt with
// the log group's ARN as encryption context; the key rotates and refuses
// grants to anything but AWS services (Control Tower CT.KMS.PR.1, PR.3).
func TestLogKmsKeyCreated(t *testing.T) {
	out, ds := mustRender(t, `services:
  web:
    image: nginx:1.27
    x-logging: {CreateKmsKey: true, RetentionInDays: 365}
`, Options{ControlTower: true})
	for _, d := range ds {
		if strings.Contains(d.Message, "CT.CLOUDWATCH.PR.3") {
			t.Errorf("reported although the log group has a key: %s", d)
		}
	}
	doc := template(t, out)
	group := resource(t, doc, "WebLogGroup", "AWS::Logs::LogGroup")
	if got := fmt.Sprint(group["KmsKeyId"]); got != "map[Fn::GetAtt:[WebLogsKmsKey Arn]]" {
		t.Errorf("KmsKeyId %s, want the created key's Arn", got)
	}
	key := resource(t, doc, "WebLogsKmsKey", "AWS::KMS::Key")
	if key["EnableKeyRotation"] != true {
		t.Errorf("EnableKeyRotation %v", key["EnableKeyRotation"])
	}
	// Resolve the group's ARN as CloudWatch Logs sends it, for a stack.
	const region, account, stack = "eu-west-1", "123456789012", "demo"
	resolve := func(v any) string {
		s, ok := v.(string)
		if m, isMap := v.(map[string]any); isMap {
			s, ok = m["Fn::Sub"].(string)
		}
		if !ok {
			t.Fatalf("not a string or Fn::Sub: %v", v)
		}
		return strings.NewReplacer("${AWS::Region}", region, "${AWS::AccountId}", account, "${AWS::StackName}", stack, "${AWS::Partition}", "aws").Replace(s)
	}
	groupArn := "arn:aws:logs:" + region + ":" + account + ":log-group:" + resolve(group["LogGroupName"])
	agentGroupArn := groupArn + "/prometheus"
	otherArn := "arn:aws:logs:" + region + ":" + account + ":log-group:/ecs/" + stack + "/web-v2"
	statements := key["KeyPolicy"].(map[string]any)["Statement"].([]any)
	allowsLogs := func(arn string) bool {
		for _, s := range statements {
			st := s.(map[string]any)
			if st["Effect"] != "Allow" {
				continue
			}
			p, _ := st["Principal"].(map[string]any)
			if p == nil || p["Service"] == nil || resolve(p["Service"]) != "logs."+region+".amazonaws.com" {
				continue
			}
			acts := strings.Join(toStrings(st["Action"]), " ")
			if !strings.Contains(acts, "kms:GenerateDataKey*") || !strings.Contains(acts, "kms:Decrypt*") || !strings.Contains(acts, "kms:Encrypt*") {
				continue
			}
			for _, pat := range anyList(st["Condition"].(map[string]any)["ArnLike"].(map[string]any)["kms:EncryptionContext:aws:logs:arn"]) {
				if ok, _ := path.Match(resolve(pat), arn); ok {
					return true
				}
			}
		}
		return false
	}
	if !allowsLogs(groupArn) {
		t.Errorf("the key policy does not let CloudWatch Logs encrypt %s", groupArn)
	}
	if !allowsLogs(agentGroupArn) {
		t.Errorf("the key policy does not let CloudWatch Logs encrypt the family's agent group %s", agentGroupArn)
	}
	if allowsLogs(otherArn) {
		t.Errorf("the key policy lets CloudWatch Logs encrypt %s, another family's group", otherArn)
	}
	deny := false
	for _, s := range statements {
		st := s.(map[string]any)
		if st["Effect"] == "Deny" && st["Action"] == "kms:CreateGrant" {
			b := st["Condition"].(map[string]any)["BoolIfExists"].(map[string]any)
			deny = b["kms:GrantIsForAWSResource"] == "false" && b["aws:PrincipalIsAWSService"] == "false"
		}
	}
	if !deny {
		t.Errorf("no statement denies grants to all but AWS services: %v", statements)
	}
}

func anyList(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	return []any{v}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range anyList(v) {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}
