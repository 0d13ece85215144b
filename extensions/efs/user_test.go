package efs

import (
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

func TestDefaultUser(t *testing.T) {
	tests := []struct {
		image, user string
		uid, gid    uint32
		guessed     bool
	}{
		{"postgres:16", "", 999, 999, false},
		{"public.ecr.aws/docker/library/postgres:16", "", 999, 999, false},
		{"docker.io/library/postgres:16-alpine3.20", "", 70, 70, false},
		{"postgres@sha256:0123", "", 999, 999, false},
		{"mysql:8.4", "", 999, 999, false},
		{"mariadb:11", "", 999, 999, false},
		{"mongo:7", "", 999, 999, false},
		{"bitnami/postgresql:16", "", 1000, 1000, true}, // not the official image
		{"registry.example.com/postgres:16", "", 1000, 1000, true},
		{"nginx:1.27", "101", 101, 101, false},
		{"postgres:16", "1001:1002", 1001, 1002, false}, // the service's own user wins
		{"postgres:16", "0", 999, 999, false},           // root is squashed: not a choice
		{"alpine:3.20", "app", 1000, 1000, true},        // a name: unknown uid
	}
	for _, tt := range tests {
		s := servicesOf(tt.image, tt.user)
		uid, gid, from, guessed := defaultUser(s)
		if uid != tt.uid || gid != tt.gid || guessed != tt.guessed {
			t.Errorf("%s user %q: %d:%d guessed %v (%s), want %d:%d guessed %v", tt.image, tt.user, uid, gid, guessed, from, tt.uid, tt.gid, tt.guessed)
		}
	}
}

func servicesOf(image, user string) []*types.ServiceConfig {
	s := &types.ServiceConfig{Name: "s"}
	s.Image, s.User = image, user
	return []*types.ServiceConfig{s}
}
