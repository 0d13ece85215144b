package render

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/compose-spec/compose-go/v2/types"
)

// Deploy labels that compose-x users put on services.
const (
	labelFamily     = "ecs.task.family"
	labelCondition  = "ecs.depends.condition"
	labelEssential  = "ecs.essential"
	labelEphemeral  = "ecs.ephemeral.storage"
	labelXAwsMinPct = "x-aws-min_percent"
	labelXAwsMaxPct = "x-aws-max_percent"
)

var dependsConditions = []string{"START", "COMPLETE", "SUCCESS", "HEALTHY"}

// BuildModel groups the compose services into task families and maps each
// onto ECS containers, roles and service settings.
func BuildModel(in *Input) (*Model, Diagnostics) {
	var ds Diagnostics
	p := in.Project
	m := &Model{
		Name:       p.Name,
		Parameters: map[string]*Parameter{},
		Resources:  map[string]cloudformation.Resource{},
		Outputs:    map[string]cloudformation.Output{},

		Conditions:        map[string]any{},
		PersistentVolumes: map[string]bool{},
	}
	readXCluster(p.Extensions["x-cluster"], m, &ds)
	xrefs := checkComposeXReferences(p, &ds)

	names := make([]string, 0, len(p.Services))
	for n := range p.Services {
		names = append(names, n)
	}
	sort.Strings(names)
	serviceLogical := uniqueLogicalNames(names)

	members := map[string][]string{} // family -> services
	for _, n := range names {
		for _, fam := range sharedNetworkFamilies(p, n, familiesOf(p.Services[n], &ds), &ds) {
			members[fam] = append(members[fam], n)
		}
	}
	familyNames := slices.Sorted(maps.Keys(members))
	familyLogical := uniqueLogicalNames(familyNames)
	checkNameCollisions(names, familyNames, members, &ds)
	checkServiceTags(p, members, &ds)
	secrets := readSecrets(p, &ds)

	xecs := map[string]XEcs{}
	xlog := map[string]XLogging{}
	for _, n := range names {
		s := p.Services[n]
		xecs[n] = readXEcs(n, s.Extensions["x-ecs"], &ds)
		xlog[n] = readXLogging(n, s.Extensions["x-logging"], &ds)
		if s.Image == "" {
			if s.Build == nil {
				ds.Errorf(n, ServicePath(n, "image"), "an image is required: ECS cannot build images; set image (or build and image, and push the image before deploying)")
			} else {
				ds.Warnf(n, ServicePath(n, "build"), "ECS cannot build images: the template parameter %s has no default and must be given the pushed image", ImageParam(n, serviceLogical))
			}
		}
		if why := invalidECRImage(s.Image); why != "" {
			ds.Errorf(n, ServicePath(n, "image"), "image %q: %s", s.Image, why)
		}
		if strings.ContainsAny(s.Image, " \t") {
			ds.Errorf(n, ServicePath(n, "image"), "%q is not an image reference", s.Image)
		}
		param := Parameter{Type: "String", Description: fmt.Sprintf("Image of the %s service", n)}
		if s.Image != "" {
			img := s.Image
			param.Default = &img
		}
		_ = m.AddParameter(ImageParam(n, serviceLogical), param)
	}

	for _, fam := range familyNames {
		f := &Family{
			Name:             fam,
			Logical:          familyLogical[fam],
			LogRetentionDays: 0,
			Resources:        map[string]cloudformation.Resource{},
			Rollback:         true,
			EFSVolumes:       map[string]*EFSVolume{},
		}
		volumes := map[string]bool{}
		for _, n := range members[fam] {
			s := p.Services[n]
			f.Services = append(f.Services, &s)
			c := convertService(s, serviceLogical, &ds)
			xrefs.apply(n, c)
			attachSecrets(s, c, f, secrets, p, &ds)
			attachVolumes(s, c, f, volumes, &ds)
			attachConfigs(s, c)
			c.DockerLabels["com.docker.compose.project"] = p.Name
			c.DockerLabels["com.docker.compose.service"] = n
			f.Containers = append(f.Containers, c)
		}
		sort.Strings(f.Volumes)
		mergeFamilySettings(f, xecs, xlog, &ds)
		mergeLogEncryption(f, xlog, &ds)
		wireDependencies(in, f, &ds)
		m.Families = append(m.Families, f)
	}
	m.indexFamilies() // the families and their services are final
	addSecretParameters(m, secrets)
	xrefs.addParameters(m)
	familyDependencies(m, &ds)
	refuseOneShotServices(m, &ds)
	checkPortClashes(m, &ds)
	return m, ds
}

