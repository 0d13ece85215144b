package render

import (
	"reflect"
	"strings"
	"testing"
)

func containerNames(f *Family) []string {
	var out []string
	for _, c := range f.Containers {
		out = append(out, c.Name)
	}
	return out
}

func familyNames(m *Model) []string {
	var out []string
	for _, f := range m.Families {
		out = append(out, f.Name+"="+strings.Join(containerNames(f), ","))
	}
	return out
}

func TestFamilies(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want []string // family=containers, sorted by family
	}{
		{"one family per service by default", `services:
  web: {image: nginx}
  db: {image: postgres}
`, []string{"db=db", "web=web"}},
		{"label groups services", `services:
  web:
    image: nginx
    deploy: {labels: {ecs.task.family: app}}
  worker:
    image: worker
    deploy: {labels: {ecs.task.family: app}}
  db: {image: postgres}
`, []string{"app=web,worker", "db=db"}},
		{"comma list: one service in two families", `services:
  proxy:
    image: envoy
    deploy: {labels: {ecs.task.family: "front, back"}}
  web:
    image: nginx
    deploy: {labels: {ecs.task.family: front}}
  api:
    image: api
    deploy: {labels: {ecs.task.family: back}}
`, []string{"back=api,proxy", "front=proxy,web"}},
		{"repeated family named once", `services:
  web:
    image: nginx
    deploy: {labels: {ecs.task.family: "app,app"}}
`, []string{"app=web"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := mustBuild(t, tt.src)
			if got := familyNames(m); !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("families %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFamilyLabelEmptyName(t *testing.T) {
	_, ds := buildYAML(t, `services:
  web:
    image: nginx
    deploy: {labels: {ecs.task.family: "app,"}}
`)
	wantError(t, ds, "web", "services.web.deploy.labels.[ecs.task.family]", `"app," holds an empty family name`)
}

// A service in two families becomes a container of each, and the logical
// IDs of the families do not collide.
func TestServiceInTwoFamiliesRenders(t *testing.T) {
	out, _ := mustRender(t, `services:
  proxy:
    image: envoy
    deploy: {labels: {ecs.task.family: "front,back"}}
  web:
    image: nginx
    deploy: {labels: {ecs.task.family: front}}
  api:
    image: api
    deploy: {labels: {ecs.task.family: back}}
`, Options{})
	doc := template(t, out)
	for _, fam := range []string{"Front", "Back"} {
		td := resource(t, doc, fam+"TaskDefinition", "AWS::ECS::TaskDefinition")
		containerDef(t, td, "proxy")
		resource(t, doc, fam+"Service", "AWS::ECS::Service")
	}
}

func TestDesiredCount(t *testing.T) {
	m, _ := mustBuild(t, `services:
  a:
    image: a
    deploy: {replicas: 2, labels: {ecs.task.family: app}}
  b:
    image: b
    deploy: {replicas: 5, labels: {ecs.task.family: app}}
  c:
    image: c
    deploy: {labels: {ecs.task.family: app}}
  d: {image: d}
  e:
    image: e
    scale: 3
  z:
    image: z
    deploy: {replicas: 0}
`)
	for fam, want := range map[string]int{"app": 5, "d": 1, "e": 3, "z": 0} {
		if got := family(t, m, fam).DesiredCount; got != want {
			t.Errorf("family %s: DesiredCount %d, want %d", fam, got, want)
		}
	}
}

func TestUpdateConfig(t *testing.T) {
	tests := []struct {
		name          string
		update        string
		rollback      bool
		minPct, maxPc int
	}{
		{"none", "", true, 100, 200},
		{"rollback", "      update_config: {failure_action: rollback}\n", true, 100, 200},
		{"pause", "      update_config: {failure_action: pause}\n", false, 100, 200},
		{"continue", "      update_config: {failure_action: continue}\n", false, 100, 200},
		{"stop-first", "      update_config: {order: stop-first}\n", true, 0, 100},
		{"start-first", "      update_config: {order: start-first}\n", true, 100, 200},
		{"x-aws percents", "      update_config:\n        x-aws-min_percent: 50\n        x-aws-max_percent: 150\n", true, 50, 150},
		{"x-aws percents win over order", "      update_config:\n        order: stop-first\n        x-aws-min_percent: 25\n        x-aws-max_percent: 125\n", true, 25, 125},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := mustBuild(t, "services:\n  web:\n    image: nginx\n    deploy:\n      replicas: 2\n"+tt.update)
			f := family(t, m, "web")
			if f.Rollback != tt.rollback || f.MinHealthyPct != tt.minPct || f.MaxPct != tt.maxPc {
				t.Fatalf("rollback %v min %d max %d, want %v %d %d", f.Rollback, f.MinHealthyPct, f.MaxPct, tt.rollback, tt.minPct, tt.maxPc)
			}
		})
	}
}

func TestUpdateConfigInTemplate(t *testing.T) {
	out, _ := mustRender(t, `services:
  web:
    image: nginx
    deploy:
      update_config:
        failure_action: pause
        x-aws-min_percent: 50
        x-aws-max_percent: 150
`, Options{})
	svc := resource(t, template(t, out), "WebService", "AWS::ECS::Service")
	dc := svc["DeploymentConfiguration"].(map[string]any)
	cb := dc["DeploymentCircuitBreaker"].(map[string]any)
	if dc["MinimumHealthyPercent"] != 50 || dc["MaximumPercent"] != 150 || cb["Enable"] != true || cb["Rollback"] != false {
		t.Fatalf("DeploymentConfiguration %v", dc)
	}
}

func TestUpdateConfigPercentOutOfRange(t *testing.T) {
	_, ds := buildYAML(t, "services:\n  web:\n    image: nginx\n    deploy:\n      update_config:\n        x-aws-min_percent: 101\n        x-aws-max_percent: 99\n")
	wantError(t, ds, "web", "services.web.deploy.update_config.x-aws-min_percent", "101 is not a percentage from 0 to 100")
	wantError(t, ds, "web", "services.web.deploy.update_config.x-aws-max_percent", "99 is not a percentage from 100 to 200")
}

func TestGlobalModeWarned(t *testing.T) {
	_, ds := mustBuild(t, "services:\n  web:\n    image: nginx\n    deploy: {mode: global}\n")
	wantWarning(t, ds, "web", "services.web.deploy.mode", "global mode has no meaning on Fargate (there are no hosts); the service runs 1 task(s)")
}

// family builds a two-service family: init (the parent) and app, which
// depends on it. parent and child are extra keys of each.
func twoInFamily(parent, child string) string {
	return `services:
  init:
    image: busybox
    deploy:
      labels:
        ecs.task.family: app
` + parent + `  app:
    image: nginx
    deploy:
      labels:
        ecs.task.family: app
` + child
}

func TestContainerDependencies(t *testing.T) {
	hc := "    healthcheck:\n      test: [\"CMD\", \"true\"]\n"
	tests := []struct {
		name            string
		parent, child   string
		cond            string
		parentEssential bool
	}{
		{"default START", "", "    depends_on: [init]\n", "START", true},
		{"parent with healthcheck: HEALTHY", hc, "    depends_on: [init]\n", "HEALTHY", true},
		{"label SUCCESS", "        ecs.depends.condition: SUCCESS\n", "    depends_on: [init]\n", "SUCCESS", false},
		{"label lower case", "        ecs.depends.condition: complete\n", "    depends_on: [init]\n", "COMPLETE", false},
		{"label HEALTHY with healthcheck", "        ecs.depends.condition: HEALTHY\n" + hc, "    depends_on: [init]\n", "HEALTHY", true},
		{"label wins over healthcheck", "        ecs.depends.condition: START\n" + hc, "    depends_on: [init]\n", "START", true},
		{"explicit service_started wins over healthcheck", hc, "    depends_on:\n      init: {condition: service_started}\n", "START", true},
		{"explicit service_completed_successfully wins over label", "        ecs.depends.condition: START\n",
			"    depends_on:\n      init: {condition: service_completed_successfully}\n", "SUCCESS", false},
		{"explicit service_healthy", hc, "    depends_on:\n      init: {condition: service_healthy}\n", "HEALTHY", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := mustBuild(t, twoInFamily(tt.parent, tt.child))
			f := family(t, m, "app")
			app, init := container(t, f, "app"), container(t, f, "init")
			want := []ContainerDependency{{Container: "init", Condition: tt.cond}}
			if !reflect.DeepEqual(app.DependsOn, want) {
				t.Fatalf("app depends on %+v, want %+v", app.DependsOn, want)
			}
			if init.Essential != tt.parentEssential || !app.Essential {
				t.Fatalf("essential: init %v app %v, want %v true", init.Essential, app.Essential, tt.parentEssential)
			}
			if len(init.DependsOn) != 0 {
				t.Fatalf("init depends on %+v", init.DependsOn)
			}
			if got := containerNames(f); !reflect.DeepEqual(got, []string{"init", "app"}) {
				t.Fatalf("container order %v, want dependencies first", got)
			}
		})
	}
}

