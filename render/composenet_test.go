package render

import (
	"reflect"
	"testing"
)

// network_mode service:X shares X's network namespace: on ECS that is
// being a container of X's task, so the service joins X's family (and
// follows a chain of service: modes to its end).
func TestNetworkModeServiceJoinsFamily(t *testing.T) {
	m, _ := mustBuild(t, `services:
  api:
    image: nginx:1.27
    ports: ["8080:80"]
  metrics:
    image: prom/statsd-exporter:v0.28.0
    network_mode: service:api
  debug:
    image: busybox:1.37
    network_mode: service:metrics
  db: {image: postgres:17}
`)
	want := []string{"api=api,metrics,debug", "db=db"} // start order: debug waits for metrics
	if got := familyNames(m); !reflect.DeepEqual(got, want) {
		t.Errorf("families = %v, want %v", got, want)
	}
}

func TestNetworkModeServiceFamilyLabelConflict(t *testing.T) {
	_, ds := buildYAML(t, `services:
  api:
    image: nginx:1.27
  metrics:
    image: prom/statsd-exporter:v0.28.0
    network_mode: service:api
    deploy:
      labels: {ecs.task.family: monitoring}
`)
	d := wantError(t, ds, "metrics", ServicePath("metrics", "deploy.labels", Key("ecs.task.family")),
		"metrics has network_mode service:api, which puts it in the family of api (api); this label asks for monitoring")
	if d.Line == 0 {
		t.Errorf("not located: %s", d)
	}
}

func TestNetworkModeOthersRefused(t *testing.T) {
	for _, mode := range []string{"host", "bridge", "none"} {
		ds := validateYAML(t, svc("    network_mode: "+mode+"\n"))
		wantError(t, ds, "web", "services.web.network_mode", "network_mode "+mode+"; Fargate tasks always use awsvpc")
	}
	ds := validateYAML(t, `services:
  web:
    image: nginx:1.27
  side:
    image: busybox:1.37
    network_mode: service:web
`)
	wantNoDiagAt(t, ds, "services.side.network_mode")
}

func TestNetworkHelpers(t *testing.T) {
	in := mustLoad(t, `services:
  web:
    image: nginx:1.27
    links: ["api:backend"]
    networks:
      front:
        aliases: [www]
      back: {}
  api:
    image: nginx:1.27
    networks:
      back:
        aliases: [api-v1]
  side:
    image: busybox:1.37
    network_mode: service:api
  cache: {image: redis:7.4}
networks:
  front: {}
  back: {}
`)
	p := in.Project
	for _, tt := range []struct {
		name     string
		owner    string
		networks []string
		aliases  []string
	}{
		{"web", "web", []string{"back", "front"}, []string{"www"}},
		{"api", "api", []string{"back"}, []string{"api-v1", "backend"}},
		{"side", "api", []string{"back"}, nil},
		{"cache", "cache", []string{"default"}, nil},
	} {
		if got := NetworkOwner(p, tt.name); got != tt.owner {
			t.Errorf("NetworkOwner(%s) = %s, want %s", tt.name, got, tt.owner)
		}
		if got := ServiceNetworks(p, tt.name); !reflect.DeepEqual(got, tt.networks) {
			t.Errorf("ServiceNetworks(%s) = %v, want %v", tt.name, got, tt.networks)
		}
		if got := NetworkAliases(p, tt.name); !reflect.DeepEqual(got, tt.aliases) {
			t.Errorf("NetworkAliases(%s) = %v, want %v", tt.name, got, tt.aliases)
		}
		if got := AllNetworkAliases(p)[tt.name]; !reflect.DeepEqual(got, tt.aliases) {
			t.Errorf("AllNetworkAliases(p)[%s] = %v, want %v", tt.name, got, tt.aliases)
		}
	}
}
