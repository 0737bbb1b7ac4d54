package keystore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// lastUsedResolution is how stale last_used_at may get: a key verified many
// times a minute costs one write a minute, not one a call.
const lastUsedResolution = time.Minute

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

	var k Key
	err := s.read(ctx, func(tx *tx) error {
		var err error
		k, _, err = scanKey(tx.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM keys WHERE digest = ?`, digest), tx.now)
		return err
	})
	if errors.Is(err, sql.ErrNoRows) {
		return Verification{}, nil
	}
	if err != nil {
		return Verification{}, fmt.Errorf("verify: %w", err)
	}
	if !c.sees(k.Application) || k.Status != StatusActive {
		return Verification{}, nil
	}

	now := s.now()
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= lastUsedResolution {
		if _, err := s.writer.ExecContext(ctx, `UPDATE keys SET last_used_at = ? WHERE id = ?`, now.Unix(), k.ID); err != nil {
			return Verification{}, fmt.Errorf("verify: record use: %w", err)
		}
		k.LastUsedAt = &now
	}
	return Verification{Valid: true, Key: k}, nil
}
