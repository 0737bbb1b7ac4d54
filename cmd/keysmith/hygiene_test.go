package main

import (
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Over a full lifecycle, over stdio and HTTP, at debug log level: no secret
// appears anywhere but in the result that made it, and no digest appears
// outside the keys table. Searched: both processes' logs, every later
// result (lists, verifications, errors), the audit trail, and the bytes of
// the database and its WAL.
func TestSecretHygiene(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keysmith.db")
	out, err := exec.Command(binary, "admin", "create-key", "--name", "hygiene", "--scopes", "keys:read,keys:write,keys:revoke", "--db", db).CombinedOutput()
	if err != nil {
		t.Fatalf("admin create-key: %v: %s", err, out)
	}
	mgmt := mgmtSecretRE.FindString(string(out))
	server := httpServer(t, db, "--log-level", "debug")
	stdio, stdioLog := stdioClient(t, db)

	secrets := []string{mgmt}
	var later []string // every result but the ones that made a secret
	record := func(m map[string]any, _ bool) {
		raw, _ := json.Marshal(m)
		later = append(later, string(raw))
	}

	created, _ := call(t, stdio, "create_api_key", map[string]any{"name": "a", "scopes": []string{"read"}})
	secrets = append(secrets, created["secret"].(string))
	id := created["key"].(map[string]any)["id"].(string)
	res, ok := toolCall(server.addr, mgmt, "create_api_key", map[string]any{"name": "b"})
	if !ok {
		t.Fatal("create over HTTP failed")
	}
	secrets = append(secrets, res.Secret)
	for _, s := range secrets[1:] {
		record(call(t, stdio, "verify_api_key", map[string]any{"key": s}))
	}
	rotated, _ := call(t, stdio, "rotate_api_key", map[string]any{"key_id": id, "grace_period": "1h"})
	secrets = append(secrets, rotated["secret"].(string))
	newID := rotated["key"].(map[string]any)["id"].(string)
	record(call(t, stdio, "revoke_api_key", map[string]any{"key_id": newID}))                      // CONFIRMATION_REQUIRED
	record(call(t, stdio, "revoke_api_key", map[string]any{"key_id": newID, "confirm": "REVOKE"})) // revoked
	record(call(t, stdio, "revoke_api_key", map[string]any{"key_id": newID, "confirm": "REVOKE"})) // already
	record(call(t, stdio, "rotate_api_key", map[string]any{"key_id": id}))                         // ALREADY_ROTATED
	record(call(t, stdio, "list_api_keys", map[string]any{"status": "all"}))
	record(call(t, stdio, "verify_api_key", map[string]any{"key": secrets[len(secrets)-1]}))
	if _, ok := toolCall(server.addr, mgmt, "list_api_keys", map[string]any{"status": "all"}); !ok {
		t.Fatal("list over HTTP failed")
	}
	stdio.Close()

	raw, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	var audit string
	if err := raw.QueryRow(`SELECT group_concat(at || actor || action || ifnull(key_id,'') || ifnull(application,'') || outcome || ifnull(detail,''), char(10)) FROM audit`).Scan(&audit); err != nil {
		t.Fatal(err)
	}
	raw.Close()

	places := map[string]string{
		"stdio log":     stdioLog.String(),
		"http log":      server.log.String(),
		"later results": strings.Join(later, "\n"),
		"audit trail":   audit,
	}
	for _, f := range []string{db, db + "-wal"} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		places[filepath.Base(f)] = string(data)
	}
	for i, secret := range secrets {
		sum := sha256.Sum256([]byte(secret))
		body := secret[strings.IndexByte(secret, '_')+1:]
		for where, text := range places {
			// The hint keeps the first and last four characters; anything
			// between them anywhere is a leak.
			if strings.Contains(text, body[4:len(body)-4]) {
				t.Errorf("secret %d is in the %s", i, where)
			}
			if where == "keysmith.db" || where == "keysmith.db-wal" {
				continue // the digest is stored there, by design
			}
			for _, form := range []string{hex.EncodeToString(sum[:]), base64.StdEncoding.EncodeToString(sum[:]), base64.RawURLEncoding.EncodeToString(sum[:]), string(sum[:])} {
				if strings.Contains(text, form) {
					t.Errorf("the digest of secret %d is in the %s", i, where)
				}
			}
		}
	}
}
