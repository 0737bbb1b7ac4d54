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
// has not changed. Before every answer it checks that no connection has
// committed since the cache was filled: this process's writer or another
// keysmith process on the same file. So a revocation, wherever it was made,
// is honoured on the very next verify.
//
// The check reads the WAL-index header in the database's shared memory
// (walWatch): a few loads, no call into SQLite. Only when that header moved,
// or where it cannot be read, does it ask SQLite for PRAGMA data_version,
// which changes whenever another connection commits.
type keyCache struct {
	mu      sync.Mutex
	watch   *walWatch // nil: ask SQLite every time
	conn    *sql.Conn // its own connection: data_version is per connection
	check   *sql.Stmt
	version int64
	entries map[string]cacheEntry // by digest
}

type cacheEntry struct {
	key   Key
	found bool
}

func newKeyCache(ctx context.Context, db *sql.DB, path string) (*keyCache, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	check, err := conn.PrepareContext(ctx, "PRAGMA data_version")
	if err != nil {
		conn.Close()
		return nil, err
	}
	c := &keyCache{conn: conn, check: check, version: -1, entries: map[string]cacheEntry{}}
	if w, err := openWALWatch(path); err == nil {
		c.watch = w
	}
	return c, nil
}

// close unmaps the shared memory before closing the connection: while that
// connection is open it holds SQLite's shared-memory lock, so no other
// connection can truncate the file under the mapping.
func (c *keyCache) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watch != nil {
		c.watch.close()
		c.watch = nil
	}
	c.check.Close()
	return c.conn.Close()
}

// get returns the cached lookup of digest, if the database has not changed
// since it was made. The version it returns is what a put must carry.
func (c *keyCache) get(ctx context.Context, digest []byte) (e cacheEntry, ok bool, version int64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.watch == nil || c.watch.changed() {
		if err := c.check.QueryRowContext(ctx).Scan(&version); err != nil {
			return cacheEntry{}, false, 0, fmt.Errorf("data_version: %w", err)
		}
		if version != c.version {
			clear(c.entries)
			c.version = version
		}
	}
	e, ok = c.entries[string(digest)]
	return e, ok, c.version, nil
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
