package bench

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/keysmith/keysmith/keystore"
)

// The seeded keys are keysmith keys: the reimplemented secret format, the
// digest and the status mix agree with what keystore itself makes of them.
func TestSeedVerifies(t *testing.T) {
	ctx := context.Background()
	ds, err := Seed(ctx, filepath.Join(t.TempDir(), "k.db"), 200, 7)
	if err != nil {
		t.Fatal(err)
	}
	store, err := keystore.Open(ctx, keystore.Config{Path: ds.Path})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for i := range 40 {
		v, err := store.Verify(ctx, ToolCaller, ds.Secret(i))
		if err != nil {
			t.Fatal(err)
		}
		if want := Status(i) == keystore.StatusActive; v.Valid != want {
			t.Errorf("key %d (%s): valid %v", i, Status(i), v.Valid)
		}
		if v.Valid && v.Key.Application != Application(i) {
			t.Errorf("key %d: application %q, want %q", i, v.Key.Application, Application(i))
		}
	}
	if v, err := store.Verify(ctx, ToolCaller, ds.Secret(ds.N)); err != nil || v.Valid {
		t.Errorf("unknown key: valid %v, err %v", v.Valid, err)
	}
	if _, err := store.Check(ctx, ds.Management); err != nil {
		t.Errorf("management key: %v", err)
	}
	for j := range 50 {
		if i := ActiveIndex(j); Status(i) != keystore.StatusActive {
			t.Fatalf("ActiveIndex(%d) = %d, %s", j, i, Status(i))
		}
	}
	if got := ActiveCount(ds.N); got != 160 {
		t.Errorf("ActiveCount(200) = %d", got)
	}
	page, err := store.List(ctx, ToolCaller, keystore.ListInput{Status: keystore.StatusAll, Limit: 200})
	if err != nil || len(page.Keys) != 200 {
		t.Fatalf("list: %d keys, %v", len(page.Keys), err)
	}
}
