package discovery

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/composex/composex/render"
)

// A service calls a peer by name when its compose file says so in one of
// two ways:
//   - links: ["api"] or ["api:backend"];
//   - an environment value that names the peer as a host: the host of a URL
//     (http://api:8080/v1, redis://:pw@cache:6379/0), a host:port pair
//     (cache:6379), or the whole value of a variable whose name says it holds
//     a host (API_HOST=api, DB_ADDR, REDIS_SERVER, ..._ENDPOINT), each item of
//     a comma, semicolon or space separated list.
//
// depends_on is not a call: it orders start-up (and often waits for a
// migration or a sidecar), it does not say that the service resolves the
// name; compose-go also adds the implicit depends_on of links and
// network_mode, which are judged by their own keys.

// call is one call by name found in the compose file.
type call struct {
	caller, callee string // compose services (callee: its network owner)
	name           string // the name as written
	port           int    // 0 when not written
	path           string // where it is written
	evidence       string // the value or link, for messages
}

var (
	reHostKey  = regexp.MustCompile(`(?i)(HOST|HOSTNAME|ADDR|ADDRESS|SERVER|SERVERS|ENDPOINT|BROKERS?)$`)
	reHostPort = regexp.MustCompile(`^([A-Za-z0-9_][A-Za-z0-9_.-]*):([0-9]{1,5})(/.*)?$`)
	reSplit    = regexp.MustCompile(`[\s,;]+`)
)

// calls finds every call by name of the project, in a stable order.
func calls(p *types.Project, table map[string]string) []call {
	var out []call
	for _, n := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[n]
		for i, l := range s.Links {
			target, alias, _ := strings.Cut(l, ":")
			name := target
			if alias != "" {
				name = alias
			}
			if _, ok := p.Services[target]; ok {
				out = append(out, call{caller: n, callee: render.NetworkOwner(p, target), name: name,
					path: fmt.Sprintf("%s.%d", render.ServicePath(n, "links"), i), evidence: "links: " + l})
			}
		}
		for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
			v := s.Environment[k]
			if v == nil {
				continue
			}
			seen := map[string]bool{}
			for _, tok := range reSplit.Split(*v, -1) {
				host, port := hostOf(k, tok)
				callee, ok := table[strings.ToLower(host)]
				if !ok || callee == n || seen[callee] {
					continue
				}
				seen[callee] = true
				out = append(out, call{caller: n, callee: callee, name: host, port: port,
					path: render.ServicePath(n, "environment", render.Key(k)), evidence: k + "=" + *v})
			}
		}
	}
	return out
}

// hostOf returns the host (and port) an environment item names, or "".
func hostOf(key, tok string) (string, int) {
	if tok == "" {
		return "", 0
	}
	if strings.Contains(tok, "://") {
		u, err := url.Parse(tok)
		if err != nil {
			return "", 0
		}
		port, _ := strconv.Atoi(u.Port())
		return u.Hostname(), port
	}
	if m := reHostPort.FindStringSubmatch(tok); m != nil && strings.Trim(m[1], "0123456789") != "" {
		// A host has a letter: 10:30 is a time, not a host and port.
		port, _ := strconv.Atoi(m[2])
		return m[1], port
	}
	if reHostKey.MatchString(key) {
		return tok, 0
	}
	return "", 0
}