func TestContainerDependencyInTemplate(t *testing.T) {
	out, _ := mustRender(t, twoInFamily("        ecs.depends.condition: SUCCESS\n", "    depends_on: [init]\n"), Options{})
	td := resource(t, template(t, out), "AppTaskDefinition", "AWS::ECS::TaskDefinition")
	defs := td["ContainerDefinitions"].([]any)
	if defs[0].(map[string]any)["Name"] != "init" || defs[1].(map[string]any)["Name"] != "app" {
		t.Fatalf("container order: %v, %v", defs[0].(map[string]any)["Name"], defs[1].(map[string]any)["Name"])
	}
	app, init := containerDef(t, td, "app"), containerDef(t, td, "init")
	want := []any{map[string]any{"ContainerName": "init", "Condition": "SUCCESS"}}
	if !reflect.DeepEqual(app["DependsOn"], want) {
		t.Fatalf("DependsOn %v", app["DependsOn"])
	}
	if init["Essential"] != false || app["Essential"] != true {
		t.Fatalf("Essential init %v app %v", init["Essential"], app["Essential"])
	}
}

func TestContainerDependencyErrors(t *testing.T) {
	tests := []struct {
		name          string
		parent, child string
		service, path string
		msg           string
	}{
		{"label HEALTHY without healthcheck", "        ecs.depends.condition: HEALTHY\n", "    depends_on: [init]\n",
			"app", "services.app.depends_on.init", "waits for init to be healthy, but init has no healthcheck"},
		{"service_healthy without healthcheck", "", "    depends_on:\n      init: {condition: service_healthy}\n",
			"app", "services.app.depends_on.init", "waits for init to be healthy, but init has no healthcheck"},
		{"healthcheck disabled", "    healthcheck: {disable: true}\n", "    depends_on:\n      init: {condition: service_healthy}\n",
			"app", "services.app.depends_on.init", "waits for init to be healthy, but init has no healthcheck"},
		{"unknown label condition", "        ecs.depends.condition: READY\n", "    depends_on: [init]\n",
			"init", "services.init.deploy.labels.[ecs.depends.condition]", `"READY" is not a start condition; allowed: START, COMPLETE, SUCCESS, HEALTHY`},
		{"essential parent that must finish", "        ecs.depends.condition: SUCCESS\n        ecs.essential: \"true\"\n", "    depends_on: [init]\n",
			"init", "services.init.deploy.labels.[ecs.essential]", "service app waits for init to finish (SUCCESS/COMPLETE), so ECS refuses it as essential"},
		{"essential not a boolean", "        ecs.essential: maybe\n", "",
			"init", "services.init.deploy.labels.[ecs.essential]", `"maybe" is not true or false`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := buildYAML(t, twoInFamily(tt.parent, tt.child))
			d := wantError(t, ds, tt.service, tt.path, tt.msg)
			if d.Line == 0 {
				t.Errorf("not located: %s", d)
			}
		})
	}
}

