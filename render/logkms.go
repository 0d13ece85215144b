package render

import (
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/kms"
	"github.com/awslabs/goformation/v7/cloudformation/logs"
)

// Log group encryption (x-logging.KmsKeyId, x-logging.CreateKmsKey;
// composex's keys, compose-x has none). CloudWatch Logs encrypts a log
// group with a customer managed KMS key only when the key's policy lets
// the service principal logs.<region>.amazonaws.com use it, with the log
// group's ARN as encryption context (CloudWatch Logs User Guide, "Encrypt
// log data in CloudWatch Logs using AWS Key Management Service"); AWS
// Control Tower's CT.CLOUDWATCH.PR.3 refuses a log group without a key.
// Every log group of a family (its own, the CloudWatch agent's Prometheus
// and EMF groups) gets the family's key.

// reKmsKeyArn is the ARN of a KMS key (a single-Region key ID is a UUID, a
// multi-Region one mrk- and 32 hex digits). No alias: the key policy that
// lets CloudWatch Logs in belongs to one key, and an alias can be moved
// to another.
var reKmsKeyArn = regexp.MustCompile(`^arn:aws(-[a-z]+)*:kms:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)

const kmsKeyArnForm = "arn:aws:kms:REGION:ACCOUNT:key/KEY-ID"

// checkLogKmsKey checks the x-logging key settings of one service.
func checkLogKmsKey(service, path string, x XLogging, ds *Diagnostics) {
	if x.KmsKeyId != "" && x.CreateKmsKey != nil && *x.CreateKmsKey {
		ds.Errorf(service, path+".KmsKeyId", "give KmsKeyId (an existing key) or CreateKmsKey: true (a key the stack creates), not both")
	}
	k := x.KmsKeyId
	switch {
	case k == "" || reKmsKeyArn.MatchString(k):
	case strings.Contains(k, ":alias/") || strings.HasPrefix(k, "alias/"):
		ds.Errorf(service, path+".KmsKeyId", "%q is an alias; give the key's ARN (%s): the key policy that lets CloudWatch Logs use it belongs to the key, and an alias can move", k, kmsKeyArnForm)
	default:
		ds.Errorf(service, path+".KmsKeyId", "%q is not the ARN of a KMS key; give %s (no wildcard), a symmetric key in the stack's Region whose key policy lets logs.REGION.amazonaws.com use it", k, kmsKeyArnForm)
	}
}

// mergeLogEncryption settles the family's log key: one log group per
// family, so one key; a service that asks for one encrypts the family's
// logs, and two services that name different keys are an error.
func mergeLogEncryption(f *Family, xlog map[string]XLogging, ds *Diagnostics) {
	from := ""
	for _, s := range f.Services {
		x := xlog[s.Name]
		path := ServicePath(s.Name, "x-logging")
		create := x.CreateKmsKey != nil && *x.CreateKmsKey
		if create && x.KmsKeyId != "" {
			continue // reported by checkLogKmsKey
		}
		if x.KmsKeyId != "" && !reKmsKeyArn.MatchString(x.KmsKeyId) {
			continue
		}
		switch {
		case create && f.LogKmsKeyArn != "":
			ds.Errorf(s.Name, path+".CreateKmsKey", "family %s has one log group: %s gives it the key %s, so it cannot also get a key of its own; remove one", f.Name, from, f.LogKmsKeyArn)
		case create:
			f.CreateLogKmsKey, from = true, s.Name
		case x.KmsKeyId == "":
		case f.CreateLogKmsKey:
			ds.Errorf(s.Name, path+".KmsKeyId", "family %s has one log group: %s asks for a key of its own (CreateKmsKey), so it cannot also use %s; remove one", f.Name, from, x.KmsKeyId)
		case f.LogKmsKeyArn != "" && f.LogKmsKeyArn != x.KmsKeyId:
			ds.Errorf(s.Name, path+".KmsKeyId", "family %s has one log group with one key: %s gives %s, %s gives %s; give them the same", f.Name, from, f.LogKmsKeyArn, s.Name, x.KmsKeyId)
		default:
			f.LogKmsKeyArn, from = x.KmsKeyId, s.Name
		}
	}
}

// LogKmsKeyID is the logical ID of the key composex creates for a family's
// log groups (x-logging.CreateKmsKey).
func (f *Family) LogKmsKeyID() string { return f.Logical + "LogsKmsKey" }

// logKmsKey is the KmsKeyId of the family's log groups, nil when they are
// not encrypted with a customer managed key.
func logKmsKey(f *Family) *string {
	switch {
	case f.CreateLogKmsKey:
		return str(cloudformation.GetAtt(f.LogKmsKeyID(), "Arn"))
	case f.LogKmsKeyArn != "":
		return str(f.LogKmsKeyArn)
	}
	return nil
}

// encryptLogGroups adds the family's key, when composex creates it, and
// gives every log group an extension added to the family that key. The
// key is a family resource, so it stays in the family's stack when a
// project is split: the log groups refer to it in their own template.
func encryptLogGroups(f *Family) {
	key := logKmsKey(f)
	if key == nil {
		return
	}
	if f.CreateLogKmsKey {
		if _, done := f.Resources[f.LogKmsKeyID()]; !done {
			f.Resources[f.LogKmsKeyID()] = logKey(f)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(f.Resources)) {
		if g, ok := f.Resources[id].(*logs.LogGroup); ok && g.KmsKeyId == nil {
			g.KmsKeyId = key
		}
	}
}

// logKey is a symmetric key with yearly rotation (CT.KMS.PR.1) whose
// policy lets the account administer it through IAM, lets CloudWatch Logs
// of the stack's Region use it for the family's log groups and nothing
// else, and refuses grants to anyone but AWS services (CT.KMS.PR.3).
func logKey(f *Family) *kms.Key {
	groups := "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:/ecs/${AWS::StackName}/" + ResourceName(f.Name)
	policy := map[string]any{
		"Version": "2012-10-17",
		"Statement": []any{
			map[string]any{
				"Sid": "AccountAdministersTheKey", "Effect": "Allow",
				"Principal": map[string]any{"AWS": cloudformation.Sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:root")},
				"Action":    "kms:*", "Resource": "*",
			},
			map[string]any{
				"Sid": "CloudWatchLogsEncryptsTheFamilyLogGroups", "Effect": "Allow",
				"Principal": map[string]any{"Service": cloudformation.Sub("logs.${AWS::Region}.amazonaws.com")},
				"Action":    []string{"kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"},
				"Resource":  "*",
				"Condition": map[string]any{"ArnLike": map[string]any{
					"kms:EncryptionContext:aws:logs:arn": []string{cloudformation.Sub(groups), cloudformation.Sub(groups + "/*")},
				}},
			},
			map[string]any{
				"Sid": "GrantsOnlyForAwsServices", "Effect": "Deny",
				"Principal": map[string]any{"AWS": "*"},
				"Action":    "kms:CreateGrant", "Resource": "*",
				"Condition": map[string]any{"BoolIfExists": map[string]any{
					"kms:GrantIsForAWSResource": "false", "aws:PrincipalIsAWSService": "false",
				}},
			},
		},
	}
	return &kms.Key{
		Description:       str("Encrypts the CloudWatch log groups of " + f.Name + " (composex)"),
		EnableKeyRotation: boolp(true),
		KeyPolicy:         policy,
		// No Tags: the Description names the family, and the moto emulator
		// the examples deploy into (5.2.1) fails on a key's Tags.
	}
}
