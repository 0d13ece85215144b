package scaling

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

// XScaling is the service-level x-scaling block.
type XScaling struct {
	// Range is "min-max", in tasks.
	Range            string            `json:"Range,omitempty"`
	TargetScaling    *TargetScaling    `json:"TargetScaling,omitempty"`
	ScheduledActions []ScheduledAction `json:"ScheduledActions,omitempty"`
}

// TargetScaling asks for target tracking on the service's average CPU or
// memory utilisation (percent of what the task reserves).
type TargetScaling struct {
	CpuTarget        *float64 `json:"CpuTarget,omitempty"`
	MemoryTarget     *float64 `json:"MemoryTarget,omitempty"`
	ScaleInCooldown  *int     `json:"ScaleInCooldown,omitempty"`
	ScaleOutCooldown *int     `json:"ScaleOutCooldown,omitempty"`
	DisableScaleIn   *bool    `json:"DisableScaleIn,omitempty"`
	// TgtTargetsCount is ALB requests per target and minute: the family
	// must be a target of an application load balancer of x-elbv2.
	TgtTargetsCount *float64 `json:"TgtTargetsCount,omitempty"`
}

// ScheduledAction changes the target's capacity range on a schedule.
type ScheduledAction struct {
	ScheduledActionName  string                `json:"ScheduledActionName"`
	Schedule             string                `json:"Schedule"`
	StartTime            string                `json:"StartTime,omitempty"`
	EndTime              string                `json:"EndTime,omitempty"`
	Timezone             string                `json:"Timezone,omitempty"`
	ScalableTargetAction *ScalableTargetAction `json:"ScalableTargetAction"`
	MacroParameters      *ActionMacros         `json:"MacroParameters,omitempty"`
}

// ScalableTargetAction is the capacity range the action sets.
type ScalableTargetAction struct {
	MinCapacity *int `json:"MinCapacity,omitempty"`
	MaxCapacity *int `json:"MaxCapacity,omitempty"`
}

// ActionMacros are compose-x's name helpers for scheduled actions.
type ActionMacros struct {
	AddServiceName bool `json:"AddServiceName,omitempty"`
	AddRandomId    bool `json:"AddRandomId,omitempty"`
}

// Defaults of target tracking when no service of the family sets them
// (Application Auto Scaling's own defaults for ECS, as compose-x).
const (
	DefaultScaleInCooldown  = 300
	DefaultScaleOutCooldown = 60
	// MaxTasks is the most tasks one ECS service may run.
	MaxTasks = 5000
)

var (
	reRange    = regexp.MustCompile(`^\s*(\d+)\s*-\s*(\d+)\s*$`)
	reSchedule = regexp.MustCompile(`^(at\([0-9T:-]+\)|rate\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\)|cron\([^()]+\))$`)
	// reShortRate is a rate written with a unit abbreviation, as compose-x's
	// use-cases do (rate(1h)): compose-x passes it through and Application
	// Auto Scaling refuses it at deploy; composex writes the unit out.
	reShortRate = regexp.MustCompile(`^rate\(\s*([1-9][0-9]*)\s*(m|min|mins|h|hr|hrs|d)\s*\)$`)
)

// MaxActionNameLen is the longest scheduled action name composex accepts
// (the API allows 256; the margin leaves room for AddServiceName's prefix).
const MaxActionNameLen = 200

// shortUnits maps the abbreviations reShortRate accepts to the API's unit.
var shortUnits = map[string]string{"m": "minute", "min": "minute", "mins": "minute", "h": "hour", "hr": "hour", "hrs": "hour", "d": "day"}

// NormalizeSchedule writes a rate with an abbreviated unit the way
// Application Auto Scaling accepts it (rate(value unit), unit one of
// minute, minutes, hour, hours, day, days; singular for 1): rate(1h) is
// rate(1 hour), rate(30m) is rate(30 minutes). ok is false when s is not
// such an abbreviation; s is then returned trimmed and unchanged.
func NormalizeSchedule(s string) (out string, ok bool) {
	s = strings.TrimSpace(s)
	m := reShortRate.FindStringSubmatch(s)
	if m == nil {
		return s, false
	}
	unit := shortUnits[m[2]]
	if m[1] != "1" {
		unit += "s"
	}
	return "rate(" + m[1] + " " + unit + ")", true
}

