package render

import "runtime/debug"

// GCPercent is the garbage collector's target for a composex process. A
// render allocates a lot of short-lived memory (the compose tree, the
// template tree, the encoded text) and keeps little: with Go's default of
// 100 a 1000-service render spends about a sixth of its CPU collecting.
// 200 cuts that CPU by about a quarter of the process's total while the
// peak stays under 200 MB at 1000 services and grows with the project,
// linearly (measured with examples/scale/speed.sh; 400 saves little more
// and passes 230 MB).
const GCPercent = 200

// TuneGC sets the collector target for a render and returns what restores
// the previous one. The binary calls it once at start unless the user set
// GOGC; benchmarks call it around the composex side only, so that the
// compose-go baseline runs with the default it has in its own process.
func TuneGC() (restore func()) {
	old := debug.SetGCPercent(GCPercent)
	return func() { debug.SetGCPercent(old) }
}