func TestEssentialLabel(t *testing.T) {
	m, _ := mustBuild(t, twoInFamily("        ecs.essential: \"false\"\n", ""))
	f := family(t, m, "app")
	if container(t, f, "init").Essential || !container(t, f, "app").Essential {
		t.Fatalf("essential init %v app %v, want false true", container(t, f, "init").Essential, container(t, f, "app").Essential)
	}
	// An explicit true keeps a container essential.
	m, _ = mustBuild(t, twoInFamily("        ecs.essential: \"true\"\n", "    depends_on: [init]\n"))
	if !container(t, family(t, m, "app"), "init").Essential {
		t.Fatal("init not essential")
	}

	_, ds := buildYAML(t, "services:\n  web:\n    image: nginx\n    deploy: {labels: {ecs.essential: \"false\"}}\n")
	wantError(t, ds, "web", "services.web.deploy.labels.[ecs.essential]", "family web has no essential container; ECS needs at least one")
}

func TestContainerOrder(t *testing.T) {
	m, _ := mustBuild(t, `services:
  a:
    image: a
    depends_on: [m]
    deploy: {labels: {ecs.task.family: app}}
  m:
    image: m
    depends_on: [z]
    deploy: {labels: {ecs.task.family: app}}
  z:
    image: z
    deploy: {labels: {ecs.task.family: app}}
  b:
    image: b
    deploy: {labels: {ecs.task.family: app}}
`)
	if got := containerNames(family(t, m, "app")); !reflect.DeepEqual(got, []string{"z", "m", "a", "b"}) {
		t.Fatalf("order %v, want z m a b", got)
	}
}

