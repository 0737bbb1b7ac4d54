package bench

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/keysmith/keysmith/keystore"
)

// The in-process measurements, as benchmark functions: the package's
// Benchmark tests run them under `go test -bench`, and benchreport runs them
// through testing.Benchmark.

// Verify returns a benchmark of keystore.Store.Verify over the secrets in
// turn, each expected to be valid (want) or not.
func Verify(store *keystore.Store, secrets []string, want bool) func(*testing.B) {
	ctx := context.Background()
	return func(b *testing.B) {
		b.ReportAllocs()
		for i := range b.N {
			v, err := store.Verify(ctx, ToolCaller, secrets[i%len(secrets)])
			if err != nil {
				b.Fatal(err)
			}
			if v.Valid != want {
				b.Fatalf("verify %d: valid %v, want %v", i%len(secrets), v.Valid, want)
			}
		}
	}
}

// fresh numbers the never-seen keys of VerifyFresh across benchmarks.
var fresh atomic.Int64

// VerifyFresh returns a benchmark of keystore.Store.Verify on well-formed
// keys that the dataset does not hold and that no earlier call presented
// (as in a guessing attack): none of them can be answered from memory. The
// keys are made in batches with the timer stopped.
func VerifyFresh(store *keystore.Store, d *Dataset) func(*testing.B) {
	ctx := context.Background()
	return func(b *testing.B) {
		b.ReportAllocs()
		batch := make([]string, 1024)
		for done := 0; done < b.N; {
			b.StopTimer()
			n := min(len(batch), b.N-done)
			for j := range n {
				batch[j] = d.Secret(d.N + 1<<24 + int(fresh.Add(1)))
			}
			b.StartTimer()
			for _, secret := range batch[:n] {
				v, err := store.Verify(ctx, ToolCaller, secret)
				if err != nil {
					b.Fatal(err)
				}
				if v.Valid {
					b.Fatal("an unknown key verified")
				}
			}
			done += n
		}
	}
}

// WarmVerify verifies each secret once, outside any timing: the first
// verification of a key in a minute records its use.
func WarmVerify(store *keystore.Store, secrets []string) error {
	for _, s := range secrets {
		if _, err := store.Verify(context.Background(), ToolCaller, s); err != nil {
			return err
		}
	}
	return nil
}

var sink atomic.Uint32

// SHA256 is the ceiling of Verify: a bare SHA-256 of each key, the one
// thing a digest lookup cannot do without.
func SHA256(secrets []string) func(*testing.B) {
	return func(b *testing.B) {
		b.ReportAllocs()
		sink.Add(uint32(shaLoop(secrets, b.N)))
	}
}

// shaLoop hashes n keys in turn; SHA256 and SHA256NsPerOp share it, so the
// ceiling is the same code whichever measures it.
//
//go:noinline
func shaLoop(secrets []string, n int) byte {
	var x byte
	for i := range n {
		sum := sha256.Sum256([]byte(secrets[i%len(secrets)]))
		x ^= sum[0]
	}
	return x
}

// The created keys: five per application, within the default limit of ten
// live keys, so the limit check counts few rows, as in a real store.
var created atomic.Int64

const (
	createName = "service key"
	createApp  = "c%07d"
)

var createScopes = []string{"orders:read", "orders:write"}

// Create returns a benchmark of keystore.Store.Create: one durable key per
// op, with its audit row, as create_api_key does.
func Create(store *keystore.Store) func(*testing.B) {
	ctx := context.Background()
	return func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			n := created.Add(1)
			_, err := store.Create(ctx, ToolCaller, keystore.CreateInput{
				Name: createName, Application: fmt.Sprintf(createApp, n/5), Scopes: createScopes,
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "keys/s")
	}
}

// writerPragmas are keystore's, copied from keystore/db.go (Open): WAL,
// synchronous FULL, a busy timeout, foreign keys, BEGIN IMMEDIATE.
const writerPragmas = "_pragma=foreign_keys(1)&_busy_timeout=10000&_journal_mode=WAL&_synchronous=FULL&_txlock=immediate"

// OpenRaw makes a keysmith database at path (schema by keystore.Open) and
// opens it with plain database/sql and keystore's writer pragmas, one
// connection, for the raw INSERT ceiling.
func OpenRaw(ctx context.Context, path string) (*sql.DB, error) {
	store, err := keystore.Open(ctx, keystore.Config{Path: path})
	if err != nil {
		return nil, err
	}
	if err := store.Close(); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: path, RawQuery: writerPragmas}).String())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

var rawSeq atomic.Uint64

