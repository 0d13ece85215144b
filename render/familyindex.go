package render

import "slices"

// familyIndex answers FamiliesOf from a table instead of a scan of every
// family's services. Extensions ask it for every service (and for every
// caller and callee of every call), so the scan made a render quadratic:
// a third of the CPU at 3000 services.
//
// The table is taken when the model's families are final, at the end of
// BuildModel: after it, extensions add containers, resources and settings
// to families, never a family or a service. It stays in use only while
// m.Families is the very slice it was taken from (same backing array, same
// length); a model built by hand, or one whose family list was appended to
// or replaced, is answered by the scan, so no caller sees a stale answer.
type familyIndex struct {
	first *Family // m.Families[0] when the table was taken
	n     int     // len(m.Families) then
	head  **Family
	of    map[string][]*Family // service name → its families, in m.Families order
}

// indexFamilies takes the table of the model's families as they are now.
func (m *Model) indexFamilies() {
	x := &familyIndex{n: len(m.Families), of: map[string][]*Family{}}
	if x.n > 0 {
		x.first, x.head = m.Families[0], &m.Families[0]
	}
	for _, f := range m.Families {
		for _, s := range f.Services {
			fs := x.of[s.Name]
			if len(fs) > 0 && fs[len(fs)-1] == f {
				continue // a service listed twice in one family counts once
			}
			x.of[s.Name] = append(fs, f)
		}
	}
	m.famIndex = x
}

// current reports whether the table still describes m.Families.
func (x *familyIndex) current(m *Model) bool {
	if x == nil || len(m.Families) != x.n {
		return false
	}
	return x.n == 0 || (&m.Families[0] == x.head && m.Families[0] == x.first)
}

// familiesOfScan is FamiliesOf without the table.
func (m *Model) familiesOfScan(service string) []*Family {
	var out []*Family
	for _, f := range m.Families {
		for _, s := range f.Services {
			if s.Name == service {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// familiesOfIndexed is FamiliesOf from the table when it is current; the
// answer is the caller's own slice, as the scan's is.
func (m *Model) familiesOfIndexed(service string) []*Family {
	if !m.famIndex.current(m) {
		return m.familiesOfScan(service)
	}
	return slices.Clone(m.famIndex.of[service])
}
