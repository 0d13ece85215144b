package examples

import (
	"encoding/json"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/composex/composex/render"
)

// The consumer of a task definition at run time is the ECS agent: it
// starts the containers in the order their dependsOn allow and the
// processes in them bind their ports. These tests read the rendered
// templates of every example and fixture (and of targeted inputs) and
// apply the agent's rules, as the ECS Developer Guide states them
// (ContainerDefinition.dependsOn, ContainerDependency, "Container
// dependency") and as the sidecar images' own Dockerfiles and
// entrypoints decide the user.

// taskContainer is a container definition as the template holds it.
type taskContainer struct {
	Name        string `yaml:"Name"`
	Image       any    `yaml:"Image"`
	Essential   *bool  `yaml:"Essential"`
	User        string `yaml:"User"`
	HealthCheck any    `yaml:"HealthCheck"`
	DependsOn   []struct {
		ContainerName string `yaml:"ContainerName"`
		Condition     string `yaml:"Condition"`
	} `yaml:"DependsOn"`
	PortMappings []struct {
		ContainerPort int    `yaml:"ContainerPort"`
		Protocol      string `yaml:"Protocol"`
	} `yaml:"PortMappings"`
	Environment []struct {
		Name  string `yaml:"Name"`
		Value any    `yaml:"Value"`
	} `yaml:"Environment"`
	Secrets []struct {
		Name      string `yaml:"Name"`
		ValueFrom any    `yaml:"ValueFrom"`
	} `yaml:"Secrets"`
}

// essential is ECS's default: a container is essential unless it says not.
func (c taskContainer) essential() bool { return c.Essential == nil || *c.Essential }

func (c taskContainer) env(name string) (string, bool) {
	for _, e := range c.Environment {
		if e.Name == name {
			s, ok := e.Value.(string)
			return s, ok
		}
	}
	return "", false
}

// taskDefinition is one rendered task definition and where it came from.
type taskDefinition struct {
	ID         string
	Containers []taskContainer
	// images maps each container to the image it runs (the default of its
	// image parameter), "" when the template does not say.
	images map[string]string
	// ssm holds the project's SSM parameter values by logical ID.
	ssm map[string]string
}

// taskDefinitions reads every AWS::ECS::TaskDefinition of a rendered
// project, in every template file (a split project has several).
func taskDefinitions(t *testing.T, p *project) []taskDefinition {
	t.Helper()
	defaults := map[string]string{}
	var out []taskDefinition
	type resource struct {
		Type       string `yaml:"Type"`
		Properties struct {
			ContainerDefinitions []taskContainer `yaml:"ContainerDefinitions"`
		} `yaml:"Properties"`
	}
	var files []string
	for name := range p.out.Files {
		if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
			files = append(files, name)
		}
	}
	slices.Sort(files)
	docs := map[string]map[string]resource{}
	for _, name := range files {
		var doc struct {
			Parameters map[string]struct {
				Default any `yaml:"Default"`
			} `yaml:"Parameters"`
			Resources map[string]resource `yaml:"Resources"`
		}
		if err := yaml.Unmarshal(p.out.Files[name], &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for k, v := range doc.Parameters {
			if s, ok := v.Default.(string); ok {
				if _, seen := defaults[k]; !seen || name == p.out.Template {
					defaults[k] = s
				}
			}
		}
		docs[name] = doc.Resources
	}
	ssm := ssmValues(t, p)
	for _, name := range files {
		for _, id := range slices.Sorted(maps.Keys(docs[name])) {
			r := docs[name][id]
			if r.Type != "AWS::ECS::TaskDefinition" {
				continue
			}
			td := taskDefinition{ID: id, Containers: r.Properties.ContainerDefinitions, images: map[string]string{}, ssm: ssm}
			for _, c := range td.Containers {
				if ref, ok := c.Image.(map[string]any)["Ref"].(string); ok {
					td.images[c.Name] = defaults[ref]
				} else if s, ok := c.Image.(string); ok {
					td.images[c.Name] = s
				}
			}
			out = append(out, td)
		}
	}
	return out
}