// CheckActionName applies ScheduledActionName's rule of the Application
// Auto Scaling API (PutScheduledAction): any characters except control
// characters and ':', '/' or '|', not starting or ending with a space, here
// at most MaxActionNameLen. Spaces inside are allowed ("Bump The Max"). The
// name lands only in the ScheduledActionName property (inside Fn::Sub with
// ${ escaped when MacroParameters add a prefix), never in a logical ID.
func CheckActionName(n string) error {
	const allowed = "1 to 200 characters, no control character, no ':', '/' or '|', no space at either end"
	switch {
	case n == "":
		return fmt.Errorf("the name is empty; allowed: %s", allowed)
	case !utf8.ValidString(n):
		return fmt.Errorf("%q is not valid UTF-8; allowed: %s", n, allowed)
	case utf8.RuneCountInString(n) > MaxActionNameLen:
		return fmt.Errorf("%q is %d characters long; allowed: %s", n, utf8.RuneCountInString(n), allowed)
	case strings.HasPrefix(n, " ") || strings.HasSuffix(n, " "):
		return fmt.Errorf("%q starts or ends with a space; allowed: %s", n, allowed)
	}
	for _, r := range n {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == ':' || r == '/' || r == '|' {
			return fmt.Errorf("%q holds %q; allowed: %s", n, r, allowed)
		}
	}
	return nil
}

// ParseRange reads "min-max".
func ParseRange(s string) (lo, hi int, err error) {
	m := reRange.FindStringSubmatch(s)
	if m == nil {
		return 0, 0, fmt.Errorf("%q is not a range; write \"min-max\" in tasks, e.g. \"1-10\"", s)
	}
	lo, err1 := strconv.Atoi(m[1])
	hi, err2 := strconv.Atoi(m[2])
	switch {
	case err1 != nil || err2 != nil:
		return 0, 0, fmt.Errorf("%q is not a range; write \"min-max\" in tasks, e.g. \"1-10\"", s)
	case lo > hi:
		return 0, 0, fmt.Errorf("%q is inverted: the minimum %d exceeds the maximum %d; write \"%d-%d\"", s, lo, hi, hi, lo)
	case hi == 0:
		return 0, 0, fmt.Errorf("%q never runs a task: the maximum must be at least 1", s)
	case hi > MaxTasks:
		return 0, 0, fmt.Errorf("%q: an ECS service runs at most %d tasks", s, MaxTasks)
	}
	return lo, hi, nil
}

// read decodes and checks one service's x-scaling block; nil when absent
// or undecodable. Every problem is reported.
func read(s types.ServiceConfig, ds *render.Diagnostics) *XScaling {
	raw, ok := s.Extensions[key]
	if !ok {
		return nil
	}
	path := render.ServicePath(s.Name, key)
	var x XScaling
	if err := render.DecodeExtension(raw, &x); err != nil {
		ds.Errorf(s.Name, path, "%v", err)
		return nil
	}
	if x.Range == "" {
		ds.Errorf(s.Name, path+".Range", "Range is required: the fewest and most tasks the service runs, as \"min-max\"")
	} else if _, _, err := ParseRange(x.Range); err != nil {
		ds.Errorf(s.Name, path+".Range", "%v", err)
	}
	if t := x.TargetScaling; t != nil {
		p := path + ".TargetScaling"
		checkTarget(s.Name, p+".CpuTarget", t.CpuTarget, ds)
		checkTarget(s.Name, p+".MemoryTarget", t.MemoryTarget, ds)
		if t.TgtTargetsCount != nil && *t.TgtTargetsCount <= 0 {
			ds.Errorf(s.Name, p+".TgtTargetsCount", "%g is out of range: a request count per target is above 0", *t.TgtTargetsCount)
		}
		checkCooldown(s.Name, p+".ScaleInCooldown", t.ScaleInCooldown, ds)
		checkCooldown(s.Name, p+".ScaleOutCooldown", t.ScaleOutCooldown, ds)
		if t.CpuTarget == nil && t.MemoryTarget == nil && t.TgtTargetsCount == nil {
			// compose-x's schema allows a TargetScaling without a target and
			// makes no policy for it; inventing a target would scale on a
			// number the user never chose.
			ds.Warnf(s.Name, p, "no CpuTarget, MemoryTarget or TgtTargetsCount: no target tracking policy is made (as in compose-x), so DisableScaleIn and the cooldowns apply to nothing; give a target to track one")
		}
	}
	names := map[string]int{}
	for i, a := range x.ScheduledActions {
		if n, ok := NormalizeSchedule(a.Schedule); ok {
			ds.Warnf(s.Name, fmt.Sprintf("%s.ScheduledActions.%d.Schedule", path, i), "%q is written %q: Application Auto Scaling accepts rate(value unit) with unit minute(s), hour(s) or day(s) only", a.Schedule, n)
			a.Schedule = n
			x.ScheduledActions[i].Schedule = n
		}
		checkAction(s.Name, fmt.Sprintf("%s.ScheduledActions.%d", path, i), a, ds)
		if j, dup := names[a.ScheduledActionName]; dup && a.ScheduledActionName != "" {
			ds.Errorf(s.Name, fmt.Sprintf("%s.ScheduledActions.%d.ScheduledActionName", path, i), "%q is already the name of scheduled action %d; names must be unique", a.ScheduledActionName, j)
		}
		names[a.ScheduledActionName] = i
	}
	return &x
}

