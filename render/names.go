package render

import (
	"hash/fnv"
	"regexp"
	"strings"
	"sync"
)

var nonAlnum = regexp.MustCompile(`[^A-Za-z0-9]+`)

// LogicalName turns a compose name (web, metadata-proxy, my_app.v2) into the
// PascalCase stem of a CloudFormation logical ID (Web, MetadataProxy,
// MyAppV2). CloudFormation allows only [A-Za-z0-9] in logical IDs.
func LogicalName(name string) string {
	var b strings.Builder
	for _, part := range nonAlnum.Split(name, -1) {
		if part == "" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]))
		b.WriteString(part[1:])
	}
	if b.Len() == 0 {
		return "X" + shortHash(name)
	}
	s := b.String()
	if s[0] >= '0' && s[0] <= '9' {
		s = "S" + s
	}
	return shorten(s, name, maxLogicalStem)
}

// A compose name may be 255 characters (ECS's container name limit), but a
// logical ID is the stem plus a suffix (WebTaskDefinition,
// WebCloudWatchAgentConfig...) and CloudFormation allows 255 in all; an
// AWS name is often the stack name (up to 128) plus the stem, and ECS's
// task family and service names allow 255. Longer stems keep their start
// and end in a short hash of the whole name: stable, and distinct for
// names that share the start.
const (
	maxLogicalStem  = 64
	maxResourceStem = 100
)

func shorten(s, name string, max int) string {
	if len(s) <= max {
		return s
	}
	return s[:max-6] + shortHash(name)
}

// uniqueLogicalNames maps each name to a logical stem; names whose stems
// collide (a-b and a_b) all get a short hash of their raw name, so that the
// result does not depend on which one was seen first.
func uniqueLogicalNames(names []string) map[string]string {
	byStem := map[string][]string{}
	for _, n := range names {
		stem := LogicalName(n)
		byStem[stem] = append(byStem[stem], n)
	}
	out := make(map[string]string, len(names))
	for stem, group := range byStem {
		for _, n := range group {
			if len(group) == 1 {
				out[n] = stem
			} else {
				out[n] = stem + shortHash(n)
			}
		}
	}
	return out
}

func shortHash(s string) string {
	h := fnv.New32a()
	h.Write([]byte(s))
	const digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	v := h.Sum32()
	out := make([]byte, 0, 6)
	for i := 0; i < 6; i++ {
		out = append(out, digits[v%36])
		v /= 36
	}
	return string(out)
}

// ResourceName turns a compose name into something AWS accepts in names
// (letters, digits, hyphens): my_app.v2 -> my-app-v2.
func ResourceName(name string) string {
	s := strings.Trim(nonAlnum.ReplaceAllString(name, "-"), "-")
	if s == "" {
		return "x" + strings.ToLower(shortHash(name))
	}
	if len(s) > maxResourceStem {
		return s[:maxResourceStem-7] + "-" + strings.ToLower(shortHash(name))
	}
	return s
}

// validContainerName is what ECS accepts as a container name: up to 255
// letters, digits, hyphens and underscores.
// Compiled at first use: a counted repetition of hundreds compiles to a
// program that large, which every process used to build at start.
var validContainerName = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`) })

// checkNameCollisions refuses names that would break at deploy: a service
// whose name ECS does not accept as a container name (compose allows dots),
// and families whose AWS names collide (my-app, my_app and my.app all become
// the log group /ecs/<stack>/my-app and the task definition family
// <stack>-my-app, and the second log group fails to create). Each problem
// names every service involved.
func checkNameCollisions(services, families []string, members map[string][]string, ds *Diagnostics) {
	for _, n := range services {
		if !validContainerName().MatchString(n) {
			ds.Errorf(n, ServicePath(n), "the service name %q cannot be an ECS container name (allowed: up to 255 letters, digits, - and _): rename the service", n)
		}
	}
	byName := map[string][]string{}
	for _, f := range families {
		byName[ResourceName(f)] = append(byName[ResourceName(f)], f)
	}
	for _, f := range families {
		group := byName[ResourceName(f)]
		if len(group) < 2 {
			continue
		}
		var others []string
		for _, g := range group {
			if g != f {
				others = append(others, g)
			}
		}
		svc := members[f][0]
		ds.Errorf(svc, ServicePath(svc), "task family %q and %s would share the AWS names %q (log group /ecs/<stack>/%s, task definition family <stack>-%s): rename all but one", f, quoteAll(others), ResourceName(f), ResourceName(f), ResourceName(f))
	}
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + n + `"`
	}
	return strings.Join(q, ", ")
}