// startOrderProblems applies the ECS agent's container dependency rules:
//   - a dependency names a container of the same task definition;
//   - its condition is START, COMPLETE, SUCCESS or HEALTHY;
//   - HEALTHY waits for the dependency's Docker health check, so the
//     dependency must have one (without it the waiting container never
//     starts and the task never becomes RUNNING);
//   - COMPLETE and SUCCESS wait for the dependency to exit, which ECS
//     refuses on an essential container (an essential container that
//     exits stops the task);
//   - the dependencies have no cycle (ECS refuses the task definition).
func startOrderProblems(td taskDefinition) []string {
	var out []string
	byName := map[string]taskContainer{}
	for _, c := range td.Containers {
		byName[c.Name] = c
	}
	for _, c := range td.Containers {
		for _, d := range c.DependsOn {
			dep, ok := byName[d.ContainerName]
			switch {
			case !ok:
				out = append(out, fmt.Sprintf("%s depends on %s, which is not a container of the task", c.Name, d.ContainerName))
				continue
			case d.ContainerName == c.Name:
				out = append(out, fmt.Sprintf("%s depends on itself", c.Name))
			}
			switch d.Condition {
			case "START":
			case "HEALTHY":
				if dep.HealthCheck == nil {
					out = append(out, fmt.Sprintf("%s waits for %s to be HEALTHY, but %s has no health check", c.Name, dep.Name, dep.Name))
				}
			case "COMPLETE", "SUCCESS":
				if dep.essential() {
					out = append(out, fmt.Sprintf("%s waits for %s to %s, but %s is essential", c.Name, dep.Name, d.Condition, dep.Name))
				}
			default:
				out = append(out, fmt.Sprintf("%s: condition %q is not one of START, COMPLETE, SUCCESS, HEALTHY", c.Name, d.Condition))
			}
		}
	}
	// Cycles: depth-first search over the dependency graph.
	state := map[string]int{} // 0 new, 1 on the path, 2 done
	var visit func(name string, path []string) bool
	visit = func(name string, path []string) bool {
		switch state[name] {
		case 1:
			out = append(out, "dependency cycle: "+strings.Join(append(path, name), " -> "))
			return false
		case 2:
			return true
		}
		state[name] = 1
		for _, d := range byName[name].DependsOn {
			if _, ok := byName[d.ContainerName]; ok && !visit(d.ContainerName, append(path, name)) {
				return false
			}
		}
		state[name] = 2
		return true
	}
	for _, c := range td.Containers {
		if !visit(c.Name, nil) {
			break
		}
	}
	return out
}

// imageUser is the user a container's process runs as: its User, else the
// default of its image as recorded in render.ImageUsers (the sidecars
// composex adds), else root (an app image's own USER is not known here;
// compose's user: is what composex can see). root reports whether it is
// root, known whether the image was recognised at all.
func imageUser(td taskDefinition, c taskContainer) (user string, root bool) {
	if c.User != "" {
		u := strings.SplitN(c.User, ":", 2)[0]
		return c.User, u == "0" || u == "root"
	}
	image := td.images[c.Name]
	for _, iu := range render.ImageUsers {
		if repository(iu.Image) != repository(image) {
			continue
		}
		if iu.User == "" {
			return "root", true
		}
		if iu.RootWith != "" {
			k, v, _ := strings.Cut(iu.RootWith, "=")
			if got, ok := c.env(k); ok && got == v {
				return "root (" + iu.RootWith + ")", true
			}
		}
		return iu.User, false
	}
	return "root", true
}

// repository is an image reference without its tag or digest.
func repository(image string) string {
	if i := strings.Index(image, "@"); i >= 0 {
		image = image[:i]
	}
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		image = image[:i]
	}
	return image
}

var reSSMRef = regexp.MustCompile(`parameter\$\{(\w+)\}`)

