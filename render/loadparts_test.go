package render

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	interp "github.com/compose-spec/compose-go/v2/interpolation"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/tree"
	"github.com/compose-spec/compose-go/v2/types"
)

// loadBothWays loads file whole and in parts of at least one service each,
// on up to eight parts, and returns both results as text to compare.
func loadBothWays(t *testing.T, file string) (whole, parts string, split int) {
	t.Helper()
	load := func(min int) (string, *Input) {
		saved := partitionMin
		partitionMin = min
		defer func() { partitionMin = saved }()
		in, ds := Load(context.Background(), LoadOptions{Files: []string{file}, Environment: map[string]string{"HOME": "/home/u"}})
		b, err := json.Marshal(ds)
		if err != nil {
			t.Fatal(err)
		}
		return string(b), in
	}
	saved := partsLoaded
	partsLoaded = func(n int) { split = n }
	defer func() { partsLoaded = saved }()
	wd, win := load(1 << 30)
	if split != 0 {
		t.Fatalf("%s: loaded in parts with the threshold out of reach", file)
	}
	pd, pin := load(1)
	if split == 0 {
		// Loaded whole both times (an error, one service, a file the parts
		// cannot take): nothing to compare. compose-go's consistency errors
		// name the first failing service in map order, which differs from
		// run to run, so the two texts need not even be equal.
		return "", "", 0
	}
	if wd != pd {
		return wd, pd, split
	}
	if (win == nil) != (pin == nil) {
		return "input " + wd, "no input " + pd, split
	}
	if win != nil && !reflect.DeepEqual(win.Project, pin.Project) {
		a, _ := json.MarshalIndent(win.Project, "", " ")
		b, _ := json.MarshalIndent(pin.Project, "", " ")
		return string(a), string(b), split
	}
	return wd, pd, split
}

// TestLoadInPartsIsTheWholeLoad loads every example, every hostile file and
// every compose-x corpus file both whole and split into parts (one service
// each at least, up to eight, concurrently), and where the parts were used
// requires the same project (deeply equal) and the same diagnostics, in the
// same order; and that the parts were really used for many files.
func TestLoadInPartsIsTheWholeLoad(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	var files []string
	for _, pattern := range []string{"../examples/*/docker-compose.yml", "../cmd/composex/testdata/hostile/*.yml", "../../shared/corpus/*/*/*.yml", "../../shared/corpus/*/*.yml"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) < 100 {
		t.Fatalf("only %d files found", len(files))
	}
	slices.Sort(files)
	splitCount := 0
	for _, f := range files {
		whole, parts, split := loadBothWays(t, f)
		if whole != parts {
			t.Errorf("%s: whole and in parts differ:\nwhole: %s\nparts: %s", f, clip(whole), clip(parts))
		}
		if split > 0 {
			splitCount++
		}
	}
	t.Logf("%d files, %d loaded in parts", len(files), splitCount)
	if splitCount < 30 {
		t.Errorf("only %d of %d files were loaded in parts: the comparison proves little", splitCount, len(files))
	}
}

func clip(s string) string {
	if len(s) > 3000 {
		return s[:3000] + "…"
	}
	return s
}

