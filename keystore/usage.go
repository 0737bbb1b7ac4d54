package keystore

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// lastUsedFlush is how often recorded uses are written: last_used_at in the
// database is accurate to this, and verification itself writes nothing.
const lastUsedFlush = time.Minute

// maxPendingUses bounds the uses kept in memory: past it, the flusher is
// woken early, so a load over many keys cannot grow the map for a minute.
const maxPendingUses = 10_000

// usage collects when keys were last used, for a batched write.
type usage struct {
	mu      sync.Mutex
	pending map[string]time.Time // key id -> last successful verification
	full    chan struct{}        // signalled when pending reaches maxPendingUses
}

func (u *usage) record(id string, at time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.pending[id] = at
	if len(u.pending) >= maxPendingUses {
		select {
		case u.full <- struct{}{}:
		default: // a flush is already due
		}
	}
}

// apply shows a use not yet written, so every result agrees with the last
// verification.
func (u *usage) apply(k *Key) {
	u.mu.Lock()
	at, ok := u.pending[k.ID]
	u.mu.Unlock()
	if ok && (k.LastUsedAt == nil || at.After(*k.LastUsedAt)) {
		k.LastUsedAt = &at
	}
}

func (u *usage) take() map[string]time.Time {
	u.mu.Lock()
	defer u.mu.Unlock()
	p := u.pending
	u.pending = map[string]time.Time{}
	return p
}

// flushUsage writes the recorded uses in one transaction. A use older than
// the stored one (from another process) does not move last_used_at back.
func (s *Store) flushUsage(ctx context.Context) error {
	pending := s.usage.take()
	if len(pending) == 0 {
		return nil
	}
	err := s.write(ctx, func(tx *tx) error {
		stmt, err := tx.PrepareContext(ctx, `UPDATE keys SET last_used_at = max(ifnull(last_used_at, 0), ?) WHERE id = ?`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		for id, at := range pending {
			if _, err := stmt.ExecContext(ctx, at.Unix(), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record key use: %w", err)
	}
	return nil
}

// flushUsageEvery writes recorded uses every interval, or sooner when too
// many are pending, until done closes.
func (s *Store) flushUsageEvery(interval time.Duration, done <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
		case <-s.usage.full:
		}
		// A failed flush puts nothing back: last_used_at is a hint, and the
		// next verification records the key again.
		_ = s.flushUsage(context.Background())
	}
}
