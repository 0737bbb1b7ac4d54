package keystore

import (
	"context"
	"fmt"
)

// ConfirmRevoke is the word a revoke must carry to go ahead.
const ConfirmRevoke = "REVOKE"

// RevokeInput is what revoke_api_key takes.
type RevokeInput struct {
	KeyID   string
	Confirm string
	Reason  string
}

// Revoked is the outcome of a revoke. AlreadyRevoked says the key was revoked
// before this call, which then changed nothing.
type Revoked struct {
	Key            Key
	AlreadyRevoked bool
}

// Revoke stops a key at once. Without Confirm set to "REVOKE" it changes
// nothing and fails with CONFIRMATION_REQUIRED, naming the key so that the
// assistant can ask its user.
func (s *Store) Revoke(ctx context.Context, c Caller, in RevokeInput) (Revoked, error) {
	if err := s.may(ctx, c, ScopeRevoke, ActionRevoke); err != nil {
		return Revoked{}, err
	}
	var problems []FieldError
	id, err := parseKeyID(in.KeyID)
	if err != nil {
		problems = append(problems, ErrorDetails(err)...)
	}
	if msg := checkText(in.Reason, MaxReasonLen); msg != "" {
		problems = append(problems, FieldError{"reason", msg})
	}
	if len(problems) > 0 {
		return Revoked{}, Invalid(problems...)
	}

	var out Revoked
	err = s.write(ctx, func(tx *tx) error {
		k, err := tx.getKey(ctx, c, id)
		if err != nil {
			return err
		}
		if in.Confirm != ConfirmRevoke {
			return Errorf(EConfirmation, "revoking key %q (%s) of application %q stops it working at once and cannot be undone: ask the user to confirm, then call again with confirm set to %q",
				k.Name, k.Hint, k.Application, ConfirmRevoke)
		}
		if k.Status == StatusRevoked {
			out = Revoked{Key: k, AlreadyRevoked: true}
			return nil
		}
		// A key in a rotation grace period has a future revoked_at: revoking
		// it brings that forward to now.
		if _, err := tx.ExecContext(ctx, `UPDATE keys SET revoked_at = ? WHERE id = ?`, tx.now.Unix(), k.ID); err != nil {
			return fmt.Errorf("revoke: %w", err)
		}
		now := tx.now
		k.RevokedAt, k.Status = &now, StatusRevoked
		out = Revoked{Key: k}
		return tx.audit(ctx, AuditEntry{Actor: c.Actor, Action: ActionRevoke, KeyID: k.ID, Application: k.Application, Outcome: "ok", Detail: in.Reason})
	})
	s.usage.apply(&out.Key)
	return out, err
}
