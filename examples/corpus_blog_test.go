package examples

import (
	"maps"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// TestCorpusBlogFeaturesRuntime renders compose-x's blog.features.yml, which
// most corpus cases merge, and applies to the template the rules of those
// who consume it at deploy and run time, not only CloudFormation's:
//   - the ECS agent's container dependency rules, in both tasks that run
//     rproxy (a service in two families);
//   - CloudFormation's: the ECS services' DependsOn has no cycle, and
//     youtoo's service waits for bignicefamily's (app02 depends on app01);
//   - ECS on Fargate's: no capability added but SYS_PTRACE, ephemeral
//     storage from 21 to 200 GiB;
//   - Application Auto Scaling's: every schedule is at(), cron() or
//     rate(value unit) with a unit it knows, every action name follows
//     PutScheduledAction's pattern.
func TestCorpusBlogFeaturesRuntime(t *testing.T) {
	dir, _ := loadCorpus(t)
	out, ds := renderCorpusCase(dir, corpusCase{Files: []string{"compose-x-use-cases/blog.features.yml"}})
	if out == nil || ds.HasErrors() {
		t.Fatalf("blog.features.yml is refused:\n%s", ds.Errors().Error())
	}
	p := &project{name: "blog-features", out: out, diags: ds}

	tds := taskDefinitions(t, p)
	withProxy := 0
	for _, td := range tds {
		for _, problem := range startOrderProblems(td) {
			t.Errorf("%s: %s", td.ID, problem)
		}
		for _, c := range td.Containers {
			if c.Name == "rproxy" {
				withProxy++
			}
		}
	}
	if withProxy != 2 {
		t.Errorf("rproxy is a container of %d task definitions, want 2 (bignicefamily and youtoo)", withProxy)
	}

	var doc struct {
		Resources map[string]struct {
			Type       string         `yaml:"Type"`
			DependsOn  any            `yaml:"DependsOn"`
			Properties map[string]any `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(out.Files[out.Template], &doc); err != nil {
		t.Fatal(err)
	}
	// The ECS services' order: no cycle, youtoo after bignicefamily.
	waits := map[string][]string{}
	for id, r := range doc.Resources {
		if r.Type != "AWS::ECS::Service" {
			continue
		}
		switch d := r.DependsOn.(type) {
		case string:
			waits[id] = []string{d}
		case []any:
			for _, v := range d {
				waits[id] = append(waits[id], v.(string))
			}
		}
	}
	if !slices.Contains(waits["YoutooService"], "BignicefamilyService") {
		t.Errorf("YoutooService waits for %v, want BignicefamilyService among them", waits["YoutooService"])
	}
	state := map[string]int{}
	var visit func(id string, path []string)
	visit = func(id string, path []string) {
		switch state[id] {
		case 1:
			t.Errorf("ECS services wait for each other: %s", strings.Join(append(path, id), " -> "))
			return
		case 2:
			return
		}
		state[id] = 1
		for _, d := range waits[id] {
			visit(d, append(path, id))
		}
		state[id] = 2
	}
	for _, id := range slices.Sorted(maps.Keys(waits)) {
		visit(id, nil)
	}

	schedule := regexp.MustCompile(`^(at\([0-9T:-]+\)|rate\(1 (minute|hour|day)\)|rate\([1-9][0-9]* (minute|hour|day)s\)|cron\([^()]+\))$`)
	actionName := regexp.MustCompile(`^[^\x00-\x1f\x7f-\x9f:/| ]([^\x00-\x1f\x7f-\x9f:/|]*[^\x00-\x1f\x7f-\x9f:/| ])?$`)
	storage := map[string]int{}
	actionsSeen := 0
	for _, id := range slices.Sorted(maps.Keys(doc.Resources)) {
		r := doc.Resources[id]
		switch r.Type {
		case "AWS::ECS::TaskDefinition":
			if es, ok := r.Properties["EphemeralStorage"].(map[string]any); ok {
				n, _ := es["SizeInGiB"].(int)
				storage[id] = n
				if n < 21 || n > 200 {
					t.Errorf("%s: EphemeralStorage %v GiB; Fargate allows 21 to 200", id, es["SizeInGiB"])
				}
			}
			for _, c := range r.Properties["ContainerDefinitions"].([]any) {
				c := c.(map[string]any)
				add, _ := dig(c, "LinuxParameters", "Capabilities", "Add").([]any)
				for _, capability := range add {
					if capability != "SYS_PTRACE" {
						t.Errorf("%s %s adds %v; Fargate adds SYS_PTRACE only", id, c["Name"], capability)
					}
				}
			}
		case "AWS::ApplicationAutoScaling::ScalableTarget":
			actions, _ := r.Properties["ScheduledActions"].([]any)
			for _, a := range actions {
				actionsSeen++
				a := a.(map[string]any)
				if s, _ := a["Schedule"].(string); !schedule.MatchString(s) {
					t.Errorf("%s: schedule %q is not one Application Auto Scaling accepts", id, s)
				}
				if n, ok := a["ScheduledActionName"].(string); ok && !actionName.MatchString(n) {
					t.Errorf("%s: action name %q breaks PutScheduledAction's pattern", id, n)
				}
			}
		}
	}
	if actionsSeen != 3 {
		t.Errorf("%d scheduled actions, want app01's 3", actionsSeen)
	}
	// app02 asks for 12128GB and rproxy, beside it in youtoo, for 175.
	if storage["YoutooTaskDefinition"] != 200 {
		t.Errorf("youtoo's ephemeral storage %d GiB, want 200 (12128GB capped); all: %v", storage["YoutooTaskDefinition"], storage)
	}
}
