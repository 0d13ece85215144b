package alarms

import (
	"fmt"
	"strings"

	"github.com/composex/composex/render"
)

// Adjustment types of step scaling.
const (
	ExactCapacity           = "ExactCapacity"
	ChangeInCapacity        = "ChangeInCapacity"
	PercentChangeInCapacity = "PercentChangeInCapacity"
)

var adjustmentTypes = []string{ExactCapacity, ChangeInCapacity, PercentChangeInCapacity}

// Default cooldowns of step policies, as compose-x: 60 s after scaling out,
// 300 s after scaling in.
const (
	DefaultScaleOutCooldown = 60
	DefaultScaleInCooldown  = 300
)

// direction tells which way an alarm's steps go from its threshold: up for
// alarms that fire above it, down for those that fire below it, either for
// an anomaly band alarm that fires on both sides.
type direction int

const (
	either direction = iota
	up
	down
)

func directionOf(op string) direction {
	switch {
	case op == "LessThanLowerOrGreaterThanUpperThreshold":
		return either
	case strings.HasPrefix(op, "GreaterThan"):
		return up
	case strings.HasPrefix(op, "LessThan"):
		return down
	}
	return either
}

func (d direction) String() string {
	if d == down {
		return "downwards"
	}
	return "upwards"
}

// checkSteps enforces the rules of StepAdjustments on a policy's steps and
// returns them ready to emit. Steps are listed moving away from the alarm
// threshold: upwards (each LowerBound equal to the previous UpperBound) for
// an alarm that fires above its threshold, downwards (each UpperBound equal
// to the previous LowerBound) for one that fires below it. So, upwards, only
// the last step may omit UpperBound and only the first may omit LowerBound
// (mirrored downwards). Overlaps, gaps and steps out of that order are
// refused. Application Auto Scaling also wants the outermost step open when
// its outer bound lies beyond the threshold: compose-x dropped the last
// UpperBound, composex does the same and says so.
func checkSteps(service, path, op string, steps []Step, ds *render.Diagnostics) ([]Step, direction, bool) {
	if len(steps) == 0 {
		ds.Errorf(service, path, "at least one step is required")
		return nil, up, false
	}
	ok := true
	for i, s := range steps {
		p := fmt.Sprintf("%s.%d", path, i)
		switch {
		case s.LowerBound == nil && s.UpperBound == nil:
			ds.Errorf(service, p, "give LowerBound, UpperBound or both (relative to the alarm threshold)")
			ok = false
		case s.LowerBound != nil && s.UpperBound != nil && *s.LowerBound >= *s.UpperBound:
			ds.Errorf(service, p, "LowerBound %g must be below UpperBound %g", *s.LowerBound, *s.UpperBound)
			ok = false
		}
		if s.Count == nil {
			ds.Errorf(service, p+".Count", "Count is required: the tasks to set, add or remove")
			ok = false
		}
	}
	if !ok {
		return nil, up, false
	}
	dir := directionOf(op)
	switch dir {
	case up, down:
		var order render.Diagnostics
		if !checkOrder(service, path, op, steps, dir, &order) {
			ds.Add(order...)
			return nil, dir, false
		}
	default: // either side of a band: accept whichever order the steps follow
		var upDs, downDs render.Diagnostics
		switch {
		case checkOrder(service, path, op, steps, up, &upDs):
			dir = up
		case checkOrder(service, path, op, steps, down, &downDs):
			dir = down
		default:
			ds.Add(upDs...)
			return nil, up, false
		}
	}
	out := append([]Step(nil), steps...)
	first, last := 0, len(out)-1
	if dir == up {
		if b := out[first].LowerBound; b != nil && *b < 0 {
			ds.Errorf(service, fmt.Sprintf("%s.%d.LowerBound", path, first), "%g is below the threshold, so Application Auto Scaling needs a step open below it: omit LowerBound on the first step", *b)
			return nil, dir, false
		}
		if b := out[last].UpperBound; b != nil && *b > 0 {
			ds.Warnf(service, fmt.Sprintf("%s.%d.UpperBound", path, last), "the last step is open-ended: Application Auto Scaling needs a step for every value above the threshold, so UpperBound %g is dropped (as compose-x does)", *b)
			s := out[last]
			s.UpperBound = nil
			out[last] = s
		}
	} else {
		if b := out[first].UpperBound; b != nil && *b > 0 {
			ds.Errorf(service, fmt.Sprintf("%s.%d.UpperBound", path, first), "%g is above the threshold, so Application Auto Scaling needs a step open above it: omit UpperBound on the first step", *b)
			return nil, dir, false
		}
		if b := out[last].LowerBound; b != nil && *b < 0 {
			ds.Warnf(service, fmt.Sprintf("%s.%d.LowerBound", path, last), "the last step is open-ended: Application Auto Scaling needs a step for every value below the threshold, so LowerBound %g is dropped", *b)
			s := out[last]
			s.LowerBound = nil
			out[last] = s
		}
	}
	return out, dir, true
}

