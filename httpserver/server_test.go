package httpserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keysmith/keysmith/keystore"
	"github.com/keysmith/keysmith/tools"
)

const initialize = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}`

// The whole lifecycle through two independent client implementations.
func TestLifecycleWithTwoClients(t *testing.T) {
	h := newHarness(t, keystore.Config{}, Config{})
	mgmtID, key := h.mgmtKey("", keystore.ManagementScopes...)
	for name, c := range map[string]mcpClient{"mcp-go": h.mcpGo(key), "go-sdk": h.sdk(key)} {
		t.Run(name, func(t *testing.T) {
			app := "app-" + name
			id, secret := h.create(c, map[string]any{"name": "svc", "application": app, "scopes": []string{"read"}})
			if m, _ := c.call("verify_api_key", map[string]any{"key": secret}); m["valid"] != true {
				t.Fatalf("verify: %v", m)
			}
			m, _ := c.call("list_api_keys", map[string]any{"application": app})
			if keys := m["keys"].([]any); len(keys) != 1 {
				t.Fatalf("list: %v", m)
			}
			if m, isErr := c.call("revoke_api_key", map[string]any{"key_id": id}); !isErr || errorCode(m) != keystore.EConfirmation {
				t.Fatalf("unconfirmed revoke: %v", m)
			}
			m, isErr := c.call("rotate_api_key", map[string]any{"key_id": id, "grace_period": "1h"})
			if isErr {
				t.Fatalf("rotate: %v", m)
			}
			newID := m["key"].(map[string]any)["id"].(string)
			h.secrets = append(h.secrets, m["secret"].(string))
			if m, isErr := c.call("revoke_api_key", map[string]any{"key_id": newID, "confirm": "REVOKE"}); isErr {
				t.Fatalf("revoke: %v", m)
			}
			if m, isErr := c.call("create_api_key", map[string]any{"name": ""}); !isErr || errorCode(m) != keystore.EValidation {
				t.Fatalf("bad create: %v", m)
			}
		})
	}

	trail, err := h.store.AuditTrail(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var byKey int
	for _, e := range trail {
		if e.Actor == mgmtID {
			byKey++
		}
	}
	if byKey != 6 { // per client: create, rotate, revoke
		t.Fatalf("%d audit entries by the management key, want 6: %+v", byKey, trail)
	}
	for _, s := range h.secrets {
		if strings.Contains(h.logs.String(), s) {
			t.Fatal("a secret reached the server log")
		}
	}
}

func TestUnauthorized(t *testing.T) {
	h := newHarness(t, keystore.Config{}, Config{})
	_, revoked := h.mgmtKey("", keystore.ManagementScopes...)
	revokedID, _ := h.store.List(context.Background(), admin, keystore.ListInput{})
	if _, err := h.store.Revoke(context.Background(), admin, keystore.RevokeInput{KeyID: revokedID.Keys[0].ID, Confirm: keystore.ConfirmRevoke}); err != nil {
		t.Fatal(err)
	}
	out, err := h.store.Create(context.Background(), admin, keystore.CreateInput{Name: "short", Scopes: keystore.ManagementScopes, ExpiresIn: "1h"})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Hour)
	expired := out.Secret
	issued, err := h.store.Create(context.Background(), keystore.Caller{Actor: "t", Scopes: keystore.ManagementScopes}, keystore.CreateInput{Name: "issued"})
	if err != nil {
		t.Fatal(err)
	}
	_, valid := h.mgmtKey("", keystore.ManagementScopes...)
	typo := valid[:len(valid)-1] + string(valid[len(valid)-1]^1)

	headers := map[string]string{
		"missing":            "",
		"basic":              "Basic dXNlcjpwYXNz",
		"empty bearer":       "Bearer ",
		"malformed":          "Bearer not-a-key",
		"typo":               "Bearer " + typo,
		"unknown":            "Bearer ksm_" + strings.Repeat("a", 46),
		"revoked":            "Bearer " + revoked,
		"expired":            "Bearer " + expired,
		"issued, not mgmt":   "Bearer " + issued.Secret,
		"key without scheme": valid,
	}
	for name, header := range headers {
		for _, path := range []string{"/mcp", "/v1/verify"} {
			t.Run(name+" "+path, func(t *testing.T) {
				h.clock.Advance(failureWindow) // stay under the failed-authentication limit
				status, hdr, body := h.post(path, "", initialize, "Authorization", header)
				if status != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401: %s", status, body)
				}
				if got := hdr.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") || strings.Contains(got, "resource_metadata") {
					t.Fatalf("WWW-Authenticate %q", got)
				}
				var e map[string]string
				if err := json.Unmarshal([]byte(body), &e); err != nil || e["error"] != "Unauthorized" || e["code"] != keystore.EUnauthorized || e["message"] == "" {
					t.Fatalf("body %s", body)
				}
			})
		}
	}
	// No OAuth discovery metadata: clients that found it would drop the bearer header.
	resp, err := http.Get(h.url + "/.well-known/oauth-protected-resource")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("oauth-protected-resource: %d", resp.StatusCode)
	}
	// Each refusal is in the audit trail.
	trail, _ := h.store.AuditTrail(context.Background())
	refused := 0
	for _, e := range trail {
		if e.Action == keystore.ActionAuthenticate && e.Outcome == keystore.EUnauthorized {
			refused++
		}
	}
	if refused != 2*len(headers) {
		t.Fatalf("%d refusals audited, want %d", refused, 2*len(headers))
	}
	// The valid key does work.
	if status, _, body := h.post("/mcp", valid, initialize); status != http.StatusOK {
		t.Fatalf("valid key: %d %s", status, body)
	}
}

// Repeated failed authentication from one address is slowed down with 429;
// a valid key from the same address still works, and the refusals past the
// limit do not fill the audit trail.
func TestFailedAuthenticationIsSlowed(t *testing.T) {
	h := newHarness(t, keystore.Config{}, Config{})
	_, key := h.mgmtKey("", keystore.ManagementScopes...)
	for i := range maxFailures {
		if status, _, _ := h.post("/mcp", "ksm_guess"+strconv.Itoa(i), initialize); status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, status)
		}
	}
	audited := func() int {
		trail, _ := h.store.AuditTrail(context.Background())
		n := 0
		for _, e := range trail {
			if e.Action == keystore.ActionAuthenticate {
				n++
			}
		}
		return n
	}
	before := audited()
	for range 5 {
		status, hdr, body := h.post("/mcp", "ksm_guess", initialize)
		if status != http.StatusTooManyRequests || hdr.Get("Retry-After") == "" {
			t.Fatalf("past the limit: %d Retry-After %q: %s", status, hdr.Get("Retry-After"), body)
		}
		if secs, err := strconv.Atoi(hdr.Get("Retry-After")); err != nil || secs < 1 || secs > 61 {
			t.Fatalf("Retry-After %q", hdr.Get("Retry-After"))
		}
	}
	if audited() != before {
		t.Fatal("refusals past the limit were audited")
	}
	// Another client on the same address, with a valid key, is not affected.
	for name, c := range map[string]mcpClient{"mcp-go": h.mcpGo(key), "go-sdk": h.sdk(key)} {
		if m, isErr := c.call("list_api_keys", map[string]any{}); isErr {
			t.Fatalf("%s with a valid key during the block: %v", name, m)
		}
	}
	h.clock.Advance(failureWindow)
	if status, _, _ := h.post("/mcp", "ksm_guess", initialize); status != http.StatusUnauthorized {
		t.Fatalf("after the window: %d, want 401 again", status)
	}
}

// A client that sends its headers too slowly is cut off; others are served
// meanwhile.
func TestSlowHeadersAreCutOff(t *testing.T) {
	store, err := keystore.Open(context.Background(), keystore.Config{Path: filepath.Join(t.TempDir(), "k.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := New(store, tools.NewServer(store, "test", logger), logger, Config{ReadHeaderTimeout: 300 * time.Millisecond})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go srv.Serve(ctx, ln)

	slow, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	if _, err := slow.Write([]byte("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")); err != nil {
		t.Fatal(err)
	}
	// Meanwhile another client is served.
	resp, err := http.Get("http://" + ln.Addr().String() + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("other client during the slow one: %v %v", resp, err)
	}
	resp.Body.Close()
	// The slow client is cut off once its time is up.
	slow.SetReadDeadline(time.Now().Add(5 * time.Second))
	start := time.Now()
	buf := make([]byte, 512)
	for {
		if _, err := slow.Read(buf); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatal("the slow client was not cut off")
			}
			break // closed by the server
		}
	}
	if time.Since(start) > 3*time.Second {
		t.Fatalf("cut off only after %s", time.Since(start))
	}
}

func TestForbiddenWithoutScope(t *testing.T) {
	h := newHarness(t, keystore.Config{}, Config{})
	_, all := h.mgmtKey("", keystore.ManagementScopes...)
	id, secret := h.create(h.mcpGo(all), map[string]any{"name": "target"})

	tests := []struct {
		tool  string
		args  map[string]any
		lacks []string // scopes of the key used: everything but the one needed
	}{
		{"create_api_key", map[string]any{"name": "x"}, []string{keystore.ScopeRead, keystore.ScopeRevoke}},
		{"rotate_api_key", map[string]any{"key_id": id}, []string{keystore.ScopeRead, keystore.ScopeRevoke}},
		{"revoke_api_key", map[string]any{"key_id": id, "confirm": "REVOKE"}, []string{keystore.ScopeRead, keystore.ScopeWrite}},
		{"list_api_keys", map[string]any{}, []string{keystore.ScopeWrite, keystore.ScopeRevoke}},
		{"verify_api_key", map[string]any{"key": secret}, []string{keystore.ScopeWrite, keystore.ScopeRevoke}},
	}
	for _, tt := range tests {
		t.Run(tt.tool, func(t *testing.T) {
			_, key := h.mgmtKey("", tt.lacks...)
			for name, c := range map[string]mcpClient{"mcp-go": h.mcpGo(key), "go-sdk": h.sdk(key)} {
				m, isErr := c.call(tt.tool, tt.args)
				if !isErr || errorCode(m) != keystore.EForbidden {
					t.Fatalf("%s: %v", name, m)
				}
			}
		})
	}
	// Nothing changed: the target still works and nothing new exists.
	if status, _, body := h.post("/v1/verify", all, fmt.Sprintf(`{"key":%q}`, secret)); status != http.StatusOK {
		t.Fatalf("target after forbidden calls: %d %s", status, body)
	}
	page, _ := h.store.List(context.Background(), keystore.Caller{Scopes: keystore.ManagementScopes}, keystore.ListInput{Status: keystore.StatusAll})
	if len(page.Keys) != 1 {
		t.Fatalf("%d keys after forbidden calls, want 1", len(page.Keys))
	}
}

// A management key bound to one application acts there alone.
func TestBoundKey(t *testing.T) {
	h := newHarness(t, keystore.Config{}, Config{})
	_, all := h.mgmtKey("", keystore.ManagementScopes...)
	_, billingKey := h.mgmtKey("billing", keystore.ManagementScopes...)
	webID, webSecret := h.create(h.mcpGo(all), map[string]any{"name": "web", "application": "web"})

	for name, c := range map[string]mcpClient{"mcp-go": h.mcpGo(billingKey), "go-sdk": h.sdk(billingKey)} {
		t.Run(name, func(t *testing.T) {
			m, isErr := c.call("create_api_key", map[string]any{"name": "own"})
			if isErr || m["key"].(map[string]any)["application"] != "billing" {
				t.Fatalf("create in own application: %v", m)
			}
			h.secrets = append(h.secrets, m["secret"].(string))
			for _, tt := range []struct {
				tool string
				args map[string]any
				code string
			}{
				{"create_api_key", map[string]any{"name": "x", "application": "web"}, keystore.EForbidden},
				{"list_api_keys", map[string]any{"application": "web"}, keystore.EForbidden},
				{"revoke_api_key", map[string]any{"key_id": webID, "confirm": "REVOKE"}, keystore.ENotFound},
				{"rotate_api_key", map[string]any{"key_id": webID}, keystore.ENotFound},
			} {
				if m, isErr := c.call(tt.tool, tt.args); !isErr || errorCode(m) != tt.code {
					t.Fatalf("%s %v: %v, want %s", tt.tool, tt.args, m, tt.code)
				}
			}
			m, _ = c.call("list_api_keys", map[string]any{"status": "all"})
			for _, k := range m["keys"].([]any) {
				if app := k.(map[string]any)["application"]; app != "billing" {
					t.Fatalf("bound list shows application %v", app)
				}
			}
			if m, _ := c.call("verify_api_key", map[string]any{"key": webSecret}); m["valid"] != false {
				t.Fatalf("bound key verified another application's key: %v", m)
			}
		})
	}
	if status, _, _ := h.post("/v1/verify", billingKey, fmt.Sprintf(`{"key":%q}`, webSecret)); status != http.StatusUnauthorized {
		t.Fatalf("/v1/verify of another application's key by a bound key: %d", status)
	}
}

func TestOrigin(t *testing.T) {
	h := newHarness(t, keystore.Config{}, Config{AllowedOrigins: []string{"https://console.example.com"}})
	_, key := h.mgmtKey("", keystore.ManagementScopes...)
	for origin, want := range map[string]int{
		"":                              http.StatusOK,
		"http://localhost:6274":         http.StatusOK,
		"http://127.0.0.1:3000":         http.StatusOK,
		"http://[::1]:8080":             http.StatusOK,
		"https://console.example.com":   http.StatusOK,
		"https://evil.example":          http.StatusForbidden,
		"http://localhost.evil.example": http.StatusForbidden,
		"null":                          http.StatusForbidden,
		"file://":                       http.StatusForbidden,
	} {
		status, _, body := h.post("/mcp", key, initialize, "Origin", origin)
		if status != want {
			t.Errorf("Origin %q: %d, want %d (%s)", origin, status, want, body)
		}
	}
	// A rebinding page sends its own name as Host: refused too.
	if status, _, _ := h.post("/mcp", key, initialize, "Host", "evil.example:8080"); status != http.StatusForbidden {
		t.Errorf("foreign Host on loopback: %d, want 403", status)
	}
	if status, _, _ := h.post("/v1/verify", key, `{"key":"x"}`, "Origin", "https://evil.example"); status != http.StatusForbidden {
		t.Errorf("/v1/verify from a foreign origin: %d", status)
	}
}

func TestBodyLimit(t *testing.T) {
	h := newHarness(t, keystore.Config{}, Config{})
	_, key := h.mgmtKey("", keystore.ManagementScopes...)
	big := `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"` + strings.Repeat("x", 2<<20) + `"}}`
	for _, path := range []string{"/mcp", "/v1/verify"} {
		if status, _, body := h.post(path, key, big); status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s with 2 MiB: %d, want 413 (%s)", path, status, body)
		}
		// Without a declared length (chunked) the answer is the same.
		req, _ := http.NewRequest(http.MethodPost, h.url+path, io.MultiReader(strings.NewReader(big)))
		req.ContentLength = -1
		req.Header.Set("Authorization", "Bearer "+key)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("%s chunked 2 MiB: %d, want 413", path, resp.StatusCode)
		}
	}
	// Just under the cap is served.
	ok := `{"key":"` + strings.Repeat("x", MaxBodyBytes-20) + `"}`
	if status, _, _ := h.post("/v1/verify", key, ok); status != http.StatusUnauthorized {
		t.Errorf("a body under 1 MiB: %d, want an answer (401 for a bad key)", status)
	}
}

func TestVerifyEndpoint(t *testing.T) {
	h := newHarness(t, keystore.Config{}, Config{})
	_, key := h.mgmtKey("", keystore.ManagementScopes...)
	c := h.mcpGo(key)
	id, secret := h.create(c, map[string]any{"name": "svc", "scopes": []string{"read"}, "expires_in": "1h"})
	_, other := h.create(c, map[string]any{"name": "other"})

	status, _, body := h.post("/v1/verify", key, fmt.Sprintf(`{"key":%q}`, secret))
	var ok struct {
		Valid bool         `json:"valid"`
		Key   keystore.Key `json:"key"`
	}
	if err := json.Unmarshal([]byte(body), &ok); status != http.StatusOK || err != nil || !ok.Valid || ok.Key.ID != id || ok.Key.Name != "svc" {
		t.Fatalf("valid key: %d %s", status, body)
	}
	if strings.Contains(body, "digest") || strings.Contains(body, secret) {
		t.Fatalf("verify answer carries a digest or the secret: %s", body)
	}

	if m, isErr := c.call("revoke_api_key", map[string]any{"key_id": id, "confirm": "REVOKE"}); isErr {
		t.Fatalf("revoke: %v", m)
	}
	_, _, revokedBody := h.post("/v1/verify", key, fmt.Sprintf(`{"key":%q}`, secret))
	want := `{"code":"API_KEY_INVALID","error":"Unauthorized","message":"the key is not valid"}` + "\n"
	if revokedBody != want {
		t.Fatalf("right after revoke: %s, want %s", revokedBody, want)
	}
	if status, _, _ := h.post("/v1/verify", key, fmt.Sprintf(`{"key":%q}`, other)); status != http.StatusOK {
		t.Fatalf("the application's other key stopped: %d", status)
	}

	_, expiring := h.create(c, map[string]any{"name": "expiring", "expires_in": "1h"})
	h.clock.Advance(time.Hour)
	for name, k := range map[string]string{
		"expired": expiring, "unknown": "ks_" + strings.Repeat("A", 46), "malformed": "hello", "empty": "",
		"typo": other[:len(other)-1] + string(other[len(other)-1]^1), "management key": key,
	} {
		status, _, body := h.post("/v1/verify", key, fmt.Sprintf(`{"key":%q}`, k))
		if status != http.StatusUnauthorized || body != want {
			t.Errorf("%s: %d %s", name, status, body)
		}
	}
	for _, bad := range []string{``, `{`, `[]`, `"ks_x"`, `{"key":5}`, `{"kee":"x"}`, `{"key":"x"} {}`, `{"key":"x"}}`, `{"key":"x"}]`, `{"key":null}`} {
		if status, _, body := h.post("/v1/verify", key, bad); status != http.StatusBadRequest {
			t.Errorf("body %q: %d %s, want 400", bad, status, body)
		}
	}
	_, writer := h.mgmtKey("", keystore.ScopeWrite)
	if status, _, body := h.post("/v1/verify", writer, `{"key":"x"}`); status != http.StatusForbidden || !strings.Contains(body, keystore.EForbidden) {
		t.Fatalf("verify without keys:read: %d %s", status, body)
	}
}

// race makes the same call from n clients at once, alternating between the
// two client implementations, and counts the outcomes by error code ("" for
// success).
func (h *harness) race(key string, n int, tool string, args map[string]any) map[string]int {
	h.t.Helper()
	cs := make([]mcpClient, n)
	for i := range cs {
		if i%2 == 0 {
			cs[i] = h.mcpGo(key)
		} else {
			cs[i] = h.sdk(key)
		}
	}
	var wg sync.WaitGroup
	codes := make([]string, n)
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m, _ := c.call(tool, args)
			codes[i] = errorCode(m)
		}()
	}
	wg.Wait()
	count := map[string]int{}
	for _, code := range codes {
		count[code]++
	}
	return count
}

func TestConcurrentRotations(t *testing.T) {
	h := newHarness(t, keystore.Config{}, Config{})
	_, key := h.mgmtKey("", keystore.ManagementScopes...)
	id, _ := h.create(h.mcpGo(key), map[string]any{"name": "contended"})
	got := h.race(key, 8, "rotate_api_key", map[string]any{"key_id": id})
	if want := map[string]int{"": 1, keystore.EAlreadyRotate: 7}; !maps.Equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
}

func TestConcurrentCreatesHoldTheLimit(t *testing.T) {
	h := newHarness(t, keystore.Config{}, Config{})
	_, key := h.mgmtKey("", keystore.ManagementScopes...)
	got := h.race(key, 24, "create_api_key", map[string]any{"name": "parallel", "application": "crowded"})
	if want := map[string]int{"": keystore.DefaultKeyLimit, keystore.ELimit: 24 - keystore.DefaultKeyLimit}; !maps.Equal(got, want) {
		t.Fatalf("outcomes %v, want %v", got, want)
	}
}

func TestHealthz(t *testing.T) {
	h := newHarness(t, keystore.Config{}, Config{})
	resp, err := http.Get(h.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(body) != `{"status":"ok"}`+"\n" {
		t.Fatalf("healthz: %d %s", resp.StatusCode, body)
	}
}

// Serve stops when its context ends, finishing a call in flight.
func TestServeShutsDownGracefully(t *testing.T) {
	store, err := keystore.Open(context.Background(), keystore.Config{Path: filepath.Join(t.TempDir(), "k.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	slow := &slowStore{Store: store, entered: make(chan struct{}), release: make(chan struct{})}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := New(slow, tools.NewServer(store, "test", logger), logger, Config{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()

	mgmt, err := store.Create(context.Background(), admin, keystore.CreateInput{Name: "m", Scopes: keystore.ManagementScopes})
	if err != nil {
		t.Fatal(err)
	}
	answered := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, "http://"+ln.Addr().String()+"/v1/verify", strings.NewReader(`{"key":"x"}`))
		req.Header.Set("Authorization", "Bearer "+mgmt.Secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			answered <- 0
			return
		}
		resp.Body.Close()
		answered <- resp.StatusCode
	}()
	<-slow.entered // the request is in flight
	cancel()
	time.Sleep(50 * time.Millisecond)
	close(slow.release)
	if status := <-answered; status != http.StatusUnauthorized {
		t.Fatalf("in-flight request: %d, want its answer (401 for a bad key)", status)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Fatal("still accepting connections after shutdown")
	}
}

// slowStore holds a verification until released, to have a call in flight.
type slowStore struct {
	*keystore.Store
	entered chan struct{}
	release chan struct{}
}

func (s *slowStore) Verify(ctx context.Context, c keystore.Caller, secret string) (keystore.Verification, error) {
	close(s.entered)
	<-s.release
	return s.Store.Verify(ctx, c, secret)
}

// Malformed JSON-RPC gets a protocol error or a 4xx, never a 5xx or a
// crash, and changes nothing.
func TestMalformedJSONRPC(t *testing.T) {
	h := newHarness(t, keystore.Config{}, Config{})
	_, key := h.mgmtKey("", keystore.ManagementScopes...)
	h.create(h.mcpGo(key), map[string]any{"name": "existing"})
	state := func() string {
		page, err := h.store.List(context.Background(), keystore.Caller{Scopes: keystore.ManagementScopes}, keystore.ListInput{Status: keystore.StatusAll})
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(page)
		return string(raw)
	}
	before := state()
	for _, body := range []string{
		``, `{`, `null`, `[]`, `"ping"`, `{"jsonrpc":"2.0"}`,
		`[{"jsonrpc":"2.0","id":1,"method":"ping"}]`,
		`{"jsonrpc":"1.0","id":1,"method":"ping"}`,
		`{"jsonrpc":"2.0","id":1,"method":"no/such/method"}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":"x"}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"no_such_tool"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_api_key","arguments":"name=x"}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_api_key","arguments":{"name":{"$gt":""}}}}`,
		`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"create_api_key","arguments":{"name":"x","name":"` + strings.Repeat("y", 200) + `"}}}`,
		strings.Repeat(`[`, 100_000),
	} {
		status, _, resp := h.post("/mcp", key, body)
		if status >= 500 {
			t.Errorf("body %.60q: %d %s", body, status, resp)
		}
		if status == http.StatusOK && !strings.Contains(resp, `"error"`) && !strings.Contains(resp, `"isError":true`) {
			t.Errorf("body %.60q answered as a success: %s", body, resp)
		}
	}
	if status, _, _ := h.post("/mcp", key, `{"jsonrpc":"2.0","id":1,"method":"ping"}`, "Content-Type", "text/plain"); status != http.StatusBadRequest {
		t.Errorf("wrong content type: %d, want 400", status)
	}
	if state() != before {
		t.Fatal("malformed requests changed stored keys")
	}
	if status, _, body := h.post("/mcp", key, initialize); status != http.StatusOK {
		t.Fatalf("server no longer answers: %d %s", status, body)
	}
}
