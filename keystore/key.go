package keystore

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"
)

// Key statuses, derived from time at each read.
const (
	StatusActive  = "active"
	StatusExpired = "expired"
	StatusRevoked = "revoked"
	StatusAll     = "all"
)

const (
	// DefaultApplication holds keys created without naming an application.
	DefaultApplication = "default"
	// ReservedApplication holds management keys. The tools never show or
	// touch it; only a caller bound to it (the admin commands) may.
	ReservedApplication = "keysmith"

	// DefaultKeyLimit is the number of live keys an application may hold.
	DefaultKeyLimit = 10
	// MaxScopes bounds the scopes of one key.
	MaxScopes = 32
	// MaxNameLen and MaxReasonLen are in characters, not bytes.
	MaxNameLen   = 100
	MaxReasonLen = 200
)

// Management scopes: what a management key lets its holder do.
const (
	ScopeRead   = "keys:read"
	ScopeWrite  = "keys:write"
	ScopeRevoke = "keys:revoke"
)

// ManagementScopes lists every scope a management key may carry.
var ManagementScopes = []string{ScopeRead, ScopeWrite, ScopeRevoke}

var (
	applicationRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)
	scopeRE       = regexp.MustCompile(`^[a-z0-9][a-z0-9:._-]{0,63}$`)
)

// Key is an API key as every caller may see it. The secret is not part of
// it: it exists only in the result of the call that made it.
type Key struct {
	ID          string     `json:"id"`
	Name        string     `json:"name"`
	Application string     `json:"application"`
	Scopes      []string   `json:"scopes"`
	Hint        string     `json:"hint"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	ExpiresAt   time.Time  `json:"expires_at"`
	RevokedAt   *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt  *time.Time `json:"last_used_at,omitempty"`
	RotatedFrom string     `json:"rotated_from,omitempty"`
	ReplacedBy  string     `json:"replaced_by,omitempty"`
	// BoundApplication is, for a management key, the one application it
	// acts on ("" for all). The tools never show management keys.
	BoundApplication string `json:"-"`
}

// status derives a key's status at now: revoked once revoked_at has passed,
// else expired once expires_at has passed, else active. A key in a rotation
// grace period has a future revoked_at and so is still active.
func status(now, expiresAt time.Time, revokedAt *time.Time) string {
	switch {
	case revokedAt != nil && !revokedAt.After(now):
		return StatusRevoked
	case !expiresAt.After(now):
		return StatusExpired
	}
	return StatusActive
}

// Caller is who makes a call: the actor written to the audit trail, the one
// application it is bound to, if any, and the management scopes it holds. An
// unbound caller sees every application but the reserved one.
type Caller struct {
	Actor       string
	Application string
	Scopes      []string
}

type callerKey struct{}

// NewContext returns a context that carries the caller of the calls made in
// it. A transport sets it for every request it authenticates.
func NewContext(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFromContext returns the caller that NewContext put in ctx, if any.
func CallerFromContext(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok
}

// may checks that the caller holds scope before an action. A refusal is
// written to the audit trail: who tried what they may not do is worth
// knowing.
func (s *Store) may(ctx context.Context, c Caller, scope, action string) error {
	if slices.Contains(c.Scopes, scope) {
		return nil
	}
	err := s.write(ctx, func(tx *tx) error {
		return tx.audit(ctx, AuditEntry{Actor: c.Actor, Action: action, Application: c.Application, Outcome: EForbidden, Detail: "missing scope " + scope})
	})
	if err != nil {
		return fmt.Errorf("audit refusal: %w", err)
	}
	return Errorf(EForbidden, "this management key lacks the %s scope, needed to %s keys", scope, action)
}

// sees reports whether the caller may see keys of the application.
func (c Caller) sees(application string) bool {
	if c.Application != "" {
		return application == c.Application
	}
	return application != ReservedApplication
}

// application resolves the application argument of a call: the caller's
// bound application or the default when none is named.
func (c Caller) application(named string) (string, error) {
	if named == "" {
		if c.Application != "" {
			return c.Application, nil
		}
		return DefaultApplication, nil
	}
	if err := checkApplication(named); err != "" {
		return "", Invalid(FieldError{"application", err})
	}
	if named == ReservedApplication && c.Application != ReservedApplication {
		return "", Invalid(FieldError{"application", `"keysmith" is reserved for management keys`})
	}
	if c.Application != "" && named != c.Application {
		return "", Errorf(EForbidden, "this management key is bound to application %q and cannot act on %q", c.Application, named)
	}
	return named, nil
}

func checkApplication(s string) string {
	if !applicationRE.MatchString(s) {
		return "must be 1 to 63 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit"
	}
	return ""
}

// checkText validates free text: valid UTF-8, at most max characters, and
// no control or invisible format characters. Format characters (Unicode Cf:
// bidirectional overrides such as U+202E, zero-width spaces) would let a name
// read differently in a list than it is stored, so a user could be asked to
// confirm the revocation of a key that is not the one they see.
func checkText(s string, max int) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Sprintf("must be at most %d characters (got %d)", max, n)
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Sprintf("must not contain control or invisible formatting characters (found U+%04X)", r)
		}
	}
	return ""
}

func checkName(s string) string {
	if strings.TrimSpace(s) == "" {
		return "required: a short label that says what the key is for, such as \"ci-deploy\""
	}
	return checkText(s, MaxNameLen)
}

// checkScopes validates scopes for a key of the application. allowed, when
// not empty, is the operator's list of scopes issued keys may carry.
func checkScopes(scopes []string, application string, allowed []string) string {
	if len(scopes) > MaxScopes {
		return fmt.Sprintf("at most %d scopes (got %d)", MaxScopes, len(scopes))
	}
	if application == ReservedApplication {
		allowed = ManagementScopes
	}
	seen := make(map[string]bool, len(scopes))
	for _, s := range scopes {
		if !scopeRE.MatchString(s) {
			return fmt.Sprintf("%q is not a scope: want 1 to 64 characters of a-z, 0-9, ':', '.', '_' and '-', starting with a letter or digit", s)
		}
		if seen[s] {
			return fmt.Sprintf("%q is listed twice", s)
		}
		seen[s] = true
		if len(allowed) > 0 && !slices.Contains(allowed, s) {
			return fmt.Sprintf("%q is not allowed; allowed scopes: %s", s, strings.Join(allowed, ", "))
		}
	}
	return ""
}

// parseKeyID validates a key id: a UUID in its canonical 36-character form.
func parseKeyID(s string) (string, error) {
	if s == "" {
		return "", Invalid(FieldError{"key_id", "required: the id of the key, as list_api_keys shows it"})
	}
	id, err := uuid.Parse(s)
	if err != nil || len(s) != 36 {
		return "", Invalid(FieldError{"key_id", "must be a UUID such as 0190a5e4-8c3b-7d2e-9f10-1a2b3c4d5e6f"})
	}
	return id.String(), nil
}