// crossPartCases are files whose services reach across any split: extends
// within the file, anchors and merge keys, depends_on, links, a shared
// network namespace, volumes_from, profiles, the default and named
// networks, volumes, secrets and configs, an interpolated project name.
var crossPartCases = map[string]string{
	"extends-anchors.yml": `name: ${PROJ:-demo}
x-base: &base
  image: nginx:1.27
  environment:
    A: "1"
x-logging: &logging
  driver: awslogs
services:
  a:
    <<: *base
    depends_on: [d]
    networks: [front]
  b:
    extends: a
    environment:
      B: "2"
  c:
    <<: *base
    links: ["a:alias"]
    logging: *logging
  d:
    image: redis:7
    volumes: [data:/data]
  e:
    extends:
      service: c
    network_mode: service:a
  f:
    image: busybox:1.36
    volumes_from: [d]
    secrets: [token]
    configs: [conf]
  g:
    image: busybox:1.36
    command: ["sh", "-c", "echo $${HOME} ${HOME}"]
    profiles: [debug]
networks:
  front: {}
volumes:
  data: {}
secrets:
  token:
    file: ./token.txt
configs:
  conf:
    content: hello
`,
	"depends-missing.yml": `services:
  a: {image: nginx:1.27, depends_on: [nowhere]}
  b: {image: nginx:1.27}
  c: {image: nginx:1.27}
`,
	"container-names.yml": `services:
  a: {image: nginx:1.27, container_name: same}
  b: {image: nginx:1.27}
  c: {image: nginx:1.27, container_name: same}
`,
	"reset-tag.yml": `services:
  a: {image: nginx:1.27, ports: !reset []}
  b: {image: nginx:1.27}
`,
	"duplicate-merge.yml": `x-a: &a {image: nginx:1.27}
x-b: &b {environment: {A: "1"}}
services:
  a:
    <<: *a
    <<: *b
  b: {image: nginx:1.27}
`,
	"x-blocks.yml": `name: ${PROJ:-demo}
x-top:
  Project: ${COMPOSE_PROJECT_NAME}
  Home: ${HOME}
  Literal: $${HOME}
  Default: ${UNSET:-fallback}
  Empty: []
  Nothing: null
  Nested: [{A: 1, B: true, C: "${HOME}/x"}, [1.5, "2"]]
x-alarms: {}
services:
  a:
    image: nginx:1.27
    x-iam:
      Policies:
        - PolicyName: p
          PolicyDocument: {Statement: [{Resource: "arn:aws:s3:::${HOME}/*"}]}
    x-develop:
      watch: [{path: ./src, action: sync, target: /app}]
  b:
    extends: a
    x-scaling: {Range: "1-${MAX:-4}"}
  c:
    image: busybox:1.36
    profiles: [debug]
    x-prometheus: {ContainersInsights: {EnableCWAgentDebug: true}}
  d:
    image: busybox:1.36
    x-network: {Ingress: {Services: [{Name: a}]}}
    x-logging: {RetentionInDays: 30}
  e:
    image: busybox:1.36
    x-empty: {}
`,
	"x-blocks-interpolation-error.yml": `services:
  a: {image: nginx:1.27}
  b: {image: nginx:1.27, x-iam: {Name: "${MISSING:?MISSING must be set}"}}
  c: {image: nginx:1.27}
`,
	"cycle.yml": `services:
  a: {image: nginx:1.27, depends_on: [b]}
  b: {image: nginx:1.27, depends_on: [c]}
  c: {image: nginx:1.27, depends_on: [a]}
`,
	"profiles-across.yml": `services:
  a: {image: nginx:1.27, depends_on: {d: {condition: service_started, required: false}}}
  b: {image: nginx:1.27, network_mode: "service:c"}
  c: {image: nginx:1.27, networks: [back]}
  d: {image: nginx:1.27, profiles: [debug]}
  e: {image: nginx:1.27, build: {context: ., additional_contexts: {base: "service:f"}}}
  f: {image: nginx:1.27, build: {context: .}}
networks:
  back: {}
`,
	"disabled-required.yml": `services:
  a: {image: nginx:1.27, depends_on: [d]}
  b: {image: nginx:1.27}
  d: {image: nginx:1.27, profiles: [debug]}
`,
	"context-not-buildable.yml": `services:
  a: {image: nginx:1.27, build: {context: ., additional_contexts: {base: "service:b"}}}
  b: {image: nginx:1.27}
  c: {image: nginx:1.27}
`,
	"interpolation-error.yml": `services:
  a: {image: "nginx:${TAG:?TAG must be set}"}
  b: {image: nginx:1.27}
  c: {image: "redis:${OTHER:?OTHER must be set}"}
`,
}

// TestLoadInPartsSetsExtensionsAside checks that the x- blocks of a file
// loaded in parts are set aside and put back (the comparison with the
// whole load is TestLoadInPartsAcrossServices's x-blocks.yml): every
// top-level block and every service's, except those compose-go reads
// itself (x-develop, and the blocks of a service that extends or is
// extended).
func TestLoadInPartsSetsExtensionsAside(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	f := filepath.Join(t.TempDir(), "x-blocks.yml")
	if err := os.WriteFile(f, []byte(crossPartCases["x-blocks.yml"]), 0o644); err != nil {
		t.Fatal(err)
	}
	var got *asideExtensions
	saved := asideRestored
	asideRestored = func(a *asideExtensions) { got = a }
	defer func() { asideRestored = saved }()
	savedMin := partitionMin
	partitionMin = 1
	defer func() { partitionMin = savedMin }()
	in, ds := Load(context.Background(), LoadOptions{Files: []string{f}, Environment: map[string]string{"HOME": "/home/u"}})
	if ds.HasErrors() {
		t.Fatal(ds.Error())
	}
	if got == nil {
		t.Fatal("no x- block was set aside")
	}
	top := slices.Sorted(maps.Keys(got.top))
	var svcs []string
	for name, blocks := range got.services {
		for k := range blocks {
			svcs = append(svcs, name+"."+k)
		}
	}
	slices.Sort(svcs)
	if want := []string{"x-alarms", "x-top"}; !slices.Equal(top, want) {
		t.Errorf("top-level blocks set aside %v, want %v", top, want)
	}
	if want := []string{"c.x-prometheus", "d.x-logging", "d.x-network", "e.x-empty"}; !slices.Equal(svcs, want) {
		t.Errorf("service blocks set aside %v, want %v", svcs, want)
	}
	// And interpolated as compose-go interpolates them.
	x := in.Project.Extensions["x-top"].(map[string]any)
	for k, want := range map[string]any{"Project": "demo", "Home": "/home/u", "Literal": "${HOME}", "Default": "fallback"} {
		if x[k] != want {
			t.Errorf("x-top.%s = %#v, want %#v", k, x[k], want)
		}
	}
	if _, ok := in.Project.DisabledServices["c"].Extensions["x-prometheus"]; !ok {
		t.Error("the x- block of a service disabled by its profile was not put back")
	}
}

