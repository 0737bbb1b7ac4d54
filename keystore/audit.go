package keystore

import (
	"context"
	"database/sql"
	"time"
)

// Audit actions.
const (
	ActionCreate       = "create"
	ActionRevoke       = "revoke"
	ActionRotate       = "rotate"
	ActionList         = "list"
	ActionVerify       = "verify"
	ActionAuthenticate = "authenticate"
)

// AuditEntry is one row of the append-only audit trail.
type AuditEntry struct {
	At          time.Time
	Actor       string
	Action      string
	KeyID       string
	Application string
	Outcome     string
	Detail      string
}

// audit appends an entry in the transaction of the change it records, so a
// change and its record commit or vanish together.
func (tx *tx) audit(ctx context.Context, e AuditEntry) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit
		(at, actor, action, key_id, application, outcome, detail) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		tx.now.Unix(), e.Actor, e.Action, nullString(e.KeyID), nullString(e.Application), e.Outcome, nullString(e.Detail))
	return err
}

// AuditTrail returns the audit entries in the order they were written.
func (s *Store) AuditTrail(ctx context.Context) ([]AuditEntry, error) {
	rows, err := s.reader.QueryContext(ctx, `SELECT at, actor, action, key_id, application, outcome, detail
		FROM audit ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var (
			e                   AuditEntry
			at                  int64
			keyID, app, details sql.NullString
		)
		if err := rows.Scan(&at, &e.Actor, &e.Action, &keyID, &app, &e.Outcome, &details); err != nil {
			return nil, err
		}
		e.At = time.Unix(at, 0).UTC()
		e.KeyID, e.Application, e.Detail = keyID.String, app.String, details.String
		out = append(out, e)
	}
	return out, rows.Err()
}
