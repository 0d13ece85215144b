package discovery

import "testing"

// What counts as naming a host in an environment value.
func TestHostOf(t *testing.T) {
	for _, tt := range []struct {
		key, value string
		host       string
		port       int
	}{
		{"API_URL", "http://api:8080/v1", "api", 8080},
		{"REDIS_URL", "redis://:secret@cache:6379/0", "cache", 6379},
		{"DATABASE_URL", "postgres://app:pw@db/app", "db", 0},
		{"UPSTREAM", "cache:6379", "cache", 6379},
		{"UPSTREAM", "cache:6379/metrics", "cache", 6379},
		{"DB_HOST", "db", "db", 0},
		{"KAFKA_BROKERS", "kafka", "kafka", 0},
		{"SEARCH_ENDPOINT", "search", "search", 0},
		// A bare word is a host only under a key that says so.
		{"MODE", "api", "", 0},
		{"GREETING", "hello", "", 0},
		// A time or a ratio is no host:port.
		{"WINDOW", "10:30", "", 0},
		{"", "", "", 0},
	} {
		host, port := hostOf(tt.key, tt.value)
		if host != tt.host || port != tt.port {
			t.Errorf("hostOf(%q, %q) = %q, %d; want %q, %d", tt.key, tt.value, host, port, tt.host, tt.port)
		}
	}
}