// FamilyLabels is the families a service's ecs.task.family label names (a
// comma-separated list; empty entries skipped), or its own name: the
// grouping the core uses, for extensions and tests that read a project
// before the model exists.
func FamilyLabels(s types.ServiceConfig) []string {
	var none Diagnostics
	return familiesOf(s, &none)
}

// familiesOf reads deploy.labels["ecs.task.family"]: a comma-separated list
// puts the service in several families; the default is its own name.
func familiesOf(s types.ServiceConfig, ds *Diagnostics) []string {
	if s.Deploy == nil || s.Deploy.Labels[labelFamily] == "" {
		return []string{s.Name}
	}
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Split(s.Deploy.Labels[labelFamily], ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			ds.Errorf(s.Name, ServicePath(s.Name, "deploy.labels", Key(labelFamily)), "%q holds an empty family name", s.Deploy.Labels[labelFamily])
			continue
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out
}

// sharedNetworkFamilies puts a service with network_mode service:X in X's
// families: sharing X's network namespace is what the containers of one
// task do. An ecs.task.family label that says otherwise is refused.
func sharedNetworkFamilies(p *types.Project, name string, own []string, ds *Diagnostics) []string {
	owner := NetworkOwner(p, name)
	if owner == name {
		return own
	}
	var quiet Diagnostics // the owner's own label is reported for the owner
	fams := familiesOf(p.Services[owner], &quiet)
	s := p.Services[name]
	if s.Deploy != nil && s.Deploy.Labels[labelFamily] != "" && !slices.Equal(own, fams) {
		ds.Errorf(name, ServicePath(name, "deploy.labels", Key(labelFamily)), "%s has network_mode %s, which puts it in the family of %s (%s); this label asks for %s: drop the label or network_mode",
			name, s.NetworkMode, owner, strings.Join(fams, ", "), strings.Join(own, ", "))
	}
	return fams
}

// mergeFamilySettings combines the service-level settings of a family's
// services: the task runs on one platform, with one log group and one
// service whose settings must satisfy every member.
func mergeFamilySettings(f *Family, xecs map[string]XEcs, xlog map[string]XLogging, ds *Diagnostics) {
	archOf, osOf := map[string]string{}, map[string]string{}
	providers := map[string]*CapacityProviderItem{}
	replicas := 0
	minPct, maxPct := -1, -1
	for _, s := range f.Services {
		x := xecs[s.Name]
		if x.CpuArchitecture != "" {
			archOf[s.Name] = x.CpuArchitecture
		}
		if arch := platformArchitecture(s, ds); arch != "" {
			if x.CpuArchitecture != "" && x.CpuArchitecture != arch {
				ds.Errorf(s.Name, ServicePath(s.Name, "platform"), "platform %s is %s, but x-ecs.CpuArchitecture is %s; remove one", s.Platform, arch, x.CpuArchitecture)
			}
			archOf[s.Name] = arch
		}
		if x.OperatingSystemFamily != "" {
			osOf[s.Name] = x.OperatingSystemFamily
		}
		if x.EnableExecuteCommand != nil && *x.EnableExecuteCommand {
			f.ExecuteCommand = true
		}
		for _, cp := range x.CapacityProviderStrategy {
			cp := cp
			if old, ok := providers[cp.CapacityProvider]; ok {
				old.Base = maxPtr(old.Base, cp.Base)
				old.Weight = maxPtr(old.Weight, cp.Weight)
			} else {
				providers[cp.CapacityProvider] = &cp
			}
		}
		if r := xlog[s.Name].RetentionInDays; r != nil && SnapRetention(*r) > f.LogRetentionDays {
			f.LogRetentionDays = SnapRetention(*r)
		}
		n := 1
		replicasKey := "deploy.replicas"
		if s.Deploy != nil && s.Deploy.Replicas != nil {
			n = *s.Deploy.Replicas
		} else if s.Scale != nil {
			n, replicasKey = *s.Scale, "scale"
		}
		if n < 0 || n > maxTasksPerService {
			// CloudFormation accepts any DesiredCount; ECS refuses the
			// service at deploy.
			ds.Errorf(s.Name, ServicePath(s.Name, replicasKey), "%d tasks: an ECS service runs 0 to %d tasks (its quota of tasks per service)", n, maxTasksPerService)
			n = 1
		}
		if n > replicas {
			replicas = n
		}
		if s.Deploy != nil && s.Deploy.Mode == "global" {
			ds.Warnf(s.Name, ServicePath(s.Name, "deploy.mode"), "global mode has no meaning on Fargate (there are no hosts); the service runs %d task(s)", n)
		}
		if s.Deploy != nil && s.Deploy.UpdateConfig != nil {
			u := s.Deploy.UpdateConfig
			path := ServicePath(s.Name, "deploy.update_config")
			switch u.FailureAction {
			case "", "rollback":
			case "pause", "continue":
				f.Rollback = false
			}
			lo, hi := 100, 200
			if u.Order == "stop-first" {
				lo, hi = 0, 100
			}
			lo = percentExt(s.Name, path, u.Extensions, labelXAwsMinPct, lo, 0, 100, ds)
			hi = percentExt(s.Name, path, u.Extensions, labelXAwsMaxPct, hi, 100, 200, ds)
			if minPct < 0 || lo < minPct {
				minPct = lo
			}
			if hi > maxPct {
				maxPct = hi
			}
		}
		checkComputePlatform(s, ds)
		if gib := ephemeralStorage(s, ds); gib > f.EphemeralStorageGiB {
			f.EphemeralStorageGiB = gib
		}
	}
	f.DesiredCount = replicas
	f.MinHealthyPct, f.MaxPct = 100, 200
	if minPct >= 0 {
		f.MinHealthyPct = minPct
	}
	if maxPct >= 0 {
		f.MaxPct = maxPct
	}
	if f.LogRetentionDays == 0 {
		f.LogRetentionDays = defaultLogRetention
	}
	f.CpuArchitecture = agree(f, archOf, "x-ecs.CpuArchitecture", "CPU architecture", ds)
	f.OSFamily = agree(f, osOf, "x-ecs.OperatingSystemFamily", "operating system family", ds)
	for _, name := range slices.Sorted(maps.Keys(providers)) {
		f.CapacityProvider = append(f.CapacityProvider, *providers[name])
	}
	checkFamilyPlatform(f, ds)
	withBase := 0
	for _, cp := range f.CapacityProvider {
		if cp.Base != nil && *cp.Base > 0 {
			withBase++
		}
	}
	if withBase > 1 {
		ds.Errorf(f.Services[0].Name, ServicePath(f.Services[0].Name, "x-ecs.CapacityProviderStrategy"), "family %s: only one capacity provider may have a Base", f.Name)
	}
}

func maxPtr(a, b *int) *int {
	if a == nil {
		return b
	}
	if b != nil && *b > *a {
		return b
	}
	return a
}

func percentExt(service, path string, ext types.Extensions, key string, def, lo, hi int, ds *Diagnostics) int {
	raw, ok := ext[key]
	if !ok {
		return def
	}
	v, err := strconv.Atoi(fmt.Sprint(raw))
	if err != nil || v < lo || v > hi {
		ds.Errorf(service, path+"."+key, "%v is not a percentage from %d to %d", raw, lo, hi)
		return def
	}
	return v
}

// agree returns the one value the services of a family set for a platform
// key, and reports a family whose services disagree: a task runs on one
// platform.
func agree(f *Family, values map[string]string, key, what string, ds *Diagnostics) string {
	var first, firstSvc string
	for _, s := range f.Services {
		v, ok := values[s.Name]
		if !ok {
			continue
		}
		if first == "" {
			first, firstSvc = v, s.Name
			continue
		}
		if v != first {
			ds.Errorf(s.Name, ServicePath(s.Name, key), "family %s: service %s asks for %s %s but %s asks for %s; the containers of one task share one %s", f.Name, s.Name, what, v, firstSvc, first, what)
		}
	}
	return first
}

// wireDependencies sets container start conditions and essential flags
// within a family and orders its containers so that dependencies come first.
func wireDependencies(in *Input, f *Family, ds *Diagnostics) {
	inFamily := map[string]*types.ServiceConfig{}
	for _, s := range f.Services {
		inFamily[s.Name] = s
	}
	waitedToFinish := map[string]string{} // container -> service waiting for it to finish
	for _, s := range f.Services {
		c := f.Container(s.Name)
		for _, dep := range slices.Sorted(maps.Keys(s.DependsOn)) {
			parent, ok := inFamily[dep]
			if !ok {
				continue // another family: ordered at the service level
			}
			cond := dependsCondition(in, s, dep, parent, ds)
			if cond == "" {
				continue
			}
			c.DependsOn = append(c.DependsOn, ContainerDependency{Container: dep, Condition: cond})
			if cond == "SUCCESS" || cond == "COMPLETE" {
				waitedToFinish[dep] = s.Name
			}
		}
	}
	for _, s := range f.Services {
		c := f.Container(s.Name)
		explicit, set := essentialLabel(s, ds)
		waiter, finishes := waitedToFinish[s.Name]
		switch {
		case set && explicit && finishes:
			ds.Errorf(s.Name, ServicePath(s.Name, "deploy.labels", Key(labelEssential)), "service %s waits for %s to finish (SUCCESS/COMPLETE), so ECS refuses it as essential", waiter, s.Name)
		case set:
			c.Essential = explicit
		case finishes:
			c.Essential = false
		case s.Restart == types.RestartPolicyNo && len(f.Services) > 1:
			// A job that runs once (restart: "no") beside others: as an
			// essential container its clean exit would stop the task, and
			// ECS would start it again for ever.
			c.Essential = false
		}
	}
	essential := 0
	for _, c := range f.Containers {
		if c.Essential {
			essential++
		}
	}
	if essential == 0 && len(f.Services) > 0 {
		s := f.Services[0]
		ds.Errorf(s.Name, ServicePath(s.Name, "deploy.labels", Key(labelEssential)), "family %s has no essential container; ECS needs at least one (the task stops when an essential container stops)", f.Name)
	}
	f.Containers = orderContainers(f.Containers)
}

// dependsCondition decides how a container waits for a parent in its
// family: an explicit compose condition first, then the parent's
// ecs.depends.condition label, then HEALTHY when the parent has a health
// check (as compose-x does), else START.
func dependsCondition(in *Input, s *types.ServiceConfig, dep string, parent *types.ServiceConfig, ds *Diagnostics) string {
	path := ServicePath(s.Name, "depends_on", Key(dep))
	explicit := ""
	if d := s.DependsOn[dep]; in.Sources != nil && d.Condition != "" {
		if f, _, _ := in.Sources.Locate(path + ".condition"); f != "" && locatedExactly(in.Sources, path+".condition") {
			explicit = d.Condition
		}
	}
	label := ""
	if parent.Deploy != nil {
		label = strings.ToUpper(parent.Deploy.Labels[labelCondition])
		if label != "" && !oneOf(label, dependsConditions) {
			ds.Errorf(parent.Name, ServicePath(parent.Name, "deploy.labels", Key(labelCondition)), "%q is not a start condition; allowed: %s", parent.Deploy.Labels[labelCondition], allowedList(dependsConditions))
			return ""
		}
	}
	var cond string
	switch {
	case explicit == types.ServiceConditionHealthy:
		cond = "HEALTHY"
	case explicit == types.ServiceConditionCompletedSuccessfully:
		cond = "SUCCESS"
	case explicit == types.ServiceConditionStarted:
		cond = "START"
	case label != "":
		cond = label
	case parent.HealthCheck != nil && !parent.HealthCheck.Disable:
		cond = "HEALTHY"
	default:
		cond = "START"
	}
	if cond == "HEALTHY" && (parent.HealthCheck == nil || parent.HealthCheck.Disable) {
		ds.Errorf(s.Name, path, "waits for %s to be healthy, but %s has no healthcheck", dep, dep)
		return ""
	}
	return cond
}

// locatedExactly reports whether the key path itself (not a parent) is
// written in one of the files.
func locatedExactly(src *Sources, path string) bool {
	parts := splitPath(path)
	for _, f := range src.files {
		if f.root == nil {
			continue
		}
		if _, _, depth := f.walk(parts); depth == len(parts) {
			return true
		}
	}
	return false
}

func essentialLabel(s *types.ServiceConfig, ds *Diagnostics) (value, set bool) {
	if s.Deploy == nil {
		return false, false
	}
	v, ok := s.Deploy.Labels[labelEssential]
	if !ok {
		return false, false
	}
	switch strings.ToLower(v) {
	case "true", "yes", "1":
		return true, true
	case "false", "no", "0":
		return false, true
	}
	ds.Errorf(s.Name, ServicePath(s.Name, "deploy.labels", Key(labelEssential)), "%q is not true or false", v)
	return false, false
}

// orderContainers sorts containers so that each comes after those it
// depends on, and by name otherwise: a stable, readable order.
func orderContainers(cs []*Container) []*Container {
	byName := map[string]*Container{}
	for _, c := range cs {
		byName[c.Name] = c
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Name < cs[j].Name })
	done := map[string]bool{}
	var out []*Container
	var visit func(c *Container, stack map[string]bool)
	visit = func(c *Container, stack map[string]bool) {
		if done[c.Name] || stack[c.Name] {
			return
		}
		stack[c.Name] = true
		for _, d := range c.DependsOn {
			if p := byName[d.Container]; p != nil {
				visit(p, stack)
			}
		}
		done[c.Name] = true
		out = append(out, c)
	}
	for _, c := range cs {
		visit(c, map[string]bool{})
	}
	return out
}

