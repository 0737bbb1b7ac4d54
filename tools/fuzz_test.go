package tools

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/keysmith/keysmith/keystore"
)

var toolNames = []string{"create_api_key", "list_api_keys", "revoke_api_key", "rotate_api_key", "verify_api_key"}

// FuzzToolArguments sends arbitrary JSON arguments to every tool through the
// real client and server. Whatever comes in, the answer is a result that
// matches the tool's output schema (call checks it), never a protocol error
// or INTERNAL, and every VALIDATION_FAILED names the fields at fault.
func FuzzToolArguments(f *testing.F) {
	for i, seed := range []string{
		`{"name":"ci"}`, `{"name":"x","application":"web","scopes":["a","b"],"expires_in":"7d"}`,
		`{}`, `{"status":"all","limit":3}`, `{"limit":1e309}`, `{"cursor":"MTIz"}`,
		`{"key_id":"0190a5e4-8c3b-7d2e-9f10-1a2b3c4d5e6f","confirm":"REVOKE","reason":"x"}`,
		`{"key_id":"0190a5e4-8c3b-7d2e-9f10-1a2b3c4d5e6f","grace_period":"999999d"}`,
		`{"key":"ks_abc"}`, `[]`, `"x"`, `null`, `{"name":{"a":[1,2,{}]}}`, `{"name":"\u202e"}`,
	} {
		f.Add(uint8(i), seed)
	}
	e := newEnv(f, keystore.Config{})
	known := []string{keystore.EValidation, keystore.ENotFound, keystore.ELimit, keystore.EConfirmation, keystore.EAlreadyRotate, keystore.ENotActive}
	f.Fuzz(func(t *testing.T, which uint8, raw string) {
		var args any
		if json.Unmarshal([]byte(raw), &args) != nil {
			return // not JSON: the client would not send it
		}
		e.t = t
		tool := toolNames[int(which)%len(toolNames)]
		res := e.call(tool, args)
		if !res.IsError {
			return
		}
		body, _ := structured(t, res)["error"].(map[string]any)
		code, _ := body["code"].(string)
		if !slices.Contains(known, code) {
			t.Fatalf("%s %s: code %q: %v", tool, raw, code, body)
		}
		if code == keystore.EValidation {
			details, _ := body["details"].([]any)
			if len(details) == 0 {
				t.Fatalf("%s %s: VALIDATION_FAILED names no field", tool, raw)
			}
			for _, d := range details {
				if f, _ := d.(map[string]any)["field"].(string); f == "" {
					t.Fatalf("%s %s: a detail without a field: %v", tool, raw, details)
				}
			}
		}
	})
}
