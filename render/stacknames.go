package render

import (
	"fmt"
	"strings"
)

// A nested stack is named after the families it holds, so that a reviewer
// reading the root template, the console's list of stacks or a change set
// sees which services a stack carries: ApiStack for one family,
// ApiWorkerStack for two or three, ApiAnd11MoreStack beyond. The file
// beside the root follows: shop-api.yaml, shop-api-worker.yaml,
// shop-api-and-11-more.yaml.

// maxNamedFamilies is how many families a stack name lists in full.
const maxNamedFamilies = 3

// nestedStackID is the logical ID of the stack holding families; taken
// says which IDs are in use already (then a number is added).
func nestedStackID(families []*Family, taken func(string) bool) string {
	var b strings.Builder
	if len(families) <= maxNamedFamilies {
		for _, f := range families {
			b.WriteString(f.Logical)
		}
	} else {
		fmt.Fprintf(&b, "%sAnd%dMore", families[0].Logical, len(families)-1)
	}
	b.WriteString("Stack")
	id := b.String()
	for n := 2; taken(id); n++ {
		id = fmt.Sprintf("%s%d", b.String(), n)
	}
	return id
}

// nestedStackFile is the file name part of the stack holding families.
func nestedStackFile(families []*Family) string {
	if len(families) <= maxNamedFamilies {
		parts := make([]string, len(families))
		for i, f := range families {
			parts[i] = ResourceName(f.Name)
		}
		return strings.Join(parts, "-")
	}
	return fmt.Sprintf("%s-and-%d-more", ResourceName(families[0].Name), len(families)-1)
}
