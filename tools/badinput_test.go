package tools

import (
	"slices"
	"strings"
	"testing"

	"github.com/keysmith/keysmith/keystore"
)

// Every field of every tool, given a wrong type, left out when required,
// empty, too long, with control characters or in the wrong format, gets
// VALIDATION_FAILED naming the field, and nothing stored changes.
func TestBadInput(t *testing.T) {
	e := newEnv(t, keystore.Config{AllowedScopes: []string{"read", "write"}})
	id, _ := e.create(map[string]any{"name": "existing"})
	long := strings.Repeat("x", 100_000)

	tests := []struct {
		tool  string
		args  any
		field string
	}{
		{"create_api_key", "not an object", "arguments"},
		{"create_api_key", []any{"name"}, "arguments"},
		{"create_api_key", map[string]any{}, "name"},
		{"create_api_key", map[string]any{"name": nil}, "name"},
		{"create_api_key", map[string]any{"name": 7}, "name"},
		{"create_api_key", map[string]any{"name": ""}, "name"},
		{"create_api_key", map[string]any{"name": "  "}, "name"},
		{"create_api_key", map[string]any{"name": strings.Repeat("é", 101)}, "name"},
		{"create_api_key", map[string]any{"name": long}, "name"},
		{"create_api_key", map[string]any{"name": "nul\x00byte"}, "name"},
		{"create_api_key", map[string]any{"name": "esc\x1b[31m"}, "name"},
		{"create_api_key", map[string]any{"name": "k", "application": 1}, "application"},
		{"create_api_key", map[string]any{"name": "k", "application": ""}, "application"},
		{"create_api_key", map[string]any{"name": "k", "application": "Web App"}, "application"},
		{"create_api_key", map[string]any{"name": "k", "application": "web'; DROP TABLE keys; --"}, "application"},
		{"create_api_key", map[string]any{"name": "k", "application": strings.Repeat("a", 64)}, "application"},
		{"create_api_key", map[string]any{"name": "k", "application": "keysmith"}, "application"},
		{"create_api_key", map[string]any{"name": "k", "scopes": "read"}, "scopes"},
		{"create_api_key", map[string]any{"name": "k", "scopes": []any{"read", 2}}, "scopes"},
		{"create_api_key", map[string]any{"name": "k", "scopes": []any{"read", "read"}}, "scopes"},
		{"create_api_key", map[string]any{"name": "k", "scopes": []any{"READ"}}, "scopes"},
		{"create_api_key", map[string]any{"name": "k", "scopes": []any{"admin"}}, "scopes"},
		{"create_api_key", map[string]any{"name": "k", "scopes": []any{""}}, "scopes"},
		{"create_api_key", map[string]any{"name": "k", "expires_in": 30}, "expires_in"},
		{"create_api_key", map[string]any{"name": "k", "expires_in": ""}, "expires_in"},
		{"create_api_key", map[string]any{"name": "k", "expires_in": "never"}, "expires_in"},
		{"create_api_key", map[string]any{"name": "k", "expires_in": "2y"}, "expires_in"},
		{"create_api_key", map[string]any{"name": "k", "expires_in": "30m"}, "expires_in"},
		{"create_api_key", map[string]any{"name": "k", "expires_in": "-7d"}, "expires_in"},
		{"create_api_key", map[string]any{"name": "k", "expiry": "7d"}, "expiry"},

		{"list_api_keys", 42, "arguments"},
		{"list_api_keys", map[string]any{"application": true}, "application"},
		{"list_api_keys", map[string]any{"application": ""}, "application"},
		{"list_api_keys", map[string]any{"application": "UPPER"}, "application"},
		{"list_api_keys", map[string]any{"status": "live"}, "status"},
		{"list_api_keys", map[string]any{"status": ""}, "status"},
		{"list_api_keys", map[string]any{"status": []any{"active"}}, "status"},
		{"list_api_keys", map[string]any{"expiring_within": 7}, "expiring_within"},
		{"list_api_keys", map[string]any{"expiring_within": "a week"}, "expiring_within"},
		{"list_api_keys", map[string]any{"expiring_within": "7d", "status": "revoked"}, "expiring_within"},
		{"list_api_keys", map[string]any{"limit": "10"}, "limit"},
		{"list_api_keys", map[string]any{"limit": 0}, "limit"},
		{"list_api_keys", map[string]any{"limit": -5}, "limit"},
		{"list_api_keys", map[string]any{"limit": 201}, "limit"},
		{"list_api_keys", map[string]any{"limit": 2.5}, "limit"},
		{"list_api_keys", map[string]any{"limit": 1e300}, "limit"},
		{"list_api_keys", map[string]any{"cursor": 3}, "cursor"},
		{"list_api_keys", map[string]any{"cursor": "forged"}, "cursor"},
		{"list_api_keys", map[string]any{"cursor": long}, "cursor"},
		{"list_api_keys", map[string]any{"page": 2}, "page"},

		{"revoke_api_key", map[string]any{"confirm": "REVOKE"}, "key_id"},
		{"revoke_api_key", map[string]any{"key_id": 12, "confirm": "REVOKE"}, "key_id"},
		{"revoke_api_key", map[string]any{"key_id": "", "confirm": "REVOKE"}, "key_id"},
		{"revoke_api_key", map[string]any{"key_id": "not-a-uuid", "confirm": "REVOKE"}, "key_id"},
		{"revoke_api_key", map[string]any{"key_id": id + "0", "confirm": "REVOKE"}, "key_id"},
		{"revoke_api_key", map[string]any{"key_id": "' OR 1=1 --", "confirm": "REVOKE"}, "key_id"},
		{"revoke_api_key", map[string]any{"key_id": id, "confirm": "REVOKE", "reason": 5}, "reason"},
		{"revoke_api_key", map[string]any{"key_id": id, "confirm": "REVOKE", "reason": strings.Repeat("r", 201)}, "reason"},
		{"revoke_api_key", map[string]any{"key_id": id, "confirm": "REVOKE", "reason": "line\nbreak"}, "reason"},
		{"revoke_api_key", map[string]any{"key_id": id, "confirm": "REVOKE", "force": true}, "force"},

		{"rotate_api_key", map[string]any{}, "key_id"},
		{"rotate_api_key", map[string]any{"key_id": []any{id}}, "key_id"},
		{"rotate_api_key", map[string]any{"key_id": "nope"}, "key_id"},
		{"rotate_api_key", map[string]any{"key_id": id, "grace_period": 3600}, "grace_period"},
		{"rotate_api_key", map[string]any{"key_id": id, "grace_period": ""}, "grace_period"},
		{"rotate_api_key", map[string]any{"key_id": id, "grace_period": "8d"}, "grace_period"},
		{"rotate_api_key", map[string]any{"key_id": id, "grace_period": "forever"}, "grace_period"},
		{"rotate_api_key", map[string]any{"key_id": id, "grace_period": "999999d"}, "grace_period"},
		{"rotate_api_key", map[string]any{"key_id": id, "expires_in": "999999y"}, "expires_in"},
		{"rotate_api_key", map[string]any{"key_id": id, "expires_in": "0d"}, "expires_in"},
		{"rotate_api_key", map[string]any{"key_id": id, "expires_in": "400d"}, "expires_in"},
		{"rotate_api_key", map[string]any{"key_id": id, "expires_in": false}, "expires_in"},
		{"rotate_api_key", map[string]any{"key_id": id, "grace": "1d"}, "grace"},

		{"verify_api_key", map[string]any{}, "key"},
		{"verify_api_key", map[string]any{"key": ""}, "key"},
		{"verify_api_key", map[string]any{"key": 123}, "key"},
		{"verify_api_key", map[string]any{"key": "ks_x", "application": "web"}, "application"},
	}
	for _, tt := range tests {
		t.Run(tt.tool+"/"+tt.field, func(t *testing.T) {
			before := e.dbDigest()
			e.t = t
			e.wantError(e.call(tt.tool, tt.args), keystore.EValidation, tt.field)
			if e.dbDigest() != before {
				t.Fatal("a refused call changed stored data")
			}
		})
	}
}

// Problems are reported together, so a model fixes them in one retry: first
// every argument of the wrong type, missing or unknown, then every value the
// keystore refuses.
func TestBadInputReportsEveryField(t *testing.T) {
	e := newEnv(t, keystore.Config{})
	for _, tt := range []struct {
		args   map[string]any
		fields []string
	}{
		{map[string]any{"application": 1, "scopes": "x", "expires_in": "", "colour": "red"}, []string{"name", "application", "scopes", "expires_in", "colour"}},
		{map[string]any{"name": "\x00", "application": "X", "scopes": []any{"A"}, "expires_in": "9y"}, []string{"name", "application", "scopes", "expires_in"}},
	} {
		body := e.wantError(e.call("create_api_key", tt.args), keystore.EValidation, "")
		var fields []string
		for _, d := range body["details"].([]any) {
			fields = append(fields, d.(map[string]any)["field"].(string))
		}
		slices.Sort(fields)
		slices.Sort(tt.fields)
		if !slices.Equal(fields, tt.fields) {
			t.Errorf("details name %v, want %v", fields, tt.fields)
		}
	}
}
