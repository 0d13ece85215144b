package examples

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// This file checks named volumes (Amazon EFS) two ways.
//
// TestEfsConsumerRules applies, to every example's rendered template, the
// rules of the two consumers of an EFS task volume, as the AWS
// documentation states them (ECS developer guide "Amazon EFS volumes" and
// the task definition's EFSVolumeConfiguration and AuthorizationConfig; EFS
// user guide "Using IAM to control access to file systems", "Using access
// points in IAM policies", mount targets):
//   - the ECS agent mounts EFS for a Fargate task only from platform
//     version 1.4.0 on (LATEST is at least that);
//   - the volume names a file system: the one the stack creates or the one
//     a parameter gives; its access point must belong to that same file
//     system;
//   - IAM authorization needs transit encryption, and so does an access
//     point, whose path replaces the volume's RootDirectory (which must then
//     be absent or "/");
//   - with IAM authorization EFS lets the task role do exactly what an
//     identity policy allows: ClientMount to mount (read), ClientWrite to
//     write, for that file system; here through that access point only
//     (the elasticfilesystem:AccessPointArn condition key), and ClientWrite
//     only for a family that mounts the volume read-write somewhere;
//   - a task reaches the mount target of its own Availability Zone on NFS
//     (TCP 2049): the mount targets' security group must admit 2049 from
//     the security group of each family that mounts the file system, and
//     nothing else; a file system has at most one mount target per zone,
//     and one is needed in each zone the tasks run in (each subnet of
//     SubnetIds, evaluated here for lists of one to seven subnets);
//   - the container sees the volume read-only exactly where compose says
//     :ro, and its root file system is read-only exactly where compose says
//     read_only;
//   - the data outlives the stack (DeletionPolicy and UpdateReplacePolicy
//     Retain) and is encrypted at rest; the file system policy refuses
//     clients without TLS or outside an access point.
//
// checkEfsPostgres and checkEfsExisting read back from the moto emulator
// what it created: file systems, mount targets (subnets, zones, security
// groups), access points (file system, POSIX user, root directory), the
// task volumes and mount points, and the task roles' grants. moto's
// CloudFormation handler drops a file system's FileSystemPolicy and the
// DeletionPolicy is a template attribute: those are checked in the
// template, by TestEfsConsumerRules.
func init() {
	motoChecks["efs-postgres"] = checkEfsPostgres
	motoChecks["efs-existing"] = checkEfsExisting
}

type motoTaskVolume struct {
	Name string `json:"name"`
	EFS  *struct {
		FileSystemId      string `json:"fileSystemId"`
		RootDirectory     string `json:"rootDirectory"`
		TransitEncryption string `json:"transitEncryption"`
		Authorization     struct {
			AccessPointId string `json:"accessPointId"`
			IAM           string `json:"iam"`
		} `json:"authorizationConfig"`
	} `json:"efsVolumeConfiguration"`
}

type motoFileSystem struct {
	FileSystemId  string `json:"FileSystemId"`
	FileSystemArn string `json:"FileSystemArn"`
	Encrypted     bool   `json:"Encrypted"`
	Tags          []struct {
		Key   string `json:"Key"`
		Value string `json:"Value"`
	} `json:"Tags"`
}

type motoMountTarget struct {
	FileSystemId     string   `json:"FileSystemId"`
	SubnetId         string   `json:"SubnetId"`
	AvailabilityZone string   `json:"AvailabilityZoneName"`
	SecurityGroups   []string `json:"SecurityGroups"`
}

type motoAccessPoint struct {
	AccessPointId  string `json:"AccessPointId"`
	AccessPointArn string `json:"AccessPointArn"`
	FileSystemId   string `json:"FileSystemId"`
	PosixUser      struct {
		Uid int `json:"Uid"`
		Gid int `json:"Gid"`
	} `json:"PosixUser"`
	RootDirectory struct {
		Path         string `json:"Path"`
		CreationInfo struct {
			OwnerUid    int    `json:"OwnerUid"`
			OwnerGid    int    `json:"OwnerGid"`
			Permissions string `json:"Permissions"`
		} `json:"CreationInfo"`
	} `json:"RootDirectory"`
}

