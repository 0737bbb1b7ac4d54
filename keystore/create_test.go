package keystore

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCreateDefaults(t *testing.T) {
	s, clk := openTest(t, Config{})
	out := mustCreate(t, s, stdio, CreateInput{Name: "ci-deploy"})

	k := out.Key
	now := clk.Now()
	if k.Application != DefaultApplication || k.Status != StatusActive || len(k.Scopes) != 0 {
		t.Errorf("defaults: application %q status %q scopes %v", k.Application, k.Status, k.Scopes)
	}
	if !k.CreatedAt.Equal(now) || !k.ExpiresAt.Equal(now.Add(90*Day)) {
		t.Errorf("created %s expires %s; want %s and 90 days later", k.CreatedAt, k.ExpiresAt, now)
	}
	if !wellFormed(out.Secret, DefaultPrefix) || k.Hint != hint(out.Secret) {
		t.Errorf("secret %q hint %q", out.Secret, k.Hint)
	}
	if k.RevokedAt != nil || k.LastUsedAt != nil || k.RotatedFrom != "" || k.ReplacedBy != "" {
		t.Errorf("a new key has lifecycle fields set: %+v", k)
	}
	trail, err := s.AuditTrail(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(trail) != 1 || trail[0].Action != ActionCreate || trail[0].KeyID != k.ID || trail[0].Actor != "stdio" ||
		trail[0].Application != DefaultApplication || trail[0].Outcome != "ok" || !trail[0].At.Equal(now) {
		t.Errorf("audit trail %+v", trail)
	}
}

func TestCreateWithEverything(t *testing.T) {
	s, clk := openTest(t, Config{Prefix: "acme"})
	out := mustCreate(t, s, stdio, CreateInput{Name: "billing service", Application: "billing", Scopes: []string{"read", "billing:write"}, ExpiresIn: "7d"})
	if !strings.HasPrefix(out.Secret, "acme_") || !wellFormed(out.Secret, "acme") {
		t.Errorf("secret %q does not use the configured prefix", out.Secret)
	}
	if out.Key.Application != "billing" || !slices.Equal(out.Key.Scopes, []string{"read", "billing:write"}) ||
		!out.Key.ExpiresAt.Equal(clk.Now().Add(7*Day)) {
		t.Errorf("key %+v", out.Key)
	}
}

func TestCreateValidation(t *testing.T) {
	long := strings.Repeat("x", 101)
	tests := []struct {
		name  string
		cfg   Config
		in    CreateInput
		field string
	}{
		{"name missing", Config{}, CreateInput{}, "name"},
		{"name blank", Config{}, CreateInput{Name: "   "}, "name"},
		{"name too long", Config{}, CreateInput{Name: long}, "name"},
		{"name control character", Config{}, CreateInput{Name: "a\x00b"}, "name"},
		{"name newline", Config{}, CreateInput{Name: "a\nb"}, "name"},
		{"name invalid utf-8", Config{}, CreateInput{Name: "a\xffb"}, "name"},
		{"application uppercase", Config{}, CreateInput{Name: "n", Application: "Billing"}, "application"},
		{"application too long", Config{}, CreateInput{Name: "n", Application: strings.Repeat("a", 64)}, "application"},
		{"application leading dash", Config{}, CreateInput{Name: "n", Application: "-x"}, "application"},
		{"application sql", Config{}, CreateInput{Name: "n", Application: "x'; DROP TABLE keys;--"}, "application"},
		{"application reserved", Config{}, CreateInput{Name: "n", Application: ReservedApplication}, "application"},
		{"scope format", Config{}, CreateInput{Name: "n", Scopes: []string{"Read"}}, "scopes"},
		{"scope empty", Config{}, CreateInput{Name: "n", Scopes: []string{""}}, "scopes"},
		{"scope space", Config{}, CreateInput{Name: "n", Scopes: []string{"a b"}}, "scopes"},
		{"scope duplicate", Config{}, CreateInput{Name: "n", Scopes: []string{"read", "read"}}, "scopes"},
		{"too many scopes", Config{}, CreateInput{Name: "n", Scopes: manyScopes(33)}, "scopes"},
		{"scope not allowed", Config{AllowedScopes: []string{"read"}}, CreateInput{Name: "n", Scopes: []string{"write"}}, "scopes"},
		{"lifetime format", Config{}, CreateInput{Name: "n", ExpiresIn: "forever"}, "expires_in"},
		{"lifetime too long", Config{}, CreateInput{Name: "n", ExpiresIn: "2y"}, "expires_in"},
		{"lifetime too short", Config{}, CreateInput{Name: "n", ExpiresIn: "0h"}, "expires_in"},
		{"lifetime above operator max", Config{MaxLifetime: 30 * Day}, CreateInput{Name: "n", ExpiresIn: "90d"}, "expires_in"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := openTest(t, tt.cfg)
			before := snapshot(t, s)
			_, err := s.Create(context.Background(), stdio, tt.in)
			wantField(t, err, tt.field)
			if snapshot(t, s) != before {
				t.Fatal("a refused create changed stored data")
			}
		})
	}
}

