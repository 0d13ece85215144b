package render

import (
	"reflect"
	"testing"
)

func TestSnapRetention(t *testing.T) {
	tests := []struct{ in, want int }{
		{1, 1},
		{2, 3},  // tie between 1 and 3: the longer
		{4, 5},  // tie between 3 and 5
		{6, 7},  // tie between 5 and 7
		{10, 7}, // 7 is 3 away, 14 is 4 away
		{11, 14},
		{30, 30},
		{42, 30},
		{45, 60}, // tie between 30 and 60
		{46, 60},
		{1337, 1096},
		{3653, 3653},
		{5000, 3653},
		{0, 1},
		{-5, 1},
	}
	for _, tt := range tests {
		if got := SnapRetention(tt.in); got != tt.want {
			t.Errorf("SnapRetention(%d) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestReadXLogging(t *testing.T) {
	tests := []struct {
		name     string
		raw      any
		wantDays *int
		sev      Severity
		path     string
		msg      string // "" means no diagnostic
	}{
		{"absent", nil, nil, 0, "", ""},
		{"allowed value", map[string]any{"RetentionInDays": 14}, intPtr(14), 0, "", ""},
		{"snapped with a warning", map[string]any{"RetentionInDays": 42}, intPtr(42), Warning,
			"services.web.x-logging.RetentionInDays", "CloudWatch Logs does not keep logs for 42 days; using 30 (allowed: 1, 3, 5"},
		{"1337 days", map[string]any{"RetentionInDays": 1337}, intPtr(1337), Warning,
			"services.web.x-logging.RetentionInDays", "does not keep logs for 1337 days; using 1096"},
		{"zero refused", map[string]any{"RetentionInDays": 0}, intPtr(0), Error,
			"services.web.x-logging.RetentionInDays", "0 is not a retention; give a number of days from 1 to 3653"},
		{"negative refused", map[string]any{"RetentionInDays": -7}, intPtr(-7), Error,
			"services.web.x-logging.RetentionInDays", "-7 is not a retention"},
		{"unknown key", map[string]any{"Retention": 7}, nil, Error,
			"services.web.x-logging", `unknown key "Retention"`},
		{"wrong type", map[string]any{"RetentionInDays": "week"}, nil, Error,
			"services.web.x-logging", "RetentionInDays: expected an integer, got string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ds Diagnostics
			got := readXLogging("web", tt.raw, &ds)
			if (got.RetentionInDays == nil) != (tt.wantDays == nil) ||
				(got.RetentionInDays != nil && *got.RetentionInDays != *tt.wantDays) {
				t.Errorf("RetentionInDays = %v, want %v", got.RetentionInDays, tt.wantDays)
			}
			if tt.msg == "" {
				if len(ds) != 0 {
					t.Fatalf("want no diagnostics, got:\n%s", dump(ds))
				}
				return
			}
			if len(ds) != 1 {
				t.Fatalf("want one diagnostic, got:\n%s", dump(ds))
			}
			wantDiag(t, ds, tt.sev, "web", tt.path, tt.msg)
		})
	}
}

func TestReadXEcs(t *testing.T) {
	tests := []struct {
		name string
		raw  any
		path string
		msg  string // "" means valid
	}{
		{"valid", map[string]any{"CpuArchitecture": "ARM64", "OperatingSystemFamily": "LINUX", "EnableExecuteCommand": true,
			"CapacityProviderStrategy": []any{map[string]any{"CapacityProvider": "FARGATE_SPOT", "Base": 1, "Weight": 2}}}, "", ""},
		{"architecture", map[string]any{"CpuArchitecture": "arm64"}, "services.web.x-ecs.CpuArchitecture",
			`"arm64" is not a CPU architecture Fargate offers; allowed: ARM64, X86_64`},
		{"os family", map[string]any{"OperatingSystemFamily": "DEBIAN"}, "services.web.x-ecs.OperatingSystemFamily",
			`"DEBIAN" is not an operating system family Fargate offers; allowed: LINUX,`},
		{"capacity provider", map[string]any{"CapacityProviderStrategy": []any{map[string]any{"CapacityProvider": "EC2"}}},
			"services.web.x-ecs.CapacityProviderStrategy.0.CapacityProvider", `"EC2" is not a Fargate capacity provider; allowed: FARGATE, FARGATE_SPOT`},
		{"base range", map[string]any{"CapacityProviderStrategy": []any{map[string]any{"CapacityProvider": "FARGATE", "Base": -1}}},
			"services.web.x-ecs.CapacityProviderStrategy.0.Base", "-1 is out of range; allowed: 0 to 100000"},
		{"weight range", map[string]any{"CapacityProviderStrategy": []any{map[string]any{"CapacityProvider": "FARGATE", "Weight": 1001}}},
			"services.web.x-ecs.CapacityProviderStrategy.0.Weight", "1001 is out of range; allowed: 0 to 1000"},
		{"unknown key", map[string]any{"LaunchType": "FARGATE"}, "services.web.x-ecs", `unknown key "LaunchType"`},
		{"exec as string", map[string]any{"EnableExecuteCommand": "yes"}, "services.web.x-ecs",
			"EnableExecuteCommand: expected true or false, got string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ds Diagnostics
			readXEcs("web", tt.raw, &ds)
			if tt.msg == "" {
				if len(ds) != 0 {
					t.Fatalf("want no diagnostics, got:\n%s", dump(ds))
				}
				return
			}
			wantError(t, ds, "web", tt.path, tt.msg)
		})
	}
}

func TestReadXCluster(t *testing.T) {
	tests := []struct {
		name string
		raw  any
		want string
		path string
		msg  string // "" means valid
	}{
		{"absent: create a cluster", nil, "", "", ""},
		{"string shorthand", "prod", "prod", "", ""},
		{"Use", map[string]any{"Use": "prod"}, "prod", "", ""},
		{"Lookup", map[string]any{"Lookup": map[string]any{"ClusterName": "prod"}}, "prod", "", ""},
		{"both", map[string]any{"Use": "a", "Lookup": map[string]any{"ClusterName": "b"}}, "", "x-cluster", "give either Lookup or Use, not both"},
		{"Lookup as a string (compose-x)", map[string]any{"Lookup": "testing"}, "testing", "", ""},
		{"Lookup with an empty RoleArn", map[string]any{"Lookup": map[string]any{"ClusterName": "prod", "RoleArn": ""}}, "prod", "", ""},
		{"empty mapping", map[string]any{}, "", "x-cluster", "name an existing cluster with Use: NAME or Lookup: NAME, or describe the cluster to create with Properties"},
		{"Lookup without a name", map[string]any{"Lookup": map[string]any{}}, "", "x-cluster.Lookup.ClusterName", "the name of an existing ECS cluster is required"},
		{"Properties: a created cluster", map[string]any{"Properties": map[string]any{"ClusterName": "ANewCluster1"}}, "", "", ""},
		{"unknown key", map[string]any{"Cluster": "a"}, "", "x-cluster", `unknown key "Cluster"; allowed: Use: NAME, Lookup: NAME (or {ClusterName: NAME}), Properties (of the cluster the template creates)`},
		{"unknown cluster property", map[string]any{"Properties": map[string]any{"ClusterNames": "a"}}, "", "x-cluster.Properties", `unknown key "ClusterNames"; allowed (AWS::ECS::Cluster properties): CapacityProviders, ClusterName, ClusterSettings, Configuration, DefaultCapacityProviderStrategy, ServiceConnectDefaults, Tags`},
		{"EC2 capacity provider", map[string]any{"Properties": map[string]any{"CapacityProviders": []any{"my-asg"}}}, "", "x-cluster.Properties.CapacityProviders.0", `"my-asg" is not a Fargate capacity provider; allowed: FARGATE, FARGATE_SPOT (composex runs services on Fargate only)`},
		{"strategy outside the providers", map[string]any{"Properties": map[string]any{"CapacityProviders": []any{"FARGATE"}, "DefaultCapacityProviderStrategy": []any{map[string]any{"CapacityProvider": "FARGATE_SPOT", "Weight": 1}}}}, "", "x-cluster.Properties.DefaultCapacityProviderStrategy.0.CapacityProvider", `"FARGATE_SPOT" is not a capacity provider of the cluster; allowed: FARGATE`},
		{"Lookup and Properties", map[string]any{"Lookup": "a", "Properties": map[string]any{}}, "", "x-cluster.Properties", "Properties and MacroParameters describe the cluster the template creates; with Lookup or Use the services run in an existing one: give one or the other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ds Diagnostics
			m := &Model{}
			readXCluster(tt.raw, m, &ds)
			got := m.ClusterName
			if got != tt.want {
				t.Errorf("cluster = %q, want %q", got, tt.want)
			}
			if tt.msg == "" {
				if len(ds) != 0 {
					t.Fatalf("want no diagnostics, got:\n%s", dump(ds))
				}
				return
			}
			if len(ds) != 1 {
				t.Fatalf("want one diagnostic, got:\n%s", dump(ds))
			}
			wantError(t, ds, "", tt.path, tt.msg)
		})
	}
}

