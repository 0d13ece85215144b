package examples

import (
	"fmt"
	"sort"
	"testing"
)

// Readbacks of the compose-networking examples: the security group rules
// and the Service Connect configuration as the emulator created them.

func init() {
	motoChecks["names-web-api-cache"] = checkNamesWebAPICache
	motoChecks["network-isolation"] = checkNetworkIsolation
}

// serviceConnectAliases lists what the deployed service answers to, as
// "dns:port->portName", and its namespace.
func serviceConnectAliases(t *testing.T, sum *motoSummary, family string) (aliases []string, namespace any, enabled any) {
	t.Helper()
	svc := sum.service(t, family)
	if len(svc.Deployments) == 0 || svc.Deployments[0].ServiceConnectConfiguration == nil {
		t.Errorf("%s: the deployed service has no Service Connect configuration", family)
		return nil, nil, nil
	}
	sc := svc.Deployments[0].ServiceConnectConfiguration
	services, _ := sc["services"].([]any)
	for _, s := range services {
		for _, a := range dig(s, "clientAliases").([]any) {
			aliases = append(aliases, fmt.Sprintf("%v:%v->%v", dig(a, "dnsName"), dig(a, "port"), dig(s, "portName")))
		}
	}
	sort.Strings(aliases)
	return aliases, sc["namespace"], sc["enabled"]
}

func checkNamesWebAPICache(t *testing.T, p *project, sum *motoSummary) {
	equal(t, "web ingress", sum.ingress(sum.group(t, "web")), []string{"80/tcp<-203.0.113.0/24", "80/tcp<-sg:network-default"})
	equal(t, "api ingress", sum.ingress(sum.group(t, "api")), []string{"8080/tcp<-sg:network-default"})
	equal(t, "cache ingress", sum.ingress(sum.group(t, "cache")), []string{"6379/tcp<-sg:network-default", "9121/tcp<-sg:network-default"})
	equal(t, "default network group rules", sum.ingress(sum.group(t, "network-default")), []string(nil))
	var namespace any
	for family, want := range map[string][]string{
		"web":   {"web:80->tcp_80"},
		"api":   {"api:8080->tcp_8080", "backend:8080->tcp_8080"},
		"cache": {"cache:6379->tcp_6379", "cache:9121->tcp_9121", "redis:6379->tcp_6379", "redis:9121->tcp_9121"},
	} {
		got, ns, on := serviceConnectAliases(t, sum, family)
		equal(t, family+" Service Connect aliases", got, want)
		equal(t, family+" Service Connect enabled", on, true)
		if namespace == nil {
			namespace = ns
		}
		equal(t, family+" namespace (one for the project)", ns, namespace)
		groups := sum.service(t, family).NetworkConfiguration.AwsvpcConfiguration.SecurityGroups
		equal(t, family+" carries the default network's group", contains(groups, sum.group(t, "network-default").GroupId), true)
	}
	equal(t, "web public IP", sum.service(t, "web").NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, "ENABLED")
}

func checkNetworkIsolation(t *testing.T, p *project, sum *motoSummary) {
	equal(t, "web ingress", sum.ingress(sum.group(t, "web")), []string{"80/tcp<-sg:network-front"})
	equal(t, "api ingress", sum.ingress(sum.group(t, "api")), []string{"8080/tcp<-sg:network-back", "8080/tcp<-sg:network-front"})
	// db admits back only: web, which is on front alone, has no path.
	equal(t, "db ingress", sum.ingress(sum.group(t, "db")), []string{"5432/tcp<-sg:network-back"})
	front, back := sum.group(t, "network-front").GroupId, sum.group(t, "network-back").GroupId
	for family, want := range map[string][2]bool{"web": {true, false}, "api": {true, true}, "db": {false, true}} {
		groups := sum.service(t, family).NetworkConfiguration.AwsvpcConfiguration.SecurityGroups
		equal(t, family+" on front, back", [2]bool{contains(groups, front), contains(groups, back)}, want)
	}
	for family, want := range map[string][]string{
		"web": {"web:80->tcp_80"},
		"api": {"api:8080->tcp_8080"},
		"db":  {"db:5432->tcp_5432"},
	} {
		got, _, _ := serviceConnectAliases(t, sum, family)
		equal(t, family+" Service Connect aliases", got, want)
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}