func TestCrossFamilyDependencies(t *testing.T) {
	src := `services:
  web:
    image: nginx
    depends_on: [api]
  api:
    image: api
    depends_on:
      db: {condition: service_healthy}
  db:
    image: postgres
    healthcheck:
      test: ["CMD", "pg_isready"]
`
	m, _ := mustBuild(t, src)
	for fam, want := range map[string][]string{"web": {"api"}, "api": {"db"}, "db": nil} {
		if got := family(t, m, fam).DependsOn; len(got) != len(want) || len(want) > 0 && !reflect.DeepEqual(got, want) {
			t.Errorf("family %s depends on %v, want %v", fam, got, want)
		}
		if deps := container(t, family(t, m, fam), fam).DependsOn; len(deps) != 0 {
			t.Errorf("container %s has container dependencies across families: %v", fam, deps)
		}
	}
	out, _ := mustRender(t, src, Options{})
	doc := template(t, out)
	resources := doc["Resources"].(map[string]any)
	for id, want := range map[string]any{"WebService": []any{"ApiService"}, "ApiService": []any{"DbService"}, "DbService": nil} {
		if got := resources[id].(map[string]any)["DependsOn"]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s DependsOn %v, want %v", id, got, want)
		}
	}
}

func TestFamilyCycle(t *testing.T) {
	// No cycle between services, but grouping a and d into one family makes
	// one between families: app -> b -> app. compose-x renders it (it orders
	// families only by family name), so composex breaks it with a warning.
	m, ds := buildYAML(t, `services:
  a:
    image: a
    depends_on: [b]
    deploy: {labels: {ecs.task.family: app}}
  b:
    image: b
    depends_on: [d]
  d:
    image: d
    deploy: {labels: {ecs.task.family: app}}
`)
	if ds.HasErrors() {
		t.Fatalf("refused:\n%s", dump(ds))
	}
	// Both edges come from services in one family only: the first by family
	// names (app -> b) goes, b still waits for app.
	wantWarning(t, ds, "a", "services.a.depends_on.b", "families depend on each other in a cycle (app -> b -> app), which CloudFormation cannot create: the ECS service of family app does not wait for family b, so depends_on a -> b is not honoured between them; move the services into one family or drop a depends_on to choose which order holds")
	if got := family(t, m, "app").DependsOn; len(got) != 0 {
		t.Errorf("app depends on %v", got)
	}
	if got := family(t, m, "b").DependsOn; !reflect.DeepEqual(got, []string{"app"}) {
		t.Errorf("b depends on %v, want [app]", got)
	}
}

