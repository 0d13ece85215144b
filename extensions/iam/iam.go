// Package iam reads x-iam: what the containers of a family may do in AWS,
// as inline policies and managed policies on the task role, and a
// permissions boundary on both roles of the family.
package iam

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

const key = "x-iam"

// XIam is the service-level x-iam block.
type XIam struct {
	Policies            []UserPolicy `json:"Policies,omitempty"`
	ManagedPolicyArns   []string     `json:"ManagedPolicyArns,omitempty"`
	PermissionsBoundary string       `json:"PermissionsBoundary,omitempty"`
}

// UserPolicy is an inline policy as the user wrote it.
type UserPolicy struct {
	PolicyName     string         `json:"PolicyName"`
	PolicyDocument map[string]any `json:"PolicyDocument"`

	// index is the policy's place in the Policies list as written (or as
	// merged), for key paths once duplicates are merged.
	index int
}

var (
	rePolicyArn  = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(aws|\d{12}):policy/[\w+=,.@/-]+$`)
	rePolicyName = regexp.MustCompile(`^[\w+=,.@/-]+$`)
	// Compiled at first use: a counted repetition of hundreds compiles to a
	// program that large, which every process used to build at start.
	rePolicyID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[\w+=,.@-]{1,128}$`) })
)

// Extension implements render.Extension for x-iam.
type Extension struct{}

func (Extension) Name() string          { return key }
func (Extension) ServiceKeys() []string { return []string{key} }
func (Extension) ProjectKeys() []string { return nil }

func read(s types.ServiceConfig, ds *render.Diagnostics) *XIam {
	raw, ok := s.Extensions[key]
	if !ok {
		return nil
	}
	path := render.ServicePath(s.Name, key)
	var x XIam
	if err := render.DecodeExtension(raw, &x); err != nil {
		ds.Errorf(s.Name, path, "%v", err)
		return nil
	}
	for i := range x.Policies {
		composeXShape(&x.Policies[i])
		x.Policies[i].index = i
	}
	for i, p := range x.Policies {
		pp := fmt.Sprintf("%s.Policies.%d", path, i)
		switch {
		case p.PolicyName == "":
			ds.Errorf(s.Name, pp+".PolicyName", "a policy name is required")
		case !rePolicyID().MatchString(p.PolicyName):
			ds.Errorf(s.Name, pp+".PolicyName", "%q is not a valid IAM policy name (1 to 128 of letters, digits and +=,.@_-)", p.PolicyName)
		}
		checkDocument(s.Name, pp+".PolicyDocument", p.PolicyDocument, ds)
	}
	x.Policies = mergeSameName(s.Name, path, x.Policies, ds)
	for i, a := range x.ManagedPolicyArns {
		if _, ok := managedPolicyArn(a); !ok {
			p := fmt.Sprintf("%s.ManagedPolicyArns.%d", path, i)
			if strings.HasPrefix(a, "arn:") || !rePolicyName.MatchString(a) {
				ds.Errorf(s.Name, p, "%q is neither a managed policy ARN (arn:aws:iam::aws:policy/NAME) nor the name of an AWS managed policy", a)
				continue
			}
			ds.Errorf(s.Name, p, "%q is not an AWS managed policy composex knows the path of%s; give the policy's full ARN (arn:aws:iam::aws:policy/PATH/NAME, or arn:aws:iam::ACCOUNT:policy/NAME for your own) or the name of a known AWS managed policy", a, managedPolicyHint(a))
		}
	}
	if len(x.ManagedPolicyArns) > 10 {
		ds.Warnf(s.Name, path+".ManagedPolicyArns", "%d managed policies: IAM attaches 10 to a role unless the account's quota was raised", len(x.ManagedPolicyArns))
	}
	if b := x.PermissionsBoundary; b != "" {
		if _, ok := boundaryArn(b); !ok {
			ds.Errorf(s.Name, path+".PermissionsBoundary", "%q is neither a policy name nor a policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)", b)
		}
	}
	return &x
}

// mergeSameName keeps one policy per name in a service. Merged compose
// files append their lists (compose-go, as compose-x's own merge does), so
// a policy that the base file and an override both define is listed
// twice: with the same document it is one policy; with different
// documents the later one (the override's) is kept, as a later file
// overrides an earlier one, with a warning. compose-x puts both on the
// task role (add_policies_from_x_iam reads the existing names once, before
// its loop), and IAM keeps one inline policy per name: one role never
// gets two policies of one name from composex.
func mergeSameName(service, path string, policies []UserPolicy, ds *render.Diagnostics) []UserPolicy {
	at := map[string]int{} // name -> place in out
	var out []UserPolicy
	for _, p := range policies {
		j, dup := at[p.PolicyName]
		if !dup || p.PolicyName == "" {
			at[p.PolicyName] = len(out)
			out = append(out, p)
			continue
		}
		if !reflect.DeepEqual(normalise(out[j].PolicyDocument), normalise(p.PolicyDocument)) {
			ds.Warnf(service, fmt.Sprintf("%s.Policies.%d.PolicyName", path, p.index),
				"policy %s is defined twice in this service, differently (Policies.%d and Policies.%d: merged compose files append their lists): the later one, Policies.%d, is used, as a later file overrides an earlier one",
				p.PolicyName, out[j].index, p.index, p.index)
		}
		out[j] = p
	}
	return out
}

