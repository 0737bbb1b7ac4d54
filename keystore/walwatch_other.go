//go:build !unix

package keystore

import "errors"

// walWatch is not available here: the cache asks SQLite (PRAGMA
// data_version) before every answer instead.
type walWatch struct{}

func openWALWatch(string) (*walWatch, error) {
	return nil, errors.New("no shared-memory watch on this platform")
}

func (*walWatch) changed() bool { return true }

func (*walWatch) close() error { return nil }
