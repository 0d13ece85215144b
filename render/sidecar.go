package render

import (
	"fmt"
	"sort"
)

// SidecarImage declares a project-wide parameter for a sidecar image with a
// pinned default, so that every family shares one parameter (CloudFormation
// allows 200) and an operator can move all agents at once. A compose
// service whose image parameter has that name (a service called envoy
// has EnvoyImage) would otherwise hand its image to the sidecar: that is
// an error naming both.
func (m *Model) SidecarImage(param, image, what string) error {
	if err := m.sidecarParamFree(param, what); err != nil {
		return err
	}
	return m.AddParameter(param, Parameter{Type: "String", Description: "Image of the " + what + " sidecar", Default: &image})
}

// FamilySidecarImage declares the image parameter of one family's sidecar
// (an image the user chose for it), with the same check as SidecarImage.
func (m *Model) FamilySidecarImage(f *Family, param, image, what string) error {
	if err := m.sidecarParamFree(param, what); err != nil {
		return err
	}
	return m.AddParameter(param, Parameter{Type: "String", Description: "Image of the " + what + " sidecar of " + f.Name, Default: &image})
}

// sidecarParamFree reports a compose service whose image parameter is the
// sidecar's.
func (m *Model) sidecarParamFree(param, what string) error {
	for _, f := range m.Families {
		for _, c := range f.Containers {
			if !c.Sidecar && c.ImageParam == param {
				return fmt.Errorf("the compose service %s has the image parameter %s, which is the image of composex's %s sidecar: rename the service (to run another image in the sidecar, set the parameter %s when deploying)", c.Service, param, what, param)
			}
		}
	}
	return nil
}

// AddSidecar adds a container that composex manages to the family. Its name
// must be free: compose-x silently merged sidecars that shared a name, which
// produced a container that was neither (compose-x §2.9(e)).
func (f *Family) AddSidecar(c *Container) error {
	for _, o := range f.Containers {
		if o.Name != c.Name && LogicalName(o.Name) != LogicalName(c.Name) {
			continue
		}
		if !o.Sidecar {
			return fmt.Errorf("family %s: the compose service %s is named like composex's sidecar container %s: rename the service", f.Name, o.Service, c.Name)
		}
		return fmt.Errorf("family %s already has a container named %s", f.Name, c.Name)
	}
	c.Sidecar = true
	if c.Environment == nil {
		c.Environment = map[string]string{}
	}
	if c.DockerLabels == nil {
		c.DockerLabels = map[string]string{}
	}
	f.Containers = orderContainers(append(f.Containers, c))
	return nil
}

// DependOn makes container c start after dep with a condition, once.
func (c *Container) DependOn(dep, condition string) {
	for _, d := range c.DependsOn {
		if d.Container == dep {
			return
		}
	}
	c.DependsOn = append(c.DependsOn, ContainerDependency{Container: dep, Condition: condition})
	sort.SliceStable(c.DependsOn, func(i, j int) bool { return c.DependsOn[i].Container < c.DependsOn[j].Container })
}

// SetEnvRef sets an environment variable whose value holds ${...}
// references for Fn::Sub (a name that includes ${AWS::StackName}), unless
// the container already sets that variable; it reports whether it did.
func (c *Container) SetEnvRef(name, value string) bool {
	if _, set := c.Environment[name]; set {
		return false
	}
	if c.Environment == nil {
		c.Environment = map[string]string{}
	}
	if c.EnvironmentRefs == nil {
		c.EnvironmentRefs = map[string]bool{}
	}
	c.Environment[name] = value
	c.EnvironmentRefs[name] = true
	return true
}

// Reorder puts the family's containers back in start order after
// dependencies changed.
func (f *Family) Reorder() { f.Containers = orderContainers(f.Containers) }