// checkOrder checks that the steps follow each other without gap or
// overlap in the given direction.
func checkOrder(service, path, op string, steps []Step, dir direction, ds *render.Diagnostics) bool {
	inner := func(s Step) *float64 { return s.LowerBound }
	outer := func(s Step) *float64 { return s.UpperBound }
	innerName, outerName := "LowerBound", "UpperBound"
	beyond := func(a, b float64) bool { return a > b } // a farther from the threshold than b
	if dir == down {
		inner, outer = outer, inner
		innerName, outerName = outerName, innerName
		beyond = func(a, b float64) bool { return a < b }
	}
	fires := "above"
	if dir == down {
		fires = "below"
	}
	ok := true
	for i := 1; i < len(steps); i++ {
		prev, cur := steps[i-1], steps[i]
		p := fmt.Sprintf("%s.%d", path, i)
		switch {
		case outer(prev) == nil:
			ds.Errorf(service, fmt.Sprintf("%s.%d", path, i-1), "only the last step may omit %s: steps are listed %s from the threshold", outerName, dir)
			ok = false
		case inner(cur) == nil:
			ds.Errorf(service, p, "only the first step may omit %s: steps are listed %s from the threshold", innerName, dir)
			ok = false
		case *inner(cur) == *outer(prev):
		case beyond(*inner(cur), *outer(prev)):
			ds.Errorf(service, p, "gap between %g and %g: step %d ends at %g and step %d starts at %g; each step must start where the previous one ends", *outer(prev), *inner(cur), i-1, *outer(prev), i, *inner(cur))
			ok = false
		case inner(prev) != nil && beyond(*inner(prev), *inner(cur)):
			ds.Errorf(service, p, "steps are out of order: step %d (%s) comes before step %d (%s); the alarm fires %s its threshold (%s), so list the steps %s from it",
				i, bounds(cur), i-1, bounds(prev), fires, op, dir)
			ok = false
		default:
			ds.Errorf(service, p, "step %d (%s) overlaps step %d (%s); each step must start where the previous one ends", i, bounds(cur), i-1, bounds(prev))
			ok = false
		}
	}
	return ok
}

func bounds(s Step) string {
	lo, hi := "-inf", "+inf"
	if s.LowerBound != nil {
		lo = fmt.Sprintf("%g", *s.LowerBound)
	}
	if s.UpperBound != nil {
		hi = fmt.Sprintf("%g", *s.UpperBound)
	}
	return lo + " to " + hi
}

// checkCounts checks the Counts against the adjustment type and returns
// whether the policy scales in (negative changes, or ExactCapacity steps
// below the threshold).
func checkCounts(service, path, adj string, steps []Step, dir direction, ds *render.Diagnostics) (scaleIn bool) {
	outFrom, inFrom := -1, -1
	for i, s := range steps {
		if s.Count == nil {
			continue
		}
		c := *s.Count
		p := fmt.Sprintf("%s.%d.Count", path, i)
		switch adj {
		case ExactCapacity:
			if c < 0 {
				ds.Errorf(service, p, "%d: with ExactCapacity a Count is the number of tasks to run, 0 or more", c)
			}
			continue
		case PercentChangeInCapacity:
			if c < -100 {
				ds.Errorf(service, p, "%d: a service cannot shrink by more than 100 percent", c)
			}
		}
		switch {
		case c > 0 && outFrom < 0:
			outFrom = i
		case c < 0 && inFrom < 0:
			inFrom = i
		}
	}
	if adj == ExactCapacity {
		return dir == down
	}
	if outFrom >= 0 && inFrom >= 0 {
		i := outFrom
		if inFrom > outFrom {
			i = inFrom
		}
		ds.Errorf(service, fmt.Sprintf("%s.%d.Count", path, i), "step %d scales out and step %d scales in: one alarm's policy scales one way; use a second alarm for the other", outFrom, inFrom)
	}
	return inFrom >= 0
}
