package render

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
)

// Options configure one run of the pipeline.
type Options struct {
	Load       LoadOptions
	Extensions []Extension // in the fixed order they extend the model
	// Validators run before everything else in the validate step (the
	// JSON Schema check of every x- block, for one).
	Validators []Validator
	Format     Format
	// Parameters are values for template parameters (VpcId=vpc-1) written
	// into the parameters file beside the defaults.
	Parameters map[string]string
	// Layout chooses one template or nested stacks (default: auto).
	Layout Layout
	// ControlTower adds a warning, by AWS Control Tower control ID, for
	// each control the compose file must settle (ControlTowerFindings).
	ControlTower bool
}

// Validator checks a loaded project and reports every problem it finds.
type Validator func(in *Input) Diagnostics

// Output is what a successful render writes: file name -> content.
type Output struct {
	Files    map[string][]byte
	Template string // name of the root template file
	Model    *Model
}

// compose-x modules that composex does not implement: named in a warning so
// that nobody believes the resource was created.
var composexModules = map[string]bool{
	"x-s3": true, "x-rds": true, "x-sqs": true, "x-dynamodb": true, "x-kms": true,
	"x-vpc": true, "x-elbv2": true, "x-acm": true, "x-route53": true, "x-dns": true, "x-efs": true,
	"x-kinesis": true, "x-firehose": true, "x-elasticache": true, "x-docdb": true, "x-neptune": true,
	"x-events": true, "x-ssm_parameter": true, "x-cognito_userpool": true, "x-opensearch": true,
	"x-msk": true, "x-codeguru_profiler": true,
}

// Service-level extensions of compose-x and of docker's ECS plugin that
// composex does not implement: reported as ignored, never taken for a
// misspelling of a key composex reads (x-ecr is one letter from x-ecs).
var composexServiceKeys = map[string]bool{
	"x-ecr": true, "x-docker_opts": true, "x-aws-role": true, "x-aws-policies": true,
	"x-aws-pull_credentials": true, "x-aws-autoscaling": true, "x-aws-logs_retention": true,
	"x-aws-cloudformation": true, "x-efs": true, "x-environment": true,
}

// Validate runs every check that can be made before rendering: the core's
// and each extension's. It returns all problems found.
func Validate(in *Input, exts []Extension) Diagnostics {
	ds := validateKeys(in, exts)
	for _, e := range exts {
		ds.Add(e.Validate(in)...)
	}
	return ds
}