// composeXShape reads the policy shape compose-x's files use, PolicyName
// inside PolicyDocument and no Version, as {PolicyName, PolicyDocument}.
// IAM reads a document without Version as the 2008-10-17 language, in
// which policy variables are literal text; 2012-10-17 is what is meant.
func composeXShape(p *UserPolicy) {
	name, ok := p.PolicyDocument["PolicyName"].(string)
	if !ok || p.PolicyName != "" {
		return
	}
	doc := make(map[string]any, len(p.PolicyDocument))
	for k, v := range p.PolicyDocument {
		if k != "PolicyName" {
			doc[k] = v
		}
	}
	if _, has := doc["Version"]; !has {
		doc["Version"] = "2012-10-17"
	}
	p.PolicyName, p.PolicyDocument = name, doc
}

// managedPolicyArn expands the name of an AWS managed policy to its ARN in
// the stack's partition (compose-x documents this but never did it), with
// the policy's path from the table of known policies: a name the table
// does not know is refused, since guessing its path makes an ARN that may
// not exist. A full ARN passes through.
func managedPolicyArn(v string) (string, bool) {
	switch {
	case strings.HasPrefix(v, "arn:"):
		return v, rePolicyArn.MatchString(v)
	case rePolicyName.MatchString(v):
		if pathName, ok := knownManagedPolicy(v); ok {
			return "arn:${AWS::Partition}:iam::aws:policy/" + pathName, true
		}
	}
	return "", false
}

// boundaryArn expands a boundary name to a policy of the stack's account.
func boundaryArn(v string) (string, bool) {
	switch {
	case strings.HasPrefix(v, "arn:"):
		return v, rePolicyArn.MatchString(v)
	case rePolicyName.MatchString(v):
		return "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/" + strings.TrimPrefix(v, "/"), true
	}
	return "", false
}

// checkDocument checks the shape of an identity policy: what IAM would
// refuse at deploy time is refused here, with the key that is wrong.
func checkDocument(service, path string, doc map[string]any, ds *render.Diagnostics) {
	if doc == nil {
		ds.Errorf(service, path, "a policy document is required")
		return
	}
	for _, k := range slices.Sorted(maps.Keys(doc)) {
		if k != "Version" && k != "Statement" && k != "Id" {
			ds.Errorf(service, path+"."+k, "unknown key %s in a policy document; allowed: Version, Id, Statement", k)
		}
	}
	switch v := doc["Version"]; v {
	case "2012-10-17", "2008-10-17":
	case nil:
		ds.Errorf(service, path+".Version", "Version is required; use \"2012-10-17\"")
	default:
		ds.Errorf(service, path+".Version", "%v is not a policy language version; allowed: 2012-10-17, 2008-10-17", v)
	}
	var statements []any
	switch st := doc["Statement"].(type) {
	case nil:
		ds.Errorf(service, path+".Statement", "Statement is required: a policy without statements grants nothing")
		return
	case []any:
		statements = st
	case map[string]any:
		statements = []any{st}
	default:
		ds.Errorf(service, path+".Statement", "Statement must be a statement or a list of statements")
		return
	}
	if len(statements) == 0 {
		ds.Errorf(service, path+".Statement", "Statement is empty: a policy without statements grants nothing")
	}
	for i, raw := range statements {
		sp := fmt.Sprintf("%s.Statement.%d", path, i)
		st, ok := raw.(map[string]any)
		if !ok {
			ds.Errorf(service, sp, "a statement must be a mapping")
			continue
		}
		checkStatement(service, sp, st, ds)
	}
}

