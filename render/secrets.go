package render

import (
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// secretSpec is a top-level compose secret that composex can map: one that
// names a secret in AWS Secrets Manager through x-secrets.
type secretSpec struct {
	XSecret
	arn string // ARN or ${AWS::...} template of the ARN, without JSON key
	// param is the template parameter that stands for the secret's ARN
	// when x-secrets has a Lookup (arn is then ${param}); used is set
	// once a service lists the secret, so that only those parameters are
	// asked for.
	param       string
	description string
	used        bool
	// external marks a secret declared external: true with no x-secrets:
	// param stands for its ARN.
	external bool
}

// SecretArnParam is the template parameter that holds the full ARN of the
// secret behind a compose secret whose x-secrets has a Lookup: compose-x
// finds it by name and tags with an AWS call, composex renders offline.
func SecretArnParam(name string) string { return LogicalName(name) + "SecretArn" }

// addSecretParameters declares the ARN parameter of every looked-up
// secret a service uses.
func addSecretParameters(m *Model, specs map[string]*secretSpec) {
	for _, name := range slices.Sorted(maps.Keys(specs)) {
		if sp := specs[name]; sp.param != "" && sp.used {
			_ = m.AddParameter(sp.param, Parameter{Type: "String", MinLength: 1, Description: sp.description})
		}
	}
}

var (
	reSecretArn = regexp.MustCompile(`^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$`)
	reKmsArn    = regexp.MustCompile(`^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$`)
	// reSecretName is what Secrets Manager allows in a secret's name: no
	// * or ? (they would widen the GetSecretValue grant), no ${.
	reSecretName = regexp.MustCompile(`^[A-Za-z0-9/_+=.@-]+$`)
	reKmsKeyId   = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$|^mrk-[0-9a-f]{32}$`)
	reEnvName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	transforms   = []string{"java_properties", "capitalize", "title"}
	secretLinks  = []string{"EcsExecutionRole", "EcsTaskRole"}
)

// readSecrets decodes the x-secrets block of every top-level secret.
func readSecrets(p *types.Project, ds *Diagnostics) map[string]*secretSpec {
	out := map[string]*secretSpec{}
	for _, name := range slices.Sorted(maps.Keys(p.Secrets)) {
		sec := p.Secrets[name]
		path := "secrets." + Key(name) + ".x-secrets"
		raw, ok := sec.Extensions["x-secrets"]
		if !ok {
			if bool(sec.External) {
				out[name] = externalSecret(name)
			}
			continue
		}
		var x XSecret
		if err := DecodeExtension(raw, &x); err != nil {
			ds.Errorf("", path, "%v", err)
			continue
		}
		if x.Lookup != nil {
			out[name] = lookupSecret(name, path, x, ds)
			continue
		}
		switch {
		case x.Name == "":
			ds.Errorf("", path+".Name", "the name or ARN of the secret in AWS Secrets Manager is required")
			continue
		case strings.HasPrefix(x.Name, "arn:") && !reSecretArn.MatchString(x.Name):
			ds.Errorf("", path+".Name", "%q is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)", x.Name)
			continue
		case strings.Contains(x.Name, "${"):
			ds.Errorf("", path+".Name", "%q: a secret name cannot hold ${...}", x.Name)
			continue
		case !reSecretName.MatchString(secretNameOf(x.Name)):
			ds.Errorf("", path+".Name", "%q: a secret name has only letters, digits and / _ + = . @ - (no * or ?: composex grants GetSecretValue on exactly this secret)", x.Name)
			continue
		}
		if x.VarName != "" {
			ds.Warnf("", path+".VarName", "%s: compose-x sets this variable to the secret's ARN; composex does not (services listing it get the secret's value, as %s or the target they give); pass the ARN through environment if the application reads it", x.VarName, name)
		}
		spec := &secretSpec{XSecret: x, arn: x.Name}
		if !strings.HasPrefix(x.Name, "arn:") {
			spec.arn = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:" + x.Name
		}
		checkSecretOptions(path, x, ds)
		out[name] = spec
	}
	return out
}

// lookupSecret is a secret that compose-x finds by name and tags: its full
// ARN becomes a template parameter, and the grants name that value only.
func lookupSecret(name, path string, x XSecret, ds *Diagnostics) *secretSpec {
	param := SecretArnParam(name)
	what := "the secret"
	if x.Name != "" && !strings.Contains(x.Name, "${") {
		what = "the secret " + x.Name
	}
	desc := "Full ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx) of " + what + " in AWS Secrets Manager for the compose secret " + name +
		" (secrets." + name + ".x-secrets.Lookup: compose-x finds it with an AWS call, composex renders offline)"
	if len(desc) > 4000 {
		desc = desc[:4000]
	}
	if strings.HasPrefix(x.Name, "arn:") {
		ds.Warnf("", path+".Lookup", "Name is already an ARN, so there is nothing to look up; the parameter %s asks for it all the same, drop Lookup to use the ARN as written", param)
	}
	checkSecretOptions(path, x, ds)
	return &secretSpec{XSecret: x, arn: "${" + param + "}", param: param, description: desc}
}

// externalSecret is a secret declared external: true with no x-secrets.
// compose-x gives the services nothing for it (it maps only secrets with
// x-secrets: ComposeXSettings.set_secrets), so the application starts
// without its secret; composex asks for the ARN of the Secrets Manager
// secret that stands for it, as for a looked-up one, and says so.
func externalSecret(name string) *secretSpec {
	param := SecretArnParam(name)
	desc := "Full ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx) of the AWS Secrets Manager secret for the compose secret " + name +
		" (secrets." + name + " is external: true, with no x-secrets to name it)"
	if len(desc) > 4000 {
		desc = desc[:4000]
	}
	return &secretSpec{arn: "${" + param + "}", param: param, description: desc, external: true}
}

// warnExternalSecret says, once, what stands for an external secret that
// a service lists.
func warnExternalSecret(name string, spec *secretSpec, ds *Diagnostics) {
	if !spec.external || spec.used {
		return
	}
	ds.Warnf("", "secrets."+Key(name)+".external", "secret %q is external with no x-secrets: the template parameter %s asks for the ARN of its Secrets Manager secret (compose-x gives the services nothing for it); pass the ARN at deploy, or name the secret with secrets.%s.x-secrets.Name", name, spec.param, name)
}

// checkSecretOptions checks JsonKeys, LinksTo and KmsKeyId.
func checkSecretOptions(path string, x XSecret, ds *Diagnostics) {
	for i, k := range x.JsonKeys {
		kp := path + ".JsonKeys." + itoa(i)
		if k.SecretKey == "" {
			ds.Errorf("", kp+".SecretKey", "the key inside the JSON secret is required")
		}
		if strings.Contains(k.SecretKey, ":") {
			ds.Errorf("", kp+".SecretKey", "%q: a JSON key cannot hold ':' (ECS reads valueFrom as ARN:KEY:STAGE:VERSION)", k.SecretKey)
		}
		if k.Transform != "" && !oneOf(k.Transform, transforms) {
			ds.Errorf("", kp+".Transform", "%q is not a transform; allowed: %s", k.Transform, allowedList(transforms))
		}
		if k.VarName != "" && !reEnvName.MatchString(k.VarName) {
			ds.Errorf("", kp+".VarName", "%q is not a valid environment variable name", k.VarName)
		}
	}
	for i, l := range x.LinksTo {
		if !oneOf(l, secretLinks) {
			ds.Errorf("", path+".LinksTo."+itoa(i), "%q is not a role of the family; allowed: %s", l, allowedList(secretLinks))
		}
	}
	if x.KmsKeyId != "" && !reKmsArn.MatchString(x.KmsKeyId) && !reKmsKeyId.MatchString(x.KmsKeyId) {
		ds.Errorf("", path+".KmsKeyId", "%q is neither a KMS key ID nor a key ARN (IAM cannot grant kms:Decrypt through an alias)", x.KmsKeyId)
	}
}

// transformKey names the variable of a JSON key as compose-x does.
func transformKey(key, transform string) string {
	switch transform {
	case "java_properties":
		return strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
	case "capitalize":
		return strings.ToUpper(key)
	case "title":
		if key == "" {
			return key
		}
		return strings.ToUpper(key[:1]) + strings.ToLower(key[1:])
	}
	return key
}

// attachSecrets gives a container its secrets and the family's roles the
// right to read exactly those secrets.
func attachSecrets(s types.ServiceConfig, c *Container, f *Family, specs map[string]*secretSpec, p *types.Project, ds *Diagnostics) {
	for i, ref := range s.Secrets {
		path := ServicePath(s.Name, "secrets", itoa(i))
		spec, ok := specs[ref.Source]
		if _, declared := p.Secrets[ref.Source]; declared {
			// Every secret is also a file at its compose path (the files
			// extension writes it); one without x-secrets is only that.
			req := FileRequest{Kind: FileSecret, Source: ref.Source, Target: ref.Target, UID: ref.UID, GID: ref.GID, Path: path}
			if ref.Mode != nil {
				mode := uint32(*ref.Mode)
				req.Mode = &mode
			}
			if ok {
				req.ValueFrom = spec.arn
			}
			c.Files = append(c.Files, req)
		}
		if !ok {
			continue
		}
		warnExternalSecret(ref.Source, spec, ds)
		spec.used = true
		varName := ref.Source
		if ref.Target != "" && reEnvName.MatchString(ref.Target) {
			varName = ref.Target
		}
		if len(spec.JsonKeys) == 0 {
			if !reEnvName.MatchString(varName) {
				ds.Warnf(s.Name, path, "%q is not an environment variable name, so the secret is only the file %s; give the secret a target that is a variable name to have both", varName, SecretPath(ref.Source, ref.Target))
				grantSecret(f, ref.Source, spec)
				continue
			}
			c.Secrets = append(c.Secrets, ContainerSecret{Name: varName, ValueFrom: spec.arn})
		}
		for _, k := range spec.JsonKeys {
			name := k.VarName
			if name == "" {
				name = transformKey(k.SecretKey, k.Transform)
			}
			if !reEnvName.MatchString(name) {
				ds.Errorf(s.Name, path, "JSON key %q gives the variable name %q, which is not valid; set VarName or Transform", k.SecretKey, name)
				continue
			}
			c.Secrets = append(c.Secrets, ContainerSecret{Name: name, ValueFrom: spec.arn + ":" + EscapeSub(k.SecretKey) + "::"})
		}
		grantSecret(f, ref.Source, spec)
	}
	for _, sec := range c.Secrets {
		if _, clash := c.Environment[sec.Name]; clash {
			ds.Errorf(s.Name, ServicePath(s.Name, "environment", Key(sec.Name)), "%s is also a secret of this container; ECS cannot set it twice", sec.Name)
		}
	}
}

func grantSecret(f *Family, name string, spec *secretSpec) {
	resources := []string{spec.arn + "-??????"}
	switch {
	case spec.param != "":
		// The parameter's value is the full ARN: exactly that secret.
		resources = []string{spec.arn}
	case strings.HasPrefix(spec.Name, "arn:"):
		// A full ARN already ends in the random suffix; a partial one does not.
		resources = []string{spec.arn, spec.arn + "-??????"}
	}
	sts := []Statement{{
		Sid: "Read" + LogicalName(name), Effect: "Allow",
		Action: []string{"secretsmanager:GetSecretValue"}, Resource: resources,
	}}
	if spec.KmsKeyId != "" {
		key := spec.KmsKeyId
		if !strings.HasPrefix(key, "arn:") {
			key = "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/" + key
		}
		sts = append(sts, Statement{Sid: "Decrypt" + LogicalName(name), Effect: "Allow", Action: []string{"kms:Decrypt"}, Resource: []string{key}})
	}
	// ECS reads the container's Secrets with the execution role, so that
	// role is always granted; LinksTo EcsTaskRole also lets the application
	// read the secret itself.
	f.ExecutionRole.addStatementsOnce("ReadSecrets", sts)
	if oneOf("EcsTaskRole", spec.LinksTo) {
		f.TaskRole.addStatementsOnce("ReadSecrets", sts)
	}
}

// addStatementsOnce adds statements whose Sid the policy does not have yet
// (a secret used by two containers of a family is granted once).
func (r *Role) addStatementsOnce(policy string, sts []Statement) {
	for _, st := range sts {
		if r.hasSid(policy, st.Sid) {
			continue
		}
		r.AddPolicy(policy, st)
	}
}

func (r *Role) hasSid(policy, sid string) bool {
	for _, p := range r.Policies {
		if p.Name != policy {
			continue
		}
		for _, st := range p.Statements {
			if st.Sid == sid {
				return true
			}
		}
	}
	return false
}

func itoa(i int) string { return strconv.Itoa(i) }

// secretNameOf is the name part of a secret ARN (after "secret:"), or the
// name itself.
func secretNameOf(nameOrArn string) string {
	if _, after, ok := strings.Cut(nameOrArn, ":secret:"); ok && strings.HasPrefix(nameOrArn, "arn:") {
		return after
	}
	return nameOrArn
}
