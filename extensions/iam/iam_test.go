package iam_test

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/composex/composex/extensions/internal/rendertest"
	"github.com/composex/composex/render"
)

// svc is a one-service compose file with an x-iam block (indented YAML).
func svc(xiam string) string {
	return "services:\n  app:\n    image: busybox\n    x-iam:\n" + xiam
}

const okDoc = `
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: "*"
`

func TestRefused(t *testing.T) {
	const p = "services.app.x-iam."
	cases := []struct {
		name, xiam, path, msg string
	}{
		{"policy without Statement", `
      Policies:
        - PolicyName: Empty
          PolicyDocument:
            Version: "2012-10-17"
`, p + "Policies.0.PolicyDocument.Statement", "Statement is required: a policy without statements grants nothing"},
		{"empty Statement", `
      Policies:
        - PolicyName: Empty
          PolicyDocument:
            Version: "2012-10-17"
            Statement: []
`, p + "Policies.0.PolicyDocument.Statement", "Statement is empty: a policy without statements grants nothing"},
		{"Resource that is not an ARN", `
      Policies:
        - PolicyName: P
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: [arn:aws:s3:::bucket/key, "my-bucket/*"]
`, p + "Policies.0.PolicyDocument.Statement.0.Resource.1", `"my-bucket/*" is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE) or *: IAM would match no resource, or one you did not mean`},
		{"NotResource that is not an ARN", `
      Policies:
        - PolicyName: P
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Deny
                Action: s3:*
                NotResource: bucket
`, p + "Policies.0.PolicyDocument.Statement.0.NotResource", `"bucket" is not an ARN (arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE) or *: IAM would match no resource, or one you did not mean`},
		{"boundary neither name nor ARN", `
      PermissionsBoundary: "my boundary!"
`, p + "PermissionsBoundary", `"my boundary!" is neither a policy name nor a policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)`},
		{"boundary ARN of another service", `
      PermissionsBoundary: arn:aws:s3:::bucket/policy
`, p + "PermissionsBoundary", `"arn:aws:s3:::bucket/policy" is neither a policy name nor a policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)`},
		{"Principal in a policy", `
      Policies:
        - PolicyName: P
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Principal: {AWS: "*"}
                Action: s3:GetObject
                Resource: "*"
`, p + "Policies.0.PolicyDocument.Statement.0.Principal", "Principal belongs in resource policies; a role's policy applies to the role itself"},
		{"both Action and NotAction", `
      Policies:
        - PolicyName: P
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                NotAction: s3:PutObject
                Resource: "*"
`, p + "Policies.0.PolicyDocument.Statement.0", "give either Action or NotAction, not both"},
		{"neither Resource nor NotResource", `
      Policies:
        - PolicyName: P
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
`, p + "Policies.0.PolicyDocument.Statement.0.Resource", "Resource (or NotResource) is required"},
		{"bad Effect", `
      Policies:
        - PolicyName: P
          PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Permit
                Action: s3:GetObject
                Resource: "*"
`, p + "Policies.0.PolicyDocument.Statement.0.Effect", "Permit is not an effect; allowed: Allow, Deny"},
		{"bad Version", `
      Policies:
        - PolicyName: P
          PolicyDocument:
            Version: "2020-01-01"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: "*"
`, p + "Policies.0.PolicyDocument.Version", "2020-01-01 is not a policy language version; allowed: 2012-10-17, 2008-10-17"},
		{"policy without a name", `
      Policies:
        - PolicyDocument:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action: s3:GetObject
                Resource: "*"
`, p + "Policies.0.PolicyName", "a policy name is required"},
		{"managed policy neither name nor ARN", `
      ManagedPolicyArns:
        - "arn:aws:iam::aws:role/NotAPolicy"
`, p + "ManagedPolicyArns.0", `"arn:aws:iam::aws:role/NotAPolicy" is neither a managed policy ARN (arn:aws:iam::aws:policy/NAME) nor the name of an AWS managed policy`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rendertest.ExpectRefused(t, svc(tc.xiam), nil, tc.path, tc.msg)
		})
	}
}

// family is two services of the task family shop, each with its x-iam.
func family(api, worker string) string {
	return `services:
  api:
    image: busybox
    deploy: {labels: {ecs.task.family: shop}}
    x-iam:
` + api + `
  worker:
    image: busybox
    deploy: {labels: {ecs.task.family: shop}}
    x-iam:
` + worker
}