var statementKeys = []string{"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}

func checkStatement(service, path string, st map[string]any, ds *render.Diagnostics) {
	for _, k := range slices.Sorted(maps.Keys(st)) {
		switch {
		case k == "Principal" || k == "NotPrincipal":
			ds.Errorf(service, path+"."+k, "%s belongs in resource policies; a role's policy applies to the role itself", k)
		case !slices.Contains(statementKeys, k):
			ds.Errorf(service, path+"."+k, "unknown key %s in a statement; allowed: %s", k, strings.Join(statementKeys, ", "))
		}
	}
	switch e := st["Effect"]; e {
	case "Allow", "Deny":
	case nil:
		ds.Errorf(service, path+".Effect", "Effect is required; allowed: Allow, Deny")
	default:
		ds.Errorf(service, path+".Effect", "%v is not an effect; allowed: Allow, Deny", e)
	}
	exactlyOne(service, path, st, "Action", "NotAction", ds)
	exactlyOne(service, path, st, "Resource", "NotResource", ds)
	for _, k := range []string{"Action", "NotAction", "Resource", "NotResource"} {
		if v, ok := st[k]; ok && !stringOrList(v) {
			ds.Errorf(service, path+"."+k, "%s must be a string or a list of strings", k)
		}
	}
	for _, k := range []string{"Resource", "NotResource"} {
		for i, r := range stringsOf(st[k]) {
			if r != "*" && !reResourceArn.MatchString(r) {
				where := path + "." + k
				if _, list := st[k].([]any); list {
					where += "." + strconv.Itoa(i)
				}
				ds.Errorf(service, where, "%q is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE) or *: IAM would match no resource, or one you did not mean", r)
			}
		}
	}
	if c, ok := st["Condition"]; ok {
		if _, isMap := c.(map[string]any); !isMap {
			ds.Errorf(service, path+".Condition", "Condition must be a mapping of operator to keys")
		}
	}
	if sid, ok := st["Sid"].(string); ok && !regexp.MustCompile(`^[A-Za-z0-9]*$`).MatchString(sid) {
		ds.Errorf(service, path+".Sid", "%q: a Sid holds only letters and digits", sid)
	}
}

// reResourceArn is the shape of an ARN in a policy's Resource: partition,
// service, region and account fields (the last two may be empty, as for
// S3), then the resource.
var reResourceArn = regexp.MustCompile(`^arn:[^:]+:[a-zA-Z0-9-]+:[^:]*:[^:]*:.+$`)

// stringsOf lists the strings of a string-or-list value.
func stringsOf(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

func exactlyOne(service, path string, st map[string]any, a, b string, ds *render.Diagnostics) {
	_, hasA := st[a]
	_, hasB := st[b]
	switch {
	case hasA && hasB:
		ds.Errorf(service, path, "give either %s or %s, not both", a, b)
	case !hasA && !hasB:
		ds.Errorf(service, path+"."+a, "%s (or %s) is required", a, b)
	}
}

func stringOrList(v any) bool {
	switch t := v.(type) {
	case string:
		return t != ""
	case []any:
		if len(t) == 0 {
			return false
		}
		for _, e := range t {
			if s, ok := e.(string); !ok || s == "" {
				return false
			}
		}
		return true
	}
	return false
}

// Validate checks every service's x-iam block.
func (Extension) Validate(in *render.Input) render.Diagnostics {
	var ds render.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(in.Project.Services)) {
		read(in.Project.Services[name], &ds)
	}
	return ds
}

// Extend gives each family's roles what its services ask for. Inline
// policies of the same name from two services are merged when identical
// and refused when they differ, never silently dropped (compose-x kept the
// first).
func (Extension) Extend(in *render.Input, m *render.Model) render.Diagnostics {
	var ds render.Diagnostics
	for _, f := range m.Families {
		type origin struct {
			service string
			doc     map[string]any
		}
		policies := map[string]origin{}
		boundary, boundaryRaw, boundaryFrom := "", "", ""
		for _, s := range f.Services {
			x := read(*s, &ds)
			if x == nil {
				continue
			}
			for _, p := range x.Policies {
				i := p.index
				if prev, dup := policies[p.PolicyName]; dup {
					if !reflect.DeepEqual(prev.doc, p.PolicyDocument) {
						ds.Errorf(s.Name, fmt.Sprintf("%s.Policies.%d.PolicyName", render.ServicePath(s.Name, key), i),
							"family %s: services %s and %s both define policy %s, differently; rename one (the task role holds both)", f.Name, prev.service, s.Name, p.PolicyName)
					}
					continue
				}
				policies[p.PolicyName] = origin{s.Name, p.PolicyDocument}
				f.TaskRole.Policies = append(f.TaskRole.Policies, render.Policy{Name: p.PolicyName, Document: normalise(p.PolicyDocument),
					Service: s.Name, Path: fmt.Sprintf("%s.Policies.%d.PolicyName", render.ServicePath(s.Name, key), i)})
			}
			for _, a := range x.ManagedPolicyArns {
				arn, _ := managedPolicyArn(a)
				f.TaskRole.AddManagedPolicy(arn)
			}
			if x.PermissionsBoundary != "" {
				arn, _ := boundaryArn(x.PermissionsBoundary)
				if boundaryFrom != "" && arn != boundary {
					ds.Errorf(s.Name, render.ServicePath(s.Name, key, "PermissionsBoundary"), "family %s: %s sets boundary %s but %s sets %s; both roles of a family have one boundary", f.Name, s.Name, x.PermissionsBoundary, boundaryFrom, boundaryRaw)
					continue
				}
				boundary, boundaryRaw, boundaryFrom = arn, x.PermissionsBoundary, s.Name
			}
		}
		if boundary != "" {
			f.TaskRole.PermissionsBoundary = boundary
			f.ExecutionRole.PermissionsBoundary = boundary
		}
		sort.Strings(f.TaskRole.ManagedPolicyArns)
	}
	return ds
}

// normalise round-trips a document through JSON so that numbers and maps
// have one representation in the output.
func normalise(doc map[string]any) map[string]any {
	b, err := json.Marshal(doc)
	if err != nil {
		return doc
	}
	var out map[string]any
	if json.Unmarshal(b, &out) != nil {
		return doc
	}
	return out
}
