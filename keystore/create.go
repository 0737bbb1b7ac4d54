package keystore

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// CreateInput is what create_api_key takes. Zero values mean the defaults:
// the caller's application (or "default"), no scopes, a 90-day lifetime.
type CreateInput struct {
	Name        string
	Application string
	Scopes      []string
	ExpiresIn   string
	// BoundApplication binds a management key to one application. Only
	// keys of the reserved application may have one.
	BoundApplication string
}

// Created is a new key with its secret: the one time the secret exists
// outside the hands of its holder.
type Created struct {
	Key    Key    `json:"key"`
	Secret string `json:"secret"`
}

// Create issues a new key. It fails with LIMIT_REACHED when the application
// already holds its limit of live keys; the check and the insert share one
// write transaction, so the limit holds under concurrent creates.
func (s *Store) Create(ctx context.Context, c Caller, in CreateInput) (Created, error) {
	if err := s.may(ctx, c, ScopeWrite, ActionCreate); err != nil {
		return Created{}, err
	}
	var problems []FieldError
	if msg := checkName(in.Name); msg != "" {
		problems = append(problems, FieldError{"name", msg})
	}
	app, err := c.application(in.Application)
	if err != nil {
		if ErrorCode(err) != EValidation {
			return Created{}, err
		}
		problems = append(problems, ErrorDetails(err)...)
	}
	if in.Scopes == nil {
		in.Scopes = []string{}
	}
	if msg := checkScopes(in.Scopes, app, s.cfg.AllowedScopes); msg != "" {
		problems = append(problems, FieldError{"scopes", msg})
	}
	if in.BoundApplication != "" {
		switch msg := checkApplication(in.BoundApplication); {
		case app != ReservedApplication:
			problems = append(problems, FieldError{"bound_application", "only management keys are bound to an application"})
		case msg != "":
			problems = append(problems, FieldError{"bound_application", msg})
		case in.BoundApplication == ReservedApplication:
			problems = append(problems, FieldError{"bound_application", `a management key cannot be bound to "keysmith"`})
		}
	}
	lifetime := DefaultLifetime
	if in.ExpiresIn != "" {
		if lifetime, err = parseLifetime(in.ExpiresIn, s.cfg.MaxLifetime); err != nil {
			problems = append(problems, FieldError{"expires_in", err.Error()})
		}
	} else if lifetime > s.cfg.MaxLifetime {
		lifetime = s.cfg.MaxLifetime
	}
	if len(problems) > 0 {
		return Created{}, Invalid(problems...)
	}

	var out Created
	err = s.write(ctx, func(tx *tx) error {
		var live int
		err := tx.QueryRowContext(ctx, `SELECT count(*) FROM keys
			WHERE application = ? AND revoked_at IS NULL AND expires_at > ?`, app, tx.now.Unix()).Scan(&live)
		if err != nil {
			return err
		}
		if live >= s.cfg.KeyLimit {
			if app == ReservedApplication {
				return Errorf(ELimit, "there are already %d active management keys, the most allowed: revoke one with keysmith admin revoke-key ID", live)
			}
			return Errorf(ELimit, "application %q already has %d active keys, the most it may hold: revoke one it no longer needs (revoke_api_key), or rotate an existing key (rotate_api_key) instead of creating a new one", app, live)
		}
		out, err = s.issue(ctx, tx, Key{Name: in.Name, Application: app, Scopes: in.Scopes, BoundApplication: in.BoundApplication}, lifetime)
		if err != nil {
			return err
		}
		return tx.audit(ctx, AuditEntry{Actor: c.Actor, Action: ActionCreate, KeyID: out.Key.ID, Application: app, Outcome: "ok",
			Detail: fmt.Sprintf("name=%q scopes=%q expires_in=%s", in.Name, strings.Join(in.Scopes, " "), FormatDuration(lifetime))})
	})
	return out, err
}

// issue makes a key from the template (name, application, scopes,
// rotated_from) with a fresh id and secret, and stores it.
func (s *Store) issue(ctx context.Context, tx *tx, k Key, lifetime time.Duration) (Created, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return Created{}, fmt.Errorf("new key id: %w", err)
	}
	prefix := s.cfg.Prefix
	if k.Application == ReservedApplication {
		prefix = ManagementPrefix
	}
	secret, err := newSecret(prefix)
	if err != nil {
		return Created{}, err
	}
	k.ID = id.String()
	k.Hint = hint(secret)
	k.CreatedAt = tx.now
	k.ExpiresAt = tx.now.Add(lifetime)
	k.Status = StatusActive
	if err := tx.insertKey(ctx, k, s.digest.digest(secret)); err != nil {
		return Created{}, fmt.Errorf("insert key: %w", err)
	}
	return Created{Key: k, Secret: secret}, nil
}