func TestFamilyMerge(t *testing.T) {
	t.Run("same policy name, different documents: refused", func(t *testing.T) {
		other := strings.Replace(okDoc, "s3:GetObject", "s3:PutObject", 1)
		rendertest.ExpectRefused(t, family("      Policies:\n        - PolicyName: Shared"+okDoc, "      Policies:\n        - PolicyName: Shared"+other), nil,
			"services.worker.x-iam.Policies.0.PolicyName",
			"family shop: services api and worker both define policy Shared, differently; rename one (the task role holds both)")
	})
	t.Run("same policy name, same document: merged", func(t *testing.T) {
		block := "      Policies:\n        - PolicyName: Shared" + okDoc
		_, res := rendertest.MustRenderFiles(t, family(block, block), nil)
		policies := rendertest.Dig(res["ShopTaskRole"].Properties, "Policies").([]any)
		var names []string
		for _, p := range policies {
			names = append(names, rendertest.Dig(p, "PolicyName").(string))
		}
		if !reflect.DeepEqual(names, []string{"Shared"}) {
			t.Errorf("task role policies %v, want one Shared", names)
		}
	})
	t.Run("two different boundaries: refused", func(t *testing.T) {
		rendertest.ExpectRefused(t, family("      PermissionsBoundary: team-a", "      PermissionsBoundary: arn:aws:iam::123456789012:policy/team-b"), nil,
			"services.worker.x-iam.PermissionsBoundary",
			"family shop: worker sets boundary arn:aws:iam::123456789012:policy/team-b but api sets team-a; both roles of a family have one boundary")
	})
	t.Run("the same boundary in two services: accepted", func(t *testing.T) {
		rendertest.MustRenderFiles(t, family("      PermissionsBoundary: team-a", "      PermissionsBoundary: team-a"), nil)
	})
}

func TestGenerated(t *testing.T) {
	_, res := rendertest.MustRenderFiles(t, svc(`
      PermissionsBoundary: team-boundary
      ManagedPolicyArns:
        - AmazonS3ReadOnlyAccess
        - service-role/AWSAppSyncPushToCloudWatchLogs
        - arn:aws-us-gov:iam::aws:policy/AmazonSQSReadOnlyAccess
        - arn:aws:iam::123456789012:policy/team/custom
      Policies:
        - PolicyName: ReadThings`+okDoc), nil)
	task := res["AppTaskRole"].Properties
	want := []any{
		// sorted: literal ARNs first, then the Fn::Sub of the names
		"arn:aws-us-gov:iam::aws:policy/AmazonSQSReadOnlyAccess",
		"arn:aws:iam::123456789012:policy/team/custom",
		map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/AmazonS3ReadOnlyAccess"},
		map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSAppSyncPushToCloudWatchLogs"},
	}
	got := task["ManagedPolicyArns"].([]any)
	sort.SliceStable(got, func(i, j int) bool { _, a := got[i].(string); _, b := got[j].(string); return a && !b })
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ManagedPolicyArns:\n got %#v\nwant %#v", got, want)
	}
	boundary := map[string]any{"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:policy/team-boundary"}
	for _, id := range []string{"AppTaskRole", "AppExecutionRole"} {
		if b := res[id].Properties["PermissionsBoundary"]; !reflect.DeepEqual(b, boundary) {
			t.Errorf("%s boundary %#v, want %#v", id, b, boundary)
		}
	}
	if rendertest.Dig(task, "Policies", 0, "PolicyName") != "ReadThings" || rendertest.Dig(task, "Policies", 0, "PolicyDocument", "Statement", 0, "Action") != "s3:GetObject" {
		t.Errorf("inline policy not passed through: %v", task["Policies"])
	}
	// The execution role gets no user policy and no managed policy.
	exec := res["AppExecutionRole"].Properties
	if exec["ManagedPolicyArns"] != nil {
		t.Errorf("execution role got managed policies: %v", exec["ManagedPolicyArns"])
	}
	for _, p := range exec["Policies"].([]any) {
		if rendertest.Dig(p, "PolicyName") == "ReadThings" {
			t.Errorf("x-iam policy on the execution role")
		}
	}
}

func TestTooManyManagedPoliciesWarns(t *testing.T) {
	var b strings.Builder
	b.WriteString("      ManagedPolicyArns:\n")
	for _, n := range []string{"A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8", "A9", "A10", "A11"} {
		b.WriteString("        - arn:aws:iam::123456789012:policy/Policy" + n + "\n")
	}
	ds, _ := rendertest.MustRenderFiles(t, svc(b.String()), nil)
	if d := rendertest.Find(ds, render.Warning, "services.app.x-iam.ManagedPolicyArns"); d == nil || !strings.Contains(d.Message, "11 managed policies") {
		t.Errorf("want a warning about 11 managed policies; got %v", ds)
	}
}

// A bare name is expanded with the path IAM gives the policy, from the
// table of known AWS managed policies; the path is part of the ARN, and
// arn:...:policy/AmazonEC2ContainerServiceRole (no service-role/) does not exist.
func TestManagedPolicyNamesGetTheirPath(t *testing.T) {
	cases := []struct{ name, want string }{
		{"AmazonEC2ContainerServiceRole", "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceRole"},
		{"service-role/AmazonEC2ContainerServiceRole", "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEC2ContainerServiceRole"},
		{"AWSLambdaBasicExecutionRole", "arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"},
		{"ViewOnlyAccess", "arn:${AWS::Partition}:iam::aws:policy/job-function/ViewOnlyAccess"},
		{"AmazonSQSReadOnlyAccess", "arn:${AWS::Partition}:iam::aws:policy/AmazonSQSReadOnlyAccess"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, res := rendertest.MustRenderFiles(t, svc("      ManagedPolicyArns:\n        - "+c.name+"\n"), nil)
			got := res["AppTaskRole"].Properties["ManagedPolicyArns"]
			want := []any{map[string]any{"Fn::Sub": c.want}}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %#v, want %#v", got, want)
			}
		})
	}
	t.Run("a full ARN passes through", func(t *testing.T) {
		const arn = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
		_, res := rendertest.MustRenderFiles(t, svc("      ManagedPolicyArns:\n        - "+arn+"\n"), nil)
		if got := res["AppTaskRole"].Properties["ManagedPolicyArns"]; !reflect.DeepEqual(got, []any{arn}) {
			t.Errorf("got %#v", got)
		}
	})
}

