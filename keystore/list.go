package keystore

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

const (
	// DefaultListLimit and MaxListLimit bound one page of list_api_keys.
	DefaultListLimit = 50
	MaxListLimit     = 200
)

// ListInput is what list_api_keys takes. Zero values mean the defaults:
// every application the caller sees, active keys, 50 a page, first page.
type ListInput struct {
	Application    string
	Status         string
	ExpiringWithin string
	Limit          int
	Cursor         string
}

// Page is one page of keys, newest first. NextCursor is empty on the last.
type Page struct {
	Keys       []Key  `json:"keys"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// List returns keys newest first. Paging follows the insertion sequence, not
// a timestamp: keys created while a client pages sort before its cursor, so
// a walk through the pages never repeats or skips a key.
func (s *Store) List(ctx context.Context, c Caller, in ListInput) (Page, error) {
	if err := s.may(ctx, c, ScopeRead, ActionList); err != nil {
		return Page{}, err
	}
	var problems []FieldError
	where := []string{"1 = 1"}
	var args []any

	switch {
	case in.Application != "":
		app, err := c.application(in.Application)
		if err != nil {
			if ErrorCode(err) != EValidation {
				return Page{}, err
			}
			problems = append(problems, ErrorDetails(err)...)
		}
		where, args = append(where, "application = ?"), append(args, app)
	case c.Application != "":
		where, args = append(where, "application = ?"), append(args, c.Application)
	default:
		where, args = append(where, "application <> ?"), append(args, ReservedApplication)
	}

	status := in.Status
	if status == "" {
		status = StatusActive
	}
	switch status {
	case StatusActive, StatusExpired, StatusRevoked, StatusAll:
	default:
		problems = append(problems, FieldError{"status", "must be one of active, expired, revoked, all"})
	}

	var within int64
	if in.ExpiringWithin != "" {
		d, err := ParseDuration(in.ExpiringWithin)
		switch {
		case err != nil:
			problems = append(problems, FieldError{"expiring_within", err.Error()})
		case d <= 0 || d > MaxLifetimeCeiling:
			problems = append(problems, FieldError{"expiring_within", "must be from 1h to 1y"})
		case status != StatusActive:
			problems = append(problems, FieldError{"expiring_within", "applies to active keys only: leave status out or set it to active"})
		default:
			within = int64(d.Seconds())
		}
	}

	limit := in.Limit
	if limit == 0 {
		limit = DefaultListLimit
	}
	if limit < 1 || limit > MaxListLimit {
		problems = append(problems, FieldError{"limit", fmt.Sprintf("must be from 1 to %d", MaxListLimit)})
	}

	fingerprint := listFingerprint(in.Application, status, in.ExpiringWithin)
	if in.Cursor != "" {
		after, ok := decodeCursor(in.Cursor, fingerprint)
		if !ok {
			problems = append(problems, FieldError{"cursor", "not a next_cursor from list_api_keys with these same filters: start again without cursor"})
		}
		where, args = append(where, "seq < ?"), append(args, after)
	}
	if len(problems) > 0 {
		return Page{}, Invalid(problems...)
	}

	var page Page
	err := s.read(ctx, func(tx *tx) error {
		now := tx.now.Unix()
		switch status {
		case StatusActive:
			where = append(where, "(revoked_at IS NULL OR revoked_at > ?) AND expires_at > ?")
			args = append(args, now, now)
			if within > 0 {
				where, args = append(where, "expires_at <= ?"), append(args, now+within)
			}
		case StatusExpired:
			where = append(where, "(revoked_at IS NULL OR revoked_at > ?) AND expires_at <= ?")
			args = append(args, now, now)
		case StatusRevoked:
			where, args = append(where, "revoked_at <= ?"), append(args, now)
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+keyColumns+` FROM keys WHERE `+
			strings.Join(where, " AND ")+` ORDER BY seq DESC LIMIT ?`, append(args, limit+1)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		page.Keys = make([]Key, 0, limit)
		var lastSeq int64
		for rows.Next() {
			k, seq, err := scanKey(rows, tx.now)
			if err != nil {
				return err
			}
			if len(page.Keys) == limit {
				page.NextCursor = encodeCursor(lastSeq, fingerprint)
				break
			}
			s.usage.apply(&k)
			page.Keys = append(page.Keys, k)
			lastSeq = seq
		}
		return rows.Err()
	})
	return page, err
}

// A cursor carries the sequence number of the last key of a page and a
// fingerprint of the filters it was made for, so a cursor reused with other
// filters is refused rather than silently mixing two listings. It is opaque
// to clients and grants nothing: the filters and visibility of each call
// still apply.
func encodeCursor(seq int64, fingerprint string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(seq, 10) + "." + fingerprint))
}

func decodeCursor(cursor, fingerprint string) (int64, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return 0, false
	}
	seqText, fp, ok := strings.Cut(string(raw), ".")
	if !ok || fp != fingerprint {
		return 0, false
	}
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if err != nil || seq < 1 {
		return 0, false
	}
	return seq, true
}

func listFingerprint(application, status, within string) string {
	sum := sha256.Sum256([]byte(application + "\x00" + status + "\x00" + within))
	return hex.EncodeToString(sum[:6])
}