func checkEfsPostgres(t *testing.T, p *project, sum *motoSummary) {
	if !same(t, "file systems", len(sum.EfsFileSystems), 1) {
		return
	}
	fs := sum.EfsFileSystems[0]
	same(t, "file system encrypted", fs.Encrypted, true)
	same(t, "file system volume tag", motoTag(fs.Tags, "composex:volume"), "pgdata")

	// One mount target per subnet of SubnetIds (moto's VPC has two, one per
	// zone), in the file system's own security group, which admits NFS from
	// the two families that mount the volume and nothing else.
	var zones, groups []string
	for _, mt := range sum.EfsMountTargets {
		same(t, "mount target file system", mt.FileSystemId, fs.FileSystemId)
		zones = append(zones, mt.AvailabilityZone)
		groups = append(groups, mt.SecurityGroups...)
	}
	same(t, "mount target zones", sortedCopy(zones), []string{"us-east-1a", "us-east-1b"})
	if same(t, "mount target security groups", len(groups), 2) && same(t, "one group for both", groups[0], groups[1]) {
		for _, g := range sum.SecurityGroups {
			if g.GroupId == groups[0] {
				same(t, "EFS security group ingress", sum.ingress(g), []string{"2049/tcp<-sg:db", "2049/tcp<-sg:report"})
			}
		}
	}

	if !same(t, "access points", len(sum.EfsAccessPoints), 1) {
		return
	}
	ap := sum.EfsAccessPoints[0]
	same(t, "access point file system", ap.FileSystemId, fs.FileSystemId)
	same(t, "access point user (postgres)", []int{ap.PosixUser.Uid, ap.PosixUser.Gid}, []int{999, 999})
	same(t, "access point root", ap.RootDirectory.Path, "/pgdata")
	ci := ap.RootDirectory.CreationInfo
	same(t, "root directory creation", []any{ci.OwnerUid, ci.OwnerGid, ci.Permissions}, []any{999, 999, "0700"})

	for family, rw := range map[string]bool{"db": true, "report": false} {
		checkEfsTaskVolume(t, sum, family, "pgdata", fs.FileSystemId, ap.AccessPointId)
		path := map[string]string{"db": "/var/lib/postgresql/data", "report": "/srv/pgdata"}[family]
		wantMounts := []string{"pgdata:" + path + ":" + map[bool]string{true: "rw", false: "ro"}[rw]}
		if family == "db" {
			// db lists a secret: the files init container writes it to /run/secrets.
			wantMounts = append(wantMounts, "files-db-0:/run/secrets:ro")
		}
		same(t, family+" mount points", mountPoints(sum.containers(t, family)[family]), wantMounts)
		want := []string{"elasticfilesystem:ClientMount"}
		if rw {
			want = append(want, "elasticfilesystem:ClientWrite")
		}
		checkEfsGrant(t, sum, strings.ToUpper(family[:1])+family[1:]+"TaskRole", fs.FileSystemArn, ap.AccessPointArn, want)
	}
	db := sum.containers(t, "db")["db"]
	same(t, "PGDATA below the mount point", env(db, "PGDATA"), "/var/lib/postgresql/data/pgdata")
}

