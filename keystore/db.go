package keystore

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Config is what an operator may set. Zero values mean the defaults.
type Config struct {
	// Path is the SQLite file. Its directory is created 0700, the file 0600.
	Path string
	// Prefix starts issued keys (default "ks").
	Prefix string
	// Pepper, when set, keys the stored digests (HMAC-SHA256).
	Pepper []byte
	// MaxLifetime caps expires_in (default and ceiling: 1y).
	MaxLifetime time.Duration
	// KeyLimit is the number of live keys an application may hold (default 10).
	KeyLimit int
	// AllowedScopes, when not empty, are the only scopes issued keys may carry.
	AllowedScopes []string
	// Now is the clock; tests set it to move through lifetimes without sleeping.
	Now func() time.Time
}

// Store keeps keys in SQLite. It is safe for concurrent use.
type Store struct {
	writer *sql.DB // one connection: writes queue in Go, not on SQLite's lock
	reader *sql.DB
	cfg    Config
	digest digester
	cache  *keyCache
	// lookupStmt finds a key by digest: prepared once, as a cache miss
	// would otherwise parse the same SQL on every call.
	lookupStmt *sql.Stmt
	usage      usage
	done       chan struct{} // closed by Close: stops the usage flusher
	closed     sync.WaitGroup
}

// Open opens (creating if needed) the database at cfg.Path and brings its
// schema up to date.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Path == "" {
		return nil, errors.New("keystore: no database path")
	}
	// SQLite gets a file: URI, in which a relative path would read as a host.
	path, err := filepath.Abs(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("keystore: database path: %w", err)
	}
	cfg.Path = path
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	if err := ValidatePrefix(cfg.Prefix); err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	if cfg.MaxLifetime == 0 {
		cfg.MaxLifetime = MaxLifetimeCeiling
	}
	if cfg.MaxLifetime < MinLifetime || cfg.MaxLifetime > MaxLifetimeCeiling {
		return nil, fmt.Errorf("keystore: maximum lifetime %s: must be from 1h to 1y", FormatDuration(cfg.MaxLifetime))
	}
	if cfg.KeyLimit == 0 {
		cfg.KeyLimit = DefaultKeyLimit
	}
	if cfg.KeyLimit < 1 {
		return nil, fmt.Errorf("keystore: key limit %d: must be at least 1", cfg.KeyLimit)
	}
	if msg := checkScopes(cfg.AllowedScopes, "", nil); msg != "" {
		return nil, fmt.Errorf("keystore: allowed scopes: %s", msg)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}

	if err := createFile(cfg.Path); err != nil {
		return nil, fmt.Errorf("keystore: %w", err)
	}
	s := &Store{cfg: cfg, digest: digester{pepper: cfg.Pepper}}
	// FULL synchronous mode: a commit is on disk when it returns, so an
	// acknowledged key survives a crash or a power loss.
	const pragmas = "_pragma=foreign_keys(1)&_busy_timeout=10000&_journal_mode=WAL&_synchronous=FULL"
	if s.writer, err = sql.Open("sqlite", dsn(cfg.Path, pragmas+"&_txlock=immediate")); err != nil {
		return nil, fmt.Errorf("keystore: open: %w", err)
	}
	s.writer.SetMaxOpenConns(1)
	if s.reader, err = sql.Open("sqlite", dsn(cfg.Path, pragmas+"&_query_only=1")); err != nil {
		s.writer.Close()
		return nil, fmt.Errorf("keystore: open: %w", err)
	}
	// Each connection has a page cache of its own: more connections than
	// cores add memory, not throughput.
	s.reader.SetMaxOpenConns(max(4, 2*runtime.GOMAXPROCS(0)))
	if err := s.migrate(ctx); err != nil {
		s.reader.Close()
		s.writer.Close()
		return nil, fmt.Errorf("keystore: migrate %s: %w", cfg.Path, err)
	}
	if s.lookupStmt, err = s.reader.PrepareContext(ctx, `SELECT `+keyColumns+` FROM keys WHERE digest = ?`); err != nil {
		s.reader.Close()
		s.writer.Close()
		return nil, fmt.Errorf("keystore: %w", err)
	}
	if s.cache, err = newKeyCache(ctx, s.reader, cfg.Path); err != nil {
		s.lookupStmt.Close()
		s.reader.Close()
		s.writer.Close()
		return nil, fmt.Errorf("keystore: %w", err)
	}
	s.usage.pending = map[string]time.Time{}
	s.usage.full = make(chan struct{}, 1)
	s.done = make(chan struct{})
	s.closed.Add(1)
	go func() {
		defer s.closed.Done()
		s.flushUsageEvery(lastUsedFlush, s.done)
	}()
	return s, nil
}

// Close writes the recorded key uses and closes the database. It is safe
// to call more than once.
func (s *Store) Close() error {
	select {
	case <-s.done:
		return nil
	default:
	}
	close(s.done)
	s.closed.Wait()
	return errors.Join(s.flushUsage(context.Background()), s.cache.close(), s.lookupStmt.Close(), s.reader.Close(), s.writer.Close())
}

func dsn(path, query string) string {
	return (&url.URL{Scheme: "file", Path: path, RawQuery: query}).String()
}

// createFile makes the database's directory (0700) and file (0600) before
// SQLite opens it, so the key digests are never readable by other users.
// SQLite gives the WAL and shared-memory files the database file's mode.
func createFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("create database directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("create database file: %w", err)
	}
	return f.Close()
}

// migrate applies, in order, each embedded migration newer than the file's
// user_version, each in its own transaction.
func (s *Store) migrate(ctx context.Context) error {
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	slices.Sort(names)
	for i, name := range names {
		version := i + 1
		body, err := migrationFS.ReadFile(name)
		if err != nil {
			return err
		}
		err = s.write(ctx, func(tx *tx) error {
			var current int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
				return err
			}
			if current >= version {
				return nil // applied, perhaps just now by another process
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", version))
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// tx is a transaction with one timestamp for everything it does, so that a
// key's created_at, its expiry and its audit row agree to the second.
type tx struct {
	*sql.Tx
	now time.Time
}

// write runs fn in a write transaction (BEGIN IMMEDIATE), committing when fn
// returns nil. Taking the write lock up front is what makes check-then-write
// sequences (the key limit, rotation) atomic, across processes too.
func (s *Store) write(ctx context.Context, fn func(*tx) error) error {
	return s.run(ctx, s.writer, fn)
}

// read runs fn in a read transaction: one consistent snapshot.
func (s *Store) read(ctx context.Context, fn func(*tx) error) error {
	return s.run(ctx, s.reader, fn)
}

func (s *Store) run(ctx context.Context, db *sql.DB, fn func(*tx) error) error {
	sqlTx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	t := &tx{Tx: sqlTx, now: s.now()}
	if err := fn(t); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// now is the store's clock, in whole UTC seconds: what is stored is what is
// shown, and a revoke stamped at second t holds for a check within second t.
func (s *Store) now() time.Time {
	return s.cfg.Now().UTC().Truncate(time.Second)
}
