// Package extensions wires the x- extensions into the renderer in a fixed
// order: an extension that builds on another's contribution to the model
// comes after it.
package extensions

import (
	"github.com/composex/composex/extensions/alarms"
	"github.com/composex/composex/extensions/cwagent"
	"github.com/composex/composex/extensions/dashboards"
	"github.com/composex/composex/extensions/discovery"
	"github.com/composex/composex/extensions/efs"
	"github.com/composex/composex/extensions/elbv2"
	"github.com/composex/composex/extensions/envoy"
	"github.com/composex/composex/extensions/exposure"
	"github.com/composex/composex/extensions/files"
	"github.com/composex/composex/extensions/firelens"
	"github.com/composex/composex/extensions/iam"
	"github.com/composex/composex/extensions/logmetrics"
	"github.com/composex/composex/extensions/monitoring"
	"github.com/composex/composex/extensions/network"
	"github.com/composex/composex/extensions/prometheus"
	"github.com/composex/composex/extensions/scaling"
	"github.com/composex/composex/extensions/xray"
	"github.com/composex/composex/render"
)

// All returns every extension composex supports, in the order they extend
// the model. cwagent comes after every extension that asks for the agent.
func All() []render.Extension {
	return []render.Extension{
		iam.Extension{},
		network.Extension{},
		elbv2.Extension{}, // load balancer targets, read by scaling and alarms
		prometheus.Extension{},
		monitoring.Extension{},
		scaling.Extension{}, // records each family's scaling range for alarms
		alarms.Extension{},
		xray.Extension{},      // sets each family's trace collector, read by envoy
		discovery.Extension{}, // compose names through Service Connect (it leaves the families with explicit settings to envoy)
		envoy.Extension{},     // Service Connect and the Envoy sidecar (after network and discovery, whose names its egress clusters resolve)
		exposure.Extension{},  // published ports reachable from nowhere (after every source of targets and rules)
		// log metric filters and saved queries (after alarms, whose alarms on
		// their metrics it checks, and envoy, whose access log it queries)
		logmetrics.Extension{},

		cwagent.Extension{},
		// after every extension whose resources its widgets show
		dashboards.Extension{},

		efs.Extension{},      // named volumes: after network, whose egress rules it extends
		firelens.Extension{}, // log routers: after every extension that adds app containers
		files.Extension{},    // last: it checks the variables every other one set
	}
}
