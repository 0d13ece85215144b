package render

import "runtime/debug"

// GCPercent is the garbage collector's target for a composex process. A
// render allocates a lot of short-lived memory (the compose tree, the
// template tree, the encoded text) and keeps little: with Go's default of
// 100 a 1000-service render spends about a sixth of its CPU collecting.
// 200 cuts that CPU by about a quarter of the process's total while the
// peak stays near 200 MB at 1000 services and grows with the project
// (measured with examples/scale/speed.sh). Re-measured with the load in
// parts (2026-12-01, 1000 services, whole process): 100 costs 5.7 s of CPU
// at 180 MB, 200 4.3 s at 200-220 MB, 400 4.1 s at 242 MB: 400 buys 6% for
// the last of the 250 MB the project allows at 1000 services, so 200 stays.
const GCPercent = 200

// TuneGC sets the collector target for a render and returns what restores
// the previous one. The binary calls it once at start unless the user set
// GOGC; benchmarks call it around the composex side only, so that the
// compose-go baseline runs with the default it has in its own process.
func TuneGC() (restore func()) {
	old := debug.SetGCPercent(GCPercent)
	return func() { debug.SetGCPercent(old) }
}