func checkEfsExisting(t *testing.T, p *project, sum *motoSummary) {
	same(t, "file systems created", len(sum.EfsFileSystems), 0)
	same(t, "mount targets created", len(sum.EfsMountTargets), 0)
	if !same(t, "access points", len(sum.EfsAccessPoints), 1) {
		return
	}
	const id = "fs-0123456789abcdef0"
	ap := sum.EfsAccessPoints[0]
	same(t, "access point file system (the parameter's)", ap.FileSystemId, id)
	same(t, "access point user (nginx)", []int{ap.PosixUser.Uid, ap.PosixUser.Gid}, []int{101, 101})
	ci := ap.RootDirectory.CreationInfo
	same(t, "access point root", []any{ap.RootDirectory.Path, ci.OwnerUid, ci.OwnerGid, ci.Permissions}, []any{"/www", 101, 101, "0755"})
	checkEfsTaskVolume(t, sum, "web", "site", id, ap.AccessPointId)
	same(t, "web mount points", mountPoints(sum.containers(t, "web")["web"]), []string{"site:/usr/share/nginx/html:ro"})
	checkEfsGrant(t, sum, "WebTaskRole", "arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/"+id, ap.AccessPointArn, []string{"elasticfilesystem:ClientMount"})
	// SiteMountTargetSecurityGroupId is empty: no rule on a group composex does not know.
	for _, g := range sum.SecurityGroups {
		if len(sum.ingress(g)) != 0 {
			t.Errorf("security group %s has ingress %v; the mount targets' group was not given", g.GroupId, sum.ingress(g))
		}
	}
}

// checkEfsTaskVolume checks a family's task volume as the ECS agent reads it.
func checkEfsTaskVolume(t *testing.T, sum *motoSummary, family, volume, fsID, apID string) {
	t.Helper()
	for _, td := range sum.TaskDefinitions {
		if td.Family != motoStack+"-"+family {
			continue
		}
		for _, v := range td.Volumes {
			if v.Name != volume {
				continue
			}
			if v.EFS == nil {
				t.Errorf("%s: task volume %s has no EFS configuration", family, volume)
				return
			}
			same(t, family+" volume file system", v.EFS.FileSystemId, fsID)
			same(t, family+" volume access point", v.EFS.Authorization.AccessPointId, apID)
			same(t, family+" volume IAM", v.EFS.Authorization.IAM, "ENABLED")
			same(t, family+" volume TLS", v.EFS.TransitEncryption, "ENABLED")
			same(t, family+" volume root (the access point's)", v.EFS.RootDirectory, "/")
			return
		}
	}
	t.Errorf("no task volume %s in the task definition of %s", volume, family)
}

// checkEfsGrant checks that a task role may exactly the actions on the file
// system, through the access point, and nothing else on EFS.
func checkEfsGrant(t *testing.T, sum *motoSummary, role, fsArn, apArn string, actions []string) {
	t.Helper()
	r := sum.role(t, role)
	var doc struct {
		Statement []struct {
			Action    []string
			Resource  []string
			Condition map[string]map[string]string
		}
	}
	// moto_inproc_check.py prints the inline document as a Python repr.
	raw := strings.ReplaceAll(fmt.Sprint(r.Inline["EfsVolumes"]), "'", "\"")
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		t.Fatalf("%s EfsVolumes policy %q: %v", role, raw, err)
	}
	if !same(t, role+" EFS statements", len(doc.Statement), 1) {
		return
	}
	st := doc.Statement[0]
	same(t, role+" EFS actions", st.Action, actions)
	same(t, role+" EFS resource", st.Resource, []string{fsArn})
	same(t, role+" EFS access point condition", st.Condition, map[string]map[string]string{"StringEquals": {"elasticfilesystem:AccessPointArn": apArn}})
}

func mountPoints(c motoContainer) []string {
	var out []string
	for _, m := range c.MountPoints {
		out = append(out, m.SourceVolume+":"+m.ContainerPath+":"+map[bool]string{true: "ro", false: "rw"}[m.ReadOnly])
	}
	return out
}

func motoTag(tags []struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}, key string) string {
	for _, tag := range tags {
		if tag.Key == key {
			return tag.Value
		}
	}
	return ""
}

// ---- the consumer rules on the rendered template ------------------------------

// cfnTemplate is a rendered template as plain values.
type cfnTemplate struct {
	Parameters map[string]map[string]any `yaml:"Parameters"`
	Conditions map[string]any            `yaml:"Conditions"`
	Resources  map[string]map[string]any `yaml:"Resources"`
}

