package render

// The sidecar images composex pins, in one place. A pin that does not exist
// stops every task that uses it (the ECS agent cannot pull the image), so
// each pin records when and where its tag was checked; move a pin only
// after checking the new tag the same way, and update the row.
const (
	// CloudWatchAgentImage: the ECR Public gallery tags every agent release
	// as <version>b<build> (the bare tag is the multi-arch manifest).
	CloudWatchAgentImage = "public.ecr.aws/cloudwatch-agent/cloudwatch-agent:1.300072.0b1766"
	// XRayDaemonImage: the daemon's release workflow pushes
	// public.ecr.aws/xray/aws-xray-daemon:<version> without the v.
	XRayDaemonImage = "public.ecr.aws/xray/aws-xray-daemon:3.6.6"
	// EnvoyImage: the upstream image (App Mesh's aws-appmesh-envoy ended
	// with App Mesh); Envoy tags every release v<version> on Docker Hub.
	EnvoyImage = "envoyproxy/envoy:v1.40.0"
	// NginxPrometheusExporterImage: tagged <version> without the v on ECR
	// Public (nginx publishes there and on Docker Hub and ghcr.io).
	NginxPrometheusExporterImage = "public.ecr.aws/nginx/nginx-prometheus-exporter:1.5.3"
	// FluentBitImage: AWS for Fluent Bit, the FireLens log router; its
	// publish script pushes public.ecr.aws/aws-observability/aws-for-fluent-bit:<version>.
	FluentBitImage = "public.ecr.aws/aws-observability/aws-for-fluent-bit:2.32.4"
)

// Pin is one row of the pin table.
type Pin struct {
	Image   string // repository:tag as composex writes it
	Checked string // date the tag was checked (UTC)
	Where   string // what was read to check it
}

// Pins is the table of every sidecar pin, checked on the dates shown.
var Pins = []Pin{
	{CloudWatchAgentImage, "2026-12-01",
		"github.com/aws/amazon-cloudwatch-agent: release tags up to v1.300071.0 (2026-07-22) in the repository snapshot of 2026-08-07, " +
			"RELEASE_NOTES; the image tag 1.300072.0b1766 (multi-arch, the release after it) as pinned by two independent public repositories " +
			"(a CDK stack noting the bare tag is the multi-arch manifest, and an OTel-on-ECS guide)"},
	{XRayDaemonImage, "2026-12-01",
		"github.com/aws/aws-xray-daemon: tag v3.6.6 and CHANGELOG 3.6.6 (2026-07-14, Go 1.25.12 and x/net CVE bumps); " +
			".github/workflows/release-build-publish.yml pushes public.ecr.aws/xray/aws-xray-daemon:<version>; Dockerfile: FROM scratch, USER xray (uid 10001)"},
	{EnvoyImage, "2026-12-01",
		"github.com/envoyproxy/envoy: changelogs/1.40.0.yaml (October 1, 2026; CVE-2026-73547, -50572, -73546, -73513, -73550, -73512, -48521 fixed); " +
			"no changelog for 1.39.4 or later exists, so the former pin v1.39.6 was not a release"},
	{NginxPrometheusExporterImage, "2026-12-01",
		"github.com/nginx/nginx-prometheus-exporter: tag v1.5.3 (2026-08-14), the newest in the repository snapshot; .github/workflows/ci.yml publishes to public.ecr.aws/nginx/nginx-prometheus-exporter"},
	{FluentBitImage, "2026-12-01",
		"github.com/aws/aws-for-fluent-bit: pull request #873 'Release 2.32.4' (merged 2024-11-01; Fluent Bit 1.9.10, 2.32.3 plus one cloudwatch_logs fix); " +
			"the repository snapshot of 2024-10-23 (tag v2.32.3): scripts/publish.sh pushes public.ecr.aws/aws-observability/aws-for-fluent-bit:<version>, " +
			"scripts/dockerfiles/Dockerfile.main-release: FROM amazonlinux:2 (sh, mkdir, printf, curl), no USER, CMD /entrypoint.sh (no #! line). " +
			"Later releases exist (2.34.1.20251112, Fluent Bit 1.9.10; 3.2.1 of 2026-01-27, Fluent Bit 4.2.2 on a minimal Amazon Linux 2023) but their Dockerfiles " +
			"were reworked (2.33.1, #972) and not read: the router's entry point relies on sh and /entrypoint.sh"},
}

// ImageUser is the user an image's entrypoint runs its process as, when it
// is not root: a process that is not root cannot bind a port below 1024
// (the ECS agent and Fargate add no CAP_NET_BIND_SERVICE).
type ImageUser struct {
	Image string
	User  string // "" is root
	// RootWith is the environment setting that keeps the process root, or "".
	RootWith string
	Source   string
}

// ImageUsers records the default user of every sidecar image composex adds.
var ImageUsers = []ImageUser{
	{CloudWatchAgentImage, "", "", "amazon-cloudwatch-container-insights/cloudwatch-agent-dockerfile/Dockerfile: FROM scratch, no USER: the agent runs as root"},
	{XRayDaemonImage, "xray", "", "aws-xray-daemon Dockerfile: USER xray; binds 2000 only"},
	{EnvoyImage, "envoy", "ENVOY_UID=0", "envoyproxy/envoy docker-entrypoint.sh: execs the command through su-exec envoy unless ENVOY_UID is 0"},
	{NginxPrometheusExporterImage, "1001", "", "nginx-prometheus-exporter build/Dockerfile: FROM scratch, USER 1001:1001; listens on 9113"},
	{FluentBitImage, "", "", "aws-for-fluent-bit scripts/dockerfiles/Dockerfile.main-release: no USER: Fluent Bit runs as root; its HTTP server (health check) listens on 2020"},
}
