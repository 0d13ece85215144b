// Package xray reads x-xray (and its legacy alias x-ray): AWS X-Ray
// tracing for a task family, collected either by the X-Ray daemon sidecar
// (the compose-x behaviour) or by the family's CloudWatch agent, which
// receives X-Ray segments and OTLP and outlives the daemon (in maintenance
// since 2026-02-25, end of support 2027-02-25).
package xray

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/extensions/cwagent"
	"github.com/composex/composex/render"
)

const (
	key       = "x-xray"
	legacyKey = "x-ray"

	// DaemonName is the daemon sidecar's container name in every family.
	DaemonName = "xray-daemon"
	// DaemonImage is the pinned daemon release (see render.Pins for when
	// and where it was checked); the image parameter moves every family
	// at once.
	DaemonImage = render.XRayDaemonImage
	imageParam  = "XRayDaemonImage"
	// DaemonAddress is where the apps' X-Ray SDKs send segments (UDP) and
	// ask for sampling rules (TCP): the daemon in the task.
	DaemonAddress = "127.0.0.1:2000"
	daemonPort    = 2000

	// Collectors.
	CollectorDaemon = "xray-daemon"
	CollectorAgent  = "cloudwatch-agent"

	// writePolicy is the AWS managed policy that lets a collector send
	// segments and read sampling rules.
	writePolicy = "arn:${AWS::Partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
)

// XRay is x-xray: true/false, or {OverrideImage, Collector}.
type XRay struct {
	Enabled       bool
	OverrideImage string `json:"OverrideImage,omitempty"`
	Collector     string `json:"Collector,omitempty"`
}

