package render

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// compose-x resolves x-<module>::<name>::<attribute> in a service's
// environment to an attribute of the resource it created
// (x-s3::bucket::BucketName), and x-aws::AWS::<pseudo> to the pseudo
// parameter, by rewriting the value as an Fn::Sub
// (ecs_composex/compose/compose_services/helpers.py, sub_generate, called
// on environment values only). composex does the same for the pseudo
// parameters; the resources of the compose-x modules it does not
// implement (x-s3, x-sqs, x-kinesis_firehose, ...) it does not create, so
// each attribute becomes a template parameter named after what it stands
// for, with a warning saying what to pass. Anything else would reach the
// container as literal text and is refused, by name.
var reComposeXRef = regexp.MustCompile(`\bx-([a-z0-9_]+)::([A-Za-z0-9_.-]+)(?:::([A-Za-z0-9_.:-]+))?`)

// pseudoParameters are the AWS pseudo parameters Fn::Sub can write (the
// list-valued AWS::NotificationARNs cannot be, AWS::NoValue is no value).
var pseudoParameters = []string{"AccountId", "Partition", "Region", "StackId", "StackName", "URLSuffix"}

// composeXRefs is what the references found in the services' environment
// become: per service and variable the Fn::Sub text of the value, and the
// parameters that stand for the attributes of resources composex does not
// create.
type composeXRefs struct {
	env    map[string]map[string]string // service -> variable -> Fn::Sub text
	params map[string]string            // parameter -> description
}

// refParameterModule reports whether references to the module become
// parameters: a compose-x module composex does not implement. x-elbv2 and
// x-efs are composex's own (their resources are in the stack) and x-vpc is
// the template's network parameters: a reference to them stays refused.
func refParameterModule(module string) bool {
	return composexModules[module] && module != "x-elbv2" && module != "x-efs" && module != "x-vpc"
}

// ComposeXRefParam is the template parameter that stands for the
// attribute of a resource of a compose-x module composex does not create:
// x-s3::warp-storage::BucketName is S3WarpStorageBucketName.
func ComposeXRefParam(module, name, attribute string) string {
	return LogicalName(strings.TrimPrefix(module, "x-")) + LogicalName(name) + LogicalName(attribute)
}

// checkComposeXReferences resolves or reports every compose-x resource
// reference in the services' environment, command and entrypoint.
func checkComposeXReferences(p *types.Project, ds *Diagnostics) *composeXRefs {
	refs := &composeXRefs{env: map[string]map[string]string{}, params: map[string]string{}}
	owner := map[string]string{} // parameter -> the reference it stands for
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
			if v := s.Environment[k]; v != nil {
				if sub, ok := refs.environment(p, name, ServicePath(name, "environment", Key(k)), *v, owner, ds); ok {
					if refs.env[name] == nil {
						refs.env[name] = map[string]string{}
					}
					refs.env[name][k] = sub
				}
			}
		}
		for i, arg := range s.Command {
			refuseComposeXRefs(name, ServicePath(name, "command", itoa(i)), arg, ds)
		}
		for i, arg := range s.Entrypoint {
			refuseComposeXRefs(name, ServicePath(name, "entrypoint", itoa(i)), arg, ds)
		}
	}
	return refs
}

// environment rewrites one environment value holding references as an
// Fn::Sub text (the rest of the value escaped, so that it stays literal);
// ok is false when the value holds none, or one that is refused.
func (r *composeXRefs) environment(p *types.Project, service, path, value string, owner map[string]string, ds *Diagnostics) (string, bool) {
	matches := reComposeXRef.FindAllStringSubmatchIndex(value, -1)
	if len(matches) == 0 {
		return "", false
	}
	var b strings.Builder
	last, good := 0, true
	for _, m := range matches {
		text := value[m[0]:m[1]]
		module, name, attribute := "x-"+value[m[2]:m[3]], value[m[4]:m[5]], ""
		if m[6] >= 0 {
			attribute = value[m[6]:m[7]]
		}
		b.WriteString(EscapeSub(value[last:m[0]]))
		last = m[1]
		switch {
		case module == "x-aws":
			pseudo := strings.TrimPrefix(name+"::"+attribute, "AWS::")
			if name != "AWS" || !slices.Contains(pseudoParameters, pseudo) {
				ds.Errorf(service, path, "%s is not an AWS pseudo parameter that Fn::Sub can write; allowed: %s", text, "x-aws::AWS::"+strings.Join(pseudoParameters, ", x-aws::AWS::"))
				good = false
				continue
			}
			b.WriteString("${AWS::" + pseudo + "}")
		case attribute != "" && refParameterModule(module) && declaresResource(p, module, name):
			param := ComposeXRefParam(module, name, attribute)
			ref := module + "::" + name + "::" + attribute
			if prev, taken := owner[param]; taken && prev != ref {
				ds.Errorf(service, path, "%s and %s would both be the template parameter %s; rename one of the resources", prev, ref, param)
				good = false
				continue
			}
			owner[param] = ref
			r.params[param] = refParamDescription(module, name, attribute)
			ds.Warnf(service, path, "%s: composex does not create %s resources, so the template parameter %s stands for the %s of %s %q: create it outside this stack and pass its %s (and grant the services access with x-iam)",
				text, module, param, attribute, moduleNoun(module), name, attribute)
			b.WriteString("${" + param + "}")
		default:
			refuseComposeXRef(p, service, path, text, module, name, attribute, ds)
			good = false
		}
	}
	b.WriteString(EscapeSub(value[last:]))
	return b.String(), good
}

