// Package firelens reads services.x-logging.FireLens and logging.driver
// awsfirelens: the services' logs go through a Fluent Bit log router in
// their task (AWS for Fluent Bit, ECS FireLens) to CloudWatch Logs, Kinesis
// Data Firehose or S3, with the project's own parsers and filters.
//
// Consumers: the ECS agent, which reads the router's
// firelensConfiguration and turns each app container's awsfirelens
// options into one Fluent Bit [OUTPUT] (Name is the plugin, the rest its
// options); and Fluent Bit, which stops at start on an option its plugin
// does not know.
//
// Delivery of the project's files: on Fargate the router's
// config-file-type must be file (s3 is for EC2 only), a path inside the
// router's own file system. The stack keeps each file in an SSM parameter;
// ECS hands them to the router as container secrets, and the router's
// entry point writes them under ConfigDir before it starts the image's own
// entry point, so Fluent Bit finds them when it reads its configuration.
package firelens

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/ssm"

	"github.com/composex/composex/render"
)

const (
	// Driver is the log driver of a container whose logs go to the router.
	Driver = "awsfirelens"
	// RouterName is the router container of every family that has one
	// (the name AWS's FireLens examples use).
	RouterName = "log_router"
	// ImageParam holds the pinned router image; it moves every family at once.
	ImageParam = "FluentBitImage"
	// RouterCpu and RouterMemoryReservation are the router's share of the
	// task size (CPU units, MiB): AWS recommends a 50 MiB reservation for
	// the FireLens router.
	RouterCpu               = 64
	RouterMemoryReservation = 50
	// ConfigDir is where the router writes the files of the project.
	ConfigDir = "/fluent-bit/etc/composex"
	// ConfigFile is the configuration the ECS agent includes (config-file-value).
	ConfigFile = ConfigDir + "/composex.conf"
	// HealthPort is Fluent Bit's HTTP server, bound to the task's loopback.
	HealthPort = 2020
	// MaxFileBytes is one SSM parameter (advanced tier).
	MaxFileBytes      = 8192
	standardTierBytes = 4096
	// imageEntryPoint is the image's own start script (CMD /entrypoint.sh;
	// it has no #! line, so it is run through sh).
	imageEntryPoint = "/entrypoint.sh"
)

// Extension implements render.Extension. x-logging is a core key (its
// RetentionInDays shapes the log group); this extension reads its FireLens
// block and the services' logging.
type Extension struct{}

func (Extension) Name() string          { return "x-logging.FireLens" }
func (Extension) ServiceKeys() []string { return nil }
func (Extension) ProjectKeys() []string { return nil }

// Validate checks every service's FireLens and awsfirelens options.
func (Extension) Validate(in *render.Input) render.Diagnostics {
	var ds render.Diagnostics
	readPlans(in, &ds)
	return ds
}

// Extend gives each family whose services route logs one router.
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds, quiet render.Diagnostics // Validate reported the input's problems
	plans := readPlans(in, &quiet)
	for _, f := range m.Families {
		var ps []*plan
		for _, s := range f.Services {
			if p := plans[s.Name]; p != nil {
				ps = append(ps, p)
			}
		}
		if len(ps) > 0 {
			extendFamily(m, f, ps, &ds)
		}
	}
	return ds
}

// router is what the family's router is made of.
type router struct {
	f        *render.Family
	files    []routerFile // written under ConfigDir; files[0] is ConfigFile when any
	service  []string     // [SERVICE] lines
	includes []string
	outputs  []string // [OUTPUT] sections (Fn::Sub text)
	grants   map[string]*render.Statement
	sids     []string
	env      map[string]string
	envFrom  map[string]string
	health   bool
	grace    int
}

type routerFile struct {
	name  string // under ConfigDir
	value string // the SSM parameter's value
	sub   bool   // value is Fn::Sub text
}