// TestFamilyCycleThroughSharedService is compose-x's blog.features.yml: rproxy
// is in both families and depends on app01 (bignicefamily) and app02
// (youtoo), and app02 depends on app01. The edge that only rproxy's copy
// asks for (bignicefamily waits for youtoo, while rproxy already waits for
// app02 inside youtoo's task) is the one dropped; youtoo still waits for
// bignicefamily, as in compose-x. Inside each task, rproxy waits for the
// containers beside it, by the ECS agent's rules (HEALTHY only for a
// container with a health check).
func TestFamilyCycleThroughSharedService(t *testing.T) {
	src := `services:
  app01:
    image: nginx
    deploy: {labels: {ecs.task.family: bignicefamily}}
  app02:
    image: nginx
    depends_on: [app01]
    deploy: {labels: {ecs.task.family: youtoo}}
    healthcheck: {test: [CMD, curl, localhost:5000/ping]}
  rproxy:
    image: nginx
    depends_on: [app01, app02]
    deploy: {labels: {ecs.task.family: "bignicefamily,youtoo"}}
`
	m, ds := buildYAML(t, src)
	if ds.HasErrors() {
		t.Fatalf("refused:\n%s", dump(ds))
	}
	wantWarning(t, ds, "rproxy", "services.rproxy.depends_on.app02", "families depend on each other in a cycle (bignicefamily -> youtoo -> bignicefamily), which CloudFormation cannot create: the ECS service of family bignicefamily does not wait for family youtoo, so depends_on rproxy -> app02 is not honoured between them; each of those services also runs in a task beside what it depends on, where the containers start in order")
	if got := family(t, m, "bignicefamily").DependsOn; len(got) != 0 {
		t.Errorf("bignicefamily depends on %v", got)
	}
	if got := family(t, m, "youtoo").DependsOn; !reflect.DeepEqual(got, []string{"bignicefamily"}) {
		t.Errorf("youtoo depends on %v, want [bignicefamily]", got)
	}
	for fam, want := range map[string][]ContainerDependency{
		"bignicefamily": {{Container: "app01", Condition: "START"}},
		"youtoo":        {{Container: "app02", Condition: "HEALTHY"}},
	} {
		if got := container(t, family(t, m, fam), "rproxy").DependsOn; !reflect.DeepEqual(got, want) {
			t.Errorf("family %s: rproxy depends on %+v, want %+v", fam, got, want)
		}
	}
	out, _ := mustRender(t, src, Options{})
	resources := template(t, out)["Resources"].(map[string]any)
	for id, want := range map[string]any{"YoutooService": []any{"BignicefamilyService"}, "BignicefamilyService": nil} {
		if got := resources[id].(map[string]any)["DependsOn"]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s DependsOn %v, want %v", id, got, want)
		}
	}
}

// A service in two families that depends on another service in the same
// two families waits for it inside each task: the families do not depend
// on each other.
func TestSharedDependencyIsNoFamilyCycle(t *testing.T) {
	m, _ := mustBuild(t, `services:
  app:
    image: app
    depends_on: [proxy]
    deploy: {labels: {ecs.task.family: "blue,green"}}
  proxy:
    image: envoy
    deploy: {labels: {ecs.task.family: "blue,green"}}
`)
	for _, fam := range []string{"blue", "green"} {
		f := family(t, m, fam)
		if len(f.DependsOn) != 0 {
			t.Errorf("family %s depends on %v", fam, f.DependsOn)
		}
		want := []ContainerDependency{{Container: "proxy", Condition: "START"}}
		if got := container(t, f, "app").DependsOn; !reflect.DeepEqual(got, want) {
			t.Errorf("family %s: app depends on %+v", fam, got)
		}
	}
}