// validateKeys is the part of Validate that needs no well-formed x- block:
// compose keys Fargate cannot honour, unknown and misspelled x- keys.
func validateKeys(in *Input, exts []Extension) Diagnostics {
	var ds Diagnostics
	checkComposeKeys(in, &ds)
	warnDroppedKeys(in, &ds)
	serviceKeys := map[string]bool{}
	projectKeys := map[string]bool{}
	for _, k := range CoreServiceKeys {
		serviceKeys[k] = true
	}
	for _, k := range CoreProjectKeys {
		projectKeys[k] = true
	}
	for _, e := range exts {
		for _, k := range e.ServiceKeys() {
			serviceKeys[k] = true
		}
		for _, k := range e.ProjectKeys() {
			projectKeys[k] = true
		}
	}
	known := slices.Sorted(maps.Keys(serviceKeys))
	for _, name := range slices.Sorted(maps.Keys(in.Project.Services)) {
		for _, k := range slices.Sorted(maps.Keys(in.Project.Services[name].Extensions)) {
			if serviceKeys[k] {
				continue // the usual case: looked up, not compared with every key
			}
			switch near := closest(k, known); {
			case composexServiceKeys[k]:
				ds.Warnf(name, ServicePath(name, k), "%s is a compose-x or ECS-plugin extension that composex does not implement; it is ignored", k)
			case near != "":
				// A misspelled extension would silently render nothing.
				ds.Errorf(name, ServicePath(name, k), "unknown extension %s (did you mean %s?); composex reads %s", k, near, strings.Join(known, ", "))
			default:
				ds.Warnf(name, ServicePath(name, k), "composex does not handle %s; it is ignored", k)
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(in.Project.Extensions)) {
		switch {
		case projectKeys[k]:
		case composexModules[k]:
			ds.Warnf("", k, "%s", composexModuleWarning(k))
		case closest(k, slices.Sorted(maps.Keys(projectKeys))) != "":
			ds.Errorf("", k, "unknown extension %s (did you mean %s?)", k, closest(k, slices.Sorted(maps.Keys(projectKeys))))
		case !in.Sources.HasAnchor(k):
			ds.Warnf("", k, "composex does not handle the top-level key %s; it is ignored", k)
		}
	}
	return ds
}

// Render runs load → validate → model → extend → emit and returns the files
// to write. It never writes: on any error the caller writes nothing.
func Render(ctx context.Context, opts Options) (*Output, Diagnostics) {
	in, ds := loadAll(ctx, opts.Load)
	if in == nil {
		return nil, ds
	}
	// A project loaded past refused keys still goes through the later
	// steps, for the other services' problems; it is never written.
	return RenderInput(in, opts, ds)
}

// RenderInput renders an already loaded project.
func RenderInput(in *Input, opts Options, ds Diagnostics) (*Output, Diagnostics) {
	place := func(more Diagnostics) Diagnostics { return append(ds, in.Sources.Place(more)...) }
	for _, v := range opts.Validators {
		ds = place(v(in))
	}
	if ds.HasErrors() {
		// The extensions' rules assume well-formed blocks; reporting their
		// consequences of a schema error would only repeat it. The key
		// checks and the core model do not, so one run still reports a
		// misspelled x- key or a task too large for Fargate.
		ds = place(salvage(func() Diagnostics { return validateKeys(in, opts.Extensions) }))
		ds = place(elsewhere(ds, salvage(func() Diagnostics { return Validate(in, opts.Extensions).Errors() })))
		ds = place(salvage(func() Diagnostics { return coreErrors(in) }))
		return nil, ds
	}
	ds = place(Validate(in, opts.Extensions))
	if ds.HasErrors() {
		ds = place(salvage(func() Diagnostics { return coreErrors(in) }))
		return nil, ds
	}
	m, more := BuildModel(in)
	ds = place(more)
	if ds.HasErrors() {
		// The extensions and the template step still report what they
		// find in the other services (an x- rule, a task past Fargate's
		// sizes): one run shows every service's problems.
		ds = place(elsewhere(ds, salvage(func() Diagnostics {
			var ext Diagnostics
			for _, e := range opts.Extensions {
				ext = append(ext, e.Extend(in, m)...)
			}
			return ext.Errors()
		})))
		ds = place(elsewhere(ds, salvage(func() Diagnostics { _, more := Emit(m); return more.Errors() })))
		return nil, ds
	}
	for _, e := range opts.Extensions {
		ds = place(e.Extend(in, m))
	}
	if ds.HasErrors() {
		// What the template step would refuse (a task past Fargate's
		// sizes) is reported with the extensions' errors.
		ds = place(salvage(func() Diagnostics { _, more := Emit(m); return more.Errors() }))
		return nil, ds
	}
	var storage Diagnostics
	warnVolumes(in.Project, m, &storage)
	if opts.ControlTower {
		storage = append(storage, ControlTowerFindings(m)...)
	}
	ds = place(append(storage, undeliveredFiles(m)...))
	if ds.HasErrors() {
		return nil, ds
	}
	t, more := Emit(m)
	ds = place(more)
	if ds.HasErrors() {
		return nil, ds
	}
	t.Metadata = templateMetadata(in)
	format := opts.Format
	if format == "" {
		format = YAML
	}
	tree, err := TemplateTree(t)
	if err != nil {
		ds.Errorf("", "", "%v", err)
		return nil, ds
	}
	if tags := checkTemplateTags(tree, in.Sources); tags.HasErrors() {
		return nil, append(ds, tags...)
	}
	name := ResourceName(m.Name)
	layout := opts.Layout
	if layout == "" {
		layout = LayoutAuto
	}
	stacks, err := Arrange(tree, m, layout, name, format)
	if err != nil {
		ds.Errorf("", "", "%v", err)
		return nil, ds
	}
	out := &Output{Files: map[string][]byte{}, Template: stacks[0].File, Model: m}
	bodies := make([][]byte, len(stacks))
	errs := make([]error, len(stacks))
	parallel(len(stacks), func(i int) { bodies[i], errs[i] = EncodeTree(stacks[i].Tree, format) })
	for i, st := range stacks {
		if errs[i] != nil {
			ds.Errorf("", "", "%v", errs[i])
			return nil, ds
		}
		out.Files[st.File] = bodies[i]
	}
	// The root is the template `aws cloudformation deploy` sends (nested
	// ones go to S3 through `package`); above this size it must be uploaded.
	if n := len(bodies[0]); n > maxInlineTemplateBytes {
		ds.Warnf("", "", "%s is %d bytes, over the %d bytes that aws cloudformation deploy can send inline: deploy it with --s3-bucket BUCKET (see the README's deploy commands)", stacks[0].File, n, maxInlineTemplateBytes)
	}
	params, err := parameterFile(stacks[0].Tree, opts.Parameters)
	if err != nil {
		ds.Errorf("", "", "%v", err)
		return nil, ds
	}
	out.Files[name+".params.json"] = params
	return out, ds
}

// coreErrors are the errors of the core model and its template (task
// sizes, logical IDs) for a project whose x- blocks failed validation: the
// extensions do not run, so only errors, which sidecars could not undo,
// are kept.
func coreErrors(in *Input) Diagnostics {
	m, ds := BuildModel(in)
	errs := ds.Errors()
	return append(errs, elsewhere(errs, salvage(func() Diagnostics { _, more := Emit(m); return more.Errors() }))...)
}

// salvage runs a check on input already known to be wrong; a check that
// trips over it reports nothing rather than stopping the run.
func salvage(check func() Diagnostics) (ds Diagnostics) {
	defer func() {
		if recover() != nil {
			ds = nil
		}
	}()
	return check()
}

// maxInlineTemplateBytes is CloudFormation's TemplateBody limit, which
// `aws cloudformation deploy` uses unless it is given --s3-bucket.
const maxInlineTemplateBytes = 51_200

// parameterFile writes the values for `aws cloudformation deploy
// --parameter-overrides file://...`: a JSON list of Key=Value strings with
// every default and every value given on the command line.
func parameterFile(root Tree, given map[string]string) ([]byte, error) {
	declared, _ := root["Parameters"].(map[string]any)
	values := map[string]string{}
	for name, p := range declared {
		if d, ok := p.(map[string]any)["Default"]; ok {
			values[name] = fmt.Sprint(d)
		}
	}
	var unknown []string
	for k, v := range given {
		if _, ok := declared[k]; !ok {
			unknown = append(unknown, k)
			continue
		}
		values[k] = v
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, fmt.Errorf("--param %s: the template has no such parameter; it has %s", strings.Join(unknown, ", "), strings.Join(slices.Sorted(maps.Keys(declared)), ", "))
	}
	list := make([]string, 0, len(values))
	for _, k := range slices.Sorted(maps.Keys(values)) {
		list = append(list, k+"="+values[k])
	}
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// closest returns the known key within two edits of k (a likely typo), or
// "" when none is that close.
func closest(k string, known []string) string {
	best, bestDist := "", 3
	for _, c := range known {
		if d := EditDistance(strings.ToLower(k), strings.ToLower(c)); d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// EditDistance is the Levenshtein distance between two short strings, for
// "did you mean" suggestions.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