func extendFamily(m *render.Model, f *render.Family, ps []*plan, ds *render.Diagnostics) {
	first := ps[0]
	if strings.HasPrefix(f.OSFamily, "WINDOWS") {
		ds.Errorf(first.service, first.path, "family %s runs on %s: composex's FireLens router is the Linux AWS for Fluent Bit image; log through awslogs", f.Name, f.OSFamily)
		return
	}
	r := &router{f: f, grants: map[string]*render.Statement{}, env: map[string]string{}, envFrom: map[string]string{}}
	parserSeen := map[string]bool{}
	for _, p := range ps {
		for _, k := range slices.Sorted(maps.Keys(p.env)) {
			if old, set := r.env[k]; set && old != p.env[k] {
				ds.Errorf(p.service, p.path+".Advanced.EnvironmentVariables."+k, "family %s: %s sets %s=%q for the log router, %s sets %q; a task has one router, give them the same value", f.Name, r.envFrom[k], k, old, p.service, p.env[k])
				continue
			}
			r.env[k], r.envFrom[k] = p.env[k], p.service
		}
		r.health = r.health || p.health
		r.grace = max(r.grace, p.grace)
		for _, pf := range p.parsers {
			where := pf.imagePath
			if where == "" {
				where = fmt.Sprintf("%s/parsers-%d.conf", ConfigDir, len(r.files))
				if parserSeen[pf.shown] {
					continue
				}
				parserSeen[pf.shown] = true
				r.files = append(r.files, routerFile{name: where, value: pf.content})
			} else if parserSeen[where] {
				continue
			}
			parserSeen[where] = true
			r.service = append(r.service, "Parsers_File "+where)
		}
		if p.source != nil {
			where := fmt.Sprintf("%s/source-%d.conf", ConfigDir, len(r.files))
			r.files = append(r.files, routerFile{name: where, value: p.source.content})
			r.includes = append(r.includes, where)
		}
		apps := appContainers(f, p.service)
		for _, c := range apps {
			c.LogDriver = Driver
			c.LogOptions = r.mainOptions(c, p.main)
			c.DependOn(RouterName, "START")
		}
		r.grant(p.main)
		for _, o := range p.extra {
			for _, c := range apps {
				r.outputs = append(r.outputs, r.extraOutput(c, o))
			}
			r.grant(o)
		}
	}
	if r.health {
		r.service = append(r.service, "HTTP_Server On", "HTTP_Listen 127.0.0.1", fmt.Sprintf("HTTP_Port %d", HealthPort),
			"Health_Check On", "HC_Errors_Count 5", "HC_Retry_Failure_Count 5", "HC_Period 5")
	}
	if err := r.add(m, ds, first); err != nil {
		// AddSidecar's error names the family, both names and the remedy.
		ds.Errorf(first.service, first.path, "%v", err)
	}
}

func appContainers(f *render.Family, service string) []*render.Container {
	var out []*render.Container
	for _, c := range f.Containers {
		if !c.Sidecar && c.Service == service {
			out = append(out, c)
		}
	}
	return out
}

// mainOptions are an app container's awsfirelens options: the plugin's,
// with the region, group and stream prefix awslogs would have used.
func (r *router) mainOptions(c *render.Container, o *output) map[string]string {
	opts := map[string]string{"Name": o.plugin}
	for k, v := range o.options {
		opts[k] = v
	}
	switch o.plugin {
	case pluginCloudWatch:
		setDefault(opts, "region", cloudformation.Ref("AWS::Region"))
		setDefault(opts, "log_group_name", cloudformation.Ref(r.f.LogGroupID()))
		if opts["log_stream_name"] == "" {
			setDefault(opts, "log_stream_prefix", render.ResourceName(c.Name)+"/")
		}
		setDefault(opts, "auto_create_group", "false")
	case pluginS3:
		setDefault(opts, "region", cloudformation.Ref("AWS::Region"))
	}
	return opts
}

// extraOutput is one more [OUTPUT] for a container's records: the ECS
// agent tags them <container>-firelens-<task ID>.
func (r *router) extraOutput(c *render.Container, o *output) string {
	opts := map[string]string{}
	for k, v := range o.options {
		opts[k] = render.EscapeSub(v)
	}
	switch o.plugin {
	case pluginCloudWatch:
		setDefault(opts, "region", "${AWS::Region}")
		setDefault(opts, "log_group_name", "${"+r.f.LogGroupID()+"}")
		if opts["log_stream_name"] == "" {
			setDefault(opts, "log_stream_prefix", render.ResourceName(c.Name)+"/")
		}
		setDefault(opts, "auto_create_group", "false")
	case pluginS3:
		setDefault(opts, "region", "${AWS::Region}")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "[OUTPUT]\n    Name %s\n    Match %s-firelens*\n", o.plugin, c.Name)
	for _, k := range slices.Sorted(maps.Keys(opts)) {
		fmt.Fprintf(&b, "    %s %s\n", k, opts[k])
	}
	return b.String()
}

func setDefault(m map[string]string, k, v string) {
	if _, set := m[k]; !set {
		m[k] = v
	}
}

// grant lets the task role (the router's credentials) write to exactly the
// output's destination.
func (r *router) grant(o *output) {
	switch o.plugin {
	case pluginCloudWatch:
		g := o.options["log_group_name"]
		arn := "${" + r.f.LogGroupID() + ".Arn}"
		if g != "" {
			arn = "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:" + render.EscapeSub(g) + ":*"
		}
		r.allow("FireLensToCloudWatchLogs", arn, "logs:CreateLogStream", "logs:PutLogEvents")
		if g != "" && o.options["auto_create_group"] == "true" {
			r.allow("FireLensCreatesLogGroup", arn, "logs:CreateLogGroup")
		}
		if g != "" && o.options["log_retention_days"] != "" {
			r.allow("FireLensSetsRetention", arn, "logs:PutRetentionPolicy")
		}
	case pluginFirehose:
		r.allow("FireLensToFirehose", render.EscapeSub(o.arn), "firehose:PutRecordBatch")
	case pluginS3:
		r.allow("FireLensToS3", render.EscapeSub(o.arn)+"/*", "s3:PutObject")
	}
	if role := o.options["role_arn"]; role != "" {
		r.allow("FireLensAssumesRole", render.EscapeSub(role), "sts:AssumeRole")
	}
}