// x-cluster reaches the ClusterName parameter's default.
func TestXClusterInTemplate(t *testing.T) {
	out, _ := mustRender(t, `
x-cluster:
  Use: prod
services:
  web:
    image: nginx
`, Options{})
	doc := template(t, out)
	p := doc["Parameters"].(map[string]any)["ClusterName"].(map[string]any)
	if p["Default"] != "prod" {
		t.Fatalf("ClusterName default = %v, want prod", p["Default"])
	}
	out, _ = mustRender(t, "services:\n  web:\n    image: nginx\n", Options{})
	p = template(t, out)["Parameters"].(map[string]any)["ClusterName"].(map[string]any)
	if p["Default"] != "" {
		t.Fatalf("ClusterName default = %#v, want empty (create a cluster)", p["Default"])
	}
}

// compose-x's Lookup is the ClusterName parameter's default and says so;
// its RoleArn (a cross-account look-up role) means nothing offline.
func TestXClusterLookupInTemplate(t *testing.T) {
	out, ds := mustRender(t, `
x-cluster:
  Lookup: {ClusterName: ANewCluster, RoleArn: "arn:aws:iam::123456789012:role/lookup"}
services:
  web:
    image: nginx
`, Options{})
	wantWarning(t, ds, "", "x-cluster.Lookup.RoleArn", "compose-x assumes this role to look the cluster up in another account; composex renders offline and ignores it: the services run in the cluster ANewCluster of the account the stack is deployed in")
	p := template(t, out)["Parameters"].(map[string]any)["ClusterName"].(map[string]any)
	if p["Default"] != "ANewCluster" || p["Description"] != "Existing ECS cluster to run in; empty to create one (x-cluster.Lookup names ANewCluster, which compose-x looks up with an AWS call; composex renders offline and takes the name as given)" {
		t.Fatalf("ClusterName %#v", p)
	}
}