func TestCreateReportsEveryBadField(t *testing.T) {
	s, _ := openTest(t, Config{})
	_, err := s.Create(context.Background(), stdio, CreateInput{Application: "A", Scopes: []string{"x", "x"}, ExpiresIn: "5y"})
	for _, f := range []string{"name", "application", "scopes", "expires_in"} {
		wantField(t, err, f)
	}
}

func TestCreateAllowedScopesMessageListsThem(t *testing.T) {
	s, _ := openTest(t, Config{AllowedScopes: []string{"read", "write"}})
	_, err := s.Create(context.Background(), stdio, CreateInput{Name: "n", Scopes: []string{"admin"}})
	e := wantCode(t, err, EValidation)
	if !strings.Contains(e.Details[0].Message, "read, write") {
		t.Fatalf("message %q does not list the allowed scopes", e.Details[0].Message)
	}
	mustCreate(t, s, stdio, CreateInput{Name: "n", Scopes: []string{"write"}})
}

func TestCreateDefaultLifetimeCappedByOperator(t *testing.T) {
	s, clk := openTest(t, Config{MaxLifetime: 30 * Day})
	out := mustCreate(t, s, stdio, CreateInput{Name: "n"})
	if !out.Key.ExpiresAt.Equal(clk.Now().Add(30 * Day)) {
		t.Fatalf("expires %s, want the operator's 30-day maximum", out.Key.ExpiresAt)
	}
}

func TestCreateLimit(t *testing.T) {
	s, clk := openTest(t, Config{KeyLimit: 3})
	ctx := context.Background()
	var ids []string
	for i := range 3 {
		ids = append(ids, mustCreate(t, s, stdio, CreateInput{Name: "k", ExpiresIn: []string{"1h", "7d", "7d"}[i]}).Key.ID)
	}
	before := snapshot(t, s)
	_, err := s.Create(ctx, stdio, CreateInput{Name: "one too many"})
	e := wantCode(t, err, ELimit)
	if !strings.Contains(e.Message, "revoke_api_key") {
		t.Errorf("LIMIT_REACHED message %q does not say how to free a slot", e.Message)
	}
	if snapshot(t, s) != before {
		t.Fatal("a refused create changed stored data")
	}

	// Other applications have their own limit.
	mustCreate(t, s, stdio, CreateInput{Name: "k", Application: "other"})

	// A revoked key frees its slot.
	if _, err := s.Revoke(ctx, stdio, RevokeInput{KeyID: ids[1], Confirm: ConfirmRevoke}); err != nil {
		t.Fatal(err)
	}
	mustCreate(t, s, stdio, CreateInput{Name: "after revoke"})
	_, err = s.Create(ctx, stdio, CreateInput{Name: "full again"})
	wantCode(t, err, ELimit)

	// So does an expired one.
	clk.Advance(time.Hour)
	mustCreate(t, s, stdio, CreateInput{Name: "after expiry"})
}

func TestCreateLimitUnderConcurrency(t *testing.T) {
	s, _ := openTest(t, Config{})
	const callers = 24
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		created int
		limited int
	)
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Create(context.Background(), stdio, CreateInput{Name: "parallel"})
			mu.Lock()
			defer mu.Unlock()
			switch ErrorCode(err) {
			case "":
				created++
			case ELimit:
				limited++
			default:
				t.Errorf("create: %v", err)
			}
		}()
	}
	wg.Wait()
	if created != DefaultKeyLimit || limited != callers-DefaultKeyLimit {
		t.Fatalf("%d created and %d refused; want %d and %d", created, limited, DefaultKeyLimit, callers-DefaultKeyLimit)
	}
	page, err := s.List(context.Background(), stdio, ListInput{})
	if err != nil || len(page.Keys) != DefaultKeyLimit {
		t.Fatalf("list: %d keys, %v", len(page.Keys), err)
	}
}

func manyScopes(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = "s" + strings.Repeat("x", i)
	}
	return out
}