// RawInsert is the ceiling of Create: one transaction per row, each
// inserting a row of the same size into the same keys table (same indexes)
// with the same pragmas, and nothing else: no limit check, no audit row.
func RawInsert(db *sql.DB) func(*testing.B) {
	ctx := context.Background()
	return func(b *testing.B) {
		b.ReportAllocs()
		now := time.Now().Unix()
		for range b.N {
			n := rawSeq.Add(1)
			var in [8]byte
			binary.LittleEndian.PutUint64(in[:], n)
			digest := sha256.Sum256(in[:])
			id, err := uuid.NewV7()
			if err != nil {
				b.Fatal(err)
			}
			tx, err := db.BeginTx(ctx, nil)
			if err != nil {
				b.Fatal(err)
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO keys
				(id, name, application, scopes, digest, hint, created_at, expires_at, rotated_from, bound_application)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				id.String(), createName, fmt.Sprintf(createApp, n/5), strings.Join(createScopes, " "), digest[:],
				"ks_AbCd…WxYz", now, now+90*86400, nil, nil)
			if err != nil {
				tx.Rollback()
				b.Fatal(err)
			}
			if err := tx.Commit(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	}
}

// List returns a benchmark of keystore.Store.List with the input, each page
// expected to hold want keys.
func List(store *keystore.Store, in keystore.ListInput, want int) func(*testing.B) {
	ctx := context.Background()
	return func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			page, err := store.List(ctx, ToolCaller, in)
			if err != nil {
				b.Fatal(err)
			}
			if len(page.Keys) != want {
				b.Fatalf("list: %d keys, want %d", len(page.Keys), want)
			}
		}
	}
}

// CursorBefore returns a list cursor for in that starts the page at the
// keys just older than sequence number seq, so a deep page can be timed
// without walking to it. It takes the cursor of the first page (base64 of
// "<seq>.<filter fingerprint>" in keystore/list.go) and sets its sequence;
// if the cursor has another shape, it walks skip keys instead.
func CursorBefore(ctx context.Context, store *keystore.Store, in keystore.ListInput, seq int64, skip int) (string, error) {
	page, err := store.List(ctx, ToolCaller, in)
	if err != nil {
		return "", err
	}
	if page.NextCursor == "" {
		return "", fmt.Errorf("list: a single page")
	}
	if raw, err := base64.RawURLEncoding.DecodeString(page.NextCursor); err == nil {
		if s, fp, ok := strings.Cut(string(raw), "."); ok {
			if _, err := strconv.ParseInt(s, 10, 64); err == nil {
				return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(seq, 10) + "." + fp)), nil
			}
		}
	}
	walk := in
	walk.Limit = keystore.MaxListLimit
	for seen := 0; seen < skip; {
		p, err := store.List(ctx, ToolCaller, walk)
		if err != nil {
			return "", err
		}
		if p.NextCursor == "" {
			return "", fmt.Errorf("list: fewer than %d keys", skip)
		}
		seen += len(p.Keys)
		walk.Cursor = p.NextCursor
	}
	return walk.Cursor, nil
}

// ListCase is one list page the report times at 1k and at 1M keys.
type ListCase struct {
	Name string
	In   keystore.ListInput
	Want int   // keys on the page
	Err  error // from making the case (the deep cursor)
}

// ListCases are the pages timed on a seeded dataset: the first page of
// list_api_keys with its defaults (active keys of every application, 50),
// a page from the middle of the table (through a cursor), and the first
// page of one application.
func ListCases(ctx context.Context, store *keystore.Store, d *Dataset) []ListCase {
	first := keystore.ListInput{Limit: keystore.DefaultListLimit}
	// The management key has seq 1, seeded keys 2..N+1.
	cursor, err := CursorBefore(ctx, store, first, int64(d.N/2)+1, ActiveCount(d.N)/2)
	deep := first
	deep.Cursor = cursor
	return []ListCase{
		{Name: "first-page", In: first, Want: 50},
		{Name: "middle-page", In: deep, Want: 50, Err: err},
		{Name: "one-application", In: keystore.ListInput{Application: Application(3), Limit: 50}, Want: 50},
	}
}

// SHA256NsPerOp times SHA256 without the testing package (which does not
// nest one benchmark inside another): the best of three runs of 200,000.
func SHA256NsPerOp(secrets []string) float64 {
	best := 0.0
	for range 3 {
		start := time.Now()
		sink.Add(uint32(shaLoop(secrets, 200_000)))
		if ns := float64(time.Since(start).Nanoseconds()) / 200_000; best == 0 || ns < best {
			best = ns
		}
	}
	return best
}
