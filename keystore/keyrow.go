package keystore

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"time"
)

// keyColumns are the columns scanKey reads, in its order.
const keyColumns = `seq, id, name, application, scopes, hint, created_at, expires_at,
	revoked_at, last_used_at, rotated_from, replaced_by, bound_application`

type scanner interface {
	Scan(dest ...any) error
}

// scanKey reads one row of keyColumns and derives the key's status at now.
func scanKey(row scanner, now time.Time) (Key, int64, error) {
	var (
		k                     Key
		seq                   int64
		scopes                string
		created, expires      int64
		revoked, lastUsed     sql.NullInt64
		rotatedFrom, replaced sql.NullString
		bound                 sql.NullString
	)
	err := row.Scan(&seq, &k.ID, &k.Name, &k.Application, &scopes, &k.Hint, &created, &expires,
		&revoked, &lastUsed, &rotatedFrom, &replaced, &bound)
	if err != nil {
		return Key{}, 0, err
	}
	k.Scopes = splitScopes(scopes)
	k.CreatedAt = time.Unix(created, 0).UTC()
	k.ExpiresAt = time.Unix(expires, 0).UTC()
	k.RevokedAt = optTime(revoked)
	k.LastUsedAt = optTime(lastUsed)
	k.RotatedFrom = rotatedFrom.String
	k.ReplacedBy = replaced.String
	k.BoundApplication = bound.String
	k.Status = status(now, k.ExpiresAt, k.RevokedAt)
	return k, seq, nil
}

// getKey loads the key with the given id as the caller may see it: a key of
// an application the caller may not see is NOT_FOUND, exactly like a key
// that does not exist, so ids of other applications cannot be probed.
func (tx *tx) getKey(ctx context.Context, c Caller, id string) (Key, error) {
	row := tx.QueryRowContext(ctx, `SELECT `+keyColumns+` FROM keys WHERE id = ?`, id)
	k, _, err := scanKey(row, tx.now)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && !c.sees(k.Application)) {
		return Key{}, Errorf(ENotFound, "no key with id %s", id)
	}
	return k, err
}

// insertKey stores a new key and its digest.
func (tx *tx) insertKey(ctx context.Context, k Key, digest []byte) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO keys
		(id, name, application, scopes, digest, hint, created_at, expires_at, rotated_from, bound_application)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.Name, k.Application, strings.Join(k.Scopes, " "), digest, k.Hint,
		k.CreatedAt.Unix(), k.ExpiresAt.Unix(), nullString(k.RotatedFrom), nullString(k.BoundApplication))
	return err
}

func splitScopes(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, " ")
}

func optTime(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := time.Unix(v.Int64, 0).UTC()
	return &t
}

func nullString(s string) sql.NullString {
	return sql.NullString{String: s, Valid: s != ""}
}