func TestEfsConsumerRules(t *testing.T) {
	checked := 0
	for _, p := range renderExamples(t) {
		var tpl cfnTemplate
		if err := yaml.Unmarshal(p.out.Files[p.out.Template], &tpl); err != nil {
			t.Fatal(err)
		}
		t.Run(p.name, func(t *testing.T) { checked += efsRules(t, p, &tpl) })
	}
	if checked < 4 {
		t.Fatalf("only %d EFS task volumes in the examples; efs-postgres and efs-existing alone have 3", checked)
	}
}

// efsRules checks every EFS task volume of one template and returns how
// many it checked.
func efsRules(t *testing.T, p *project, tpl *cfnTemplate) int {
	n := 0
	mounters := map[string][]string{} // file system resource -> family security groups
	for id, r := range tpl.Resources {
		if r["Type"] != "AWS::ECS::TaskDefinition" {
			continue
		}
		props := r["Properties"].(map[string]any)
		family := strings.TrimSuffix(id, "TaskDefinition")
		for _, v := range asListOrOne(props["Volumes"]) {
			v := v.(map[string]any)
			efs, ok := v["EFSVolumeConfiguration"].(map[string]any)
			if !ok {
				continue
			}
			n++
			name := fmt.Sprint(v["Name"])
			where := id + " volume " + name
			checkPlatform(t, tpl, family)
			same(t, where+" IAM", dig(efs, "AuthorizationConfig", "IAM"), "ENABLED")
			same(t, where+" TLS (IAM and access points need it)", efs["TransitEncryption"], "ENABLED")
			if root, ok := efs["RootDirectory"]; ok && root != "/" {
				t.Errorf("%s: RootDirectory %v with an access point (must be absent or /)", where, root)
			}
			fsRef, _ := refOf(efs["FilesystemId"])
			fs := tpl.Resources[fsRef]
			param := tpl.Parameters[fsRef]
			switch {
			case fs != nil && fs["Type"] == "AWS::EFS::FileSystem":
				checkFileSystem(t, tpl, fsRef)
				mounters[fsRef] = append(mounters[fsRef], family+"SecurityGroup")
			case param != nil && param["Type"] == "String":
			default:
				t.Errorf("%s: FilesystemId %v is neither a file system of the stack nor a parameter", where, efs["FilesystemId"])
				continue
			}
			apRef, _ := refOf(dig(efs, "AuthorizationConfig", "AccessPointId"))
			ap := tpl.Resources[apRef]
			if ap == nil || ap["Type"] != "AWS::EFS::AccessPoint" {
				t.Errorf("%s: AccessPointId %v is not an access point of the stack", where, dig(efs, "AuthorizationConfig", "AccessPointId"))
				continue
			}
			same(t, where+" access point's file system", dig(ap, "Properties", "FileSystemId"), efs["FilesystemId"])
			if uid := fmt.Sprint(dig(ap, "Properties", "PosixUser", "Uid")); uid == "0" {
				t.Errorf("%s: access point user 0 is squashed without ClientRootAccess", where)
			}
			readWrite := checkMountPoints(t, p, props, family, name)
			checkGrant(t, tpl, props, where, fsRef, apRef, readWrite)
			if fs != nil {
				checkWaitsForMountTargets(t, tpl, family, fsRef)
			}
		}
	}
	for fsRef, groups := range mounters {
		checkMountTargets(t, tpl, fsRef, groups)
	}
	return n
}

// checkPlatform: EFS on Fargate needs platform version 1.4.0 or later.
func checkPlatform(t *testing.T, tpl *cfnTemplate, family string) {
	svc := tpl.Resources[family+"Service"]
	if svc == nil {
		t.Errorf("no service %sService", family)
		return
	}
	v, ok := dig(svc, "Properties", "PlatformVersion").(string)
	if !ok || v == "LATEST" {
		return
	}
	parts := strings.Split(v, ".")
	major, _ := strconv.Atoi(parts[0])
	minor := 0
	if len(parts) > 1 {
		minor, _ = strconv.Atoi(parts[1])
	}
	if major < 1 || (major == 1 && minor < 4) {
		t.Errorf("%sService: platform %s cannot mount EFS (1.4.0 or later)", family, v)
	}
}

