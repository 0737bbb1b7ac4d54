package keystore

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestRevoke(t *testing.T) {
	s, clk := openTest(t, Config{})
	ctx := context.Background()
	target := mustCreate(t, s, stdio, CreateInput{Name: "leaked"})
	other := mustCreate(t, s, stdio, CreateInput{Name: "still fine"})

	out, err := s.Revoke(ctx, stdio, RevokeInput{KeyID: target.Key.ID, Confirm: ConfirmRevoke, Reason: "leaked in a CI log"})
	if err != nil {
		t.Fatal(err)
	}
	if out.AlreadyRevoked || out.Key.Status != StatusRevoked || out.Key.RevokedAt == nil || !out.Key.RevokedAt.Equal(clk.Now()) {
		t.Fatalf("revoke result %+v", out)
	}

	// It stops working at once; the application's other key does not.
	if v, err := s.Verify(ctx, stdio, target.Secret); err != nil || v.Valid {
		t.Fatalf("revoked key verifies: %+v, %v", v, err)
	}
	if v, err := s.Verify(ctx, stdio, other.Secret); err != nil || !v.Valid {
		t.Fatalf("other key of the application stopped: %+v, %v", v, err)
	}

	trail, err := s.AuditTrail(ctx)
	if err != nil {
		t.Fatal(err)
	}
	last := trail[len(trail)-1]
	if last.Action != ActionRevoke || last.KeyID != target.Key.ID || last.Detail != "leaked in a CI log" || last.Actor != "stdio" {
		t.Fatalf("audit entry %+v", last)
	}

	// Again: succeeds, says so, changes nothing.
	clk.Advance(time.Hour)
	before := snapshot(t, s)
	again, err := s.Revoke(ctx, stdio, RevokeInput{KeyID: target.Key.ID, Confirm: ConfirmRevoke})
	if err != nil || !again.AlreadyRevoked || !again.Key.RevokedAt.Equal(*out.Key.RevokedAt) {
		t.Fatalf("second revoke: %+v, %v", again, err)
	}
	if snapshot(t, s) != before {
		t.Fatal("revoking a revoked key changed stored data")
	}
}

func TestRevokeNeedsConfirmation(t *testing.T) {
	s, _ := openTest(t, Config{})
	k := mustCreate(t, s, stdio, CreateInput{Name: "prod-db"})
	before := snapshot(t, s)
	for _, confirm := range []string{"", "revoke", "yes", "REVOKE ", "true"} {
		_, err := s.Revoke(context.Background(), stdio, RevokeInput{KeyID: k.Key.ID, Confirm: confirm})
		e := wantCode(t, err, EConfirmation)
		if !strings.Contains(e.Message, `"prod-db"`) || !strings.Contains(e.Message, k.Key.Hint) {
			t.Fatalf("message %q does not name the key and its hint", e.Message)
		}
	}
	if snapshot(t, s) != before {
		t.Fatal("an unconfirmed revoke changed stored data")
	}
	if v, _ := s.Verify(context.Background(), stdio, k.Secret); !v.Valid {
		t.Fatal("an unconfirmed revoke stopped the key")
	}
}

func TestRevokeValidationAndNotFound(t *testing.T) {
	s, _ := openTest(t, Config{})
	ctx := context.Background()
	_, err := s.Revoke(ctx, stdio, RevokeInput{Confirm: ConfirmRevoke})
	wantField(t, err, "key_id")
	_, err = s.Revoke(ctx, stdio, RevokeInput{KeyID: "42", Confirm: ConfirmRevoke})
	wantField(t, err, "key_id")
	_, err = s.Revoke(ctx, stdio, RevokeInput{KeyID: "{0190a5e4-8c3b-7d2e-9f10-1a2b3c4d5e6f}", Confirm: ConfirmRevoke})
	wantField(t, err, "key_id")
	k := mustCreate(t, s, stdio, CreateInput{Name: "k"})
	_, err = s.Revoke(ctx, stdio, RevokeInput{KeyID: k.Key.ID, Confirm: ConfirmRevoke, Reason: strings.Repeat("r", 201)})
	wantField(t, err, "reason")
	_, err = s.Revoke(ctx, stdio, RevokeInput{KeyID: k.Key.ID, Confirm: ConfirmRevoke, Reason: "bell\a"})
	wantField(t, err, "reason")
	_, err = s.Revoke(ctx, stdio, RevokeInput{KeyID: "0190a5e4-8c3b-7d2e-9f10-1a2b3c4d5e6f", Confirm: ConfirmRevoke})
	wantCode(t, err, ENotFound)
	// Upper-case ids name the same key.
	if _, err := s.Revoke(ctx, stdio, RevokeInput{KeyID: strings.ToUpper(k.Key.ID), Confirm: ConfirmRevoke}); err != nil {
		t.Fatal(err)
	}
}

func TestRevokeDuringGraceEndsItNow(t *testing.T) {
	s, clk := openTest(t, Config{})
	ctx := context.Background()
	old := mustCreate(t, s, stdio, CreateInput{Name: "k"})
	if _, err := s.Rotate(ctx, stdio, RotateInput{KeyID: old.Key.ID, GracePeriod: "1d"}); err != nil {
		t.Fatal(err)
	}
	out, err := s.Revoke(ctx, stdio, RevokeInput{KeyID: old.Key.ID, Confirm: ConfirmRevoke})
	if err != nil || out.AlreadyRevoked || !out.Key.RevokedAt.Equal(clk.Now()) {
		t.Fatalf("revoke in grace: %+v, %v", out, err)
	}
	if v, _ := s.Verify(ctx, stdio, old.Secret); v.Valid {
		t.Fatal("key still verifies after its grace period was cut short")
	}
}
