package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/keysmith/keysmith/keystore"
)

// Every tool's definition, as clients see it in tools/list, is kept in
// testdata/toolsnaps, so a change to the contract is always deliberate.
// UPDATE_TOOLSNAPS=1 go test ./tools rewrites the files.
func TestToolSnapshots(t *testing.T) {
	e := newEnv(t, keystore.Config{})
	want := []string{"create_api_key", "list_api_keys", "revoke_api_key", "rotate_api_key", "verify_api_key"}
	var names []string
	for name := range e.tools {
		names = append(names, name)
	}
	slices.Sort(names)
	if !slices.Equal(names, want) {
		t.Fatalf("tools %v, want %v", names, want)
	}
	for _, name := range names {
		var buf bytes.Buffer
		if err := json.Indent(&buf, e.tools[name], "", "  "); err != nil {
			t.Fatal(err)
		}
		got := append(buf.Bytes(), '\n')
		path := filepath.Join("testdata", "toolsnaps", name+".snap")
		if os.Getenv("UPDATE_TOOLSNAPS") != "" {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		snap, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: no snapshot (run UPDATE_TOOLSNAPS=1 go test ./tools): %v", name, err)
		}
		if string(snap) != string(got) {
			t.Errorf("%s: definition differs from %s; if the change is meant, run UPDATE_TOOLSNAPS=1 go test ./tools and review the diff\ngot:\n%s", name, path, got)
		}
	}
}

// Every tool declares all four hints, and the read-only ones are exactly
// list and verify.
func TestAnnotations(t *testing.T) {
	e := newEnv(t, keystore.Config{})
	list, err := e.client.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tool := range list.Tools {
		a := tool.Annotations
		if a.ReadOnlyHint == nil || a.DestructiveHint == nil || a.IdempotentHint == nil || a.OpenWorldHint == nil {
			t.Fatalf("%s: a hint is unset: %+v", tool.Name, a)
		}
		if *a.OpenWorldHint {
			t.Errorf("%s: openWorldHint true", tool.Name)
		}
		readOnly := tool.Name == "list_api_keys" || tool.Name == "verify_api_key"
		destructive := tool.Name == "revoke_api_key" || tool.Name == "rotate_api_key"
		if *a.ReadOnlyHint != readOnly || *a.DestructiveHint != destructive {
			t.Errorf("%s: readOnly %v destructive %v", tool.Name, *a.ReadOnlyHint, *a.DestructiveHint)
		}
		if tool.Title == "" || len(tool.Description) < 100 {
			t.Errorf("%s: title %q, description of %d characters", tool.Name, tool.Title, len(tool.Description))
		}
	}
}

