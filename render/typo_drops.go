package render

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// warnDroppedKeys reports what compose accepts, composex loads, and the
// template silently leaves out: the user must hear it, at the key.
func warnDroppedKeys(in *Input, ds *Diagnostics) {
	p := in.Project
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		svc := p.Services[name]
		if svc.Deploy != nil && svc.Deploy.Resources.Reservations != nil && len(svc.Deploy.Resources.Reservations.Devices) > 0 {
			ds.Errorf(name, ServicePath(name, "deploy.resources.reservations.devices"), "Fargate has no GPUs or other devices to reserve; a GPU task needs ECS on EC2 instances, which composex does not render")
		}
		for i, port := range svc.Ports {
			if port.Mode == "host" {
				ds.Warnf(name, ServicePath(name, "ports", strconv.Itoa(i), "mode"), "mode host is ignored: on Fargate every port is on the task's own network interface (awsvpc), and there is no swarm ingress mesh to bypass")
			}
		}
		for _, dep := range slices.Sorted(maps.Keys(svc.DependsOn)) {
			if svc.DependsOn[dep].Required || !slices.Contains(in.Sources.Keys(ServicePath(name, "depends_on", Key(dep))), "required") {
				continue
			}
			ds.Warnf(name, ServicePath(name, "depends_on", Key(dep), "required"), "required: false has no equivalent: %s waits for %s as for any depends_on (ECS container dependsOn inside a family, CloudFormation DependsOn between families), where compose would start %s without it", name, dep, name)
		}
		warnEnvFileCredentials(in, name, ds)
	}
}

var (
	credentialKey   = regexp.MustCompile(`(?i)PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_?KEY|API_?KEY`)
	awsAccessKeyID  = regexp.MustCompile(`\b(AKIA|ASIA)[0-9A-Z]{16}\b`)
	envListEntryKey = regexp.MustCompile(`^([^=]+)`)
)

// warnEnvFileCredentials: values read from env_file land in the task
// definition's Environment, in plain text for anyone who may describe it.
// Those that look like credentials (by their name, or an AWS access key ID
// as value) are named, never their values, with the way to keep them out.
func warnEnvFileCredentials(in *Input, name string, ds *Diagnostics) {
	svc := in.Project.Services[name]
	if len(svc.EnvFiles) == 0 {
		return
	}
	written := environmentKeys(in.Sources, name)
	var found []string
	for _, k := range slices.Sorted(maps.Keys(svc.Environment)) {
		v := svc.Environment[k]
		if written[k] || v == nil {
			continue // written in environment: the user chose it, in the file for review
		}
		if credentialKey.MatchString(k) || awsAccessKeyID.MatchString(*v) {
			found = append(found, k)
		}
	}
	if len(found) > 0 {
		ds.Warnf(name, ServicePath(name, "env_file"), "%s from env_file look like credentials and would be stored in plain text in the task definition's Environment (visible to anyone who can describe it, and in the template): give them as secrets (a top-level secret with x-secrets naming a Secrets Manager secret) instead", strings.Join(found, ", "))
	}
}

// environmentKeys are the variables a service's environment block writes
// itself, in its mapping or its list form, in any file.
func environmentKeys(s *Sources, name string) map[string]bool {
	out := map[string]bool{}
	for _, k := range s.Keys(ServicePath(name, "environment")) {
		out[k] = true
	}
	for _, f := range s.files {
		if f.root == nil {
			continue
		}
		parts := splitPath(ServicePath(name, "environment"))
		if _, node, depth := f.walk(parts); depth == len(parts) && node != nil && node.Kind == yaml.SequenceNode {
			for _, c := range node.Content {
				if m := envListEntryKey.FindStringSubmatch(c.Value); m != nil {
					out[m[1]] = true
				}
			}
		}
	}
	return out
}