func checkFileSystem(t *testing.T, tpl *cfnTemplate, id string) {
	fs := tpl.Resources[id]
	same(t, id+" DeletionPolicy", fs["DeletionPolicy"], "Retain")
	same(t, id+" UpdateReplacePolicy", fs["UpdateReplacePolicy"], "Retain")
	same(t, id+" Encrypted", dig(fs, "Properties", "Encrypted"), true)
	var denies []string
	for _, st := range asListOrOne(dig(fs, "Properties", "FileSystemPolicy", "Statement")) {
		st := st.(map[string]any)
		if st["Effect"] == "Deny" {
			denies = append(denies, fmt.Sprint(st["Condition"]))
		}
		if st["Effect"] == "Allow" {
			t.Errorf("%s policy allows %v: the task roles' identity policies are what allows", id, st)
		}
	}
	same(t, id+" policy denies", sortedCopy(denies), []string{
		"map[Bool:map[aws:SecureTransport:false]]",
		"map[Null:map[elasticfilesystem:AccessPointArn:true]]",
	})
}

// checkMountPoints checks the container mount points of a task volume
// against compose, and returns whether some container mounts it read-write.
func checkMountPoints(t *testing.T, p *project, td map[string]any, family, volume string) bool {
	f := p.out.Model.Family(familyName(p, family))
	if f == nil {
		t.Errorf("no family %s in the model", family)
		return false
	}
	want := map[string]bool{} // container:path -> read only, from compose
	rootRO := map[string]bool{}
	for _, s := range f.Services {
		rootRO[s.Name] = s.ReadOnly
		for _, v := range s.Volumes {
			if v.Type == "volume" && strings.ReplaceAll(strings.ReplaceAll(v.Source, "_", "-"), ".", "-") == volume {
				want[s.Name+":"+v.Target] = v.ReadOnly
			}
		}
	}
	got := map[string]bool{}
	readWrite := false
	for _, c := range asListOrOne(td["ContainerDefinitions"]) {
		c := c.(map[string]any)
		name := fmt.Sprint(c["Name"])
		for _, mp := range asListOrOne(c["MountPoints"]) {
			mp := mp.(map[string]any)
			if mp["SourceVolume"] != volume {
				continue
			}
			ro := mp["ReadOnly"] == true
			got[name+":"+fmt.Sprint(mp["ContainerPath"])] = ro
			if !ro {
				readWrite = true
			}
		}
		if ro, ok := rootRO[name]; ok {
			same(t, name+" ReadonlyRootFilesystem (compose read_only)", c["ReadonlyRootFilesystem"] == true, ro)
		}
	}
	for k, ro := range want {
		if g, ok := got[k]; !ok || g != ro {
			t.Errorf("mount %s of %s: compose read_only %v, task definition %v (present %v)", k, volume, ro, g, ok)
		}
	}
	return readWrite
}

func familyName(p *project, logical string) string {
	for _, f := range p.out.Model.Families {
		if f.Logical == logical {
			return f.Name
		}
	}
	return ""
}

// checkGrant: the task role may ClientMount (and ClientWrite when read-write)
// exactly that file system through exactly that access point.
func checkGrant(t *testing.T, tpl *cfnTemplate, td map[string]any, where, fsRef, apRef string, readWrite bool) {
	roleID, _ := dig(td, "TaskRoleArn", "Fn::GetAtt").([]any)
	if len(roleID) != 2 {
		t.Errorf("%s: no task role", where)
		return
	}
	role := tpl.Resources[fmt.Sprint(roleID[0])]
	want := []any{"elasticfilesystem:ClientMount"}
	if readWrite {
		want = append(want, "elasticfilesystem:ClientWrite")
	}
	const arn = "arn:${AWS::Partition}:elasticfilesystem:${AWS::Region}:${AWS::AccountId}:"
	found := 0
	for _, pol := range asListOrOne(dig(role, "Properties", "Policies")) {
		for _, st := range asListOrOne(dig(pol, "PolicyDocument", "Statement")) {
			st := st.(map[string]any)
			actions := asListOrOne(st["Action"])
			efs := false
			for _, a := range actions {
				if strings.HasPrefix(fmt.Sprint(a), "elasticfilesystem:") {
					efs = true
				}
			}
			if !efs || !reflect.DeepEqual(st["Resource"], []any{map[string]any{"Fn::Sub": arn + "file-system/${" + fsRef + "}"}}) {
				continue
			}
			found++
			same(t, where+" actions", actions, want)
			same(t, where+" access point condition", st["Condition"], map[string]any{"StringEquals": map[string]any{
				"elasticfilesystem:AccessPointArn": map[string]any{"Fn::Sub": arn + "access-point/${" + apRef + "}"}}})
		}
	}
	same(t, where+" grants on its file system", found, 1)
}

