//go:build unix

package keystore

import (
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// walHeaderWords is the size of the WAL-index header, in 32-bit words.
const walHeaderWords = 12

// walWatch tells whether the database may have changed since it last
// looked, without a call into SQLite: it reads the WAL-index header that
// every connection to the database, in any process, rewrites in the
// shared-memory file (<db>-shm) when it commits. The header (SQLite's file
// format documentation, "WAL-index format") holds a counter incremented by
// every transaction, the last valid WAL frame and the WAL salts; any commit,
// and any WAL reset, changes it. A torn read can only report a change that
// did not happen, which costs a reload and nothing else.
type walWatch struct {
	mem  []byte
	last [walHeaderWords]uint32
	seen bool
}

// openWALWatch maps the database's shared-memory file read-only. It fails
// when there is none yet or it is too small, and the caller falls back to
// asking SQLite (PRAGMA data_version).
func openWALWatch(dbPath string) (*walWatch, error) {
	f, err := os.Open(dbPath + "-shm")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	const size = 4 * walHeaderWords
	if info.Size() < size {
		return nil, os.ErrNotExist
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &walWatch{mem: mem}, nil
}

// changed reports whether the header differs from the last call's. The
// caller serialises calls.
func (w *walWatch) changed() bool {
	hdr := (*[walHeaderWords]uint32)(unsafe.Pointer(&w.mem[0]))
	var cur [walHeaderWords]uint32
	for i := range cur {
		cur[i] = atomic.LoadUint32(&hdr[i]) // another process writes it
	}
	if w.seen && cur == w.last {
		return false
	}
	w.last, w.seen = cur, true
	return true
}

func (w *walWatch) close() error {
	return syscall.Munmap(w.mem)
}
