package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"

	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keysmith/keysmith/keystore"
)

// crashCycles is how many times TestCrashSafety kills the server: 20, or
// KEYSMITH_CRASH_CYCLES (make soak runs 50). Under the race detector, which
// makes the test's own SQLite reads many times slower, it runs 3 cycles to
// check the test's concurrency; make test runs the 20 in a second pass
// without it.
func crashCycles(t *testing.T) int {
	if v := os.Getenv("KEYSMITH_CRASH_CYCLES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("KEYSMITH_CRASH_CYCLES=%q", v)
		}
		return n
	}
	if raceEnabled {
		return 3
	}
	return 20
}

// ledgerKey is what the clients know of a key from acknowledged answers.
type ledgerKey struct {
	id, secret string
	revoked    bool // an acknowledged revoke or rotation without grace
	pending    bool // an operation on it got no answer: either outcome is allowed
	busy       bool // a worker is operating on it now
}

type ledger struct {
	mu    sync.Mutex
	keys  []*ledgerKey
	acked []audited // every acknowledged change, for the audit check
}

type audited struct{ action, keyID string }

// pick returns a random live key that no worker is using, marked busy.
func (l *ledger) pick(rng *rand.Rand) *ledgerKey {
	l.mu.Lock()
	defer l.mu.Unlock()
	var live []*ledgerKey
	for _, k := range l.keys {
		if !k.revoked && !k.pending && !k.busy {
			live = append(live, k)
		}
	}
	if len(live) == 0 {
		return nil
	}
	k := live[rng.IntN(len(live))]
	k.busy = true
	return k
}

// TestCrashSafety runs the real server under a mixed write load from
// several clients, kills it with SIGKILL at a random moment, restarts it on
// the same file, and checks that nothing acknowledged was lost: the file
// passes PRAGMA integrity_check, every acknowledged key verifies unless its
// revocation was acknowledged, every acknowledged revocation holds, and the
// audit trail has an entry for each acknowledged change.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("kills and restarts the server many times")
	}
	db := filepath.Join(t.TempDir(), "keysmith.db")
	out, err := exec.Command(binary, "admin", "create-key", "--name", "crash", "--scopes", "keys:read,keys:write,keys:revoke", "--db", db).CombinedOutput()
	if err != nil {
		t.Fatalf("admin create-key: %v: %s", err, out)
	}
	mgmt := mgmtSecretRE.FindString(string(out))
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	l := &ledger{}

	cycles := crashCycles(t)
	for cycle := range cycles + 1 {
		server := httpServer(t, db, "--key-limit", "1000000")
		addr := server.addr
		if cycle > 0 {
			checkLedger(t, db, addr, mgmt, l, cycle)
		}
		if cycle == cycles {
			break // the last start only checks the last crash
		}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				wrng := rand.New(rand.NewPCG(seed, uint64(cycle*100+w+2)))
				for {
					select {
					case <-stop:
						return
					default:
					}
					work(addr, mgmt, l, wrng)
				}
			}()
		}
		time.Sleep(time.Duration(50+rng.IntN(400)) * time.Millisecond)
		server.cmd.Process.Kill() // SIGKILL: no shutdown, no final checkpoint
		server.cmd.Wait()
		close(stop)
		wg.Wait()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	t.Logf("%d keys in the ledger, %d acknowledged changes", len(l.keys), len(l.acked))
	if len(l.acked) < crashCycles(t) {
		t.Fatalf("only %d acknowledged changes: the load did not run", len(l.acked))
	}
}

// work makes one call: a create, a rotation or a revocation, and records
// what its answer acknowledged.
func work(addr, mgmt string, l *ledger, rng *rand.Rand) {
	switch op := rng.IntN(10); {
	case op < 5:
		res, ok := toolCall(addr, mgmt, "create_api_key", map[string]any{"name": "crash", "application": "app" + strconv.Itoa(rng.IntN(3))})
		if !ok {
			return
		}
		k := &ledgerKey{id: res.Key.ID, secret: res.Secret}
		l.mu.Lock()
		l.keys = append(l.keys, k)
		l.acked = append(l.acked, audited{keystore.ActionCreate, k.id})
		l.mu.Unlock()
	case op < 8:
		k := l.pick(rng)
		if k == nil {
			return
		}
		res, ok := toolCall(addr, mgmt, "rotate_api_key", map[string]any{"key_id": k.id})
		l.mu.Lock()
		defer l.mu.Unlock()
		k.busy = false
		if !ok {
			k.pending = true
			return
		}
		k.revoked = true
		l.keys = append(l.keys, &ledgerKey{id: res.Key.ID, secret: res.Secret})
		l.acked = append(l.acked, audited{keystore.ActionRotate, k.id})
	default:
		k := l.pick(rng)
		if k == nil {
			return
		}
		_, ok := toolCall(addr, mgmt, "revoke_api_key", map[string]any{"key_id": k.id, "confirm": "REVOKE"})
		l.mu.Lock()
		defer l.mu.Unlock()
		k.busy = false
		if !ok {
			k.pending = true
			return
		}
		k.revoked = true
		l.acked = append(l.acked, audited{keystore.ActionRevoke, k.id})
	}
}