// The whole life of a key, each result compared in full.
func TestLifecycle(t *testing.T) {
	e := newEnv(t, keystore.Config{})

	res := e.call("create_api_key", map[string]any{"name": "ci-deploy", "application": "web", "scopes": []string{"deploy", "read"}, "expires_in": "30d"})
	e.wantResult(res, `{
		"isError": false,
		"structuredContent": {
			"key": {"id": "<id1>", "name": "ci-deploy", "application": "web", "scopes": ["deploy", "read"], "hint": "<hint>",
				"status": "active", "created_at": "2026-03-01T12:00:00Z", "expires_at": "2026-03-31T12:00:00Z"},
			"secret": "<secret>"
		},
		"text": "Created key \"ci-deploy\" (<hint>, id <id1>) in application \"web\", expiring 2026-03-31T12:00:00Z.\nSecret (shown only this once, store it now): <secret>"
	}`)
	first := structured(t, res)
	id := first["key"].(map[string]any)["id"].(string)
	secret := first["secret"].(string)

	e.clock.Advance(time.Hour)
	e.wantResult(e.call("verify_api_key", map[string]any{"key": secret}), `{
		"isError": false,
		"structuredContent": {"valid": true, "code": "VALID",
			"key": {"id": "<id1>", "name": "ci-deploy", "application": "web", "scopes": ["deploy", "read"], "hint": "<hint>",
				"status": "active", "created_at": "2026-03-01T12:00:00Z", "expires_at": "2026-03-31T12:00:00Z",
				"last_used_at": "2026-03-01T13:00:00Z"}},
		"text": "VALID: key \"ci-deploy\" (<hint>, id <id1>) in application \"web\" works, scopes [deploy read], expires 2026-03-31T12:00:00Z."
	}`)

	e.wantResult(e.call("list_api_keys", map[string]any{}), `{
		"isError": false,
		"structuredContent": {"keys": [
			{"id": "<id1>", "name": "ci-deploy", "application": "web", "scopes": ["deploy", "read"], "hint": "<hint>",
				"status": "active", "created_at": "2026-03-01T12:00:00Z", "expires_at": "2026-03-31T12:00:00Z",
				"last_used_at": "2026-03-01T13:00:00Z"}]},
		"text": "1 key:\n- \"ci-deploy\" (<hint>, id <id1>) in application \"web\": active, expires 2026-03-31T12:00:00Z"
	}`)

	res = e.call("rotate_api_key", map[string]any{"key_id": id, "grace_period": "1d"})
	e.wantResult(res, `{
		"isError": false,
		"structuredContent": {
			"key": {"id": "<id2>", "name": "ci-deploy", "application": "web", "scopes": ["deploy", "read"], "hint": "<hint>",
				"status": "active", "created_at": "2026-03-01T13:00:00Z", "expires_at": "2026-03-31T13:00:00Z", "rotated_from": "<id1>"},
			"secret": "<secret>",
			"previous": {"id": "<id1>", "name": "ci-deploy", "application": "web", "scopes": ["deploy", "read"], "hint": "<hint>",
				"status": "active", "created_at": "2026-03-01T12:00:00Z", "expires_at": "2026-03-31T12:00:00Z",
				"revoked_at": "2026-03-02T13:00:00Z", "last_used_at": "2026-03-01T13:00:00Z", "replaced_by": "<id2>"}
		},
		"text": "Rotated key ci-deploy: the old key <hint> keeps working until 2026-03-02T13:00:00Z. New key \"ci-deploy\" (<hint>, id <id2>) in application \"web\", expiring 2026-03-31T13:00:00Z.\nSecret (shown only this once, store it now): <secret>"
	}`)
	rotated := structured(t, res)
	newID := rotated["key"].(map[string]any)["id"].(string)
	newSecret := rotated["secret"].(string)
	if newSecret == secret {
		t.Fatal("rotation kept the secret")
	}

	e.wantResult(e.call("rotate_api_key", map[string]any{"key_id": id}), `{
		"isError": true,
		"structuredContent": {"error": {"code": "ALREADY_ROTATED",
			"message": "key \"ci-deploy\" (<hint>) was already rotated: its replacement is <id2>", "details": []}},
		"text": "ALREADY_ROTATED: key \"ci-deploy\" (<hint>) was already rotated: its replacement is <id2>"
	}`)

	// Revoke the replacement: refused without REVOKE, done with it.
	before := e.dbDigest()
	e.wantResult(e.call("revoke_api_key", map[string]any{"key_id": newID}), `{
		"isError": true,
		"structuredContent": {"error": {"code": "CONFIRMATION_REQUIRED",
			"message": "revoking key \"ci-deploy\" (<hint>) of application \"web\" stops it working at once and cannot be undone: ask the user to confirm, then call again with confirm set to \"REVOKE\"",
			"details": []}},
		"text": "CONFIRMATION_REQUIRED: revoking key \"ci-deploy\" (<hint>) of application \"web\" stops it working at once and cannot be undone: ask the user to confirm, then call again with confirm set to \"REVOKE\""
	}`)
	for _, confirm := range []any{"", "revoke", true, 1} {
		e.wantError(e.call("revoke_api_key", map[string]any{"key_id": newID, "confirm": confirm}), keystore.EConfirmation, "")
	}
	if e.dbDigest() != before {
		t.Fatal("an unconfirmed revoke changed stored data")
	}

	e.clock.Advance(time.Minute)
	e.wantResult(e.call("revoke_api_key", map[string]any{"key_id": newID, "confirm": "REVOKE", "reason": "leaked"}), `{
		"isError": false,
		"structuredContent": {"key": {"id": "<id2>", "name": "ci-deploy", "application": "web", "scopes": ["deploy", "read"], "hint": "<hint>",
			"status": "revoked", "created_at": "2026-03-01T13:00:00Z", "expires_at": "2026-03-31T13:00:00Z",
			"revoked_at": "2026-03-01T13:01:00Z", "rotated_from": "<id1>"}},
		"text": "Revoked key \"ci-deploy\" (<hint>, id <id2>) in application \"web\": it stopped working at 2026-03-01T13:01:00Z."
	}`)
	e.wantResult(e.call("revoke_api_key", map[string]any{"key_id": newID, "confirm": "REVOKE"}), `{
		"isError": false,
		"structuredContent": {"key": {"id": "<id2>", "name": "ci-deploy", "application": "web", "scopes": ["deploy", "read"], "hint": "<hint>",
			"status": "revoked", "created_at": "2026-03-01T13:00:00Z", "expires_at": "2026-03-31T13:00:00Z",
			"revoked_at": "2026-03-01T13:01:00Z", "rotated_from": "<id1>"}},
		"text": "Key \"ci-deploy\" (<hint>, id <id2>) in application \"web\" was already revoked at 2026-03-01T13:01:00Z; nothing changed."
	}`)

	// The revoked key stops at once; the old one works until its grace ends.
	invalid := `{
		"isError": false,
		"structuredContent": {"valid": false, "code": "API_KEY_INVALID"},
		"text": "API_KEY_INVALID: the key is not valid (unknown, malformed, revoked or expired)."
	}`
	e.wantResult(e.call("verify_api_key", map[string]any{"key": newSecret}), invalid)
	if !structured(t, e.call("verify_api_key", map[string]any{"key": secret}))["valid"].(bool) {
		t.Fatal("old key stopped during its grace period")
	}
	e.clock.Advance(24 * time.Hour)
	e.wantResult(e.call("verify_api_key", map[string]any{"key": secret}), invalid)
	e.wantResult(e.call("verify_api_key", map[string]any{"key": "ks_not-a-key"}), invalid)

	e.wantError(e.call("rotate_api_key", map[string]any{"key_id": newID}), keystore.ENotActive, "")
	e.wantError(e.call("revoke_api_key", map[string]any{"key_id": "0190a5e4-8c3b-7d2e-9f10-1a2b3c4d5e6f", "confirm": "REVOKE"}), keystore.ENotFound, "")

	// No secret in the logs.
	for _, s := range []string{secret, newSecret} {
		if strings.Contains(e.logs.String(), s) {
			t.Fatal("a secret reached the log")
		}
	}
}

