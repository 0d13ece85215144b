package files

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/awslabs/goformation/v7/cloudformation"
	"github.com/awslabs/goformation/v7/cloudformation/policies"
	"github.com/awslabs/goformation/v7/cloudformation/secretsmanager"
	"github.com/awslabs/goformation/v7/cloudformation/ssm"
	"github.com/awslabs/goformation/v7/cloudformation/tags"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

// Generate is x-generate: true, or the settings of the generated value.
type Generate struct {
	Length             int    `json:"Length,omitempty"`
	ExcludeCharacters  string `json:"ExcludeCharacters,omitempty"`
	ExcludePunctuation bool   `json:"ExcludePunctuation,omitempty"`
}

// DefaultLength is the generated value's length when none is given.
const DefaultLength = 32

func readGenerate(name string, sec types.SecretConfig, ds *render.Diagnostics) (*Generate, bool) {
	raw, ok := sec.Extensions[SecretGenerateKey]
	if !ok {
		return nil, true
	}
	p := "secrets." + render.Key(name) + "." + SecretGenerateKey
	g := Generate{Length: DefaultLength}
	if b, isBool := raw.(bool); isBool {
		if !b {
			return nil, true
		}
	} else {
		data, _ := json.Marshal(raw)
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		g = Generate{}
		if err := dec.Decode(&g); err != nil {
			ds.Errorf("", p, "x-generate is true or {Length, ExcludeCharacters, ExcludePunctuation}: %s", strings.TrimPrefix(err.Error(), "json: "))
			return nil, false
		}
		if g.Length == 0 {
			g.Length = DefaultLength
		}
		if g.Length < 8 || g.Length > 4096 {
			ds.Errorf("", p+".Length", "%d is out of range: a generated secret is 8 to 4096 characters", g.Length)
			return nil, false
		}
	}
	if _, withX := sec.Extensions["x-secrets"]; withX {
		ds.Errorf("", p, "secret %s names an existing secret with x-secrets; the stack generates only the secrets it creates: drop x-generate or x-secrets", name)
		return nil, false
	}
	if bool(sec.External) {
		ds.Errorf("", p, "secret %s is external; the stack generates only the secrets it creates", name)
		return nil, false
	}
	return &g, true
}

// SecretID and ValueParam are the logical ID of the Secrets Manager
// secret the stack creates for a compose secret and the NoEcho parameter
// that holds its value.
func SecretID(name string) string   { return render.LogicalName(name) + "Secret" }
func ValueParam(name string) string { return render.LogicalName(name) + "SecretValue" }

func isStackSecret(valueFrom string) bool {
	return strings.HasPrefix(valueFrom, "${") && !strings.Contains(valueFrom, ":")
}

// secret delivers a compose secret as a file: an x-secrets secret from
// its ARN, any other from the Secrets Manager secret the stack creates.
func (x *extender) secret(s *types.ServiceConfig, r render.FileRequest, base file) []file {
	base.target = render.SecretPath(r.Source, r.Target)
	base.readOnly = true
	if r.ValueFrom != "" {
		base.valueFrom = r.ValueFrom
		return []file{base}
	}
	sec, ok := x.in.Project.Secrets[r.Source]
	if !ok {
		return nil
	}
	if bool(sec.External) {
		x.ds.Errorf(s.Name, r.Path, "secret %q is external: name its Secrets Manager secret with secrets.%s.x-secrets.Name", r.Source, r.Source)
		return nil
	}
	id, ok := x.stackSecret(r.Source, sec)
	if !ok {
		return nil
	}
	base.valueFrom = "${" + id + "}"
	return []file{base}
}

// stackSecret creates, once, the Secrets Manager secret of a compose
// secret. Its value is never read from the compose file's source (file or
// variable): it comes from a NoEcho parameter, or is generated.
func (x *extender) stackSecret(name string, sec types.SecretConfig) (string, bool) {
	if id, done := x.secrets[name]; done {
		return id, id != ""
	}
	x.secrets[name] = ""
	var sub render.Diagnostics // Validate reported these
	gen, ok := readGenerate(name, sec, &sub)
	if !ok {
		return "", false
	}
	id := SecretID(name)
	res := &secretsmanager.Secret{
		Description: cloudformation.String(fmt.Sprintf("compose secret %s of the project %s (composex)", name, x.m.Name)),
		Tags:        []tags.Tag{{Key: "composex:project", Value: x.m.Name}, {Key: "composex:secret", Value: name}},
	}
	if gen != nil {
		res.GenerateSecretString = &secretsmanager.Secret_GenerateSecretString{PasswordLength: cloudformation.Int(gen.Length)}
		if gen.ExcludeCharacters != "" {
			res.GenerateSecretString.ExcludeCharacters = cloudformation.String(gen.ExcludeCharacters)
		}
		if gen.ExcludePunctuation {
			res.GenerateSecretString.ExcludePunctuation = cloudformation.Bool(true)
		}
		// A generated value exists nowhere else: keep it when the stack
		// goes (the data it protects may outlive the stack).
		res.AWSCloudFormationDeletionPolicy = policies.DeletionPolicy("Retain")
		res.AWSCloudFormationUpdateReplacePolicy = policies.UpdateReplacePolicy("Retain")
	} else {
		param := ValueParam(name)
		source := "its file"
		if sec.Environment != "" {
			source = "the variable " + sec.Environment
		}
		if err := x.m.AddParameter(param, render.Parameter{Type: "String", NoEcho: true, MinLength: 1,
			Description: fmt.Sprintf("Value of the compose secret %s (what %s holds under docker compose); never written into the template", name, source)}); err != nil {
			x.ds.Errorf("", "secrets."+render.Key(name), "%v", err)
			return "", false
		}
		res.SecretString = cloudformation.RefPtr(param)
	}
	if err := x.m.AddResource(id, res); err != nil {
		x.ds.Errorf("", "secrets."+render.Key(name), "%v", err)
		return "", false
	}
	x.secrets[name] = id
	return id, true
}

// parameter stores a file's content, base64-encoded, in an SSM parameter:
// standard tier up to 4 KB, advanced above.
func (x *extender) parameter(f *render.Family, fl file, n int) (string, bool) {
	value := base64.StdEncoding.EncodeToString(fl.content)
	if len(value) > AdvancedTierBytes {
		x.ds.Errorf(fl.service, fl.path, "%s %v", fl.target, errTooLarge{int64(len(fl.content))})
		return "", false
	}
	tier := "Standard"
	if len(value) > StandardTierBytes {
		tier = "Advanced"
	}
	id := fmt.Sprintf("%sFile%d", f.Logical, n)
	desc := fmt.Sprintf("%s of the container %s (base64)", fl.target, fl.container)
	if len(desc) > 1024 {
		desc = desc[:1021] + "..."
	}
	if err := f.AddResource(id, &ssm.Parameter{
		Name:        cloudformation.SubPtr("/composex/${AWS::StackName}/" + render.ResourceName(f.Name) + "/files/" + fmt.Sprint(n)),
		Type:        "String",
		Tier:        cloudformation.String(tier),
		Description: cloudformation.String(desc),
		Value:       value,
	}); err != nil {
		x.ds.Errorf(fl.service, fl.path, "%v", err)
		return "", false
	}
	// The parameter's name starts with a slash, which the ARN does not repeat.
	return "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter${" + id + "}", true
}
