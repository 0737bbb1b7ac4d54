package keystore

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestRotate(t *testing.T) {
	s, clk := openTest(t, Config{})
	ctx := context.Background()
	old := mustCreate(t, s, stdio, CreateInput{Name: "deploy", Application: "web", Scopes: []string{"deploy"}, ExpiresIn: "30d"})
	clk.Advance(10 * Day)

	out, err := s.Rotate(ctx, stdio, RotateInput{KeyID: old.Key.ID})
	if err != nil {
		t.Fatal(err)
	}
	now := clk.Now()
	k := out.Key
	if k.ID == old.Key.ID || k.Name != "deploy" || k.Application != "web" || !slices.Equal(k.Scopes, []string{"deploy"}) ||
		k.RotatedFrom != old.Key.ID || !k.ExpiresAt.Equal(now.Add(30*Day)) || k.Status != StatusActive {
		t.Fatalf("new key %+v", k)
	}
	if out.Secret == old.Secret || !wellFormed(out.Secret, DefaultPrefix) {
		t.Fatalf("new secret %q", out.Secret)
	}
	p := out.Previous
	if p.ID != old.Key.ID || p.ReplacedBy != k.ID || p.Status != StatusRevoked || !p.RevokedAt.Equal(now) {
		t.Fatalf("previous %+v", p)
	}
	if v, _ := s.Verify(ctx, stdio, old.Secret); v.Valid {
		t.Fatal("old key verifies after a rotation without grace")
	}
	if v, _ := s.Verify(ctx, stdio, out.Secret); !v.Valid {
		t.Fatal("new key does not verify")
	}
	trail, _ := s.AuditTrail(ctx)
	if last := trail[len(trail)-1]; last.Action != ActionRotate || last.KeyID != old.Key.ID {
		t.Fatalf("audit entry %+v", last)
	}

	// Once rotated, never again; and the new key cannot be rotated with bad input.
	_, err = s.Rotate(ctx, stdio, RotateInput{KeyID: old.Key.ID})
	wantCode(t, err, EAlreadyRotate)
}

func TestRotateWithGrace(t *testing.T) {
	s, clk := openTest(t, Config{})
	ctx := context.Background()
	old := mustCreate(t, s, stdio, CreateInput{Name: "k"})
	out, err := s.Rotate(ctx, stdio, RotateInput{KeyID: old.Key.ID, GracePeriod: "2d", ExpiresIn: "7d"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Previous.Status != StatusActive || !out.Previous.RevokedAt.Equal(clk.Now().Add(2*Day)) || out.Previous.ReplacedBy != out.Key.ID {
		t.Fatalf("previous during grace %+v", out.Previous)
	}
	if !out.Key.ExpiresAt.Equal(clk.Now().Add(7 * Day)) {
		t.Fatalf("new key expires %s, want in 7d", out.Key.ExpiresAt)
	}
	for _, secret := range []string{old.Secret, out.Secret} {
		if v, _ := s.Verify(ctx, stdio, secret); !v.Valid {
			t.Fatal("a key stopped during the grace period")
		}
	}
	// A key in its grace period cannot be rotated again.
	_, err = s.Rotate(ctx, stdio, RotateInput{KeyID: old.Key.ID})
	wantCode(t, err, EAlreadyRotate)

	clk.Advance(2*Day - time.Second)
	if v, _ := s.Verify(ctx, stdio, old.Secret); !v.Valid {
		t.Fatal("old key stopped before its grace period ended")
	}
	clk.Advance(time.Second)
	if v, _ := s.Verify(ctx, stdio, old.Secret); v.Valid {
		t.Fatal("old key works after its grace period")
	}
}

func TestRotateAtTheLimit(t *testing.T) {
	s, _ := openTest(t, Config{KeyLimit: 2})
	ctx := context.Background()
	a := mustCreate(t, s, stdio, CreateInput{Name: "a"})
	mustCreate(t, s, stdio, CreateInput{Name: "b"})
	out, err := s.Rotate(ctx, stdio, RotateInput{KeyID: a.Key.ID, GracePeriod: "7d"})
	if err != nil {
		t.Fatalf("rotation at the limit: %v", err)
	}
	// The key in grace does not count, the new one does: still full.
	_, err = s.Create(ctx, stdio, CreateInput{Name: "c"})
	wantCode(t, err, ELimit)
	if _, err := s.Rotate(ctx, stdio, RotateInput{KeyID: out.Key.ID}); err != nil {
		t.Fatalf("rotating the replacement at the limit: %v", err)
	}
}

func TestRotateRefusals(t *testing.T) {
	s, clk := openTest(t, Config{MaxLifetime: 30 * Day})
	ctx := context.Background()
	revoked := mustCreate(t, s, stdio, CreateInput{Name: "revoked"})
	if _, err := s.Revoke(ctx, stdio, RevokeInput{KeyID: revoked.Key.ID, Confirm: ConfirmRevoke}); err != nil {
		t.Fatal(err)
	}
	expired := mustCreate(t, s, stdio, CreateInput{Name: "expired", ExpiresIn: "1h"})
	live := mustCreate(t, s, stdio, CreateInput{Name: "live"})
	clk.Advance(time.Hour)

	before := snapshot(t, s)
	_, err := s.Rotate(ctx, stdio, RotateInput{KeyID: revoked.Key.ID})
	wantCode(t, err, ENotActive)
	_, err = s.Rotate(ctx, stdio, RotateInput{KeyID: expired.Key.ID})
	wantCode(t, err, ENotActive)
	_, err = s.Rotate(ctx, stdio, RotateInput{KeyID: "0190a5e4-8c3b-7d2e-9f10-1a2b3c4d5e6f"})
	wantCode(t, err, ENotFound)
	for _, tt := range []struct {
		in    RotateInput
		field string
	}{
		{RotateInput{}, "key_id"},
		{RotateInput{KeyID: "nope"}, "key_id"},
		{RotateInput{KeyID: live.Key.ID, GracePeriod: "8d"}, "grace_period"},
		{RotateInput{KeyID: live.Key.ID, GracePeriod: "later"}, "grace_period"},
		{RotateInput{KeyID: live.Key.ID, ExpiresIn: "90d"}, "expires_in"},
		{RotateInput{KeyID: live.Key.ID, ExpiresIn: "0d"}, "expires_in"},
	} {
		_, err := s.Rotate(ctx, stdio, tt.in)
		wantField(t, err, tt.field)
	}
	if snapshot(t, s) != before {
		t.Fatal("a refused rotation changed stored data")
	}
}

func TestRotateConcurrently(t *testing.T) {
	s, _ := openTest(t, Config{})
	old := mustCreate(t, s, stdio, CreateInput{Name: "contended"})
	const callers = 8
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		won     []Rotated
		already int
	)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := s.Rotate(context.Background(), stdio, RotateInput{KeyID: old.Key.ID})
			mu.Lock()
			defer mu.Unlock()
			switch ErrorCode(err) {
			case "":
				won = append(won, out)
			case EAlreadyRotate:
				already++
			default:
				t.Errorf("rotate: %v", err)
			}
		}()
	}
	wg.Wait()
	if len(won) != 1 || already != callers-1 {
		t.Fatalf("%d rotations won, %d refused; want 1 and %d", len(won), already, callers-1)
	}
	page, err := s.List(context.Background(), stdio, ListInput{Status: StatusAll})
	if err != nil || len(page.Keys) != 2 {
		t.Fatalf("after the race: %d keys, %v; want the old key and one replacement", len(page.Keys), err)
	}
}
