package keystore

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	s, clk := openTest(t, Config{})
	ctx := context.Background()
	k := mustCreate(t, s, stdio, CreateInput{Name: "k", ExpiresIn: "1h"})

	v, err := s.Verify(ctx, stdio, k.Secret)
	if err != nil || !v.Valid || v.Key.ID != k.Key.ID || v.Key.LastUsedAt == nil || !v.Key.LastUsedAt.Equal(clk.Now()) {
		t.Fatalf("verify: %+v, %v", v, err)
	}
	// Every result shows the last use at once, though it is written later.
	clk.Advance(30 * time.Second)
	if v, _ = s.Verify(ctx, stdio, k.Secret); !v.Key.LastUsedAt.Equal(clk.Now()) {
		t.Fatalf("last_used_at %s, want %s", v.Key.LastUsedAt, clk.Now())
	}
	page, _ := s.List(ctx, stdio, ListInput{})
	if got := page.Keys[0].LastUsedAt; got == nil || !got.Equal(clk.Now()) {
		t.Fatalf("list shows last_used_at %v, want %s", got, clk.Now())
	}

	clk.Advance(time.Hour)
	if v, err := s.Verify(ctx, stdio, k.Secret); err != nil || v.Valid {
		t.Fatalf("expired key: %+v, %v", v, err)
	}
}

// Verification writes nothing; uses are written in a batch, at the latest
// on Close, and survive a reopen.
func TestVerifyWritesNothingAndFlushesUses(t *testing.T) {
	s, clk := openTest(t, Config{})
	ctx := context.Background()
	k := mustCreate(t, s, stdio, CreateInput{Name: "k"})
	before := snapshot(t, s)
	for range 100 {
		if v, err := s.Verify(ctx, stdio, k.Secret); err != nil || !v.Valid {
			t.Fatalf("verify: %+v, %v", v, err)
		}
	}
	if snapshot(t, s) != before {
		t.Fatal("verification wrote to the database")
	}
	used := clk.Now()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, Config{Path: s.cfg.Path, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	page, err := s2.List(ctx, stdio, ListInput{})
	if err != nil || len(page.Keys) != 1 || page.Keys[0].LastUsedAt == nil || !page.Keys[0].LastUsedAt.Equal(used) {
		t.Fatalf("after reopen: %+v, %v", page, err)
	}
}

// The cache never outlives a change: a revocation through another store on
// the same file (another process) is refused on the very next verify, and
// so is one through this store.
func TestVerifyCacheHonoursRevocationAtOnce(t *testing.T) {
	a, clk := openTest(t, Config{})
	ctx := context.Background()
	b, err := Open(ctx, Config{Path: a.cfg.Path, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if runtime.GOOS != "windows" && a.cache.watch == nil {
		t.Fatal("no shared-memory watch: every verification asks SQLite")
	}
	for i, revoker := range []*Store{b, a} {
		k := mustCreate(t, a, stdio, CreateInput{Name: "k"})
		for range 3 { // warm the cache
			if v, _ := a.Verify(ctx, stdio, k.Secret); !v.Valid {
				t.Fatalf("round %d: key does not verify", i)
			}
		}
		if _, err := revoker.Revoke(ctx, stdio, RevokeInput{KeyID: k.Key.ID, Confirm: ConfirmRevoke}); err != nil {
			t.Fatal(err)
		}
		if v, _ := a.Verify(ctx, stdio, k.Secret); v.Valid {
			t.Fatalf("round %d: a cached key verified after its revocation", i)
		}
	}
	// A key created elsewhere after a miss was cached is found too.
	unknown, _ := newSecret(DefaultPrefix)
	if v, _ := a.Verify(ctx, stdio, unknown); v.Valid {
		t.Fatal("unknown key verified")
	}
	k := mustCreate(t, b, stdio, CreateInput{Name: "later"})
	if v, _ := a.Verify(ctx, stdio, k.Secret); !v.Valid {
		t.Fatal("a key created by another store is not seen")
	}
}

func TestVerifyRefusesAlike(t *testing.T) {
	s, _ := openTest(t, Config{})
	ctx := context.Background()
	k := mustCreate(t, s, stdio, CreateInput{Name: "k"})
	unknown, _ := newSecret(DefaultPrefix)
	for name, secret := range map[string]string{
		"unknown":   unknown,
		"malformed": "ks_hello",
		"typo":      k.Secret[:10] + string(k.Secret[10]^1) + k.Secret[11:],
		"empty":     "",
		"huge":      string(make([]byte, 100_000)),
	} {
		v, err := s.Verify(ctx, stdio, secret)
		if err != nil || v.Valid || v.Key.ID != "" {
			t.Errorf("%s: %+v, %v", name, v, err)
		}
	}
}

// A malformed key is refused without a database read: with the database
// closed, verifying one still answers invalid rather than failing.
func TestVerifyMalformedReadsNoDatabase(t *testing.T) {
	s, _ := openTest(t, Config{})
	k := mustCreate(t, s, stdio, CreateInput{Name: "k"})
	s.Close()
	typo := k.Secret[:len(k.Secret)-1] + string(k.Secret[len(k.Secret)-1]^1)
	if v, err := s.Verify(context.Background(), stdio, typo); err != nil || v.Valid {
		t.Fatalf("malformed key with the database closed: %+v, %v", v, err)
	}
	if _, err := s.Verify(context.Background(), stdio, k.Secret); err == nil {
		t.Fatal("a well-formed key was answered with the database closed: the test proves nothing")
	}
}

func TestVerifyWithPepper(t *testing.T) {
	s, _ := openTest(t, Config{Pepper: []byte("0123456789abcdef")})
	k := mustCreate(t, s, stdio, CreateInput{Name: "k"})
	if v, err := s.Verify(context.Background(), stdio, k.Secret); err != nil || !v.Valid {
		t.Fatalf("peppered key: %+v, %v", v, err)
	}
	// The same file read without the pepper knows no key.
	plain, err := Open(context.Background(), Config{Path: s.cfg.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if v, err := plain.Verify(context.Background(), stdio, k.Secret); err != nil || v.Valid {
		t.Fatalf("verified without the pepper: %+v, %v", v, err)
	}
}

// Past maxPendingUses recorded uses, the flusher is woken at once rather
// than at the end of its minute, so memory stays bounded under a load over
// many keys.
func TestUsageWakesFlusherWhenFull(t *testing.T) {
	u := usage{pending: map[string]time.Time{}, full: make(chan struct{}, 1)}
	now := testEpoch
	for i := range maxPendingUses - 1 {
		u.record(strconv.Itoa(i), now)
	}
	select {
	case <-u.full:
		t.Fatal("woken before the limit")
	default:
	}
	u.record("last", now)
	select {
	case <-u.full:
	default:
		t.Fatal("not woken at the limit")
	}
	if got := len(u.take()); got != maxPendingUses {
		t.Fatalf("took %d uses, want %d", got, maxPendingUses)
	}
}