func TestMixedPlatformInFamily(t *testing.T) {
	_, ds := buildYAML(t, `services:
  a:
    image: a
    deploy: {labels: {ecs.task.family: app}}
    x-ecs: {CpuArchitecture: ARM64}
  b:
    image: b
    deploy: {labels: {ecs.task.family: app}}
    x-ecs: {CpuArchitecture: X86_64}
  c:
    image: c
    deploy: {labels: {ecs.task.family: app}}
`)
	d := wantError(t, ds, "b", "services.b.x-ecs.CpuArchitecture",
		"family app: service b asks for CPU architecture X86_64 but a asks for ARM64; the containers of one task share one CPU architecture")
	if d.Line == 0 {
		t.Errorf("not located: %s", d)
	}

	_, ds = buildYAML(t, `services:
  a:
    image: a
    deploy: {labels: {ecs.task.family: app}}
    x-ecs: {OperatingSystemFamily: LINUX}
  b:
    image: b
    deploy: {labels: {ecs.task.family: app}}
    x-ecs: {OperatingSystemFamily: WINDOWS_SERVER_2022_CORE}
`)
	wantError(t, ds, "b", "services.b.x-ecs.OperatingSystemFamily", "family app: service b asks for operating system family WINDOWS_SERVER_2022_CORE but a asks for LINUX")
}

func TestPlatformInTemplate(t *testing.T) {
	out, _ := mustRender(t, `services:
  a:
    image: a
    deploy: {labels: {ecs.task.family: app}}
    x-ecs: {CpuArchitecture: ARM64}
  b:
    image: b
    deploy: {labels: {ecs.task.family: app}}
`, Options{})
	td := resource(t, template(t, out), "AppTaskDefinition", "AWS::ECS::TaskDefinition")
	want := map[string]any{"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX"}
	if !reflect.DeepEqual(td["RuntimePlatform"], want) {
		t.Fatalf("RuntimePlatform %v", td["RuntimePlatform"])
	}
}

func TestCapacityProviders(t *testing.T) {
	out, _ := mustRender(t, `services:
  a:
    image: a
    deploy: {labels: {ecs.task.family: app}}
    x-ecs:
      CapacityProviderStrategy:
        - {CapacityProvider: FARGATE_SPOT, Weight: 2}
        - {CapacityProvider: FARGATE, Base: 1, Weight: 1}
  b:
    image: b
    deploy: {labels: {ecs.task.family: app}}
    x-ecs:
      CapacityProviderStrategy:
        - {CapacityProvider: FARGATE_SPOT, Weight: 3}
  c: {image: c}
`, Options{})
	doc := template(t, out)
	svc := resource(t, doc, "AppService", "AWS::ECS::Service")
	want := []any{
		map[string]any{"CapacityProvider": "FARGATE", "Base": 1, "Weight": 1},
		map[string]any{"CapacityProvider": "FARGATE_SPOT", "Weight": 3},
	}
	if !reflect.DeepEqual(svc["CapacityProviderStrategy"], want) {
		t.Fatalf("CapacityProviderStrategy %v", svc["CapacityProviderStrategy"])
	}
	if _, ok := svc["LaunchType"]; ok {
		t.Fatal("LaunchType set beside a capacity provider strategy")
	}
	if lt := resource(t, doc, "CService", "AWS::ECS::Service")["LaunchType"]; lt != "FARGATE" {
		t.Fatalf("LaunchType %v", lt)
	}

	_, ds := buildYAML(t, `services:
  a:
    image: a
    x-ecs:
      CapacityProviderStrategy:
        - {CapacityProvider: FARGATE_SPOT, Base: 1}
        - {CapacityProvider: FARGATE, Base: 1}
`)
	wantError(t, ds, "a", "services.a.x-ecs.CapacityProviderStrategy", "family a: only one capacity provider may have a Base")
}

