package keystore

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestStatus(t *testing.T) {
	now := testEpoch
	past, future := now.Add(-1), now.Add(1)
	for _, tt := range []struct {
		name    string
		expires bool // in the future
		revoked *bool
		want    string
	}{
		{"active", true, nil, StatusActive},
		{"expired", false, nil, StatusExpired},
		{"revoked", true, ptr(true), StatusRevoked},
		{"revoked beats expired", false, ptr(true), StatusRevoked},
		{"grace period", true, ptr(false), StatusActive},
		{"grace past expiry", false, ptr(false), StatusExpired},
	} {
		expires := past
		if tt.expires {
			expires = future
		}
		var revokedAt = &future
		if tt.revoked == nil {
			revokedAt = nil
		} else if *tt.revoked {
			revokedAt = &now // revoked_at == now counts as passed
		}
		if got := status(now, expires, revokedAt); got != tt.want {
			t.Errorf("%s: status = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// The reserved application holds management keys: callers other than the
// admin (bound to it) can neither create there nor see its keys.
func TestReservedApplication(t *testing.T) {
	s, _ := openTest(t, Config{})
	ctx := context.Background()
	admin := Caller{Actor: "cli", Application: ReservedApplication, Scopes: ManagementScopes}

	mgmt := mustCreate(t, s, admin, CreateInput{Name: "automation", Scopes: []string{ScopeRead, ScopeWrite}})
	if mgmt.Key.Application != ReservedApplication || !strings.HasPrefix(mgmt.Secret, ManagementPrefix+"_") || !wellFormed(mgmt.Secret, ManagementPrefix) {
		t.Fatalf("management key %+v secret %q", mgmt.Key, mgmt.Secret)
	}
	_, err := s.Create(ctx, admin, CreateInput{Name: "x", Scopes: []string{"billing:write"}})
	wantField(t, err, "scopes")

	issued := mustCreate(t, s, stdio, CreateInput{Name: "issued"})

	_, err = s.Create(ctx, stdio, CreateInput{Name: "x", Application: ReservedApplication})
	wantField(t, err, "application")
	page, err := s.List(ctx, stdio, ListInput{Status: StatusAll})
	if err != nil || len(page.Keys) != 1 || page.Keys[0].ID != issued.Key.ID {
		t.Fatalf("unbound list shows %v, %v; want only the issued key", ids(page.Keys), err)
	}
	_, err = s.Revoke(ctx, stdio, RevokeInput{KeyID: mgmt.Key.ID, Confirm: ConfirmRevoke})
	wantCode(t, err, ENotFound)
	_, err = s.Rotate(ctx, stdio, RotateInput{KeyID: mgmt.Key.ID})
	wantCode(t, err, ENotFound)
	if v, _ := s.Verify(ctx, stdio, mgmt.Secret); v.Valid {
		t.Fatal("a management key verifies as an issued key")
	}
	if v, _ := s.Verify(ctx, admin, issued.Secret); v.Valid {
		t.Fatal("an issued key verifies as a management key")
	}
	if v, _ := s.Verify(ctx, admin, mgmt.Secret); !v.Valid {
		t.Fatal("the management key does not verify for the admin")
	}
}

// A caller bound to one application acts there alone.
func TestBoundCaller(t *testing.T) {
	s, _ := openTest(t, Config{})
	ctx := context.Background()
	billing := Caller{Actor: "mgmt-key-id", Application: "billing", Scopes: ManagementScopes}

	own := mustCreate(t, s, billing, CreateInput{Name: "own"})
	if own.Key.Application != "billing" {
		t.Fatalf("bound caller's create went to %q", own.Key.Application)
	}
	foreign := mustCreate(t, s, stdio, CreateInput{Name: "foreign", Application: "web"})

	_, err := s.Create(ctx, billing, CreateInput{Name: "x", Application: "web"})
	wantCode(t, err, EForbidden)
	_, err = s.List(ctx, billing, ListInput{Application: "web"})
	wantCode(t, err, EForbidden)
	page, err := s.List(ctx, billing, ListInput{})
	if err != nil || len(page.Keys) != 1 || page.Keys[0].ID != own.Key.ID {
		t.Fatalf("bound list %v, %v", ids(page.Keys), err)
	}
	_, err = s.Revoke(ctx, billing, RevokeInput{KeyID: foreign.Key.ID, Confirm: ConfirmRevoke})
	wantCode(t, err, ENotFound)
	_, err = s.Rotate(ctx, billing, RotateInput{KeyID: foreign.Key.ID})
	wantCode(t, err, ENotFound)
	if v, _ := s.Verify(ctx, billing, foreign.Secret); v.Valid {
		t.Fatal("bound caller verified another application's key")
	}
	trail, _ := s.AuditTrail(ctx)
	if trail[0].Actor != "mgmt-key-id" {
		t.Fatalf("audit actor %q", trail[0].Actor)
	}
}

// Each action needs its scope; a refusal changes no key and is audited.
func TestScopes(t *testing.T) {
	s, _ := openTest(t, Config{})
	ctx := context.Background()
	k := mustCreate(t, s, stdio, CreateInput{Name: "k"})
	reader := Caller{Actor: "reader-key", Scopes: []string{ScopeRead}}
	nobody := Caller{Actor: "no-scopes"}

	if _, err := s.List(ctx, reader, ListInput{}); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Verify(ctx, reader, k.Secret); err != nil || !v.Valid {
		t.Fatalf("verify with keys:read: %+v, %v", v, err)
	}
	for name, call := range map[string]func() error{
		"create": func() error { _, err := s.Create(ctx, reader, CreateInput{Name: "x"}); return err },
		"rotate": func() error { _, err := s.Rotate(ctx, reader, RotateInput{KeyID: k.Key.ID}); return err },
		"revoke": func() error {
			_, err := s.Revoke(ctx, Caller{Actor: "w", Scopes: []string{ScopeRead, ScopeWrite}}, RevokeInput{KeyID: k.Key.ID, Confirm: ConfirmRevoke})
			return err
		},
		"list":   func() error { _, err := s.List(ctx, nobody, ListInput{}); return err },
		"verify": func() error { _, err := s.Verify(ctx, nobody, k.Secret); return err },
	} {
		t.Run(name, func(t *testing.T) {
			before := countKeys(t, s)
			e := wantCode(t, call(), EForbidden)
			if !strings.Contains(e.Message, "keys:") {
				t.Fatalf("message %q does not name the scope", e.Message)
			}
			if countKeys(t, s) != before {
				t.Fatal("a forbidden call changed keys")
			}
			trail, _ := s.AuditTrail(ctx)
			if last := trail[len(trail)-1]; last.Outcome != EForbidden || last.Action != name {
				t.Fatalf("refusal not audited: %+v", last)
			}
		})
	}
}

func countKeys(t *testing.T, s *Store) string {
	t.Helper()
	var n, revoked int
	if err := s.reader.QueryRow(`SELECT count(*), count(revoked_at) FROM keys`).Scan(&n, &revoked); err != nil {
		t.Fatal(err)
	}
	return strings.Repeat("k", n) + strings.Repeat("r", revoked)
}

func TestAuthenticate(t *testing.T) {
	s, clk := openTest(t, Config{})
	ctx := context.Background()
	admin := Caller{Actor: "cli", Application: ReservedApplication, Scopes: ManagementScopes}
	bound := mustCreate(t, s, admin, CreateInput{Name: "billing bot", Scopes: []string{ScopeRead}, BoundApplication: "billing", ExpiresIn: "1h"})
	issued := mustCreate(t, s, stdio, CreateInput{Name: "issued"})

	c, err := s.Authenticate(ctx, bound.Secret, "127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Actor != bound.Key.ID || c.Application != "billing" || !slices.Equal(c.Scopes, []string{ScopeRead}) {
		t.Fatalf("caller %+v", c)
	}

	for name, secret := range map[string]string{"issued key": issued.Secret, "garbage": "Bearer x", "empty": ""} {
		_, err := s.Authenticate(ctx, secret, "127.0.0.1:2")
		if wantCode(t, err, EUnauthorized); strings.Contains(err.Error(), secret) && secret != "" {
			t.Fatalf("%s: the error repeats what was presented", name)
		}
	}
	trail, _ := s.AuditTrail(ctx)
	if last := trail[len(trail)-1]; last.Action != ActionAuthenticate || last.Outcome != EUnauthorized || last.Detail != "from 127.0.0.1:2" {
		t.Fatalf("failed authentication not audited: %+v", last)
	}

	clk.Advance(time.Hour)
	_, err = s.Authenticate(ctx, bound.Secret, "127.0.0.1:3")
	wantCode(t, err, EUnauthorized)
}

func TestBoundApplicationValidation(t *testing.T) {
	s, _ := openTest(t, Config{})
	admin := Caller{Actor: "cli", Application: ReservedApplication, Scopes: ManagementScopes}
	for _, tt := range []struct {
		c  Caller
		in CreateInput
	}{
		{stdio, CreateInput{Name: "x", BoundApplication: "billing"}},
		{admin, CreateInput{Name: "x", BoundApplication: "Bad App"}},
		{admin, CreateInput{Name: "x", BoundApplication: ReservedApplication}},
	} {
		_, err := s.Create(context.Background(), tt.c, tt.in)
		wantField(t, err, "bound_application")
	}
}