func checkTarget(service, path string, v *float64, ds *render.Diagnostics) {
	if v != nil && (*v <= 0 || *v > 100) {
		ds.Errorf(service, path, "%g is out of range: a target is a utilisation percentage, above 0 and at most 100", *v)
	}
}

func checkCooldown(service, path string, v *int, ds *render.Diagnostics) {
	if v != nil && (*v < 0 || *v > 86400) {
		ds.Errorf(service, path, "%d is out of range: a cooldown is 0 to 86400 seconds", *v)
	}
}

func checkAction(service, path string, a ScheduledAction, ds *render.Diagnostics) {
	if err := CheckActionName(a.ScheduledActionName); err != nil {
		ds.Errorf(service, path+".ScheduledActionName", "not a scheduled action name: %v", err)
	}
	if !reSchedule.MatchString(strings.TrimSpace(a.Schedule)) {
		ds.Errorf(service, path+".Schedule", "%q is not a schedule; write at(yyyy-mm-ddThh:mm:ss), rate(N minutes|hours|days) or cron(minutes hours day-of-month month day-of-week year)", a.Schedule)
	}
	var start, end time.Time
	for _, t := range []struct {
		name, v string
		out     *time.Time
	}{{"StartTime", a.StartTime, &start}, {"EndTime", a.EndTime, &end}} {
		if t.v == "" {
			continue
		}
		v, err := parseTime(t.v)
		if err != nil {
			ds.Errorf(service, path+"."+t.name, "%q is not a time; write it as 2026-12-24T18:00:00Z", t.v)
			continue
		}
		*t.out = v
	}
	if !start.IsZero() && !end.IsZero() && !end.After(start) {
		ds.Errorf(service, path+".EndTime", "%s is not after StartTime %s", a.EndTime, a.StartTime)
	}
	if a.Timezone != "" {
		if _, err := time.LoadLocation(a.Timezone); err != nil {
			ds.Errorf(service, path+".Timezone", "%q is not an IANA time zone (e.g. Europe/Paris, UTC)", a.Timezone)
		}
	}
	act := a.ScalableTargetAction
	switch {
	case act == nil || (act.MinCapacity == nil && act.MaxCapacity == nil):
		ds.Errorf(service, path+".ScalableTargetAction", "give MinCapacity, MaxCapacity or both: the capacity the schedule sets")
	default:
		if act.MinCapacity != nil && *act.MinCapacity < 0 {
			ds.Errorf(service, path+".ScalableTargetAction.MinCapacity", "%d is negative", *act.MinCapacity)
		}
		if act.MaxCapacity != nil && (*act.MaxCapacity < 0 || *act.MaxCapacity > MaxTasks) {
			ds.Errorf(service, path+".ScalableTargetAction.MaxCapacity", "%d is out of range: 0 to %d tasks", *act.MaxCapacity, MaxTasks)
		}
		if act.MinCapacity != nil && act.MaxCapacity != nil && *act.MinCapacity > *act.MaxCapacity {
			ds.Errorf(service, path+".ScalableTargetAction", "MinCapacity %d exceeds MaxCapacity %d", *act.MinCapacity, *act.MaxCapacity)
		}
	}
	if mp := a.MacroParameters; mp != nil && mp.AddServiceName && mp.AddRandomId {
		ds.Errorf(service, path+".MacroParameters", "give AddServiceName or AddRandomId, not both")
	}
}

func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time")
}
