package keystore

import (
	"context"
	"strings"
	"testing"
)

func TestStatus(t *testing.T) {
	now := newClock().Now()
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
	admin := Caller{Actor: "cli", Application: ReservedApplication}

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
	billing := Caller{Actor: "mgmt-key-id", Application: "billing"}

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
