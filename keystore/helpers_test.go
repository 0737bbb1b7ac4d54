package keystore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/keysmith/keysmith/internal/testkit"
)

// testEpoch is when every test store's clock starts.
var testEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

var stdio = Caller{Actor: "stdio", Scopes: ManagementScopes}

// openTest opens a store on a fresh file with a test clock. cfg may set
// anything but Path and Now.
func openTest(t *testing.T, cfg Config) (*Store, *testkit.Clock) {
	t.Helper()
	clk := testkit.NewClock(testEpoch)
	cfg.Path = filepath.Join(t.TempDir(), "data", "keysmith.db")
	cfg.Now = clk.Now
	s, err := Open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clk
}

func mustCreate(t *testing.T, s *Store, c Caller, in CreateInput) Created {
	t.Helper()
	out, err := s.Create(context.Background(), c, in)
	if err != nil {
		t.Fatalf("Create(%+v): %v", in, err)
	}
	return out
}

// wantCode fails the test unless err is a keystore error with the code.
func wantCode(t *testing.T, err error, code string) *Error {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v, want code %s", err, code)
	}
	if e.Code != code {
		t.Fatalf("got %s (%s), want %s", e.Code, e.Message, code)
	}
	return e
}

// wantField fails unless err is VALIDATION_FAILED with a detail for field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	e := wantCode(t, err, EValidation)
	for _, d := range e.Details {
		if d.Field == field {
			return
		}
	}
	t.Fatalf("VALIDATION_FAILED details %+v do not name %q", e.Details, field)
}

// snapshot digests every stored row of keys and audit, to show that a call
// changed nothing.
func snapshot(t *testing.T, s *Store) string {
	t.Helper()
	h := sha256.New()
	for _, q := range []string{
		`SELECT seq, id, name, application, scopes, hex(digest), hint, created_at, expires_at,
			ifnull(revoked_at, -1), ifnull(last_used_at, -1), ifnull(rotated_from, ''), ifnull(replaced_by, '') FROM keys ORDER BY seq`,
		`SELECT seq, at, actor, action, ifnull(key_id, ''), ifnull(application, ''), outcome, ifnull(detail, '') FROM audit ORDER BY seq`,
	} {
		rows, err := s.reader.Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				h.Write(v)
				h.Write([]byte{0})
			}
		}
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}
