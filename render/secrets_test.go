package render

import (
	"reflect"
	"strings"
	"testing"
)

const partialArn = "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"

func TestSecrets(t *testing.T) {
	tests := []struct {
		name      string
		secrets   string // top-level secrets block body
		use       string // the service's secrets key
		want      []ContainerSecret
		resources []string // execution role's GetSecretValue resources
	}{
		{"name", "  db:\n    x-secrets:\n      Name: prod/db\n", "    secrets: [db]\n",
			[]ContainerSecret{{"db", partialArn + "prod/db"}}, []string{partialArn + "prod/db-??????"}},
		{"target names the variable", "  db:\n    x-secrets:\n      Name: prod/db\n", "    secrets:\n      - source: db\n        target: DB_PASSWORD\n",
			[]ContainerSecret{{"DB_PASSWORD", partialArn + "prod/db"}}, []string{partialArn + "prod/db-??????"}},
		{"full ARN kept", "  db:\n    x-secrets:\n      Name: arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf\n", "    secrets: [db]\n",
			[]ContainerSecret{{"db", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf"}},
			[]string{"arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf-??????"}},
		{"json keys", `  db:
    x-secrets:
      Name: prod/db
      JsonKeys:
        - SecretKey: username
        - SecretKey: password
          VarName: DB_PASS
        - SecretKey: db.host.name
          Transform: java_properties
        - SecretKey: port
          Transform: capitalize
        - SecretKey: sCHEMA
          Transform: title
`, "    secrets: [db]\n",
			[]ContainerSecret{
				{"username", partialArn + "prod/db:username::"},
				{"DB_PASS", partialArn + "prod/db:password::"},
				{"DB_HOST_NAME", partialArn + "prod/db:db.host.name::"},
				{"PORT", partialArn + "prod/db:port::"},
				{"Schema", partialArn + "prod/db:sCHEMA::"},
			}, []string{partialArn + "prod/db-??????"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := mustBuild(t, "secrets:\n"+tt.secrets+"services:\n  web:\n    image: nginx\n"+tt.use)
			f := family(t, m, "web")
			if got := container(t, f, "web").Secrets; !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("secrets %+v, want %+v", got, tt.want)
			}
			want := []Policy{{Name: "ReadSecrets", Statements: []Statement{{Sid: "ReadDb", Effect: "Allow",
				Action: []string{"secretsmanager:GetSecretValue"}, Resource: tt.resources}}}}
			if !reflect.DeepEqual(f.ExecutionRole.Policies, want) {
				t.Fatalf("execution role policies %+v, want %+v", f.ExecutionRole.Policies, want)
			}
			if len(f.TaskRole.Policies) != 0 {
				t.Fatalf("task role policies %+v, want none", f.TaskRole.Policies)
			}
		})
	}
}

func TestSecretKmsAndLinks(t *testing.T) {
	m, _ := mustBuild(t, `secrets:
  db:
    x-secrets:
      Name: prod/db
      KmsKeyId: 1234abcd-12ab-34cd-56ef-1234567890ab
      LinksTo: [EcsTaskRole]
services:
  web:
    image: nginx
    secrets: [db]
`)
	f := family(t, m, "web")
	want := []Statement{
		{Sid: "ReadDb", Effect: "Allow", Action: []string{"secretsmanager:GetSecretValue"}, Resource: []string{partialArn + "prod/db-??????"}},
		{Sid: "DecryptDb", Effect: "Allow", Action: []string{"kms:Decrypt"},
			Resource: []string{"arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/1234abcd-12ab-34cd-56ef-1234567890ab"}},
	}
	for role, r := range map[string]Role{"task": f.TaskRole, "execution": f.ExecutionRole} {
		if len(r.Policies) != 1 || r.Policies[0].Name != "ReadSecrets" || !reflect.DeepEqual(r.Policies[0].Statements, want) {
			t.Errorf("%s role policies %+v, want ReadSecrets %+v", role, r.Policies, want)
		}
	}

	m, _ = mustBuild(t, `secrets:
  db:
    x-secrets:
      Name: prod/db
      KmsKeyId: arn:aws:kms:eu-west-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef
services:
  web:
    image: nginx
    secrets: [db]
`)
	f = family(t, m, "web")
	sts := f.ExecutionRole.Policies[0].Statements
	if len(sts) != 2 || !reflect.DeepEqual(sts[1].Resource, []string{"arn:aws:kms:eu-west-1:123456789012:key/mrk-0123456789abcdef0123456789abcdef"}) {
		t.Fatalf("statements %+v", sts)
	}
}

// A secret used by two containers of a family is granted once.
func TestSecretGrantedOnce(t *testing.T) {
	m, _ := mustBuild(t, `secrets:
  db:
    x-secrets: {Name: prod/db}
services:
  a:
    image: a
    secrets: [db]
    deploy: {labels: {ecs.task.family: app}}
  b:
    image: b
    secrets: [db]
    deploy: {labels: {ecs.task.family: app}}
`)
	f := family(t, m, "app")
	if n := len(f.ExecutionRole.Policies[0].Statements); n != 1 {
		t.Fatalf("%d statements, want 1: %+v", n, f.ExecutionRole.Policies)
	}
}

func TestSecretErrors(t *testing.T) {
	tests := []struct {
		name          string
		src           string
		service, path string
		msg           string
	}{
		{"alias refused", `secrets:
  db:
    x-secrets: {Name: prod/db, KmsKeyId: alias/aws/secretsmanager}
services:
  web: {image: nginx}
`, "", "secrets.db.x-secrets.KmsKeyId", `"alias/aws/secretsmanager" is neither a KMS key ID nor a key ARN (IAM cannot grant kms:Decrypt through an alias)`},
		{"wildcard in a secret name", `secrets:
  db:
    x-secrets: {Name: "prod/*"}
services:
  web: {image: nginx}
`, "", "secrets.db.x-secrets.Name", `"prod/*": a secret name has only letters, digits and / _ + = . @ - (no * or ?`},
		{"wildcard in a secret ARN", `secrets:
  db:
    x-secrets: {Name: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/d?"}
services:
  web: {image: nginx}
`, "", "secrets.db.x-secrets.Name", `a secret name has only letters, digits`},
		{"wildcard in a KMS key ARN", `secrets:
  db:
    x-secrets: {Name: prod/db, KmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/*"}
services:
  web: {image: nginx}
`, "", "secrets.db.x-secrets.KmsKeyId", `is neither a KMS key ID nor a key ARN`},
		{"colon in a JSON key", `secrets:
  db:
    x-secrets: {Name: prod/db, JsonKeys: [{SecretKey: "a:b", VarName: A}]}
services:
  web: {image: nginx}
`, "", "secrets.db.x-secrets.JsonKeys.0.SecretKey", `"a:b": a JSON key cannot hold ':'`},
		{"env var clashes with secret", `secrets:
  db:
    x-secrets: {Name: prod/db}
services:
  web:
    image: nginx
    environment: {DB_PASSWORD: oops}
    secrets:
      - source: db
        target: DB_PASSWORD
`, "web", "services.web.environment.DB_PASSWORD", "DB_PASSWORD is also a secret of this container; ECS cannot set it twice"},
		{"no name", `secrets:
  db:
    x-secrets: {LinksTo: [EcsTaskRole]}
services:
  web: {image: nginx}
`, "", "secrets.db.x-secrets.Name", "the name or ARN of the secret in AWS Secrets Manager is required"},
		{"bad ARN", `secrets:
  db:
    x-secrets: {Name: "arn:aws:ssm:eu-west-1:123456789012:parameter/db"}
services:
  web: {image: nginx}
`, "", "secrets.db.x-secrets.Name", `"arn:aws:ssm:eu-west-1:123456789012:parameter/db" is not a Secrets Manager secret ARN`},
		{"lookup with a bad link", `secrets:
  db:
    x-secrets: {Name: db, Lookup: {Tags: [{a: b}]}, LinksTo: [TaskRole]}
services:
  web: {image: nginx}
`, "", "secrets.db.x-secrets.LinksTo.0", `"TaskRole" is not a role of the family; allowed: EcsExecutionRole, EcsTaskRole`},
		{"bad transform", `secrets:
  db:
    x-secrets: {Name: db, JsonKeys: [{SecretKey: a, Transform: upper}]}
services:
  web: {image: nginx}
`, "", "secrets.db.x-secrets.JsonKeys.0.Transform", `"upper" is not a transform; allowed: java_properties, capitalize, title`},
		{"bad link", `secrets:
  db:
    x-secrets: {Name: db, LinksTo: [TaskRole]}
services:
  web: {image: nginx}
`, "", "secrets.db.x-secrets.LinksTo.0", `"TaskRole" is not a role of the family; allowed: EcsExecutionRole, EcsTaskRole`},
		{"json key gives a bad name", `secrets:
  db:
    x-secrets: {Name: db, JsonKeys: [{SecretKey: db.host}]}
services:
  web:
    image: nginx
    secrets: [db]
`, "web", "services.web.secrets.0", `JSON key "db.host" gives the variable name "db.host", which is not valid; set VarName or Transform`},
		{"unknown key", `secrets:
  db:
    x-secrets: {Name: db, Region: eu-west-1}
services:
  web: {image: nginx}
`, "", "secrets.db.x-secrets", `unknown key "Region"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ds := buildYAML(t, tt.src)
			d := wantError(t, ds, tt.service, tt.path, tt.msg)
			if d.Line == 0 {
				t.Errorf("not located: %s", d)
			}
		})
	}
}

// In the template the ARN is a Fn::Sub in Secrets and never a plain
// environment variable (compose-x adds one; composex must not).
func TestSecretsInTemplate(t *testing.T) {
	out, _ := mustRender(t, `secrets:
  db:
    x-secrets:
      Name: prod/db
      JsonKeys: [{SecretKey: password, VarName: DB_PASSWORD}]
  token:
    x-secrets: {Name: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:token-AbCdEf"}
services:
  web:
    image: nginx
    environment: {MODE: prod}
    secrets: [token, db]
`, Options{})
	doc := template(t, out)
	cd := containerDef(t, resource(t, doc, "WebTaskDefinition", "AWS::ECS::TaskDefinition"), "web")
	want := []any{
		map[string]any{"Name": "DB_PASSWORD", "ValueFrom": map[string]any{"Fn::Sub": partialArn + "prod/db:password::"}},
		map[string]any{"Name": "token", "ValueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:token-AbCdEf"},
	}
	if !reflect.DeepEqual(cd["Secrets"], want) {
		t.Fatalf("Secrets %v", cd["Secrets"])
	}
	if !reflect.DeepEqual(cd["Environment"], []any{map[string]any{"Name": "MODE", "Value": "prod"}}) {
		t.Fatalf("Environment %v", cd["Environment"])
	}
	body := string(out.Files[out.Template])
	if n := strings.Count(body, "secretsmanager:${AWS::Region}"); n != 2 { // the container secret and the policy
		t.Errorf("the partial ARN appears %d times, want 2", n)
	}
	role := resource(t, doc, "WebExecutionRole", "AWS::IAM::Role")
	pol := findPolicy(t, role, "ReadSecrets")
	if len(pol["Statement"].([]any)) != 2 {
		t.Fatalf("ReadSecrets %v", pol)
	}
}

// A secret that compose-x looks up (x-secrets.Lookup) is a parameter
// holding its full ARN: ECS reads that ARN (and a JSON key of it) with the
// execution role, which may read exactly the parameter's value: no
// partial-ARN wildcard, since the value is a full ARN.
func TestSecretLookupIsAnArnParameter(t *testing.T) {
	out, ds := mustRender(t, `secrets:
  zyx:
    x-secrets:
      Name: secret/with/kmskey
      Lookup: {Tags: [{costcentre: lambda}]}
      JsonKeys: [{SecretKey: test, VarName: ZYX_TEST}]
  unused:
    x-secrets: {Lookup: {Tags: [{a: b}]}}
services:
  web:
    image: nginx
    secrets: [zyx]
`, Options{})
	if len(ds.Errors()) != 0 {
		t.Fatal(dump(ds))
	}
	doc := template(t, out)
	params := doc["Parameters"].(map[string]any)
	want := map[string]any{"Type": "String", "MinLength": 1, "Description": "Full ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx) of the secret secret/with/kmskey in AWS Secrets Manager for the compose secret zyx (secrets.zyx.x-secrets.Lookup: compose-x finds it with an AWS call, composex renders offline)"}
	if !reflect.DeepEqual(params["ZyxSecretArn"], want) {
		t.Errorf("ZyxSecretArn: %#v", params["ZyxSecretArn"])
	}
	if _, asked := params["UnusedSecretArn"]; asked {
		t.Errorf("a looked-up secret no service lists must not be asked for")
	}
	cd := containerDef(t, resource(t, doc, "WebTaskDefinition", "AWS::ECS::TaskDefinition"), "web")
	wantSecrets := []any{map[string]any{"Name": "ZYX_TEST", "ValueFrom": map[string]any{"Fn::Sub": "${ZyxSecretArn}:test::"}}}
	if !reflect.DeepEqual(cd["Secrets"], wantSecrets) {
		t.Errorf("Secrets %#v", cd["Secrets"])
	}
	pol := findPolicy(t, resource(t, doc, "WebExecutionRole", "AWS::IAM::Role"), "ReadSecrets")
	st := pol["Statement"].([]any)[0].(map[string]any)
	if !reflect.DeepEqual(st["Resource"], []any{map[string]any{"Fn::Sub": "${ZyxSecretArn}"}}) {
		t.Errorf("the grant must be the parameter's value only: %#v", st["Resource"])
	}
}

// A secret declared external: true with no x-secrets exists outside the
// stack, but nothing names it in Secrets Manager: compose-x gives the
// services nothing for it (set_secrets maps only secrets with x-secrets).
// composex asks for its ARN as a parameter, as for a looked-up secret,
// gives it to the services that list it, grants reading exactly that ARN,
// and says so once, at the secret's external key. An external secret no
// service lists is not asked for.
func TestExternalSecretIsAnArnParameter(t *testing.T) {
	out, ds := mustRender(t, `services:
  web:
    image: nginx
    secrets: [zyx]
  api:
    image: nginx
    secrets: [zyx]
secrets:
  zyx:
    external: true
  unused:
    external: true
`, Options{})
	d := wantWarning(t, ds, "", "secrets.zyx.external", `secret "zyx" is external with no x-secrets: the template parameter ZyxSecretArn asks for the ARN of its Secrets Manager secret (compose-x gives the services nothing for it); pass the ARN at deploy, or name the secret with secrets.zyx.x-secrets.Name`)
	if d.Line != 10 {
		t.Errorf("warning at line %d, want 10 (external: true)", d.Line)
	}
	n := 0
	for _, d := range ds {
		if strings.Contains(d.Message, "is external with no x-secrets") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d warnings for the external secret, want 1:\n%s", n, dump(ds))
	}
	doc := template(t, out)
	params := doc["Parameters"].(map[string]any)
	want := map[string]any{"Type": "String", "MinLength": 1, "Description": "Full ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-xxxxxx) of the AWS Secrets Manager secret for the compose secret zyx (secrets.zyx is external: true, with no x-secrets to name it)"}
	if !reflect.DeepEqual(params["ZyxSecretArn"], want) {
		t.Errorf("ZyxSecretArn: %#v", params["ZyxSecretArn"])
	}
	if _, asked := params["UnusedSecretArn"]; asked {
		t.Errorf("an external secret no service lists must not be asked for")
	}
	for _, svc := range []string{"web", "api"} {
		fam := LogicalName(svc)
		cd := containerDef(t, resource(t, doc, fam+"TaskDefinition", "AWS::ECS::TaskDefinition"), svc)
		wantSecrets := []any{map[string]any{"Name": "zyx", "ValueFrom": map[string]any{"Fn::Sub": "${ZyxSecretArn}"}}}
		if !reflect.DeepEqual(cd["Secrets"], wantSecrets) {
			t.Errorf("%s Secrets %#v", svc, cd["Secrets"])
		}
		pol := findPolicy(t, resource(t, doc, fam+"ExecutionRole", "AWS::IAM::Role"), "ReadSecrets")
		st := pol["Statement"].([]any)[0].(map[string]any)
		if !reflect.DeepEqual(st["Resource"], []any{map[string]any{"Fn::Sub": "${ZyxSecretArn}"}}) {
			t.Errorf("%s: the grant must be the parameter's value only: %#v", svc, st["Resource"])
		}
	}
}
