package keystore

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// maxCached bounds the lookups kept in memory (found keys and unknown
// digests alike), so a flood of made-up keys cannot grow the cache.
const maxCached = 20_000

// keyCache answers verifications from memory for as long as the database
// has not changed. Before every answer it asks SQLite for the database's
// data_version, which changes whenever any other connection commits: this
// process's writer or another keysmith process on the same file. So a
// revocation, wherever it was made, is honoured on the very next verify,
// while an unchanged database costs one cheap query instead of a lookup.
type keyCache struct {
	mu      sync.Mutex
	conn    *sql.Conn // its own connection: data_version is per connection
	check   *sql.Stmt
	version int64
	entries map[string]cacheEntry // by digest
}

type cacheEntry struct {
	key   Key
	found bool
}

func newKeyCache(ctx context.Context, db *sql.DB) (*keyCache, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	check, err := conn.PrepareContext(ctx, "PRAGMA data_version")
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &keyCache{conn: conn, check: check, version: -1, entries: map[string]cacheEntry{}}, nil
}

func (c *keyCache) close() error {
	c.check.Close()
	return c.conn.Close()
}

// get returns the cached lookup of digest, if the database has not changed
// since it was made. The version it returns is what a put must carry.
func (c *keyCache) get(ctx context.Context, digest []byte) (e cacheEntry, ok bool, version int64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.check.QueryRowContext(ctx).Scan(&version); err != nil {
		return cacheEntry{}, false, 0, fmt.Errorf("data_version: %w", err)
	}
	if version != c.version {
		clear(c.entries)
		c.version = version
	}
	e, ok = c.entries[string(digest)]
	return e, ok, version, nil
}

// put keeps a lookup made after get returned version, unless the database
// changed meanwhile (then the next get clears the cache anyway).
func (c *keyCache) put(digest []byte, version int64, e cacheEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if version != c.version {
		return
	}
	if len(c.entries) >= maxCached {
		for d := range c.entries { // map order is random: a random eviction
			delete(c.entries, d)
			break
		}
	}
	c.entries[string(digest)] = e
}