// x-cluster.Properties reach the cluster the template creates (when the
// ClusterName parameter is left empty): ECS then places the services by
// that default strategy, and names the cluster as asked.
func TestXClusterPropertiesInTemplate(t *testing.T) {
	out, ds := mustRender(t, `
x-cluster:
  Properties:
    CapacityProviders: [FARGATE_SPOT, FARGATE]
    ClusterName: ANewCluster1
    ClusterSettings: [{Name: containerInsights, Value: enabled}]
    DefaultCapacityProviderStrategy:
      - {Base: 2, Weight: 2, CapacityProvider: FARGATE_SPOT}
      - {Weight: 1, CapacityProvider: FARGATE}
  MacroParameters:
    CreateExecLoggingLogGroup: true
services:
  web:
    image: nginx
`, Options{})
	wantWarning(t, ds, "", "x-cluster.MacroParameters.CreateExecLoggingLogGroup", "compose-x creates ECS Exec logging resources from this; composex does not")
	doc := template(t, out)
	c := resource(t, doc, ResCluster, "AWS::ECS::Cluster")
	if c["ClusterName"] != "ANewCluster1" || !reflect.DeepEqual(c["CapacityProviders"], []any{"FARGATE_SPOT", "FARGATE"}) {
		t.Errorf("cluster %#v", c)
	}
	want := []any{
		map[string]any{"Base": 2, "Weight": 2, "CapacityProvider": "FARGATE_SPOT"},
		map[string]any{"Weight": 1, "CapacityProvider": "FARGATE"},
	}
	if !reflect.DeepEqual(c["DefaultCapacityProviderStrategy"], want) {
		t.Errorf("DefaultCapacityProviderStrategy %#v", c["DefaultCapacityProviderStrategy"])
	}
	if p := doc["Parameters"].(map[string]any)["ClusterName"].(map[string]any); p["Default"] != "" {
		t.Errorf("with Properties the template creates the cluster: ClusterName default %#v", p["Default"])
	}
}