// listenPorts is every port a container's process binds: its port
// mappings (in awsvpc the process binds the container port itself) and,
// for Envoy, the listeners and admin address of its bootstrap, which may
// bind ports that no mapping names (the admin port on 127.0.0.1).
func listenPorts(t *testing.T, td taskDefinition, c taskContainer) []int {
	t.Helper()
	var ports []int
	for _, p := range c.PortMappings {
		ports = append(ports, p.ContainerPort)
	}
	for _, s := range c.Secrets {
		if s.Name != "ENVOY_BOOTSTRAP" {
			continue
		}
		sub, _ := s.ValueFrom.(map[string]any)["Fn::Sub"].(string)
		m := reSSMRef.FindStringSubmatch(sub)
		if m == nil {
			t.Errorf("%s: %s reads its bootstrap from %v, not a parameter of the stack", td.ID, c.Name, s.ValueFrom)
			continue
		}
		var b struct {
			Admin struct {
				Address struct {
					SocketAddress struct {
						PortValue int `json:"port_value"`
					} `json:"socket_address"`
				} `json:"address"`
			} `json:"admin"`
			StaticResources struct {
				Listeners []struct {
					Address struct {
						SocketAddress struct {
							PortValue int `json:"port_value"`
						} `json:"socket_address"`
					} `json:"address"`
				} `json:"listeners"`
			} `json:"static_resources"`
		}
		raw, err := bootstrapJSON(td.ssm[m[1]])
		if err == nil {
			err = json.Unmarshal(raw, &b)
		}
		if err != nil {
			t.Errorf("%s: bootstrap %s: %v", td.ID, m[1], err)
			continue
		}
		ports = append(ports, b.Admin.Address.SocketAddress.PortValue)
		for _, l := range b.StaticResources.Listeners {
			ports = append(ports, l.Address.SocketAddress.PortValue)
		}
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

// portBindProblems applies the kernel's rule as it holds on ECS: a
// process that is not root may not bind a port below 1024 (Fargate grants
// no CAP_NET_BIND_SERVICE, and awsvpc cannot map a high port to a low one).
func portBindProblems(t *testing.T, td taskDefinition) []string {
	t.Helper()
	var out []string
	for _, c := range td.Containers {
		user, root := imageUser(td, c)
		if root {
			continue
		}
		for _, port := range listenPorts(t, td, c) {
			if port > 0 && port < 1024 {
				out = append(out, fmt.Sprintf("%s runs as %s and cannot bind port %d", c.Name, user, port))
			}
		}
	}
	return out
}

// TestContainerStartOrder checks every example's and fixture's task
// definitions against the ECS agent's dependency rules.
func TestContainerStartOrder(t *testing.T) {
	checked := 0
	for _, p := range append(renderExamples(t), renderFixtures(t)...) {
		for _, td := range taskDefinitions(t, p) {
			checked++
			for _, problem := range startOrderProblems(td) {
				t.Errorf("%s %s: %s", p.name, td.ID, problem)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no task definition checked")
	}
	t.Logf("checked the start order of %d task definitions", checked)
}

// TestPortBind checks that no process of a rendered task binds a port it
// may not: for the sidecars composex adds, the image's default user is
// known (render.ImageUsers); for an app, its compose user:.
func TestPortBind(t *testing.T) {
	checked := 0
	for _, p := range append(renderExamples(t), renderFixtures(t)...) {
		for _, td := range taskDefinitions(t, p) {
			checked++
			for _, problem := range portBindProblems(t, td) {
				t.Errorf("%s %s: %s", p.name, td.ID, problem)
			}
		}
	}
	t.Logf("checked the ports of %d task definitions", checked)
}

// TestSidecarImagesArePinned: every image parameter default that names a
// sidecar repository composex adds is a pin of render.Pins, with the date
// and source of its check; never :latest.
func TestSidecarImagesArePinned(t *testing.T) {
	pinned := map[string]string{}
	for _, pin := range render.Pins {
		if pin.Checked == "" || pin.Where == "" {
			t.Errorf("pin %s: no record of when and where it was checked", pin.Image)
		}
		if strings.HasSuffix(pin.Image, ":latest") || repository(pin.Image) == pin.Image {
			t.Errorf("pin %s: not a fixed tag", pin.Image)
		}
		pinned[repository(pin.Image)] = pin.Image
	}
	for _, iu := range render.ImageUsers {
		if _, ok := pinned[repository(iu.Image)]; !ok {
			t.Errorf("ImageUsers names %s, which is not pinned", iu.Image)
		}
	}
	for _, p := range renderExamples(t) {
		for _, td := range taskDefinitions(t, p) {
			for name, image := range td.images {
				want, sidecar := pinned[repository(image)]
				if sidecar && image != want && !strings.HasSuffix(image, ":latest") {
					t.Errorf("%s %s: %s runs %s; the checked pin is %s", p.name, td.ID, name, image, want)
				}
			}
		}
	}
}

// The rules themselves, on task definitions built to break each one: a
// test that cannot fail proves nothing.
func TestStartOrderAndPortRulesCatch(t *testing.T) {
	yes, no := true, false
	hc := map[string]any{"Command": []any{"CMD", "true"}}
	mk := func(cs ...taskContainer) taskDefinition {
		return taskDefinition{ID: "T", Containers: cs, images: map[string]string{}, ssm: map[string]string{}}
	}
	dep := func(name, cond string) []struct {
		ContainerName string `yaml:"ContainerName"`
		Condition     string `yaml:"Condition"`
	} {
		return []struct {
			ContainerName string `yaml:"ContainerName"`
			Condition     string `yaml:"Condition"`
		}{{name, cond}}
	}
	cases := []struct {
		name string
		td   taskDefinition
		want string
	}{
		{"unknown container", mk(taskContainer{Name: "app", DependsOn: dep("ghost", "START")}), "app depends on ghost, which is not a container of the task"},
		{"HEALTHY without health check", mk(taskContainer{Name: "app", DependsOn: dep("envoy", "HEALTHY")}, taskContainer{Name: "envoy"}),
			"app waits for envoy to be HEALTHY, but envoy has no health check"},
		{"SUCCESS on an essential container", mk(taskContainer{Name: "app", DependsOn: dep("init", "SUCCESS")}, taskContainer{Name: "init", Essential: &yes}),
			"app waits for init to SUCCESS, but init is essential"},
		{"COMPLETE on a container essential by default", mk(taskContainer{Name: "app", DependsOn: dep("init", "COMPLETE")}, taskContainer{Name: "init"}),
			"app waits for init to COMPLETE, but init is essential"},
		{"cycle", mk(taskContainer{Name: "a", DependsOn: dep("b", "START")}, taskContainer{Name: "b", DependsOn: dep("a", "START")}), "dependency cycle: a -> b -> a"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := startOrderProblems(c.td); !slices.Contains(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
	ok := mk(taskContainer{Name: "app", DependsOn: dep("envoy", "HEALTHY")}, taskContainer{Name: "envoy", HealthCheck: hc},
		taskContainer{Name: "web", DependsOn: dep("init", "SUCCESS")}, taskContainer{Name: "init", Essential: &no})
	if got := startOrderProblems(ok); len(got) != 0 {
		t.Errorf("a valid start order refused: %q", got)
	}

	envoy := func(env ...string) taskContainer {
		c := taskContainer{Name: "envoy", Image: render.EnvoyImage}
		c.PortMappings = append(c.PortMappings, struct {
			ContainerPort int    `yaml:"ContainerPort"`
			Protocol      string `yaml:"Protocol"`
		}{80, "tcp"})
		for _, e := range env {
			k, v, _ := strings.Cut(e, "=")
			c.Environment = append(c.Environment, struct {
				Name  string `yaml:"Name"`
				Value any    `yaml:"Value"`
			}{k, v})
		}
		return c
	}
	ports := []struct {
		name string
		c    taskContainer
		want []string
	}{
		{"envoy as its image's user on 80", envoy(), []string{"envoy runs as envoy and cannot bind port 80"}},
		{"envoy kept root", envoy("ENVOY_UID=0"), nil},
		{"app with a user on 80", taskContainer{Name: "app", User: "1000:1000", Image: "nginx:1.27", PortMappings: envoy().PortMappings},
			[]string{"app runs as 1000:1000 and cannot bind port 80"}},
		{"app as root on 80", taskContainer{Name: "app", User: "0", Image: "nginx:1.27", PortMappings: envoy().PortMappings}, nil},
	}
	for _, c := range ports {
		t.Run(c.name, func(t *testing.T) {
			td := mk(c.c)
			td.images[c.c.Name] = c.c.Image.(string)
			if got := portBindProblems(t, td); !slices.Equal(got, c.want) {
				t.Errorf("got %q, want %q", got, c.want)
			}
		})
	}
}