// refusedByComposeGo are the crossPartCases compose-go refuses, with what
// its refusal says.
var refusedByComposeGo = map[string]string{
	"cycle.yml":                        "dependency cycle",
	"disabled-required.yml":            `depends on undefined service "d"`,
	"context-not-buildable.yml":        `non-buildable service "b"`,
	"depends-missing.yml":              `depends on undefined service "nowhere"`,
	"x-blocks-interpolation-error.yml": "MISSING must be set",
}

// TestLoadInPartsAcrossServices checks the files of crossPartCases both
// ways: where the parts load, the project is the whole load's; where the
// whole load fails, so do the parts, with the whole load's diagnostics.
func TestLoadInPartsAcrossServices(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(8))
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "token.txt"), []byte("t"), 0o600); err != nil {
		t.Fatal(err)
	}
	names := slices.Sorted(maps.Keys(crossPartCases))
	for _, name := range names {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(crossPartCases[name]), 0o644); err != nil {
			t.Fatal(err)
		}
		whole, parts, split := loadBothWays(t, f)
		if whole != parts {
			t.Errorf("%s: whole and in parts differ:\nwhole: %s\nparts: %s", name, clip(whole), clip(parts))
		}
		wantSplit := name == "extends-anchors.yml" || name == "container-names.yml" || name == "x-blocks.yml" || name == "profiles-across.yml"
		if (split > 0) != wantSplit {
			t.Errorf("%s: loaded in %d parts, want parts %v", name, split, wantSplit)
		}
		// Where compose-go refuses the file (composex may then load it
		// again without the refused key), the parts must have refused it
		// too, at their loads or when the project is put together.
		if wantRefusal := refusedByComposeGo[name]; wantRefusal != "" {
			var refusals []string
			saved := partsRefused
			partsRefused = func(err error) { refusals = append(refusals, err.Error()) }
			loadBothWays(t, f)
			partsRefused = saved
			if !slices.ContainsFunc(refusals, func(r string) bool { return strings.Contains(r, wantRefusal) }) {
				t.Errorf("%s: the parts did not refuse it with %q (refusals: %q)", name, wantRefusal, refusals)
			}
		}
	}
}

// TestCastsUnderExtensions: the set-aside blocks are interpolated with
// the casts castsUsed keeps for them, which of compose-go's casts are none
// (its patterns name compose attributes), and a pattern that does match a
// string of a block is kept.
func TestCastsUnderExtensions(t *testing.T) {
	doc := map[string]any{
		"x-top":    map[string]any{"Enabled": "true", "Items": []any{map[string]any{"Enabled": "yes"}}},
		"services": map[string]any{"web.v2": map[string]any{"x-iam": map[string]any{"Name": "n", "A": "a"}}},
	}
	o := loader.ToOptions(&types.ConfigDetails{}, nil)
	if n := len(o.Interpolate.TypeCastMapping); n < 20 {
		t.Fatalf("compose-go has only %d casts", n)
	}
	if kept, _ := castsUsed(o.Interpolate.TypeCastMapping, doc); len(kept) != 0 {
		t.Errorf("kept %v of compose-go's casts", slices.Collect(maps.Keys(kept)))
	}
	cast := func(string) (any, error) { return nil, nil }
	for pattern, want := range map[tree.Path]bool{
		"services.*.cpus":         false,
		"services.*.*.Name":       true,
		"services.*.x-iam.Name":   true,
		"services.*.x-other.A":    false,
		"x-top.*":                 true,
		"x-top.Enabled":           true,
		"x-top.Items.[].Enabled":  true,
		"x-other":                 false,
		"services":                false,
		"networks.*.external":     false,
		"services.web.v2.x-iam.A": false, // the name's dot is not a separator
		"services.web👻v2.x-iam.A": true,  // as compose-go writes it
	} {
		kept, _ := castsUsed(map[tree.Path]interp.Cast{pattern: cast}, doc)
		if got := len(kept) == 1; got != want {
			t.Errorf("%s kept %v, want %v", pattern, got, want)
		}
	}
}
