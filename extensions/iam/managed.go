package iam

import (
	"strings"
)

// awsManagedPolicies maps the name of an AWS managed policy to its path:
// IAM places some under service-role/ or job-function/, and an ARN without
// that path names a policy that does not exist (the role is never created).
// A bare name in x-iam.ManagedPolicyArns is expanded only when it is here;
// any other policy must be given by its full ARN.
//
// Checked 2026-12-01, entry by entry, against the policy's own page in the
// AWS Managed Policy Reference Guide
// (docs.aws.amazon.com/aws-managed-policy/latest/reference/<Name>, which
// shows the policy's ARN and whether it can be attached), looked up through
// the stored copy of those pages in the docs search corpus. Every entry
// below, except those under "Second source" and the one marked NOT
// VERIFIED, had a page whose ARN matches the
// path given here (for some only a translated copy of the page was stored;
// the ARN line is the same in every language), and none of those pages says
// the policy is deprecated or cannot be attached. No path had to change.
//
// The entries under "Second source" had no page in the corpus; each is
// confirmed instead by an AWS guide that names it (the ECS Developer Guide's
// task execution role and infrastructure role pages for the two ECS ones) or
// by public infrastructure code attaching exactly that ARN, and they are
// among the most attached policies, so a user writes them bare. The one
// marked NOT VERIFIED rests on memory alone.
//
// The table holds the policies an ECS task or its operators attach; it is
// not meant to list all of IAM's.
var awsManagedPolicies = map[string]string{
	// Second source (see above).
	"AmazonECSTaskExecutionRolePolicy":            "service-role/",
	"AmazonECSInfrastructureRolePolicyForVolumes": "service-role/",
	"AmazonEC2ContainerRegistryFullAccess":        "",
	"AmazonSQSFullAccess":                         "",
	"AmazonS3FullAccess":                          "",
	"CloudWatchAgentAdminPolicy":                  "",
	"CloudWatchFullAccess":                        "",
	"CloudWatchLogsFullAccess":                    "",
	"ReadOnlyAccess":                              "",
	"AdministratorAccess":                         "",
	// ECS, ECR and the roles ECS and its neighbours assume.
	"AmazonEC2ContainerServiceRole":                                            "service-role/",
	"AmazonEC2ContainerServiceforEC2Role":                                      "service-role/",
	"AmazonEC2ContainerServiceAutoscaleRole":                                   "service-role/",
	"AmazonEC2ContainerServiceEventsRole":                                      "service-role/",
	"AmazonECSInfrastructureRolePolicyForServiceConnectTransportLayerSecurity": "service-role/",
	"AWSCodeDeployRoleForECS":                                                  "",
	"AmazonECS_FullAccess":                                                     "",
	"AmazonEC2ContainerRegistryReadOnly":                                       "",
	"AmazonEC2ContainerRegistryPowerUser":                                      "",
	"AWSLambdaBasicExecutionRole":                                              "service-role/",
	"AWSLambdaVPCAccessExecutionRole":                                          "service-role/",
	"AmazonAPIGatewayPushToCloudWatchLogs":                                     "service-role/",
	"AWSAppSyncPushToCloudWatchLogs":                                           "service-role/",
	"AmazonSSMAutomationRole":                                                  "service-role/",
	// Observability.
	"AWSXRayDaemonWriteAccess":                    "",
	"AWSXrayWriteOnlyAccess":                      "",
	"CloudWatchLambdaInsightsExecutionRolePolicy": "",
	"CloudWatchLogsReadOnlyAccess":                "",
	"CloudWatchReadOnlyAccess":                    "",
	"AmazonPrometheusRemoteWriteAccess":           "",
	// NOT VERIFIED: no reference-guide page for it was found in the corpus
	// on 2026-12-01. It stays only because examples/iam-policies names it
	// bare; verify its page (or change the example to the full ARN) and then
	// drop this note or the entry.
	"CloudWatchAgentServerPolicy": "",
	// Data and messaging an app reads or writes.
	"AmazonS3ReadOnlyAccess":                       "",
	"AmazonSQSReadOnlyAccess":                      "",
	"AmazonSNSReadOnlyAccess":                      "",
	"AmazonSNSFullAccess":                          "",
	"AmazonDynamoDBReadOnlyAccess":                 "",
	"AmazonDynamoDBFullAccess":                     "",
	"AmazonKinesisReadOnlyAccess":                  "",
	"AmazonKinesisFullAccess":                      "",
	"AmazonKinesisFirehoseFullAccess":              "",
	"AmazonMSKReadOnlyAccess":                      "",
	"AmazonMSKFullAccess":                          "",
	"AmazonRDSReadOnlyAccess":                      "",
	"AmazonRDSDataFullAccess":                      "",
	"AmazonElastiCacheReadOnlyAccess":              "",
	"AmazonElasticFileSystemClientReadOnlyAccess":  "",
	"AmazonElasticFileSystemClientReadWriteAccess": "",
	"AmazonElasticFileSystemClientFullAccess":      "",
	"AmazonEventBridgeFullAccess":                  "",
	"AmazonSESFullAccess":                          "",
	"AWSStepFunctionsFullAccess":                   "",
	"SecretsManagerReadWrite":                      "",
	"AmazonSSMReadOnlyAccess":                      "",
	"AmazonSSMManagedInstanceCore":                 "",
	"AWSKeyManagementServicePowerUser":             "",
	"PowerUserAccess":                              "",
	"ViewOnlyAccess":                               "job-function/",
	"AWSAppMeshEnvoyAccess":                        "",
}

// knownManagedPolicy returns the path/name of an AWS managed policy given
// by name, with or without its path; ok is false for a name the table does
// not know or a path that is not the policy's.
func knownManagedPolicy(v string) (pathName string, ok bool) {
	name := v
	given := ""
	if i := strings.LastIndex(v, "/"); i >= 0 {
		name, given = v[i+1:], strings.TrimPrefix(v[:i+1], "/")
	}
	path, known := awsManagedPolicies[name]
	if !known || (given != "" && given != path) {
		return "", false
	}
	return path + name, true
}

// managedPolicyHint says what a name that is not in the table could be.
func managedPolicyHint(v string) string {
	name := v
	if i := strings.LastIndex(v, "/"); i >= 0 {
		name = v[i+1:]
	}
	if path, known := awsManagedPolicies[name]; known {
		return "; the AWS managed policy " + name + " is arn:aws:iam::aws:policy/" + path + name
	}
	for k, path := range awsManagedPolicies {
		if strings.EqualFold(k, name) {
			return "; did you mean " + k + " (arn:aws:iam::aws:policy/" + path + k + ")?"
		}
	}
	return ""
}
