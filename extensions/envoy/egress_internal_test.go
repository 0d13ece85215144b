package envoy

import (
	"strconv"
	"testing"

	"github.com/composex/composex/render"
)

// The app's http:// URLs to an upstream go to its local listener; what is
// not plain HTTP to that name and port stays as written.
func TestRewriteHTTPURLs(t *testing.T) {
	names := []string{"api", "backend"}
	cases := []struct{ in, want string }{
		{"http://api:9000/v1", "http://127.0.0.1:15001/v1"},
		{"http://API:9000", "http://127.0.0.1:15001"},
		{"http://backend:9000?x=1", "http://127.0.0.1:15001?x=1"},
		{"http://api:9000/a,http://api:9000/b", "http://127.0.0.1:15001/a,http://127.0.0.1:15001/b"},
		{"http://user:pw@api:9000/", "http://user:pw@api:9000/"}, // credentials: left as written
		{"https://api:9000/", "https://api:9000/"},               // TLS: the listener speaks plain HTTP
		{"http://api:9001/", "http://api:9001/"},                 // another port
		{"http://api/", "http://api/"},                           // port 80 implied, the upstream is on 9000
		{"http://apiserver:9000/", "http://apiserver:9000/"},     // another host
		{"http://api:90000/", "http://api:90000/"},               // not the port
		{"xhttp://api:9000/", "xhttp://api:9000/"},               // another scheme
		{"api:9000", "api:9000"},                                 // no scheme: not known to be HTTP
		{"see http://api:9000 and http://backend:9000/x", "see http://127.0.0.1:15001 and http://127.0.0.1:15001/x"},
	}
	for _, c := range cases {
		if got := rewriteHTTPURLs(c.in, names, 9000, 15001); got != c.want {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
	}
	if got := rewriteHTTPURLs("http://web/", []string{"web"}, 80, 15002); got != "http://127.0.0.1:15002/" {
		t.Errorf("port 80 implied by http://: got %q", got)
	}
}

// The cluster resolves the name the app itself would: Service Connect
// before Cloud Map, the asked port, else the main port, the service's own
// name before an alias.
func TestPickEndpoint(t *testing.T) {
	sc := func(n string, p int) render.Endpoint {
		return render.Endpoint{DnsName: n, Port: p, Via: render.EndpointServiceConnect}
	}
	cm := func(n string, p int) render.Endpoint {
		return render.Endpoint{DnsName: n, Port: p, Via: render.EndpointCloudMap}
	}
	eps := []render.Endpoint{cm("api.shop.local", 9000), sc("backend", 9000), sc("api", 9100), sc("api", 9000)}
	cases := []struct {
		want, main int
		got        string
		ok         bool
	}{
		{0, 9000, "api:9000", true},
		{0, 9100, "api:9100", true},
		{9100, 9000, "api:9100", true},
		{9200, 9000, "", false},
	}
	for _, c := range cases {
		e, ok := pickEndpoint(eps, "api", c.want, c.main)
		if ok != c.ok || (ok && e.DnsName+":"+strconv.Itoa(e.Port) != c.got) {
			t.Errorf("want %d main %d: got %v %v, want %s", c.want, c.main, e, ok, c.got)
		}
	}
	if e, _ := pickEndpoint([]render.Endpoint{cm("api.shop.local", 9000)}, "api", 0, 9000); e.DnsName != "api.shop.local" {
		t.Errorf("only a Cloud Map name: %v", e)
	}
}