type toolResult struct {
	Key    keystore.Key `json:"key"`
	Secret string       `json:"secret"`
}

var crashClient = &http.Client{Timeout: 10 * time.Second}

// toolCall calls a tool over HTTP; ok is true only for a successful result,
// the one thing that acknowledges a change.
func toolCall(addr, mgmt, tool string, args map[string]any) (toolResult, bool) {
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "tools/call",
		"params": map[string]any{"name": tool, "arguments": args}})
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/mcp", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+mgmt)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	resp, err := crashClient.Do(req)
	if err != nil {
		return toolResult{}, false
	}
	defer resp.Body.Close()
	var msg struct {
		Result struct {
			IsError           bool       `json:"isError"`
			StructuredContent toolResult `json:"structuredContent"`
		} `json:"result"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&msg) != nil || msg.Result.IsError {
		return toolResult{}, false
	}
	return msg.Result.StructuredContent, true
}

// checkLedger checks the file after a crash, with the restarted server at
// addr answering the verifications (the test process runs under the race
// detector, which makes SQLite slow; the server does not).
func checkLedger(t *testing.T, db, addr, mgmt string, l *ledger, cycle int) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var integrity string
	if err := raw.QueryRow("PRAGMA integrity_check").Scan(&integrity); err != nil || integrity != "ok" {
		t.Fatalf("cycle %d: integrity_check %q, %v", cycle, integrity, err)
	}
	inAudit := map[audited]bool{}
	rows, err := raw.Query(`SELECT action, key_id FROM audit WHERE outcome = 'ok'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var a audited
		var keyID sql.NullString
		if err := rows.Scan(&a.action, &keyID); err != nil {
			t.Fatal(err)
		}
		a.keyID = keyID.String
		inAudit[a] = true
	}
	rows.Close()
	// Every change that committed, acknowledged or not, has its audit
	// entry: the entry is written in the change's own transaction.
	rows, err = raw.Query(`SELECT id, ifnull(rotated_from, ''), revoked_at IS NOT NULL AND replaced_by IS NULL
		FROM keys WHERE application <> 'keysmith'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, rotatedFrom string
		var revoked bool
		if err := rows.Scan(&id, &rotatedFrom, &revoked); err != nil {
			t.Fatal(err)
		}
		made := audited{keystore.ActionCreate, id}
		if rotatedFrom != "" {
			made = audited{keystore.ActionRotate, rotatedFrom}
		}
		if !inAudit[made] || (revoked && !inAudit[audited{keystore.ActionRevoke, id}]) {
			t.Fatalf("cycle %d: key %s changed without its audit entry", cycle, id)
		}
	}
	rows.Close()

	l.mu.Lock()
	defer l.mu.Unlock()
	for _, a := range l.acked {
		if !inAudit[a] {
			t.Fatalf("cycle %d: acknowledged %s of %s has no audit entry", cycle, a.action, a.keyID)
		}
	}
	keys := make(chan *ledgerKey)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var wrong []string
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range keys {
				status := verifyOverHTTP(addr, mgmt, k.secret)
				if (status == http.StatusOK) == k.revoked || (status != http.StatusOK && status != http.StatusUnauthorized) {
					mu.Lock()
					wrong = append(wrong, fmt.Sprintf("key %s: /v1/verify %d, acknowledged revoked=%v", k.id, status, k.revoked))
					mu.Unlock()
				}
			}
		}()
	}
	for _, k := range l.keys {
		if !k.pending {
			keys <- k
		}
	}
	close(keys)
	wg.Wait()
	if len(wrong) > 0 {
		t.Fatalf("cycle %d: %d keys in the wrong state, first: %s", cycle, len(wrong), wrong[0])
	}
}

func verifyOverHTTP(addr, mgmt, secret string) int {
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/verify", strings.NewReader(`{"key":"`+secret+`"}`))
	req.Header.Set("Authorization", "Bearer "+mgmt)
	resp, err := crashClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}