// declaresResource reports whether the project's top-level module block
// declares a resource of that name.
func declaresResource(p *types.Project, module, name string) bool {
	block, ok := p.Extensions[module].(map[string]any)
	if !ok {
		return false
	}
	_, ok = block[name]
	return ok
}

// moduleNoun names what a compose-x module's resources are, for messages.
func moduleNoun(module string) string {
	nouns := map[string]string{
		"x-s3": "the bucket", "x-sqs": "the queue", "x-sns": "the topic", "x-dynamodb": "the table", "x-kms": "the key",
		"x-kinesis": "the stream", "x-firehose": "the delivery stream", "x-kinesis_firehose": "the delivery stream",
		"x-rds": "the database", "x-docdb": "the cluster", "x-neptune": "the cluster", "x-elasticache": "the cluster",
		"x-opensearch": "the domain", "x-msk": "the cluster", "x-ssm_parameter": "the parameter", "x-cognito_userpool": "the user pool",
		"x-codeguru_profiler": "the profiling group", "x-acm": "the certificate", "x-aps": "the workspace", "x-wafv2_webacl": "the web ACL",
	}
	if n, ok := nouns[module]; ok {
		return n
	}
	return "the " + module + " resource"
}

// refParamDescription says what to pass for a reference's parameter.
func refParamDescription(module, name, attribute string) string {
	desc := fmt.Sprintf("%s of %s %s (%s.%s in the compose file: compose-x creates it, composex does not; create it outside this stack and give its %s)",
		attribute, moduleNoun(module), name, module, name, attribute)
	if len(desc) > 4000 {
		desc = desc[:4000]
	}
	return desc
}

// apply gives a service's container the Fn::Sub values of its variables.
func (r *composeXRefs) apply(service string, c *Container) {
	for k, v := range r.env[service] {
		if _, ok := c.Environment[k]; !ok {
			continue
		}
		if c.EnvironmentRefs == nil {
			c.EnvironmentRefs = map[string]bool{}
		}
		c.Environment[k] = v
		c.EnvironmentRefs[k] = true
	}
}

// addParameters declares the parameters that stand for resources composex
// does not create.
func (r *composeXRefs) addParameters(m *Model) {
	for _, name := range slices.Sorted(maps.Keys(r.params)) {
		_ = m.AddParameter(name, Parameter{Type: "String", MinLength: 1, Description: r.params[name]})
	}
}

// refuseComposeXRefs refuses every reference in a command or entrypoint
// argument: compose-x resolves none there, so the container would get the
// text.
func refuseComposeXRefs(service, path, value string, ds *Diagnostics) {
	for _, m := range reComposeXRef.FindAllStringSubmatch(value, -1) {
		module := "x-" + m[1]
		if module == "x-aws" {
			ds.Errorf(service, path, "%s is a compose-x reference to an AWS pseudo parameter, which composex resolves in environment values only (the container would get this text); pass it through an environment variable", m[0])
			continue
		}
		what := "the " + module + " resource " + fmt.Sprintf("%q", m[2])
		if m[3] != "" {
			what += "'s " + strings.TrimPrefix(m[3], ":")
		}
		ds.Errorf(service, path, "%s refers to %s, and compose-x resolves references in environment values only: the container would get this text; pass it through an environment variable", m[0], what)
	}
}

// refuseComposeXRef refuses an environment reference that no parameter can
// stand for, saying why.
func refuseComposeXRef(p *types.Project, service, path, text, module, name, attribute string, ds *Diagnostics) {
	what := "the " + module + " resource " + fmt.Sprintf("%q", name)
	if attribute != "" {
		what += "'s " + strings.TrimPrefix(attribute, ":")
	}
	var why string
	switch {
	case !composexModules[module]:
		why = fmt.Sprintf("composex resolves no %s reference", module)
	case !refParameterModule(module):
		why = fmt.Sprintf("composex does not resolve references to %s resources", module)
		if advice := composexModuleAdvice[module]; advice != "" {
			why += " (" + advice + ")"
		}
	case attribute == "":
		why = "it names no attribute (compose-x resolves x-MODULE::NAME::ATTRIBUTE only)"
	default:
		declared := "none"
		if block, ok := p.Extensions[module].(map[string]any); ok && len(block) > 0 {
			declared = strings.Join(slices.Sorted(maps.Keys(block)), ", ")
		}
		why = fmt.Sprintf("the top-level %s declares no %q (declared: %s)", module, name, declared)
	}
	ds.Errorf(service, path, "%s refers to %s, and %s: the container would get this text; give the value itself", text, what, why)
}