// familyDependencies turns depends_on between services of different
// families into an order between their ECS services (CloudFormation
// DependsOn), and breaks every cycle that the grouping into families
// creates, since CloudFormation refuses a template whose resources wait for
// each other. compose-x renders such files (it orders families only when
// depends_on names a family), so a cycle is not an error: one edge of it is
// dropped, deterministically, with a warning naming the cycle and the
// depends_on entries no longer honoured between the ECS services.
//
// Which edge goes: first one that only services in several task families
// contribute where the dependency is also in one of their families (that
// task already starts the containers in order, so only the copy in the
// other family stops waiting); among equals, the first by family names.
func familyDependencies(m *Model, ds *Diagnostics) {
	edges := map[string]map[string]*familyEdge{}
	for _, f := range m.Families {
		edges[f.Name] = map[string]*familyEdge{}
		for _, s := range f.Services {
			for _, dep := range slices.Sorted(maps.Keys(s.DependsOn)) {
				if f.Container(dep) != nil {
					continue // in this family too: the task orders its containers
				}
				inOwnTask := sharesFamily(m, s.Name, dep)
				for _, other := range m.FamiliesOf(dep) {
					if other == f {
						continue
					}
					e := edges[f.Name][other.Name]
					if e == nil {
						e = &familyEdge{from: f.Name, to: other.Name, weak: true}
						edges[f.Name][other.Name] = e
					}
					e.why = append(e.why, [2]string{s.Name, dep})
					if !inOwnTask {
						e.weak = false
					}
				}
			}
		}
	}
	for {
		cycle := findFamilyCycle(m, edges)
		if cycle == nil {
			break
		}
		drop := cycle[0]
		for _, e := range cycle[1:] {
			if (e.weak && !drop.weak) || (e.weak == drop.weak && (e.from < drop.from || e.from == drop.from && e.to < drop.to)) {
				drop = e
			}
		}
		delete(edges[drop.from], drop.to)
		names := []string{cycle[0].from}
		for _, e := range cycle {
			names = append(names, e.to)
		}
		var entries []string
		for _, w := range drop.why {
			entries = append(entries, w[0]+" -> "+w[1])
		}
		svc, dep := drop.why[0][0], drop.why[0][1]
		why := "move the services into one family or drop a depends_on to choose which order holds"
		if drop.weak {
			why = "each of those services also runs in a task beside what it depends on, where the containers start in order"
		}
		ds.Warnf(svc, ServicePath(svc, "depends_on", Key(dep)),
			"families depend on each other in a cycle (%s), which CloudFormation cannot create: the ECS service of family %s does not wait for family %s, so depends_on %s is not honoured between them; %s",
			strings.Join(names, " -> "), drop.from, drop.to, strings.Join(entries, ", "), why)
	}
	for _, f := range m.Families {
		f.DependsOn = slices.Sorted(maps.Keys(edges[f.Name]))
	}
}