func TestLimitAndPaging(t *testing.T) {
	e := newEnv(t, keystore.Config{KeyLimit: 3})
	for range 3 {
		e.create(map[string]any{"name": "k"})
	}
	body := e.wantError(e.call("create_api_key", map[string]any{"name": "one more"}), keystore.ELimit, "")
	if !strings.Contains(body["message"].(string), "revoke_api_key") {
		t.Fatalf("LIMIT_REACHED message %q does not say how to free a slot", body["message"])
	}
	e.create(map[string]any{"name": "k", "application": "other"})

	var seen []string
	args := map[string]any{"limit": 2, "status": "all"}
	for pages := 1; ; pages++ {
		m := structured(t, e.call("list_api_keys", args))
		for _, k := range m["keys"].([]any) {
			seen = append(seen, k.(map[string]any)["id"].(string))
		}
		cursor, ok := m["next_cursor"].(string)
		if !ok {
			if pages != 2 {
				t.Fatalf("%d pages, want 2", pages)
			}
			break
		}
		args["cursor"] = cursor
	}
	if len(seen) != 4 {
		t.Fatalf("paged through %d keys, want 4", len(seen))
	}
	args["status"] = "active"
	e.wantError(e.call("list_api_keys", args), keystore.EValidation, "cursor")
}

func TestNoCallerIsUnauthorized(t *testing.T) {
	e := newEnv(t, keystore.Config{})
	req := mcp.CallToolRequest{}
	req.Params.Name = "list_api_keys"
	res, err := e.client.CallTool(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	e.wantError(res, keystore.EUnauthorized, "")
}

func TestReservedApplicationIsInvisible(t *testing.T) {
	e := newEnv(t, keystore.Config{})
	e.wantError(e.call("create_api_key", map[string]any{"name": "x", "application": "keysmith"}), keystore.EValidation, "application")
	e.wantError(e.call("list_api_keys", map[string]any{"application": "keysmith"}), keystore.EValidation, "application")
}
