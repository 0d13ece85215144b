package render

import "testing"

// compose-x modules are warned about by name, with what to provide instead,
// and never taken for a typo of a key composex reads (x-aps is two edits
// from x-sns, x-kinesis_firehose and x-wafv2_webacl are long names of
// their own).
func TestComposeXModulesAreWarnedWithAdvice(t *testing.T) {
	ext := fakeExtension{project: []string{"x-sns", "x-alarms", "x-cluster", "x-cloudmap"}}
	in := mustLoad(t, `
services:
  web:
    image: nginx:1.27
x-aps: {prom: {}}
x-wafv2_webacl: {acl: {}}
x-kinesis_firehose: {stream: {}}
x-rds: {db: {}}
x-events: {nightly: {}}
`)
	ds := in.Sources.Place(Validate(in, []Extension{ext}))
	for _, c := range []struct{ key, advice string }{
		{"x-aps", "create the Amazon Managed Prometheus workspace outside this stack; x-prometheus sends the metrics to CloudWatch"},
		{"x-wafv2_webacl", "create the web ACL outside this stack and associate it with the load balancer"},
		{"x-kinesis_firehose", "create the delivery stream outside this stack, give the services its name (environment) and grant firehose:PutRecord* with x-iam"},
		{"x-rds", "create the database outside this stack and give the services its endpoint (environment) and credentials (secrets.*.x-secrets); allow the services' security group in the database's"},
		{"x-events", "create the EventBridge rule outside this stack; a scheduled task is not rendered"},
	} {
		d := wantWarning(t, ds, "", c.key, c.key+" is a compose-x module that composex does not implement; nothing is created for it: "+c.advice)
		if d.Line == 0 {
			t.Errorf("%s: no line", c.key)
		}
	}
	if ds.HasErrors() {
		t.Errorf("compose-x modules must not be errors:\n%s", dump(ds))
	}
}

// Every module with advice is in the list of compose-x modules.
func TestComposeXModuleAdviceIsRegistered(t *testing.T) {
	for k, advice := range composexModuleAdvice {
		if !composexModules[k] || advice == "" {
			t.Errorf("%s: registered %v, advice %q", k, composexModules[k], advice)
		}
	}
}
