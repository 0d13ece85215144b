package render

import (
	"maps"
	"slices"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/cloudwatch"
)

// AWS Control Tower's proactive controls (cfn-guard rules run as
// CloudFormation hooks) refuse a stack whose resources fail them. composex
// passes by default every control it can decide by itself (a memory limit
// on every container, read-only and non-root sidecars where the image
// allows, awsvpc, logging, Container Insights, the latest platform
// version); what only the compose file can decide is reported here, by
// control ID, with the key to set. The report is asked for with
// Options.ControlTower (composex render --control-tower): most accounts
// have no such controls, and a warning on every service without `user:`
// would bury the warnings that matter to them.

// ControlTowerRetentionDays is the retention CT.CLOUDWATCH.PR.2 requires.
const ControlTowerRetentionDays = 365

// ControlTowerFindings reports what the compose file must change for the
// rendered template to pass the Control Tower controls composex does not
// decide. Valid after the extensions ran.
func ControlTowerFindings(m *Model) Diagnostics {
	var ds Diagnostics
	for _, f := range m.Families {
		first := f.Services[0].Name
		for _, c := range f.Containers {
			if c.Sidecar || c.Service == "" {
				continue
			}
			if !nonRootUser(c.User) {
				ds.Warnf(c.Service, ServicePath(c.Service, "user"),
					"AWS Control Tower CT.ECS.PR.3 requires a user that is not root: set user: to the image's unprivileged user (a name or uid); composex cannot know which user the image runs as")
			}
			if !c.ReadOnly {
				ds.Warnf(c.Service, ServicePath(c.Service, "read_only"),
					"AWS Control Tower CT.ECS.PR.6 requires a read-only root file system: set read_only: true and mount a volume where the process writes")
			}
		}
		if f.LogRetentionDays < ControlTowerRetentionDays {
			ds.Warnf(first, ServicePath(first, "x-logging", "RetentionInDays"),
				"AWS Control Tower CT.CLOUDWATCH.PR.2 requires log groups kept at least %d days; family %s keeps its logs %d days: set x-logging.RetentionInDays to %d or more",
				ControlTowerRetentionDays, f.Name, f.LogRetentionDays, ControlTowerRetentionDays)
		}
		if logKmsKey(f) == nil {
			ds.Warnf(first, ServicePath(first, "x-logging"),
				"AWS Control Tower CT.CLOUDWATCH.PR.3 requires log groups encrypted with a customer managed KMS key; family %s's are not: set x-logging.CreateKmsKey: true (a key the stack creates), or x-logging.KmsKeyId to the ARN of a key whose policy lets logs.REGION.amazonaws.com use it", f.Name)
		}
		if f.AssignPublicIp {
			ds.Warnf(first, ServicePath(first, "x-network", "AssignPublicIp"),
				"AWS Control Tower CT.ECS.PR.9 refuses services that assign public IP addresses: drop AssignPublicIp and reach the registries through a NAT gateway or VPC endpoints")
		}
		alarmsWithoutAction(f.Resources, first, &ds)
	}
	alarmsWithoutAction(m.Resources, "", &ds)
	return ds
}

// alarmsWithoutAction reports each alarm that notifies nobody
// (CT.CLOUDWATCH.PR.1): only the compose file knows who should hear it.
func alarmsWithoutAction(rs map[string]cloudformation.Resource, service string, ds *Diagnostics) {
	for _, id := range slices.Sorted(maps.Keys(rs)) {
		a, ok := rs[id].(*cloudwatch.Alarm)
		if !ok || len(a.AlarmActions) > 0 {
			continue
		}
		ds.Warnf(service, "x-alarms",
			"AWS Control Tower CT.CLOUDWATCH.PR.1 requires an alarm action: alarm %s notifies nobody; give its x-alarms entry a Topics entry (an x-sns topic or a topic ARN)", id)
	}
}

// nonRootUser is the rule of CT.ECS.PR.3: a user, and not 0, root, 0:* or root:*.
func nonRootUser(u string) bool {
	if u == "" {
		return false
	}
	name := u
	for i := 0; i < len(u); i++ {
		if u[i] == ':' {
			name = u[:i]
			break
		}
	}
	return name != "0" && name != "root"
}
