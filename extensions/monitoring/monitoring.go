// Package monitoring reads x-monitoring: the CloudWatch agent as the
// receiver of the apps' embedded metric format (EMF) logs.
package monitoring

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

const key = "x-monitoring"

// LatestAgentImage is what UseLatest asks for; composex otherwise pins.
const LatestAgentImage = "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:latest"

// XMonitoring is the service-level x-monitoring block.
type XMonitoring struct {
	CWAgentCollectEmf *EmfToggle `json:"CWAgentCollectEmf,omitempty"`
}

// EmfToggle is `true`, `false` or the agent image to use.
type EmfToggle struct {
	Enabled               bool
	UseLatest             bool   `json:"UseLatest,omitempty"`
	OverrideImage         string `json:"OverrideImage,omitempty"`
	InterpolateWithDigest bool   `json:"InterpolateWithDigest,omitempty"`
}

// UnmarshalJSON accepts a boolean or the image settings.
func (t *EmfToggle) UnmarshalJSON(b []byte) error {
	if err := json.Unmarshal(b, &t.Enabled); err == nil {
		return nil
	}
	type plain EmfToggle
	var v plain
	if err := render.DecodeExtension(json.RawMessage(b), &v); err != nil {
		return err
	}
	*t = EmfToggle(v)
	t.Enabled = true
	return nil
}

// Extension implements render.Extension for x-monitoring.
type Extension struct{}

func (Extension) Name() string          { return key }
func (Extension) ServiceKeys() []string { return []string{key} }
func (Extension) ProjectKeys() []string { return nil }

// read decodes one service's block and returns the agent image it asks
// for ("" for the pinned default) and whether EMF is on.
func read(s types.ServiceConfig, ds *render.Diagnostics) (image string, on bool) {
	raw, ok := s.Extensions[key]
	if !ok {
		return "", false
	}
	path := render.ServicePath(s.Name, key)
	var x XMonitoring
	if err := render.DecodeExtension(raw, &x); err != nil {
		ds.Errorf(s.Name, path, "%v", err)
		return "", false
	}
	t := x.CWAgentCollectEmf
	if t == nil || !t.Enabled {
		return "", false
	}
	path += ".CWAgentCollectEmf"
	if t.InterpolateWithDigest {
		// compose-x asks the registry for the tag's digest while it renders;
		// composex renders offline. The agent image it pins is an exact
		// release tag, so the task still runs one known build; the warning
		// says how to pin by digest (and makes --strict refuse the file).
		image := render.CloudWatchAgentImage
		switch {
		case t.OverrideImage != "":
			image = t.OverrideImage
		case t.UseLatest:
			image = LatestAgentImage
		}
		if !strings.Contains(image, "@sha256:") {
			ds.Warnf(s.Name, path+".InterpolateWithDigest", "ignored: looking up the digest of %s needs registry access and composex renders offline, so the agent runs that tag; to pin by digest, put it in OverrideImage (image@sha256:...)", image)
		}
	}
	switch {
	case t.UseLatest && t.OverrideImage != "":
		ds.Errorf(s.Name, path, "give either UseLatest or OverrideImage, not both")
	case t.UseLatest:
		ds.Warnf(s.Name, path+".UseLatest", "the CloudWatch agent image follows :latest, so a redeploy can change it; composex pins a tested version otherwise")
		return LatestAgentImage, true
	}
	return t.OverrideImage, true
}

// Validate checks every service's x-monitoring block.
func (Extension) Validate(in *render.Input) render.Diagnostics {
	var ds render.Diagnostics
	names := in.Project.ServiceNames()
	sort.Strings(names)
	for _, n := range names {
		read(in.Project.Services[n], &ds)
	}
	return ds
}

// Extend turns EMF collection on in the family's CloudWatch agent.
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds render.Diagnostics
	for _, f := range m.Families {
		imageFrom := ""
		for _, s := range f.Services {
			image, on := read(*s, &ds)
			if !on {
				continue
			}
			agent := f.Agent()
			agent.CollectEMF = true
			if image == "" {
				continue
			}
			if imageFrom != "" && agent.Image != image {
				ds.Errorf(s.Name, render.ServicePath(s.Name, key, "CWAgentCollectEmf"), "family %s: %s asks for agent image %s but %s for %s; a task has one agent", f.Name, s.Name, image, imageFrom, agent.Image)
				continue
			}
			agent.Image, imageFrom = image, s.Name
		}
	}
	return ds
}
