package main

import (
	"os"

	"github.com/composex/composex/render"
)

// A render is one short burst of allocation: collect less often (see
// render.GCPercent). A GOGC the user set wins.
func init() {
	if os.Getenv("GOGC") == "" {
		render.TuneGC()
	}
}
