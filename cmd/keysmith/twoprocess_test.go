package main

import (
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// An HTTP server and a stdio process share one database file, as an editor's
// keysmith and a shared server would: writes from both at once never fail
// with "database is locked", and a revoke in either is refused by the other
// on its very next check.
func TestTwoProcessesShareOneDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keysmith.db")
	out, err := exec.Command(binary, "admin", "create-key", "--name", "shared", "--scopes", "keys:read,keys:write,keys:revoke", "--db", db).CombinedOutput()
	if err != nil {
		t.Fatalf("admin create-key: %v: %s", err, out)
	}
	mgmt := mgmtSecretRE.FindString(string(out))
	addr := httpServer(t, db, "--key-limit", "100000").addr
	stdio, stderr := stdioClient(t, db, "--key-limit", "100000")

	// Concurrent writers in both processes.
	const perSide = 200
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for w := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := range perSide / 4 {
				if _, ok := toolCall(addr, mgmt, "create_api_key", map[string]any{"name": fmt.Sprintf("http-%d-%d", w, i)}); !ok {
					mu.Lock()
					failures = append(failures, "http create failed")
					mu.Unlock()
				}
			}
		}()
		go func() {
			defer wg.Done()
			for i := range perSide / 4 {
				m, isErr, err := callTool(stdio, "create_api_key", map[string]any{"name": fmt.Sprintf("stdio-%d-%d", w, i)})
				if err != nil || isErr {
					mu.Lock()
					failures = append(failures, fmt.Sprint("stdio create: ", m, err))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d writes failed, first: %s (stdio log: %s)", len(failures), failures[0], stderr)
	}
	if strings.Contains(stderr.String(), "locked") {
		t.Fatalf("the stdio process logged a lock error: %s", stderr)
	}
	n := 0
	args := map[string]any{"status": "all", "limit": 200}
	for {
		page, _ := call(t, stdio, "list_api_keys", args)
		n += len(page["keys"].([]any))
		cursor, ok := page["next_cursor"]
		if !ok {
			break
		}
		args["cursor"] = cursor
	}
	if n != 2*perSide {
		t.Fatalf("%d keys after %d writes from each process", n, perSide)
	}

	verifyHTTP := func(secret string) int {
		req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/verify", strings.NewReader(fmt.Sprintf(`{"key":%q}`, secret)))
		req.Header.Set("Authorization", "Bearer "+mgmt)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	// Revoked over stdio, refused over HTTP at once.
	created, _ := call(t, stdio, "create_api_key", map[string]any{"name": "revoked-in-stdio"})
	secret := created["secret"].(string)
	if status := verifyHTTP(secret); status != http.StatusOK {
		t.Fatalf("HTTP does not see the stdio process's key: %d", status)
	}
	if m, isErr := call(t, stdio, "revoke_api_key", map[string]any{"key_id": created["key"].(map[string]any)["id"], "confirm": "REVOKE"}); isErr {
		t.Fatalf("revoke over stdio: %v", m)
	}
	if status := verifyHTTP(secret); status != http.StatusUnauthorized {
		t.Fatalf("HTTP still accepts a key revoked over stdio: %d", status)
	}

	// Revoked over HTTP, refused over stdio at once.
	res, ok := toolCall(addr, mgmt, "create_api_key", map[string]any{"name": "revoked-over-http"})
	if !ok {
		t.Fatal("create over HTTP failed")
	}
	if v, _ := call(t, stdio, "verify_api_key", map[string]any{"key": res.Secret}); v["valid"] != true {
		t.Fatalf("stdio does not see the HTTP key: %v", v)
	}
	if _, ok := toolCall(addr, mgmt, "revoke_api_key", map[string]any{"key_id": res.Key.ID, "confirm": "REVOKE"}); !ok {
		t.Fatal("revoke over HTTP failed")
	}
	if v, _ := call(t, stdio, "verify_api_key", map[string]any{"key": res.Secret}); v["valid"] != false {
		t.Fatalf("stdio still accepts a key revoked over HTTP: %v", v)
	}
}
