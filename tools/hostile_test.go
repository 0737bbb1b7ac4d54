package tools

import (
	"strings"
	"testing"

	"github.com/keysmith/keysmith/keystore"
)

// Hostile values in every string argument of every tool. Each gets the right
// answer, and nothing stored changes unless the value is a legitimate one
// (SQL metacharacters are just characters in a name or a reason).
func TestHostileStrings(t *testing.T) {
	e := newEnv(t, keystore.Config{})
	id, secret := e.create(map[string]any{"name": "target"})
	hostile := map[string]string{
		"100 KB":       strings.Repeat("A", 100_000),
		"NUL":          "a\x00b",
		"RTL override": "invoice\u202Etxt.exe",
		"zero-width":   "ad\u200Bmin",
		"BOM":          "\uFEFFname",
		"SQL":          "x'); DROP TABLE keys; --",
	}
	// base holds valid arguments for each tool; one field at a time is
	// replaced by a hostile value.
	base := map[string]map[string]any{
		"create_api_key": {"name": "n", "application": "app", "scopes": []any{"read"}, "expires_in": "7d"},
		"list_api_keys":  {"application": "app", "status": "all", "expiring_within": "7d", "cursor": ""},
		"revoke_api_key": {"key_id": id, "confirm": "NOPE", "reason": "r"},
		"rotate_api_key": {"key_id": id, "grace_period": "1h", "expires_in": "7d"},
		"verify_api_key": {"key": secret},
	}
	for tool, args := range base {
		for field := range args {
			if field == "scopes" {
				continue // an array: its items are checked below
			}
			for name, value := range hostile {
				t.Run(tool+"/"+field+"/"+name, func(t *testing.T) {
					e.t = t
					call := map[string]any{}
					for k, v := range args {
						call[k] = v
					}
					if tool == "list_api_keys" && field != "status" {
						delete(call, "expiring_within") // only valid with status active
						call["status"] = "active"
					}
					call[field] = value
					before := e.dbDigest()
					res := e.call(tool, call)
					switch {
					case name == "SQL" && (field == "name" || field == "reason"):
						// A legitimate value: kept verbatim, in a parameter.
						if res.IsError && !(tool == "revoke_api_key") {
							t.Fatalf("refused a legitimate value: %s", text(res))
						}
					case tool == "verify_api_key":
						if res.IsError || structured(t, res)["valid"] != false {
							t.Fatalf("hostile key: %s", text(res))
						}
					case tool == "revoke_api_key" && field == "confirm":
						e.wantError(res, keystore.EConfirmation, "")
					default:
						e.wantError(res, keystore.EValidation, field)
					}
					if name != "SQL" && e.dbDigest() != before {
						t.Fatal("a refused call changed stored data")
					}
				})
			}
		}
	}
	// The SQL name is stored and listed verbatim; the table is still there.
	e.t = t
	m := structured(t, e.call("list_api_keys", map[string]any{"application": "app", "status": "all"}))
	found := false
	for _, k := range m["keys"].([]any) {
		if k.(map[string]any)["name"] == hostile["SQL"] {
			found = true
		}
	}
	if !found {
		t.Fatalf("the name with SQL metacharacters did not round-trip: %v", m)
	}
	for name, value := range hostile {
		if name == "SQL" {
			continue
		}
		e.wantError(e.call("create_api_key", map[string]any{"name": "n", "scopes": []any{value}}), keystore.EValidation, "scopes")
	}
}

// Numbers out of every range, and cursors that were never issued or belong
// to other filters.
func TestHostileNumbersAndCursors(t *testing.T) {
	e := newEnv(t, keystore.Config{KeyLimit: 100})
	for range 5 {
		e.create(map[string]any{"name": "k"})
	}
	for _, limit := range []any{-1, 0, 201, 1e18, -1e18, 1.5, 9007199254740993.0, "5", true} {
		e.wantError(e.call("list_api_keys", map[string]any{"limit": limit}), keystore.EValidation, "limit")
	}
	page := structured(t, e.call("list_api_keys", map[string]any{"limit": 2}))
	cursor := page["next_cursor"].(string)
	// Replaying a cursor gives the same page again: paging is read-only.
	a := structured(t, e.call("list_api_keys", map[string]any{"limit": 2, "cursor": cursor}))
	b := structured(t, e.call("list_api_keys", map[string]any{"limit": 2, "cursor": cursor}))
	if len(a["keys"].([]any)) != 2 || a["keys"].([]any)[0].(map[string]any)["id"] != b["keys"].([]any)[0].(map[string]any)["id"] {
		t.Fatalf("replayed cursor: %v then %v", a, b)
	}
	for _, forged := range []string{"AAAA", cursor + "x", strings.ToUpper(cursor), "MTIz", "LTEuYWJj", strings.Repeat("Q", 10_000)} {
		e.wantError(e.call("list_api_keys", map[string]any{"limit": 2, "cursor": forged}), keystore.EValidation, "cursor")
	}
	e.wantError(e.call("list_api_keys", map[string]any{"limit": 2, "status": "all", "cursor": cursor}), keystore.EValidation, "cursor")
}
