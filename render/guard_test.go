package render

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// billionLaughs builds the classic alias bomb: nine levels of nine aliases
// of the level below, 9^9 nodes from about a hundred.
func billionLaughs() string {
	var b strings.Builder
	b.WriteString("services:\n  web:\n    image: nginx:1.27\nx-l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(&b, "x-l%d: &l%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*l%d, ", i-1), 9), ", "))
	}
	return b.String()
}

// Hostile YAML is refused before compose-go walks it, fast, with the file,
// line and what the limit is. Each case used to hang, exhaust memory or
// pass: the self-merge ran compose-go's reset pass for minutes.
func TestGuardRefusesHostileYAML(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		line      int
		path      string
		want      string
	}{
		{"an anchor merged into itself", "services:\n  web:\n    image: nginx:1.27\nx-loop: &x {<<: *x}\n", 4, "",
			`the YAML anchor "x" is used inside its own value`},
		{"an anchor inside its own sequence", "services:\n  web:\n    image: nginx:1.27\nx-loop: &y [a, *y]\n", 4, "",
			`the YAML anchor "y" is used inside its own value`},
		{"a billion laughs", billionLaughs(), 5, "",
			"YAML aliases expand this file of 106 nodes to more than 1000000 nodes"},
		{"a CloudFormation tag", "services:\n  web:\n    image: !GetAtt WebTaskRole.Arn\n", 3, "services.web.image",
			"the YAML tag !GetAtt is not allowed"},
		{"a key given twice", "services:\n  web:\n    image: nginx:1.27\n    image: redis:7.4\n", 4, "services.web.image",
			`the key "image" is given twice in this mapping (first at line 3)`},
		{"NaN cpus", "services:\n  web:\n    image: nginx:1.27\n    deploy:\n      resources:\n        limits:\n          cpus: .NaN\n", 7, "services.web.deploy.resources.limits.cpus",
			".NaN is not a number composex can use"},
		{"infinite memory", "services:\n  web:\n    image: nginx:1.27\n    x-scaling:\n      Range: -.inf\n", 5, "services.web.x-scaling.Range",
			"-.inf is not a number composex can use"},
		{"10,000 levels of nesting", "services:\n  web:\n    image: nginx:1.27\nx-deep: " + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + "\n", 4, "x-deep",
			"nesting deeper than 200 levels"},
		{"every port", "services:\n  web:\n    image: nginx:1.27\n    ports: [\"1-65535:1-65535\"]\n", 4, "services.web.ports",
			`the port range "1-65535:1-65535" spans 65535 ports: the limit is 100 a service`},
		{"an empty file", "# nothing here\n", 0, "", "the compose file is empty"},
		{"a value of 2 MiB", "services:\n  web:\n    image: nginx:1.27\n    environment:\n      BIG: " + strings.Repeat("a", 2<<20) + "\n", 5, "services.web.environment.BIG",
			"value of 2097152 bytes: the limit for one value is 1048576 bytes (1 MiB)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, ds := renderYAML(t, tc.src, Options{})
			if !ds.HasErrors() {
				t.Fatal("accepted")
			}
			d := ds.Errors()[0]
			if !strings.Contains(d.Message, tc.want) || d.Line != tc.line || d.Path != tc.path || d.File == "" {
				t.Fatalf("got %s (line %d, path %q), want line %d path %q containing %q", d, d.Line, d.Path, tc.line, tc.path, tc.want)
			}
			if len(ds.Errors()) != 1 {
				t.Fatalf("one problem, one message; got:\n%s", ds.Error())
			}
			if took := time.Since(start); took > 20*time.Second {
				// A bound on a hang, not a timing assertion: the guard is
				// linear and takes milliseconds.
				t.Fatalf("took %s", took)
			}
		})
	}
}

// Anchors used the ordinary way (a shared block merged into many services)
// pass the guard untouched.
func TestGuardAcceptsOrdinaryAnchors(t *testing.T) {
	var b strings.Builder
	b.WriteString("x-common: &common\n  image: nginx:1.27\n  environment:\n    LOG_LEVEL: info\nservices:\n")
	for i := 0; i < 50; i++ {
		fmt.Fprintf(&b, "  web%d:\n    <<: *common\n", i)
	}
	out, ds := renderYAML(t, b.String(), Options{})
	if out == nil || ds.HasErrors() {
		t.Fatalf("refused:\n%s", ds.Error())
	}
}

// A compose file past 64 MiB is refused without being read.
func TestGuardRefusesAHugeFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "compose.yaml")
	fh, err := os.Create(f)
	if err != nil {
		t.Fatal(err)
	}
	fh.WriteString("services:\n  web:\n    image: nginx:1.27\n")
	if err := fh.Truncate(maxComposeFileBytes + 10); err != nil { // sparse: no 64 MiB written
		t.Fatal(err)
	}
	fh.Close()
	s := ReadSources([]string{f})
	_, ds := s.Guard()
	if len(ds) != 1 || ds[0].File != f || !strings.Contains(ds[0].Message, "the limit is 67108864 bytes (64 MiB)") {
		t.Fatalf("got %v", ds)
	}
}

// The loader's node cap grows with the file, never below compose-go's own.
func TestLoaderNodeBudget(t *testing.T) {
	if got := loaderNodeBudget(0); got != 100_000 {
		t.Fatalf("budget of an empty file = %d", got)
	}
	if a, b := loaderNodeBudget(100_000), loaderNodeBudget(200_000); b-a != a-loaderNodeBudget(0) {
		t.Fatalf("budget is not linear: %d, %d", a, b)
	}
}

// ${VAR} with no value and no default is reported where it is used;
// defaults, $$ and set variables are not.
func TestUnsetVariablesAreReported(t *testing.T) {
	src := "services:\n  web:\n    image: nginx:${TAG}\n    environment:\n      A: $SET\n      B: ${NOPE:-x}\n      C: $$LITERAL\n      D: ${REQ:+alt}\n      E: \"${OTHER}/x\"\n"
	dir := writeTree(t, map[string]string{"compose.yaml": src})
	opts := testLoadOptions(dir)
	opts.Environment = map[string]string{"SET": "1"}
	_, ds := Load(context.Background(), opts)
	d := wantWarning(t, ds, "web", "services.web.image", "the variable TAG is not set, so it is replaced by an empty string")
	if d.Line != 3 {
		t.Fatalf("line %d", d.Line)
	}
	wantWarning(t, ds, "web", "services.web.environment.E", "the variable OTHER is not set")
	if n := len(ds); n != 2 {
		t.Fatalf("want 2 warnings, got:\n%s", ds.Error())
	}
}

// A CloudFormation reference written in a compose value is a compose
// interpolation error, located at its key.
func TestInvalidInterpolationIsLocated(t *testing.T) {
	_, ds := loadYAML(t, "services:\n  web:\n    image: nginx:1.27\n    environment:\n      REGION: ${AWS::Region}\n")
	d := wantError(t, ds, "web", "services.web.environment.REGION", `invalid interpolation in "${AWS::Region}"`)
	if d.Line != 5 {
		t.Fatalf("line %d", d.Line)
	}
}