func TestExecuteCommand(t *testing.T) {
	out, _ := mustRender(t, `services:
  a:
    image: a
    deploy: {labels: {ecs.task.family: app}}
    x-ecs: {EnableExecuteCommand: true}
  b:
    image: b
    deploy: {labels: {ecs.task.family: app}}
  c: {image: c}
`, Options{})
	if !family(t, out.Model, "app").ExecuteCommand || family(t, out.Model, "c").ExecuteCommand {
		t.Fatal("ExecuteCommand: want app only")
	}
	doc := template(t, out)
	if v := resource(t, doc, "AppService", "AWS::ECS::Service")["EnableExecuteCommand"]; v != true {
		t.Fatalf("EnableExecuteCommand %v", v)
	}
	if _, ok := resource(t, doc, "CService", "AWS::ECS::Service")["EnableExecuteCommand"]; ok {
		t.Fatal("EnableExecuteCommand set on c")
	}
	td := resource(t, doc, "AppTaskDefinition", "AWS::ECS::TaskDefinition")
	for _, name := range []string{"a", "b"} {
		lp, _ := containerDef(t, td, name)["LinuxParameters"].(map[string]any)
		if lp["InitProcessEnabled"] != true {
			t.Fatalf("container %s: LinuxParameters %v", name, lp)
		}
	}
	role := resource(t, doc, "AppTaskRole", "AWS::IAM::Role")
	pol := findPolicy(t, role, "ExecuteCommand")
	st := pol["Statement"].([]any)[0].(map[string]any)
	wantActions := []any{"ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel", "ssmmessages:OpenDataChannel"}
	if !reflect.DeepEqual(st["Action"], wantActions) || !reflect.DeepEqual(st["Resource"], []any{"*"}) {
		t.Fatalf("statement %v", st)
	}
	if policies := resource(t, doc, "CTaskRole", "AWS::IAM::Role")["Policies"]; policies != nil {
		t.Fatalf("c task role has policies: %v", policies)
	}
}

// findPolicy returns the PolicyDocument of a role's inline policy.
func findPolicy(t *testing.T, role map[string]any, name string) map[string]any {
	t.Helper()
	policies, _ := role["Policies"].([]any)
	for _, p := range policies {
		pm := p.(map[string]any)
		if pm["PolicyName"] == name {
			return pm["PolicyDocument"].(map[string]any)
		}
	}
	t.Fatalf("no policy %s in %v", name, policies)
	return nil
}

func TestLogRetention(t *testing.T) {
	m, ds := mustBuild(t, `services:
  a:
    image: a
    deploy: {labels: {ecs.task.family: app}}
    x-logging: {RetentionInDays: 14}
  b:
    image: b
    deploy: {labels: {ecs.task.family: app}}
    x-logging: {RetentionInDays: 42}
  c: {image: c}
`)
	if got := family(t, m, "app").LogRetentionDays; got != 30 {
		t.Errorf("app retention %d, want 30 (the longest, snapped)", got)
	}
	if got := family(t, m, "c").LogRetentionDays; got != 30 {
		t.Errorf("c retention %d, want the default 30", got)
	}
	wantWarning(t, ds, "b", "services.b.x-logging.RetentionInDays", "does not keep logs for 42 days; using 30")
}

func TestServiceTagsFromDeployLabels(t *testing.T) {
	out, _ := mustRender(t, `services:
  web:
    image: nginx
    deploy:
      labels:
        ecs.task.family: web
        team: blue
        cost-center: "42"
`, Options{})
	svc := resource(t, template(t, out), "WebService", "AWS::ECS::Service")
	want := []any{
		map[string]any{"Key": "composex:project", "Value": "test"},
		map[string]any{"Key": "composex:family", "Value": "web"},
		map[string]any{"Key": "cost-center", "Value": "42"},
		map[string]any{"Key": "team", "Value": "blue"},
	}
	if !reflect.DeepEqual(svc["Tags"], want) {
		t.Fatalf("Tags %v", svc["Tags"])
	}
}
