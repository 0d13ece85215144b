package schema_test

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/composex/composex/render"
	"github.com/composex/composex/schema"
)

// The examples and the seed fixtures are valid: no diagnostic at all.
func TestGoodFilesValidate(t *testing.T) {
	for _, f := range goodFiles(t) {
		abs, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		in := loadPaths(t, filepath.Dir(abs), []string{abs})
		if ds := schema.Validate(in); len(ds) > 0 {
			t.Errorf("%s:\n%s", f, dump(ds))
		}
	}
}

// The invalid fixtures a schema can catch are refused with the messages
// their `# expect:` lines ask for.
func TestInvalidFixtures(t *testing.T) {
	for _, name := range schemaInvalid {
		f, err := filepath.Abs(filepath.Join(sharedDir(), "fixtures", "invalid", name+".yml"))
		if err != nil {
			t.Fatal(err)
		}
		in := loadPaths(t, filepath.Dir(f), []string{f})
		ds := schema.Validate(in)
		if !ds.HasErrors() {
			t.Errorf("%s: accepted", name)
			continue
		}
		text := ds.Error()
		for _, re := range expectations(t, f) {
			if !re.MatchString(text) {
				t.Errorf("%s: %q does not match:\n%s", name, re, text)
			}
		}
		if !strings.Contains(text, name+".yml:") {
			t.Errorf("%s: file not named:\n%s", name, text)
		}
	}
}

func TestDidYouMean(t *testing.T) {
	allowed := []string{"CpuTarget", "MemoryTarget", "ScaleInCooldown", "ScaleOutCooldown", "DisableScaleIn"}
	for key, want := range map[string]string{
		"CpuTargett":      "CpuTarget",
		"cputarget":       "CpuTarget",
		"MemTarget":       "MemoryTarget",
		"ScaleInCoolDown": "ScaleInCooldown",
		"Range":           "",
		"Whatever":        "",
	} {
		if got := schema.Suggest(key, allowed); got != want {
			t.Errorf("suggest(%q) = %q, want %q", key, got, want)
		}
	}
}

// Every service's problems are reported at once, not the first only.
func TestAllServicesReported(t *testing.T) {
	in := loadYAML(t, `services:
  a:
    image: nginx
    x-scaling: {Range: one}
  b:
    image: nginx
    x-xray: maybe
  c:
    image: nginx
    x-network: {Ingress: {Myself: yes please}}
x-sns:
  alerts: {}
`)
	ds := schema.Validate(in)
	want := map[string]int{"services.a.x-scaling.Range": 4, "services.b.x-xray": 7, "services.c.x-network.Ingress.Myself": 10, "x-sns.alerts": 12}
	for path, line := range want {
		found := false
		for _, d := range ds {
			if d.Path == path && d.Line == line {
				found = true
			}
		}
		if !found {
			t.Errorf("no error at %s line %d:\n%s", path, line, dump(ds))
		}
	}
}

// With several -f files, the location is where the value that wins was
// written: the later file for a key it overrides, the first for the rest.
func TestMergedFilesLocation(t *testing.T) {
	in := loadFiles(t, []string{"docker-compose.yml", "override.yml"}, map[string]string{
		"docker-compose.yml": `services:
  web:
    image: nginx
    x-scaling:
      Range: "1-2"
      TargetScaling:
        CpuTarget: 50
        ScaleInCooldown: -5
`,
		"override.yml": `services:
  web:
    x-scaling:
      TargetScaling:
        CpuTarget: 500
`,
	})
	ds := schema.Validate(in)
	check := func(path, file string, line int) {
		t.Helper()
		for _, d := range ds {
			if d.Path == path {
				if filepath.Base(d.File) != file || d.Line != line {
					t.Errorf("%s at %s:%d, want %s:%d", path, d.File, d.Line, file, line)
				}
				return
			}
		}
		t.Errorf("no error at %s:\n%s", path, dump(ds))
	}
	check("services.web.x-scaling.TargetScaling.CpuTarget", "override.yml", 5)
	check("services.web.x-scaling.TargetScaling.ScaleInCooldown", "docker-compose.yml", 8)
}

// A project of 1000 services is checked with the schemas compiled once.
func TestThousandServicesCompileOnce(t *testing.T) {
	var b strings.Builder
	b.WriteString("services:\n")
	for i := 0; i < 1000; i++ {
		fmt.Fprintf(&b, "  s%d:\n    image: nginx\n    x-scaling:\n      Range: \"1-3\"\n      TargetScaling: {CpuTarget: %d}\n    x-xray: true\n", i, 50+i%100)
	}
	in := loadYAML(t, b.String())
	before := schema.CompileCount()
	start := time.Now()
	ds := schema.Validate(in)
	elapsed := time.Since(start)
	after := schema.CompileCount()
	if after > before+2 || after > int32(len(schema.FileNames())) {
		t.Errorf("schema files compiled %d times (%d before), want each of the two used at most once per process", after, before)
	}
	schema.Validate(in)
	if again := schema.CompileCount(); again != after {
		t.Errorf("a second validation compiled %d more schema files", again-after)
	}
	// CpuTarget 101..149 for the services with i%100 > 50
	re := regexp.MustCompile(`^services\.s\d+\.x-scaling\.TargetScaling\.CpuTarget$`)
	n := 0
	for _, d := range ds {
		if d.Severity == render.Error && re.MatchString(d.Path) {
			n++
		}
	}
	if n != 490 {
		t.Errorf("%d errors, want 490", n)
	}
	if elapsed > 10*time.Second {
		t.Errorf("validating 1000 services took %v", elapsed)
	}
	t.Logf("1000 services validated in %v", elapsed)
}