// A bare name composex does not know is refused, located, with what is
// allowed; a known name under the wrong path is refused with the right ARN.
func TestUnknownManagedPolicyNameRefused(t *testing.T) {
	const allowed = "; give the policy's full ARN (arn:aws:iam::aws:policy/PATH/NAME, or arn:aws:iam::ACCOUNT:policy/NAME for your own) or the name of a known AWS managed policy"
	cases := []struct{ value, msg string }{
		{"MyTeamPolicy", `"MyTeamPolicy" is not an AWS managed policy composex knows the path of` + allowed},
		{"AmazonEC2ContainerServiceRoleV9", `"AmazonEC2ContainerServiceRoleV9" is not an AWS managed policy composex knows the path of` + allowed},
		{"amazonec2containerservicerole", `"amazonec2containerservicerole" is not an AWS managed policy composex knows the path of; did you mean AmazonEC2ContainerServiceRole (arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceRole)?` + allowed},
		{"job-function/AmazonEC2ContainerServiceRole", `"job-function/AmazonEC2ContainerServiceRole" is not an AWS managed policy composex knows the path of; the AWS managed policy AmazonEC2ContainerServiceRole is arn:aws:iam::aws:policy/service-role/AmazonEC2ContainerServiceRole` + allowed},
	}
	for _, c := range cases {
		t.Run(c.value, func(t *testing.T) {
			compose := svc("      ManagedPolicyArns:\n        - AmazonS3ReadOnlyAccess\n        - " + c.value + "\n")
			ds, res := rendertest.RenderFiles(t, compose, nil)
			if res != nil {
				t.Fatal("rendered; want an error")
			}
			errs := ds.Errors()
			if len(errs) != 1 {
				t.Fatalf("want one error, got:\n%s", ds.Error())
			}
			d := errs[0]
			if d.Service != "app" || d.Path != "services.app.x-iam.ManagedPolicyArns.1" || d.Line != 7 || !strings.HasSuffix(d.File, "docker-compose.yml") || d.Message != c.msg {
				t.Errorf("got %s:%d service %q %s: %s\nwant line 7 service app services.app.x-iam.ManagedPolicyArns.1: %s", d.File, d.Line, d.Service, d.Path, d.Message, c.msg)
			}
		})
	}
}

// Each role's trust policy holds only the conditions AWS documents for it
// (see render's trustPolicy and executionTrustPolicy for the sources): the
// task role aws:SourceAccount and aws:SourceArn, the execution role none.
func TestRoleTrustPolicies(t *testing.T) {
	_, res := rendertest.MustRenderFiles(t, "services:\n  app:\n    image: busybox\n", nil)
	exec := res["AppExecutionRole"].Properties["AssumeRolePolicyDocument"]
	rendertest.EqualJSON(t, "execution role trust", exec, `{"Version": "2012-10-17", "Statement": [
	  {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]}`)
	task := res["AppTaskRole"].Properties["AssumeRolePolicyDocument"]
	rendertest.EqualJSON(t, "task role trust", task, `{"Version": "2012-10-17", "Statement": [
	  {"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole",
	   "Condition": {"StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
	                 "ArnLike": {"aws:SourceArn": {"Fn::Sub": "arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:*"}}}}]}`)
}

// compose-x's files put PolicyName inside PolicyDocument and leave out
// Version: the role gets the policy under that name, and IAM reads it in
// the 2012-10-17 language (without Version it would be 2008-10-17, where
// policy variables are literal text).
func TestComposeXPolicyShape(t *testing.T) {
	_, res := rendertest.MustRenderFiles(t, svc(`
      Policies:
        - PolicyDocument:
            Statement:
              - Action: [cloudwatch:PutMetricData]
                Effect: Allow
                Resource: ["*"]
                Sid: AllowPublishMetricsToCw
            PolicyName: AllowPublishToCw
`), nil)
	pols := res["AppTaskRole"].Properties["Policies"].([]any)
	var got any
	for _, p := range pols {
		if rendertest.Dig(p, "PolicyName") == "AllowPublishToCw" {
			got = rendertest.Dig(p, "PolicyDocument")
		}
	}
	want := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Action": []any{"cloudwatch:PutMetricData"}, "Effect": "Allow", "Resource": []any{"*"}, "Sid": "AllowPublishMetricsToCw"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("AllowPublishToCw:\n got %#v\nwant %#v", got, want)
	}
}
