package render

// Scaling is the one place where extensions meet about a family's auto
// scaling: x-scaling creates the ECS service's scalable target and records
// it here; x-alarms attaches step scaling policies to it and sizes its
// predefined alarms on it.
type Scaling struct {
	// Min and Max are the scalable target's capacity range, in tasks.
	Min, Max int
	// Tracking names the target's target tracking policies by the key that
	// asked for each (CpuTarget, MemoryTarget, ...): step scaling that sets
	// an exact count fights them (see x-alarms).
	Tracking []string
}

// ScalableTargetID is the logical ID of the family's scalable target.
func (f *Family) ScalableTargetID() string { return f.Logical + "ScalableTarget" }
