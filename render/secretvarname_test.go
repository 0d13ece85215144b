package render

import (
	"strings"
	"testing"
)

// compose-x's x-secrets.VarName names a variable holding the secret's ARN;
// composex accepts the key, sets no such variable, and says so where it is
// written. The secret's value is still given.
func TestSecretVarNameWarned(t *testing.T) {
	m, ds := mustBuild(t, `secrets:
  john:
    x-secrets:
      Name: /cicd/token
      VarName: SOMETHING_GITHUB
services:
  web:
    image: nginx:1.27
    secrets: [john]
`)
	wantWarning(t, ds, "", "secrets.john.x-secrets.VarName", `SOMETHING_GITHUB: compose-x sets this variable to the secret's ARN; composex does not (services listing it get the secret's value, as john or the target they give); pass the ARN through environment if the application reads it`)
	c := m.Families[0].Containers[0]
	if len(c.Secrets) != 1 || c.Secrets[0].Name != "john" || !strings.HasSuffix(c.Secrets[0].ValueFrom, ":secret:/cicd/token") {
		t.Errorf("secrets %+v", c.Secrets)
	}
	if _, ok := c.Environment["SOMETHING_GITHUB"]; ok {
		t.Error("SOMETHING_GITHUB set")
	}
}