// checkMountTargets: a mount target per subnet of SubnetIds (for lists of
// one to seven subnets, at most six, one per zone), each in the file
// system's security group, which admits NFS from exactly the mounting
// families' groups.
func checkMountTargets(t *testing.T, tpl *cfnTemplate, fsRef string, families []string) {
	var groups []string
	selected := map[int]string{} // subnet index -> condition ("" none)
	for id, r := range tpl.Resources {
		if r["Type"] != "AWS::EFS::MountTarget" {
			continue
		}
		if ref, _ := refOf(dig(r, "Properties", "FileSystemId")); ref != fsRef {
			continue
		}
		sel, _ := dig(r, "Properties", "SubnetId", "Fn::Select").([]any)
		if len(sel) != 2 || !reflect.DeepEqual(sel[1], map[string]any{"Ref": "SubnetIds"}) {
			t.Errorf("%s: SubnetId %v is not an entry of SubnetIds", id, dig(r, "Properties", "SubnetId"))
			continue
		}
		i, _ := strconv.Atoi(fmt.Sprint(sel[0]))
		if _, dup := selected[i]; dup {
			t.Errorf("%s: a second mount target in subnet %d", id, i)
		}
		cond, _ := r["Condition"].(string)
		selected[i] = cond
		for _, g := range asListOrOne(dig(r, "Properties", "SecurityGroups")) {
			ga, _ := dig(g, "Fn::GetAtt").([]any)
			if len(ga) == 2 {
				groups = append(groups, fmt.Sprint(ga[0]))
			}
		}
	}
	for subnets := 1; subnets <= 7; subnets++ {
		created := 0
		for i, cond := range selected {
			exists := cond == "" || evalCondition(t, tpl, tpl.Conditions[cond], subnets)
			if exists && i >= subnets {
				t.Errorf("%s: with %d subnets, a mount target selects subnet %d", fsRef, subnets, i)
			}
			if exists {
				created++
			}
		}
		same(t, fmt.Sprintf("%s mount targets with %d subnets", fsRef, subnets), created, min(subnets, 6))
	}
	if len(groups) == 0 {
		t.Errorf("%s: mount targets without a security group", fsRef)
		return
	}
	sg := groups[0]
	for _, g := range groups {
		same(t, fsRef+" mount target group", g, sg)
	}
	var sources []string
	for id, r := range tpl.Resources {
		switch r["Type"] {
		case "AWS::EC2::SecurityGroupIngress":
			ga, _ := dig(r, "Properties", "GroupId", "Fn::GetAtt").([]any)
			if len(ga) != 2 || ga[0] != sg {
				continue
			}
			props := r["Properties"].(map[string]any)
			same(t, id+" protocol and ports", []any{props["IpProtocol"], props["FromPort"], props["ToPort"]}, []any{"tcp", 2049, 2049})
			if _, ok := props["CidrIp"]; ok {
				t.Errorf("%s: NFS from a CIDR", id)
			}
			src, _ := dig(props, "SourceSecurityGroupId", "Fn::GetAtt").([]any)
			if len(src) == 2 {
				sources = append(sources, fmt.Sprint(src[0]))
			}
		case "AWS::EC2::SecurityGroup":
			if id == sg && dig(r, "Properties", "SecurityGroupIngress") != nil {
				t.Errorf("%s: inline ingress on the mount targets' group", id)
			}
		}
	}
	sort.Strings(families)
	same(t, fsRef+" NFS sources", sortedCopy(sources), families)
}

