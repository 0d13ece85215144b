package network_test

import (
	"reflect"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// templateParameters reads the Parameters of a rendered template.

// The ways compose-x files write x-cloudmap and x-network that composex
// reads the way compose-x does (or, where compose-x's own behaviour cannot
// work on ECS, reports): what Cloud Map and ECS receive is checked.
func TestCloudMapComposeXForms(t *testing.T) {
	t.Run("Name is ZoneName", func(t *testing.T) {
		_, res := rendertest.MustRenderFiles(t, api(`
      x-cloudmap: PrivateNamespace
`, "x-cloudmap:\n  PrivateNamespace:\n    Name: lambda.internal\n"), nil)
		if ns := res["CloudMapNamespacePrivateNamespace"]; ns.Type != "AWS::ServiceDiscovery::PrivateDnsNamespace" || ns.Properties["Name"] != "lambda.internal" {
			t.Errorf("namespace: %#v", ns)
		}
	})
	t.Run("Lookup: the namespace ID is a parameter", func(t *testing.T) {
		r := rendertest.MustRender(t, api(`
      x-cloudmap: map-02
`, "x-cloudmap:\n  map-02:\n    ZoneName: testing.internal\n    Lookup: true\n"))
		if len(r.Of("AWS::ServiceDiscovery::PrivateDnsNamespace")) != 0 {
			t.Errorf("a looked-up namespace must not be created")
		}
		// Cloud Map creates the service in the namespace whose ID is passed
		// at deploy time: a Ref of the parameter, not a literal.
		if got := r.Resources["ApiDiscoveryService"].Properties["NamespaceId"]; !reflect.DeepEqual(got, map[string]any{"Ref": "CloudMapNamespaceMap02Id"}) {
			t.Errorf("NamespaceId: %#v", got)
		}
		p := rendertest.Parameters(t, r.Template)["CloudMapNamespaceMap02Id"]
		want := "ID (ns-...) of the existing Cloud Map private DNS namespace testing.internal (x-cloudmap.map-02 has Lookup: compose-x finds it by name, composex renders offline)"
		if p["Type"] != "String" || p["Description"] != want || p["MinLength"] != 1 || p["Default"] != nil {
			t.Errorf("parameter: %#v", p)
		}
	})
	t.Run("several namespaces: ECS takes one registry", func(t *testing.T) {
		ds, res := rendertest.MustRenderFiles(t, api(`
      x-cloudmap:
        b:
          Port: 9090
        a:
          Port: 80
`, "x-cloudmap:\n  a:\n    ZoneName: a.local\n  b:\n    ZoneName: b.local\n"), nil)
		regs := res["ApiService"].Properties["ServiceRegistries"].([]any)
		if len(regs) != 1 || rendertest.Dig(regs, 0, "ContainerPort") != 80 {
			t.Errorf("ServiceRegistries: %#v", regs)
		}
		if _, made := res["CloudMapNamespaceB"]; made {
			t.Errorf("namespace b is used by nothing and must not be created")
		}
		d := rendertest.Find(ds, render.Warning, "services.api.x-network.x-cloudmap")
		if d == nil || d.Message != "an ECS service has one service registry, so api registers in the namespace a only; not in b" {
			t.Errorf("want the warning naming a and b; got:\n%s", ds.Error())
		}
	})
	t.Run("x-network with no value", func(t *testing.T) {
		ds, res := rendertest.MustRenderFiles(t, "services:\n  api:\n    image: busybox\n    x-network:\n", nil)
		if len(rendertest.OfType(res, "AWS::EC2::SecurityGroupIngress")) != 0 || len(ds.Errors()) != 0 {
			t.Errorf("x-network: null must mean nothing; got %s", ds.Error())
		}
	})
	t.Run("compose-x 0.x lb_type and use_cloudmap", func(t *testing.T) {
		ds, res := rendertest.MustRenderFiles(t, api(`
      lb_type: application
      use_cloudmap: true
`, "x-cloudmap:\n  internal:\n    ZoneName: internal.local\n"), nil)
		if d := rendertest.Find(ds, render.Warning, "services.api.x-network.lb_type"); d == nil ||
			d.Message != "lb_type is a compose-x 0.x key that compose-x 1.x ignores, and so does composex; declare a load balancer in the top-level x-elbv2" {
			t.Errorf("lb_type warning; got:\n%s", ds.Error())
		}
		if d := rendertest.Find(ds, render.Warning, "services.api.x-network.use_cloudmap"); d == nil ||
			d.Message != "use_cloudmap is compose-x 0.x's spelling of UseCloudmap, read as such; write x-cloudmap: NAMESPACE (a namespace of the top-level x-cloudmap)" {
			t.Errorf("use_cloudmap warning; got:\n%s", ds.Error())
		}
		if got := res["ApiDiscoveryService"].Properties["NamespaceId"]; !reflect.DeepEqual(got, map[string]any{"Fn::GetAtt": []any{"CloudMapNamespaceInternal", "Id"}}) {
			t.Errorf("use_cloudmap must register like UseCloudmap; NamespaceId %#v", got)
		}
	})
}

func TestIngressDependsOn(t *testing.T) {
	t.Run("the service waits for the named one", func(t *testing.T) {
		_, res := rendertest.MustRenderFiles(t, api(`
      Ingress:
        Services:
          - Name: web
            DependsOn: true
`), nil)
		if got := res["ApiService"].DependsOn; !reflect.DeepEqual(got, []any{"WebService"}) && got != "WebService" {
			t.Errorf("ApiService DependsOn %#v; want WebService", got)
		}
		if res["WebService"].DependsOn != nil {
			t.Errorf("WebService must not wait: %#v", res["WebService"].DependsOn)
		}
	})
	t.Run("no cycle: CloudFormation would refuse it", func(t *testing.T) {
		ds, res := rendertest.MustRenderFiles(t, `services:
  api:
    image: busybox
    ports: ["8080:80"]
    x-network:
      Ingress:
        Services:
          - Name: web
            DependsOn: true
  web:
    image: busybox
    depends_on: [api]
`, nil)
		if res["ApiService"].DependsOn != nil {
			t.Errorf("ApiService must not wait for WebService, which waits for it: %#v", res["ApiService"].DependsOn)
		}
		d := rendertest.Find(ds, render.Warning, "services.api.x-network.Ingress.Services.0.DependsOn")
		if d == nil || d.Message != "family web already waits for api, so api cannot also wait for web (CloudFormation refuses a circular dependency); DependsOn is ignored" {
			t.Errorf("want the cycle warning; got:\n%s", ds.Error())
		}
	})
}

func TestCloudMapComposeXFormsRefused(t *testing.T) {
	cases := []struct{ name, top, path, msg string }{
		{"Name and ZoneName differ", "x-cloudmap:\n  a:\n    Name: a.local\n    ZoneName: b.local\n", "x-cloudmap.a.Name", `Name "a.local" and ZoneName "b.local" differ; compose-x reads Name as ZoneName: give one`},
		{"Lookup and NamespaceId", "x-cloudmap:\n  a:\n    NamespaceId: ns-0123456789abcdef\n    Lookup: true\n", "x-cloudmap.a.Lookup", "give either Lookup (the namespace's ID becomes the parameter CloudMapNamespaceAId) or NamespaceId, not both"},
		{"Lookup without a name", "x-cloudmap:\n  a:\n    Lookup: true\n", "x-cloudmap.a.Lookup", "Lookup finds the namespace by its ZoneName (or Name); give it"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rendertest.ExpectRefused(t, api("      x-cloudmap: a\n", tc.top), nil, tc.path, tc.msg)
		})
	}
}
