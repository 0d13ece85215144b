package render

import (
	"fmt"
	"sort"
)

// SidecarImage declares a project-wide parameter for a sidecar image with a
// pinned default, so that every family shares one parameter (CloudFormation
// allows 200) and an operator can move all agents at once.
func (m *Model) SidecarImage(param, image, what string) {
	_ = m.AddParameter(param, Parameter{Type: "String", Description: "Image of the " + what + " sidecar", Default: &image})
}

// AddSidecar adds a container that composex manages to the family. Its name
// must be free: compose-x silently merged sidecars that shared a name, which
// produced a container that was neither (compose-x §2.9(e)).
func (f *Family) AddSidecar(c *Container) error {
	if f.Container(c.Name) != nil {
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