// checkWaitsForMountTargets: the ECS service references every mount target
// of the file system (a DependsOn cannot name the conditional ones).
func checkWaitsForMountTargets(t *testing.T, tpl *cfnTemplate, family, fsRef string) {
	refs := map[string]bool{}
	collectRefs(tpl.Resources[family+"Service"], refs)
	for id, r := range tpl.Resources {
		if r["Type"] != "AWS::EFS::MountTarget" {
			continue
		}
		if ref, _ := refOf(dig(r, "Properties", "FileSystemId")); ref == fsRef && !refs[id] {
			t.Errorf("%sService does not wait for %s", family, id)
		}
	}
}

func collectRefs(v any, out map[string]bool) {
	switch x := v.(type) {
	case map[string]any:
		if r, ok := x["Ref"].(string); ok && len(x) == 1 {
			out[r] = true
		}
		for _, c := range x {
			collectRefs(c, out)
		}
	case []any:
		for _, c := range x {
			collectRefs(c, out)
		}
	}
}

// evalCondition evaluates the condition functions composex writes, with
// SubnetIds holding n subnets.
func evalCondition(t *testing.T, tpl *cfnTemplate, c any, n int) bool {
	t.Helper()
	v := evalValue(t, tpl, c, n)
	b, ok := v.(bool)
	if !ok {
		t.Fatalf("condition %v is not a boolean: %v", c, v)
	}
	return b
}

func evalValue(t *testing.T, tpl *cfnTemplate, v any, n int) any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return v
	}
	for fn, arg := range m {
		args := asListOrOne(arg)
		switch fn {
		case "Ref":
			if arg == "SubnetIds" {
				var l []any
				for i := 0; i < n; i++ {
					l = append(l, fmt.Sprintf("subnet-%d", i))
				}
				return l
			}
			t.Fatalf("Ref %v in a condition", arg)
		case "Fn::Not":
			return !evalCondition(t, tpl, args[0], n)
		case "Fn::Equals":
			return reflect.DeepEqual(evalValue(t, tpl, args[0], n), evalValue(t, tpl, args[1], n))
		case "Fn::Join":
			var parts []string
			for _, e := range flatten(evalValue(t, tpl, args[1], n), t, tpl, n) {
				parts = append(parts, fmt.Sprint(e))
			}
			return strings.Join(parts, fmt.Sprint(args[0]))
		case "Fn::Split":
			var out []any
			for _, s := range strings.Split(fmt.Sprint(evalValue(t, tpl, args[1], n)), fmt.Sprint(args[0])) {
				out = append(out, s)
			}
			return out
		case "Fn::Select":
			i, _ := strconv.Atoi(fmt.Sprint(args[0]))
			l := asListOrOne(evalValue(t, tpl, args[1], n))
			if i >= len(l) {
				t.Fatalf("Fn::Select %d of %d entries: CloudFormation fails the stack", i, len(l))
			}
			return l[i]
		}
		t.Fatalf("%s in a condition", fn)
	}
	return nil
}

func flatten(v any, t *testing.T, tpl *cfnTemplate, n int) []any {
	var out []any
	for _, e := range asListOrOne(v) {
		out = append(out, evalValue(t, tpl, e, n))
	}
	return out
}

func asListOrOne(v any) []any {
	if l, ok := v.([]any); ok {
		return l
	}
	if v == nil {
		return nil
	}
	return []any{v}
}

func refOf(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	r, ok := m["Ref"].(string)
	return r, ok
}

// same is equal that tells whether the values were equal, to skip checks
// that would only repeat the failure.
func same(t *testing.T, what string, got, want any) bool {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\n  got  %#v\n  want %#v", what, got, want)
		return false
	}
	return true
}
