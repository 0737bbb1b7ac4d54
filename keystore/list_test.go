package keystore

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

func ids(keys []Key) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.ID
	}
	return out
}

func TestListStatusFilters(t *testing.T) {
	s, clk := openTest(t, Config{})
	ctx := context.Background()
	expiring := mustCreate(t, s, stdio, CreateInput{Name: "expiring", ExpiresIn: "1h"}).Key
	revoked := mustCreate(t, s, stdio, CreateInput{Name: "revoked"}).Key
	soon := mustCreate(t, s, stdio, CreateInput{Name: "soon", ExpiresIn: "3d"}).Key
	later := mustCreate(t, s, stdio, CreateInput{Name: "later", ExpiresIn: "30d", Application: "billing"}).Key
	grace := mustCreate(t, s, stdio, CreateInput{Name: "graceful"}).Key
	if _, err := s.Revoke(ctx, stdio, RevokeInput{KeyID: revoked.ID, Confirm: ConfirmRevoke}); err != nil {
		t.Fatal(err)
	}
	rotated, err := s.Rotate(ctx, stdio, RotateInput{KeyID: grace.ID, GracePeriod: "2d"})
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(2 * time.Hour)

	tests := []struct {
		name string
		in   ListInput
		want []string
	}{
		{"default is active", ListInput{}, []string{rotated.Key.ID, grace.ID, later.ID, soon.ID}},
		{"active", ListInput{Status: StatusActive}, []string{rotated.Key.ID, grace.ID, later.ID, soon.ID}},
		{"expired", ListInput{Status: StatusExpired}, []string{expiring.ID}},
		{"revoked", ListInput{Status: StatusRevoked}, []string{revoked.ID}},
		{"all", ListInput{Status: StatusAll}, []string{rotated.Key.ID, grace.ID, later.ID, soon.ID, revoked.ID, expiring.ID}},
		{"one application", ListInput{Application: "billing", Status: StatusAll}, []string{later.ID}},
		// A key in its grace period stops by revocation, not expiry, and already
		// has a replacement: it is not one to act on.
		{"expiring within 3d", ListInput{ExpiringWithin: "3d"}, []string{soon.ID}},
		{"expiring within 1h", ListInput{ExpiringWithin: "1h"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			page, err := s.List(ctx, stdio, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(page.Keys); !slices.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			if page.NextCursor != "" {
				t.Fatalf("next_cursor %q on a single page", page.NextCursor)
			}
		})
	}

	// The key in its grace period turns revoked when the period ends.
	clk.Advance(2 * Day)
	page, err := s.List(ctx, stdio, ListInput{Status: StatusRevoked})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(page.Keys), []string{grace.ID, revoked.ID}; !slices.Equal(got, want) {
		t.Fatalf("revoked after the grace period: %v, want %v", got, want)
	}
}

func TestListValidation(t *testing.T) {
	s, _ := openTest(t, Config{})
	tests := []struct {
		name  string
		in    ListInput
		field string
	}{
		{"status", ListInput{Status: "live"}, "status"},
		{"application", ListInput{Application: "Bad App"}, "application"},
		{"reserved application", ListInput{Application: ReservedApplication}, "application"},
		{"expiring_within format", ListInput{ExpiringWithin: "soon"}, "expiring_within"},
		{"expiring_within zero", ListInput{ExpiringWithin: "0d"}, "expiring_within"},
		{"expiring_within with revoked", ListInput{ExpiringWithin: "7d", Status: StatusRevoked}, "expiring_within"},
		{"limit low", ListInput{Limit: -1}, "limit"},
		{"limit high", ListInput{Limit: 201}, "limit"},
		{"cursor garbage", ListInput{Cursor: "not a cursor"}, "cursor"},
		{"cursor forged", ListInput{Cursor: encodeCursor(5, "000000000000")}, "cursor"},
		{"cursor negative", ListInput{Cursor: encodeCursor(-5, listFingerprint("", StatusActive, ""))}, "cursor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.List(context.Background(), stdio, tt.in)
			wantField(t, err, tt.field)
		})
	}
}

func TestListPaging(t *testing.T) {
	s, _ := openTest(t, Config{KeyLimit: 1000})
	var created []string
	for range 7 {
		created = append([]string{mustCreate(t, s, stdio, CreateInput{Name: "k"}).Key.ID}, created...)
	}
	var got []string
	in := ListInput{Limit: 3}
	pages := 0
	for {
		page, err := s.List(context.Background(), stdio, in)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		got = append(got, ids(page.Keys)...)
		if page.NextCursor == "" {
			break
		}
		in.Cursor = page.NextCursor
	}
	if pages != 3 || !slices.Equal(got, created) {
		t.Fatalf("%d pages: %v; want 3 pages: %v", pages, got, created)
	}

	// A cursor belongs to its filters.
	first, err := s.List(context.Background(), stdio, ListInput{Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.List(context.Background(), stdio, ListInput{Limit: 3, Status: StatusAll, Cursor: first.NextCursor})
	wantField(t, err, "cursor")
}

// Paging newest first while keys are created must neither repeat nor skip
// any key that existed when the walk began.
func TestListPagingUnderConcurrentInserts(t *testing.T) {
	s, _ := openTest(t, Config{KeyLimit: 10000})
	want := map[string]bool{}
	for range 60 {
		want[mustCreate(t, s, stdio, CreateInput{Name: "before"}).Key.ID] = true
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := s.Create(context.Background(), stdio, CreateInput{Name: "during"}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}

	seen := map[string]int{}
	in := ListInput{Limit: 7}
	for {
		page, err := s.List(context.Background(), stdio, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range page.Keys {
			seen[k.ID]++
		}
		if page.NextCursor == "" {
			break
		}
		in.Cursor = page.NextCursor
	}
	close(stop)
	wg.Wait()

	for id, n := range seen {
		if n > 1 {
			t.Errorf("key %s listed %d times", id, n)
		}
	}
	for id := range want {
		if seen[id] == 0 {
			t.Errorf("key %s skipped", id)
		}
	}
}
