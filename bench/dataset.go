package bench

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"net/url"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"
	_ "modernc.org/sqlite" // the "sqlite" driver, as keystore uses it

	"github.com/keysmith/keysmith/keystore"
)

// AdminCaller is the operator at the command line, as `keysmith admin` acts.
var AdminCaller = keystore.Caller{Actor: "cli", Application: keystore.ReservedApplication, Scopes: keystore.ManagementScopes}

// ToolCaller is an unbound management key holding every scope, as the
// stdio transport and a full HTTP management key act.
var ToolCaller = keystore.Caller{Actor: "bench", Scopes: keystore.ManagementScopes}

// Apps is the number of applications the seeded keys are spread over.
const Apps = 10

// Dataset is a keysmith database seeded with N keys, key i having the
// secret Secret("ks", Seed, i), plus one management key.
type Dataset struct {
	Path       string
	N          int
	Seed       uint64
	Management string // secret of a management key with every scope
}

// Status of seeded key i: one in ten is revoked, one in ten expired, the
// rest active, mixed through the table as they would be after a while.
func Status(i int) string {
	switch i % 10 {
	case 0:
		return keystore.StatusRevoked
	case 1:
		return keystore.StatusExpired
	}
	return keystore.StatusActive
}

// ActiveIndex returns the j-th active key index (j >= 0), for drawing keys
// that verify.
func ActiveIndex(j int) int { return (j/8)*10 + 2 + j%8 }

// ActiveCount is the number of active keys among n seeded ones.
func ActiveCount(n int) int {
	c := (n / 10) * 8
	if r := n % 10; r > 2 {
		c += r - 2
	}
	return c
}

// Application of seeded key i.
func Application(i int) string { return fmt.Sprintf("app%02d", i%Apps) }

// Seed makes a keysmith database at path (which must not exist) with n
// keys. The schema is keysmith's own (keystore.Open migrates it) and the
// management key is made through keystore.Store.Create; the n keys are
// written with plain SQL, in transactions of 20,000 rows, since creating a
// million keys one durable transaction at a time would take hours. Keys are
// inserted in digest order and ids are time-ordered, so both unique indexes
// grow at their right edge; the digests themselves are SHA-256 values of
// real secrets, so lookups walk a B-tree of the real shape and depth.
func Seed(ctx context.Context, path string, n int, seed uint64) (*Dataset, error) {
	store, err := keystore.Open(ctx, keystore.Config{Path: path})
	if err != nil {
		return nil, err
	}
	mgmt, err := store.Create(ctx, AdminCaller, keystore.CreateInput{Name: "bench", Scopes: keystore.ManagementScopes})
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("management key: %w", err)
	}

	type entry struct {
		digest [32]byte
		i      int32
	}
	entries := make([]entry, n)
	var wg sync.WaitGroup
	workers := runtime.GOMAXPROCS(0)
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				entries[i] = entry{sha256.Sum256([]byte(Secret("ks", seed, i))), int32(i)}
			}
		})
	}
	wg.Wait()
	slices.SortFunc(entries, func(a, b entry) int { return bytes.Compare(a.digest[:], b.digest[:]) })

	// Bulk loading only: no fsync, a large page cache. The file stays in
	// WAL mode, which keystore.Open set and which is kept in the file.
	q := "_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)&_pragma=cache_size(-262144)&_txlock=immediate"
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: path, RawQuery: q}).String())
	if err != nil {
		return nil, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	now := time.Now().Unix()
	base := now - 30*86400
	const batch = 20_000
	for start := 0; start < n; start += batch {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO keys
			(id, name, application, scopes, digest, hint, created_at, expires_at, revoked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			tx.Rollback()
			return nil, err
		}
		for k := start; k < min(start+batch, n); k++ {
			e := entries[k]
			i := int(e.i)
			id, err := uuid.NewV7()
			if err != nil {
				tx.Rollback()
				return nil, err
			}
			created := base + int64(k)
			expires := created + 90*86400
			var revoked sql.NullInt64
			switch Status(i) {
			case keystore.StatusRevoked:
				revoked = sql.NullInt64{Int64: created + 60, Valid: true}
			case keystore.StatusExpired:
				expires = now - 3600
			}
			_, err = stmt.ExecContext(ctx, id.String(), fmt.Sprintf("service key %d", i), Application(i),
				"orders:read orders:write", e.digest[:], hint(Secret("ks", seed, i)), created, expires, revoked)
			if err != nil {
				tx.Rollback()
				return nil, fmt.Errorf("insert key %d: %w", i, err)
			}
		}
		if err := tx.Commit(); err != nil {
			return nil, err
		}
	}
	if _, err := db.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return nil, err
	}
	return &Dataset{Path: path, N: n, Seed: seed, Management: mgmt.Secret}, nil
}

// Secret returns the secret of seeded key i (i >= N gives a well-formed key
// that is not stored).
func (d *Dataset) Secret(i int) string { return Secret("ks", d.Seed, i) }
