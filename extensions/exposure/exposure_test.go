package exposure_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/composex/composex/extensions/exposure"
	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/extensions/network"
	"github.com/composex/composex/render"
)

const published = `services:
  web:
    image: nginx:1.27-alpine
    ports: ["80:80", "8443:8443"]
`

func TestUnreachablePublishedPort(t *testing.T) {
	ds, _ := rendertest.MustRenderFiles(t, published, nil)
	d := rendertest.Find(ds, render.Warning, "services.web.ports.0")
	want := "port 80/tcp of web is published, but nothing outside the stack can reach it: no x-elbv2 listener forwards to it and no security group rule admits a source from outside; " +
		"expose it with an x-elbv2 load balancer whose listener targets web on 80, or give the task a public IP (x-network.AssignPublicIp: true, in PublicSubnetIds) and an x-network.Ingress rule (ExtSources) for port 80"
	if d == nil || d.Message != want || d.Line == 0 || d.Service != "web" {
		t.Errorf("got %v\nwant %s (located, naming web)", d, want)
	}
}

// A rule admitting an outside source on the port makes it reachable; one on
// another port does not.
func TestReachableThroughIngress(t *testing.T) {
	ds, _ := rendertest.MustRenderFiles(t, `services:
  web:
    image: nginx:1.27-alpine
    ports: ["80:80", "8443:8443"]
    x-network:
      AssignPublicIp: true
      Ingress:
        ExtSources:
          - IPv4: 203.0.113.0/24
            Ports: [80]
`, nil)
	if d := rendertest.Find(ds, render.Warning, "services.web.ports.0"); d != nil {
		t.Errorf("port 80 is open to 203.0.113.0/24 with a public IP, yet: %s", d)
	}
	if d := rendertest.Find(ds, render.Warning, "services.web.ports.1"); d == nil {
		t.Errorf("port 8443 has no rule, yet no warning")
	}
}

// target stands for x-elbv2: it records a load balancer target.
type target struct{ port int }

func (target) Name() string                              { return "test-target" }
func (target) ServiceKeys() []string                     { return nil }
func (target) ProjectKeys() []string                     { return nil }
func (target) Validate(*render.Input) render.Diagnostics { return nil }
func (x target) Extend(_ *render.Input, m *render.Model) render.Diagnostics {
	f := m.Family("web")
	f.LoadBalancerTargets = append(f.LoadBalancerTargets, render.LoadBalancerTarget{Service: "web", Container: "web", ContainerPort: x.port, Protocol: "tcp", TargetGroup: "WebTg", LoadBalancer: "Lb"})
	return nil
}

func TestReachableThroughLoadBalancer(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "docker-compose.yml")
	if err := os.WriteFile(file, []byte(published), 0o644); err != nil {
		t.Fatal(err)
	}
	_, ds := render.Render(context.Background(), render.Options{
		Load:       render.LoadOptions{Files: []string{file}, ProjectName: "demo", Environment: map[string]string{}},
		Extensions: []render.Extension{network.Extension{}, target{port: 8443}, exposure.Extension{}},
	})
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	if d := rendertest.Find(ds, render.Warning, "services.web.ports.1"); d != nil {
		t.Errorf("8443 is a load balancer target, yet: %s", d)
	}
	if d := rendertest.Find(ds, render.Warning, "services.web.ports.0"); d == nil {
		t.Errorf("80 is no target, yet no warning")
	}
}
