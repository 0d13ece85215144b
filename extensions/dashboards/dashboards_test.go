package dashboards_test

import (
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

const base = `
services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27
    x-logging:
      MetricFilters:
        - {MetricName: NginxErrors, Pattern: '"[error]"', DefaultValue: 0}
  api:
    image: public.ecr.aws/nginx/nginx:1.27
    deploy:
      labels:
        ecs.task.family: backend
  worker:
    image: public.ecr.aws/nginx/nginx:1.27
    deploy:
      labels:
        ecs.task.family: backend
`

// Bad x-dashboards input is refused at its key with what is allowed.
func TestRefused(t *testing.T) {
	for _, c := range []struct{ name, dash, path, msg string }{
		{"name", `
  "main board": {Services: {web: {}}}`, "x-dashboards.main board", `"main board" cannot name a dashboard: 1 to 100 letters, digits, - and _ (the dashboard is named <stack>-main board)`},
		{"type", `
  main: {Type: grafana, Services: {web: {}}}`, "x-dashboards.main.Type", `"grafana" is not a dashboard type; allowed: cloudwatch`},
		{"start", `
  main: {Settings: {start: 3 hours}, Services: {web: {}}}`, "x-dashboards.main.Settings.start", `"3 hours" is not a time range; give an ISO 8601 duration before now, e.g. -PT3H or -P7D`},
		{"unknown service", `
  main: {Services: {front: {}}}`, "x-dashboards.main.Services.front", `"front" is neither a task family nor a service of this project; families: backend, web`},
		{"unknown metric", `
  main: {Services: {web: {Metrics: [Errors]}}}`, "x-dashboards.main.Services.web.Metrics.0", `"Errors" is not a metric of family web's log metric filters; its metrics: NginxErrors`},
		{"metric of a family without filters", `
  main: {Services: {backend: {Metrics: [Errors]}}}`, "x-dashboards.main.Services.backend.Metrics.0", `"Errors": family backend has no log metric filter (x-logging.MetricFilters) to graph`},
	} {
		t.Run(c.name, func(t *testing.T) {
			rendertest.ExpectRefused(t, base+"x-dashboards:"+c.dash+"\n", nil, c.path, c.msg)
		})
	}
}

// compose-x files name families; a service name of a one-family service
// works too. Resources of compose-x modules are warned about and skipped.
func TestServicesAndFamilies(t *testing.T) {
	r := rendertest.MustRender(t, base+`
x-dashboards:
  main:
    Services:
      backend: {}
      worker: {}
    Resources:
      x-rds::db: {}
`)
	if rendertest.Find(r.Diags, render.Warning, "x-dashboards.main.Resources.[x-rds::db]") == nil && rendertest.Find(r.Diags, render.Warning, "x-dashboards.main.Resources.x-rds::db") == nil {
		t.Errorf("no warning for the compose-x resource:\n%s", r.Diags.Error())
	}
	d := r.Get(t, "MainDashboard", "AWS::CloudWatch::Dashboard")
	body := rendertest.Dig(d, "DashboardBody", "Fn::Sub", 0).(string)
	if n := strings.Count(body, `"markdown":"## backend (ECS service)"`); n != 2 {
		t.Errorf("backend named twice (as the family and through worker) should show twice, got %d", n)
	}
}

// User text never becomes live CloudFormation: a metric name cannot hold
// the $ that would start a reference (the body's other user text, names of
// services and dashboards, cannot either; internal_test checks the escape).
func TestMetricNamesCannotHoldReferences(t *testing.T) {
	rendertest.ExpectRefused(t, `
services:
  web:
    image: public.ecr.aws/nginx/nginx:1.27
    x-logging:
      MetricFilters:
        - {MetricName: "Err$${AWS::AccountId}", Pattern: '"[error]"'}
x-dashboards:
  main: {Services: {web: {}}}
`, nil, "services.web.x-logging.MetricFilters.0.MetricName", `"Err${AWS::AccountId}" is not a metric name: 1 to 255 characters, none of : * $`)
}