// familyEdge is one family's wait for another, with the depends_on entries
// (service, dependency) that ask for it.
type familyEdge struct {
	from, to string
	why      [][2]string
	// weak: every service asking is in another family together with its
	// dependency, so the dependency holds there as container order.
	weak bool
}

// sharesFamily reports whether two services are in one task family.
func sharesFamily(m *Model, a, b string) bool {
	for _, f := range m.FamiliesOf(a) {
		if f.Container(b) != nil {
			return true
		}
	}
	return false
}

// findFamilyCycle returns the edges of one cycle between families (the
// first found, families and edges visited in a fixed order), nil when none.
func findFamilyCycle(m *Model, edges map[string]map[string]*familyEdge) []*familyEdge {
	state := map[string]int{}
	var stack []*familyEdge
	var cycle []*familyEdge
	var visit func(name string) bool
	visit = func(name string) bool {
		state[name] = 1
		for _, to := range slices.Sorted(maps.Keys(edges[name])) {
			e := edges[name][to]
			switch state[to] {
			case 1: // on the current path: the cycle is the path from it, then e
				start := 0
				for start < len(stack) && stack[start].from != to {
					start++
				}
				cycle = append(append([]*familyEdge{}, stack[start:]...), e)
				return true
			case 0:
				stack = append(stack, e)
				if visit(to) {
					return true
				}
				stack = stack[:len(stack)-1]
			}
		}
		state[name] = 2
		return false
	}
	for _, f := range m.Families {
		if state[f.Name] == 0 && visit(f.Name) {
			return cycle
		}
	}
	return nil
}

