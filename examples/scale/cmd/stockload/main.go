// Command stockload only loads a compose file with compose-go's stock
// LoadProject, as docker compose does: the floor composex's speed is
// measured against (see examples/scale/speed.sh).
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: stockload FILE")
		os.Exit(2)
	}
	po, err := cli.NewProjectOptions([]string{os.Args[1]}, cli.WithName("bench"))
	if err == nil {
		_, err = po.LoadProject(context.Background())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
