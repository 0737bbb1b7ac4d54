package keystore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Verification is the answer to "does this key work?". Key is set only when
// Valid is true: nothing is told about keys that do not work.
type Verification struct {
	Valid bool
	Key   Key
}

// Verify reports whether secret is a working key the caller may see. A
// malformed key or a wrong checksum is refused before any database read;
// unknown, revoked, expired and invisible keys are refused alike.
func (s *Store) Verify(ctx context.Context, c Caller, secret string) (Verification, error) {
	if err := s.may(ctx, c, ScopeRead, ActionVerify); err != nil {
		return Verification{}, err
	}
	return s.verify(ctx, c, secret)
}

// Authenticate checks a management key presented to the HTTP API, through
// the same path as Verify, and returns the caller it stands for. A refusal
// is written to the audit trail with from (the remote address), never with
// what was presented.
func (s *Store) Authenticate(ctx context.Context, secret, from string) (Caller, error) {
	c, err := s.Check(ctx, secret)
	if ErrorCode(err) == EUnauthorized {
		err := s.write(ctx, func(tx *tx) error {
			return tx.audit(ctx, AuditEntry{Actor: "anonymous", Action: ActionAuthenticate, Outcome: EUnauthorized, Detail: "from " + from})
		})
		if err != nil {
			return Caller{}, fmt.Errorf("audit refusal: %w", err)
		}
		return Caller{}, errUnauthorized
	}
	return c, err
}

var errUnauthorized = Errorf(EUnauthorized, "a valid management key is required: send Authorization: Bearer ksm_…")

// Check is Authenticate without the audit entry for a refusal, for callers
// that already know the address is misbehaving and must not let it fill the
// audit trail.
func (s *Store) Check(ctx context.Context, secret string) (Caller, error) {
	v, err := s.verify(ctx, Caller{Application: ReservedApplication}, secret)
	if err != nil {
		return Caller{}, err
	}
	if !v.Valid {
		return Caller{}, errUnauthorized
	}
	return Caller{Actor: v.Key.ID, Application: v.Key.BoundApplication, Scopes: v.Key.Scopes}, nil
}

func (s *Store) verify(ctx context.Context, c Caller, secret string) (Verification, error) {
	prefix := s.cfg.Prefix
	if c.Application == ReservedApplication {
		prefix = ManagementPrefix
	}
	if !wellFormed(secret, prefix) {
		return Verification{}, nil
	}
	// The lookup is by digest, so no secret is ever compared byte by byte:
	// what an index lookup's timing could reveal is about a SHA-256 digest,
	// which gives no way to build a secret that matches it.
	digest := s.digest.digest(secret)
	now := s.now()
	k, found, err := s.lookup(ctx, digest, now)
	if err != nil {
		return Verification{}, fmt.Errorf("verify: %w", err)
	}
	if !found || !c.sees(k.Application) || status(now, k.ExpiresAt, k.RevokedAt) != StatusActive {
		return Verification{}, nil
	}
	k.Status = StatusActive
	s.usage.record(k.ID, now)
	k.LastUsedAt = &now
	return Verification{Valid: true, Key: k}, nil
}

// lookup finds the key with the digest, from the cache while the database
// is unchanged. It writes nothing: verify records the use in memory, and
// uses are written in batches.
func (s *Store) lookup(ctx context.Context, digest []byte, now time.Time) (Key, bool, error) {
	e, ok, version, err := s.cache.get(ctx, digest)
	if err != nil {
		return Key{}, false, err
	}
	if !ok {
		row := s.lookupStmt.QueryRowContext(ctx, digest)
		k, _, err := scanKey(row, now)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return Key{}, false, err
		default:
			e = cacheEntry{key: k, found: true}
		}
		s.cache.put(digest, version, e)
	}
	k := e.key
	k.Scopes = slices.Clone(k.Scopes) // callers get their own copy
	return k, e.found, nil
}
