package efs

import (
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// Through an access point, EFS runs every file operation as the access
// point's POSIX user, whatever user the container process is, and creates
// the root directory owned by CreationInfo's owner. Writes therefore always
// succeed when the owner is that user; what can still fail is an image
// whose entrypoint checks or changes the owner of its data directory: the
// postgres entrypoint chowns PGDATA to postgres and the server refuses a
// data directory it does not own, so the access point user must be the
// uid the image writes as.
//
// wellKnown lists official database images whose process runs as a fixed
// uid:gid, read from their Dockerfiles (docker-library): the Debian-based
// images create their user as 999:999, postgres on Alpine as 70:70.
var wellKnown = []struct {
	repo        string
	alpine      bool // the tag says -alpine / alpine
	uid, gid    uint32
	description string
}{
	{"postgres", true, 70, 70, "postgres on Alpine runs as postgres (70:70)"},
	{"postgres", false, 999, 999, "postgres runs as postgres (999:999)"},
	{"mysql", false, 999, 999, "mysql runs as mysql (999:999)"},
	{"mariadb", false, 999, 999, "mariadb runs as mysql (999:999)"},
	{"mongo", false, 999, 999, "mongo runs as mongodb (999:999)"},
}

// Registries that serve the Docker official images under their own names.
var officialPrefixes = []string{"", "docker.io/", "docker.io/library/", "library/", "index.docker.io/library/", "public.ecr.aws/docker/library/", "mirror.gcr.io/library/"}

const defaultUID = 1000

// defaultUser picks the access point user of a volume the compose file
// gives none for: the numeric user: of a service that mounts it (not 0,
// which EFS squashes), else the uid of a well-known image that mounts it,
// else 1000:1000. It returns where the choice came from, and whether it
// was a guess worth a warning.
func defaultUser(services []*types.ServiceConfig) (uid, gid uint32, from string, guessed bool) {
	for _, s := range services {
		if u, g, ok := numericUser(s.User); ok && u != 0 {
			return u, g, "the user of service " + s.Name, false
		}
	}
	for _, s := range services {
		if k, ok := knownImage(s.Image); ok {
			return k.uid, k.gid, "the image of service " + s.Name + ": " + k.description, false
		}
	}
	return defaultUID, defaultUID, "composex's default", true
}

// numericUser reads compose's user: "999", "999:999"; names need the image's
// /etc/passwd, which composex does not have.
func numericUser(u string) (uid, gid uint32, ok bool) {
	if u == "" {
		return 0, 0, false
	}
	us, gs, hasGroup := strings.Cut(u, ":")
	n, err := strconv.ParseUint(us, 10, 32)
	if err != nil {
		return 0, 0, false
	}
	uid, gid = uint32(n), uint32(n)
	if hasGroup {
		g, err := strconv.ParseUint(gs, 10, 32)
		if err != nil {
			return 0, 0, false
		}
		gid = uint32(g)
	}
	return uid, gid, true
}

// knownImage matches an image reference against wellKnown.
func knownImage(image string) (k struct {
	repo        string
	alpine      bool
	uid, gid    uint32
	description string
}, ok bool) {
	ref := image
	if i := strings.Index(ref, "@"); i >= 0 {
		ref = ref[:i]
	}
	tag := "latest"
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref, tag = ref[:i], ref[i+1:]
	}
	alpine := strings.Contains(tag, "alpine")
	for _, p := range officialPrefixes {
		repo, found := strings.CutPrefix(ref, p)
		if !found || strings.Contains(repo, "/") {
			continue
		}
		for _, w := range wellKnown {
			if w.repo == repo && w.alpine == alpine {
				return w, true
			}
		}
		for _, w := range wellKnown {
			if w.repo == repo && !w.alpine {
				return w, true // an Alpine tag of an image without an Alpine entry
			}
		}
	}
	return k, false
}
