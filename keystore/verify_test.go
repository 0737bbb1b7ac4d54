package keystore

import (
	"context"
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

	// last_used_at moves at most once a minute.
	clk.Advance(30 * time.Second)
	v, _ = s.Verify(ctx, stdio, k.Secret)
	if !v.Key.LastUsedAt.Equal(clk.Now().Add(-30 * time.Second)) {
		t.Fatalf("last_used_at %s moved within a minute", v.Key.LastUsedAt)
	}
	clk.Advance(30 * time.Second)
	v, _ = s.Verify(ctx, stdio, k.Secret)
	if !v.Key.LastUsedAt.Equal(clk.Now()) {
		t.Fatalf("last_used_at %s, want %s", v.Key.LastUsedAt, clk.Now())
	}

	clk.Advance(time.Hour)
	if v, err := s.Verify(ctx, stdio, k.Secret); err != nil || v.Valid {
		t.Fatalf("expired key: %+v, %v", v, err)
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
	plain := &Store{cfg: s.cfg, reader: s.reader, writer: s.writer}
	if v, err := plain.Verify(context.Background(), stdio, k.Secret); err != nil || v.Valid {
		t.Fatalf("verified without the pepper: %+v, %v", v, err)
	}
}