// UnmarshalJSON accepts a boolean or a strict settings object (which
// turns tracing on).
func (x *XRay) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &x.Enabled); err == nil {
		return nil
	}
	var v struct {
		OverrideImage string `json:"OverrideImage,omitempty"`
		Collector     string `json:"Collector,omitempty"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("x-xray is true, false or {OverrideImage, Collector}: %v", strings.TrimPrefix(err.Error(), "json: "))
	}
	x.Enabled, x.OverrideImage, x.Collector = true, v.OverrideImage, v.Collector
	return nil
}

// collector is the effective collector ("" means the daemon).
func (x *XRay) collector() string {
	if x.Collector == "" {
		return CollectorDaemon
	}
	return x.Collector
}

// Extension implements render.Extension for x-xray and x-ray.
type Extension struct{}

func (Extension) Name() string          { return key }
func (Extension) ServiceKeys() []string { return []string{key, legacyKey} }
func (Extension) ProjectKeys() []string { return nil }

// read decodes and checks one service's block; nil when absent or broken.
func read(s types.ServiceConfig, ds *render.Diagnostics) (*XRay, string) {
	raw, ok := s.Extensions[key]
	k := key
	if legacy, has := s.Extensions[legacyKey]; has {
		if ok {
			ds.Errorf(s.Name, render.ServicePath(s.Name, legacyKey), "give x-xray or its legacy alias x-ray, not both")
			return nil, ""
		}
		raw, ok, k = legacy, true, legacyKey
	}
	if !ok {
		return nil, ""
	}
	path := render.ServicePath(s.Name, k)
	var x XRay
	if err := render.DecodeExtension(raw, &x); err != nil {
		ds.Errorf(s.Name, path, "%v", err)
		return nil, ""
	}
	switch x.Collector {
	case "", CollectorDaemon, CollectorAgent:
	default:
		ds.Errorf(s.Name, path+".Collector", "%q is not a trace collector; allowed: %s (the X-Ray daemon sidecar), %s (the family's CloudWatch agent)", x.Collector, CollectorDaemon, CollectorAgent)
		return nil, ""
	}
	if x.OverrideImage != "" && x.collector() == CollectorAgent {
		ds.Errorf(s.Name, path+".OverrideImage", "OverrideImage names the X-Ray daemon image, but with Collector %s no daemon runs; drop it (the agent's image is x-monitoring's)", CollectorAgent)
		return nil, ""
	}
	if strings.TrimSpace(x.OverrideImage) != x.OverrideImage {
		ds.Errorf(s.Name, path+".OverrideImage", "%q has leading or trailing spaces", x.OverrideImage)
		return nil, ""
	}
	return &x, k
}

// Validate checks every service's block.
func (Extension) Validate(in *render.Input) render.Diagnostics {
	var ds render.Diagnostics
	names := make([]string, 0, len(in.Project.Services))
	for name := range in.Project.Services {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		read(in.Project.Services[name], &ds)
	}
	return ds
}

// Extend gives each family that asks for tracing one collector: the daemon
// sidecar, or the CloudWatch agent with its trace receivers.
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds render.Diagnostics
	for _, f := range m.Families {
		var want *XRay
		var from, fromKey string
		for _, s := range f.Services {
			var sub render.Diagnostics // reported by Validate already
			x, k := read(*s, &sub)
			if x == nil || !x.Enabled {
				continue
			}
			if want == nil {
				want, from, fromKey = x, s.Name, k
				continue
			}
			if x.collector() != want.collector() || x.OverrideImage != want.OverrideImage {
				ds.Errorf(s.Name, render.ServicePath(s.Name, k), "family %s: %s and %s ask for different trace collectors (%s vs %s); a task has one, give them the same x-xray",
					f.Name, from, s.Name, describe(want), describe(x))
			}
		}
		if want == nil {
			continue
		}
		var err error
		if want.collector() == CollectorAgent {
			useAgent(f)
		} else {
			err = addDaemon(m, f, want.OverrideImage)
		}
		if err != nil {
			ds.Errorf(from, render.ServicePath(from, fromKey), "family %s: %v", f.Name, err)
		}
	}
	return ds
}

func describe(x *XRay) string {
	if x.OverrideImage != "" {
		return x.collector() + " " + x.OverrideImage
	}
	return x.collector()
}

// useAgent has the family's CloudWatch agent (the one x-prometheus and
// x-monitoring use, or a new one) receive X-Ray segments and OTLP; the
// cwagent extension adds the receivers, ports, IAM and app variables.
func useAgent(f *render.Family) {
	f.Agent().CollectTraces = true
	f.Tracing = &render.Tracing{Container: cwagent.ContainerName, XRayAddress: cwagent.XRayAddress, OTLPEndpoint: cwagent.OTLPEndpoint}
	for _, c := range f.AppContainers() {
		quietOtherSignals(c)
	}
}

// otelSignals are the OpenTelemetry signals other than traces: the SDK
// variable that picks each one's exporter, and the variable that sends it
// to an endpoint of its own.
var otelSignals = []struct{ exporter, endpoint string }{
	{"OTEL_METRICS_EXPORTER", "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"},
	{"OTEL_LOGS_EXPORTER", "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT"},
}

// quietOtherSignals turns off the metrics and logs exporters of an app
// whose OTLP goes to the agent: the agent's OTLP receiver is configured
// for traces only (traces.traces_collected.otlp), and the SDKs export
// metrics and logs over OTLP by default, so each export would fail and be
// logged as an error every interval. A value the user set is kept, and so
// is a signal the user sends to an endpoint of its own, or an app whose
// OTLP endpoint is not the agent's.
func quietOtherSignals(c *render.Container) {
	if ep, set := c.Environment["OTEL_EXPORTER_OTLP_ENDPOINT"]; set && !isAgentOTLP(ep) {
		return
	}
	for _, sig := range otelSignals {
		_, chosen := c.Environment[sig.exporter]
		_, elsewhere := c.Environment[sig.endpoint]
		if !chosen && !elsewhere {
			c.Environment[sig.exporter] = "none"
		}
	}
}

// isAgentOTLP reports whether an OTLP endpoint is the agent in the task:
// the loopback address on one of its two OTLP ports.
func isAgentOTLP(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	host, port := u.Hostname(), u.Port()
	return (host == "127.0.0.1" || host == "localhost") && (port == "4317" || port == "4318")
}

// ReuseLabel is the label by which a compose service says that it is the
// family's X-Ray daemon (compose-x files sometimes declare it as a
// service). Without it a service of that name is an error: a name alone
// must not replace the sidecar's image.
const ReuseLabel = "composex.sidecar"

// addDaemon adds the X-Ray daemon sidecar, or reuses the family's
// container of that name when it carries ReuseLabel, and points the apps
// at it.
func addDaemon(m *render.Model, f *render.Family, image string) error {
	d := f.Container(DaemonName)
	if d != nil && !d.Sidecar && d.DockerLabels[ReuseLabel] != DaemonName {
		return fmt.Errorf("family %s: the compose service %s has the name of composex's X-Ray daemon sidecar container %s: rename the service, or label it %s: %s to run it as the family's daemon", f.Name, d.Service, DaemonName, ReuseLabel, DaemonName)
	}
	if d == nil {
		for _, c := range f.Containers {
			for _, p := range c.Ports {
				if p.ContainerPort == daemonPort {
					return fmt.Errorf("%s listens on port %d, where the X-Ray daemon receives segments; the task shares one network interface: move it, or use x-xray: {Collector: %s} with an agent", c.Name, daemonPort, CollectorAgent)
				}
			}
		}
		param := imageParam
		if image != "" {
			param = f.Logical + "XRayDaemonImage"
			if err := m.FamilySidecarImage(f, param, image, "X-Ray daemon"); err != nil {
				return err
			}
		} else if err := m.SidecarImage(imageParam, DaemonImage, "X-Ray daemon"); err != nil {
			return err
		}
		d = &render.Container{
			Name:       DaemonName,
			ImageParam: param,
			// The image's entrypoint binds UDP and TCP 2000 on all
			// interfaces; the region cannot come from instance metadata
			// on Fargate.
			Environment:       map[string]string{"AWS_REGION": cloudformation.Ref("AWS::Region")},
			Ports:             []render.Port{{ContainerPort: daemonPort, Protocol: "udp", Name: "xray_udp"}, {ContainerPort: daemonPort, Protocol: "tcp", Name: "xray_tcp"}},
			Cpu:               32,
			MemoryReservation: 256,
			Essential:         false,
			// The image's own user (USER xray, uid 10001, render.ImageUsers),
			// written out, and nothing to write but stdout: AWS Control
			// Tower's CT.ECS.PR.3 and CT.ECS.PR.6 pass.
			User:     "10001",
			ReadOnly: true,
		}
		if err := f.AddSidecar(d); err != nil {
			return err
		}
	}
	f.TaskRole.AddManagedPolicy(writePolicy)
	for _, c := range f.AppContainers() {
		if c == d {
			continue
		}
		if _, set := c.Environment["AWS_XRAY_DAEMON_ADDRESS"]; !set {
			c.Environment["AWS_XRAY_DAEMON_ADDRESS"] = DaemonAddress
		}
		c.DependOn(DaemonName, "START")
	}
	f.Tracing = &render.Tracing{Container: DaemonName, XRayAddress: DaemonAddress}
	f.Reorder()
	return nil
}