// warnVolumes tells, for each top-level volume that stays task storage (no
// extension made it persistent), that its data goes with the task. It runs
// after the extensions, which decide what persists.
func warnVolumes(p *types.Project, m *Model, ds *Diagnostics) {
	for _, v := range slices.Sorted(maps.Keys(p.Volumes)) {
		if m.PersistentVolumes[v] {
			continue
		}
		var fams []string
		for _, f := range m.Families {
			for _, vol := range f.Volumes {
				if vol == ResourceName(v) {
					fams = append(fams, f.Name)
				}
			}
		}
		if len(fams) == 0 {
			continue
		}
		msg := fmt.Sprintf("on Fargate a named volume is task storage: shared by the containers of family %s and lost when the task stops", strings.Join(fams, ", "))
		if len(fams) > 1 {
			msg += "; each family gets its own copy"
		}
		if p.Volumes[v].Driver != "" || len(p.Volumes[v].DriverOpts) > 0 || bool(p.Volumes[v].External) {
			msg += "; driver, driver_opts and external are ignored"
		}
		ds.Warnf("", "volumes."+Key(v), "%s", msg)
	}
}

// checkPortClashes refuses two containers of one task listening on the same
// port: in awsvpc mode they share one network interface.
func checkPortClashes(m *Model, ds *Diagnostics) {
	for _, f := range m.Families {
		owner := map[string]string{}
		for _, c := range f.Containers {
			for _, p := range c.Ports {
				key := fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)
				if o, clash := owner[key]; clash {
					ds.Errorf(c.Service, ServicePath(c.Service, "ports"), "family %s: %s and %s both listen on %s; the containers of a task share one network interface", f.Name, o, c.Name, key)
					continue
				}
				owner[key] = c.Name
			}
		}
	}
}

// maxTasksPerService is ECS's service quota "Tasks per service" (5,000):
// a DesiredCount above it is refused when the service is created.
const maxTasksPerService = 5000
