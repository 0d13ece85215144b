package render

// elsewhere keeps, of the errors a later step found on input that earlier
// steps already refused, those about services (or top-level x- blocks)
// that the earlier errors do not name, and that are not already reported:
// a service with an error may make a later step trip over its
// consequences, but a problem in another service is never hidden by it.
func elsewhere(earlier, later Diagnostics) Diagnostics {
	services := map[string]bool{}
	blocks := map[string]bool{}
	// tops are the first keys of the earlier blocks (x-elbv2): a later
	// error located only at x-elbv2 may be the same problem again.
	tops := map[string]bool{}
	seen := map[string]bool{}
	for _, d := range earlier {
		seen[d.Path+"\x00"+d.Message] = true
		if d.Severity != Error {
			continue
		}
		if d.Service != "" {
			services[d.Service] = true
		} else if b := topBlock(d.Path); b != "" {
			blocks[b] = true
			tops[splitPath(b)[0]] = true
		}
	}
	var out Diagnostics
	for _, d := range later {
		switch {
		case d.Severity != Error, seen[d.Path+"\x00"+d.Message]:
		case d.Service != "" && services[d.Service]:
		case d.Service == "" && blocks[topBlock(d.Path)] && topBlock(d.Path) != "":
		case d.Service == "" && topBlock(d.Path) == "" && tops[d.Path]:
		default:
			seen[d.Path+"\x00"+d.Message] = true
			out = append(out, d)
		}
	}
	return out
}

// topBlock is the first two keys of a path (x-elbv2.public), the block a
// top-level error belongs to.
func topBlock(path string) string {
	parts := splitPath(path)
	if len(parts) < 2 {
		return ""
	}
	return joinPath(parts[:2])
}
