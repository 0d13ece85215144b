// Command scaleproject prints the generated compose project of N services
// that the benchmarks and the large-project tests use.
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/composex/composex/examples/scale"
)

func main() {
	n, err := 0, error(nil)
	if len(os.Args) == 2 {
		n, err = strconv.Atoi(os.Args[1])
	}
	if len(os.Args) != 2 || err != nil || n < 1 {
		fmt.Fprintln(os.Stderr, "usage: scaleproject N")
		os.Exit(2)
	}
	os.Stdout.Write(scale.Project(n))
}
