package render

import (
	"errors"
	"regexp"
	"strconv"

	"github.com/compose-spec/compose-go/v2/types"
)

// Fargate's ephemeral storage: every task has 20 GiB; a task definition may
// ask for 21 to 200 GiB (EphemeralStorage.SizeInGiB, platform 1.4.0 on).
const (
	fargateDefaultStorageGiB = 20
	fargateMaxStorageGiB     = 200
)

// A size as compose-x users write it: 65, 128GB, 100GiB, 50G.
var storageSize = regexp.MustCompile(`(?i)^\s*([0-9]+)\s*(g|gb|gi|gib)?\s*$`)

// ephemeralStorage reads the ecs.ephemeral.storage deploy label of a
// service: the GiB its task needs, 0 when it says nothing or asks for no
// more than Fargate's 20 GiB. compose-x documents that a value below 21 is
// ignored (the task has 20 GiB anyway), so that is a warning; a value above
// 200 cannot be given: compose-x caps it at 200 silently, composex caps it
// too but says so (a warning, so --strict refuses it), since a task sized
// for more may run out of disk.
func ephemeralStorage(s *types.ServiceConfig, ds *Diagnostics) int {
	if s.Deploy == nil {
		return 0
	}
	raw, ok := s.Deploy.Labels[labelEphemeral]
	if !ok {
		return 0
	}
	path := ServicePath(s.Name, "deploy.labels", Key(labelEphemeral))
	m := storageSize.FindStringSubmatch(raw)
	gib, err := 0, error(nil)
	if m != nil {
		gib, err = strconv.Atoi(m[1])
		if errors.Is(err, strconv.ErrRange) {
			gib, err = fargateMaxStorageGiB+1, nil // a huge number: above the maximum
		}
	}
	switch {
	case m == nil || err != nil || gib == 0:
		ds.Errorf(s.Name, path, "%q is not a size in GiB; allowed: a whole number from %d to %d, optionally followed by GB or GiB", raw, fargateDefaultStorageGiB+1, fargateMaxStorageGiB)
		return 0
	case gib > fargateMaxStorageGiB:
		ds.Warnf(s.Name, path, "%q is more than Fargate's maximum of %d GiB of ephemeral storage (allowed: %d to %d): the task gets %d GiB, as compose-x gives it; for more, mount a named volume (Amazon EFS)", raw, fargateMaxStorageGiB, fargateDefaultStorageGiB+1, fargateMaxStorageGiB, fargateMaxStorageGiB)
		return fargateMaxStorageGiB
	case gib <= fargateDefaultStorageGiB:
		ds.Warnf(s.Name, path, "%q is ignored: every Fargate task has %d GiB of ephemeral storage; ask for %d to %d GiB for more", raw, fargateDefaultStorageGiB, fargateDefaultStorageGiB+1, fargateMaxStorageGiB)
		return 0
	}
	return gib
}
