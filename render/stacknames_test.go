package render

import "testing"

// A nested stack is named after the families it holds.
func TestNestedStackNames(t *testing.T) {
	logical := map[string]string{"api": "Api", "queue-worker": "QueueWorker", "a": "A", "b": "B", "c": "C", "d": "D", "e": "E"}
	fam := func(names ...string) []*Family {
		var out []*Family
		for _, n := range names {
			out = append(out, &Family{Name: n, Logical: logical[n]})
		}
		return out
	}
	none := func(string) bool { return false }
	cases := []struct {
		families   []*Family
		id, file   string
		takenFirst bool
	}{
		{fam("api"), "ApiStack", "api", false},
		{fam("api", "queue-worker"), "ApiQueueWorkerStack", "api-queue-worker", false},
		{fam("a", "b", "c", "d", "e"), "AAnd4MoreStack", "a-and-4-more", false},
		{fam("api"), "ApiStack2", "api", true},
	}
	for _, tc := range cases {
		taken := none
		if tc.takenFirst {
			taken = func(id string) bool { return id == "ApiStack" }
		}
		if got := nestedStackID(tc.families, taken); got != tc.id {
			t.Errorf("id %q, want %q", got, tc.id)
		}
		if got := nestedStackFile(tc.families); got != tc.file {
			t.Errorf("file %q, want %q", got, tc.file)
		}
	}
}