func (r *router) allow(sid, resource string, actions ...string) {
	st := r.grants[sid]
	if st == nil {
		st = &render.Statement{Sid: sid, Effect: "Allow", Action: actions}
		r.grants[sid] = st
		r.sids = append(r.sids, sid)
	}
	if !slices.Contains(st.Resource, resource) {
		st.Resource = append(st.Resource, resource)
	}
}

// config is the router's own configuration file (Fn::Sub text), or "" when
// the ECS agent's generated one is all it needs.
func (r *router) config() string {
	if len(r.service) == 0 && len(r.includes) == 0 && len(r.outputs) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# composex: log router of the task family %s\n", render.EscapeSub(r.f.Name))
	if len(r.service) > 0 {
		b.WriteString("[SERVICE]\n")
		for _, l := range r.service {
			fmt.Fprintf(&b, "    %s\n", l)
		}
	}
	for _, inc := range r.includes {
		fmt.Fprintf(&b, "@INCLUDE %s\n", inc)
	}
	for _, o := range r.outputs {
		b.WriteString(o)
	}
	return b.String()
}

// add puts the router, its configuration and its grants into the family.
func (r *router) add(m *render.Model, ds *render.Diagnostics, first *plan) error {
	f := r.f
	m.SidecarImage(ImageParam, render.FluentBitImage, "FireLens log router (AWS for Fluent Bit)")
	c := &render.Container{
		Name:              RouterName,
		ImageParam:        ImageParam,
		Essential:         true, // compose-x's router is essential: without it the apps' logs are lost
		Cpu:               RouterCpu,
		MemoryReservation: RouterMemoryReservation,
		Environment:       r.env,
		FireLens:          &render.FireLensConfig{Type: "fluentbit", Options: map[string]string{"enable-ecs-log-metadata": "true"}},
	}
	if r.health {
		c.HealthCheck = &render.HealthCheck{
			Command:  []string{"CMD-SHELL", fmt.Sprintf("curl -f http://127.0.0.1:%d/api/v1/health || exit 1", HealthPort)},
			Interval: 10, Timeout: 5, Retries: 3, StartPeriod: r.grace,
		}
	}
	if conf := r.config(); conf != "" {
		r.files = append([]routerFile{{name: ConfigFile, value: conf, sub: true}}, r.files...)
		c.FireLens.Options["config-file-type"] = "file"
		c.FireLens.Options["config-file-value"] = ConfigFile
	}
	var script strings.Builder
	var arns []string
	if len(r.files) > 0 {
		fmt.Fprintf(&script, "set -eu\nmkdir -p %s\n", ConfigDir)
	}
	for i, rf := range r.files {
		id := fmt.Sprintf("%sFireLensFile%d", f.Logical, i)
		value := rf.value
		sub := rf.sub && strings.Contains(value, "${")
		// The size SSM sees: references at their longest (a 128-character
		// stack name), so the tier holds the value whatever the stack's name.
		size, err := render.StoredLength(value, sub)
		if err != nil {
			size = len(value)
		}
		if sub {
			value = cloudformation.Sub(value)
		}
		if size > MaxFileBytes {
			ds.Errorf(first.service, first.path, "the log router's %s is %d bytes; one SSM parameter holds %d", rf.name, size, MaxFileBytes)
			return nil
		}
		tier := "Standard"
		if size > standardTierBytes {
			tier = "Advanced"
		}
		if err := f.AddResource(id, &ssm.Parameter{
			Name:        cloudformation.SubPtr("/composex/${AWS::StackName}/" + render.ResourceName(f.Name) + "/firelens/" + fmt.Sprint(i)),
			Type:        "String",
			Tier:        cloudformation.String(tier),
			Description: cloudformation.String("Fluent Bit file " + rf.name + " of the log router"),
			Value:       value,
		}); err != nil {
			return err
		}
		env := fmt.Sprintf("COMPOSEX_FLUENT_BIT_%d", i)
		arn := "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${" + id + "}"
		c.Secrets = append(c.Secrets, render.ContainerSecret{Name: env, ValueFrom: arn})
		arns = append(arns, arn)
		fmt.Fprintf(&script, "printf '%%s\\n' \"$%s\" > %s\n", env, rf.name)
	}
	if len(r.files) > 0 {
		fmt.Fprintf(&script, "exec /bin/sh %s\n", imageEntryPoint)
		c.EntryPoint = []string{"sh", "-c"}
		c.Command = []string{script.String()}
	}
	if err := f.AddSidecar(c); err != nil {
		return err
	}
	if len(arns) > 0 {
		f.ExecutionRole.AddPolicy("FireLensConfiguration", render.Statement{Sid: "FireLensFilesFromSsm", Effect: "Allow",
			Action: []string{"ssm:GetParameters"}, Resource: arns})
	}
	for _, sid := range r.sids {
		f.TaskRole.AddPolicy("FireLensOutputs", *r.grants[sid])
	}
	f.Reorder()
	return nil
}
