package keystore

import (
	"context"
	"fmt"
	"time"
)

// RotateInput is what rotate_api_key takes. Zero values mean the defaults:
// no grace period, and the old key's original lifetime.
type RotateInput struct {
	KeyID       string
	GracePeriod string
	ExpiresIn   string
}

// Rotated is a new key that replaces Previous, with its secret.
type Rotated struct {
	Created
	Previous Key `json:"previous"`
}

// Rotate replaces a key in one step: a new key with the same name,
// application and scopes, and the old one revoked now or at the end of the
// grace period. Of two concurrent rotations of one key exactly one wins; the
// other fails with ALREADY_ROTATED. A rotation never counts against the key
// limit: the old key no longer counts once it has a replacement.
func (s *Store) Rotate(ctx context.Context, c Caller, in RotateInput) (Rotated, error) {
	if err := s.may(ctx, c, ScopeWrite, ActionRotate); err != nil {
		return Rotated{}, err
	}
	var problems []FieldError
	id, err := parseKeyID(in.KeyID)
	if err != nil {
		problems = append(problems, ErrorDetails(err)...)
	}
	var grace time.Duration
	if in.GracePeriod != "" {
		if grace, err = parseGrace(in.GracePeriod); err != nil {
			problems = append(problems, FieldError{"grace_period", err.Error()})
		}
	}
	var lifetime time.Duration
	if in.ExpiresIn != "" {
		if lifetime, err = parseLifetime(in.ExpiresIn, s.cfg.MaxLifetime); err != nil {
			problems = append(problems, FieldError{"expires_in", err.Error()})
		}
	}
	if len(problems) > 0 {
		return Rotated{}, Invalid(problems...)
	}

	var out Rotated
	err = s.write(ctx, func(tx *tx) error {
		old, err := tx.getKey(ctx, c, id)
		if err != nil {
			return err
		}
		if old.ReplacedBy != "" {
			return Errorf(EAlreadyRotate, "key %q (%s) was already rotated: its replacement is %s", old.Name, old.Hint, old.ReplacedBy)
		}
		if old.Status != StatusActive {
			return Errorf(ENotActive, "key %q (%s) is %s and cannot be rotated: create a new key instead", old.Name, old.Hint, old.Status)
		}
		if lifetime == 0 {
			lifetime = min(old.ExpiresAt.Sub(old.CreatedAt), s.cfg.MaxLifetime)
		}
		out.Created, err = s.issue(ctx, tx, Key{Name: old.Name, Application: old.Application, Scopes: old.Scopes, RotatedFrom: old.ID, BoundApplication: old.BoundApplication}, lifetime)
		if err != nil {
			return err
		}
		revokeAt := tx.now.Add(grace)
		res, err := tx.ExecContext(ctx, `UPDATE keys SET replaced_by = ?, revoked_at = ? WHERE id = ? AND replaced_by IS NULL`,
			out.Key.ID, revokeAt.Unix(), old.ID)
		if err != nil {
			return fmt.Errorf("rotate: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			// Unreachable while writes hold the write lock from the read on;
			// kept so that a change to the locking cannot make two winners.
			return Errorf(EAlreadyRotate, "key %q (%s) was already rotated", old.Name, old.Hint)
		}
		old.ReplacedBy, old.RevokedAt = out.Key.ID, &revokeAt
		old.Status = status(tx.now, old.ExpiresAt, old.RevokedAt)
		out.Previous = old
		return tx.audit(ctx, AuditEntry{Actor: c.Actor, Action: ActionRotate, KeyID: old.ID, Application: old.Application, Outcome: "ok",
			Detail: fmt.Sprintf("replaced_by=%s grace_period=%s expires_in=%s", out.Key.ID, FormatDuration(grace), FormatDuration(lifetime))})
	})
	s.usage.apply(&out.Previous)
	return out, err
}
