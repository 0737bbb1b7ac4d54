package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/keysmith/keysmith/internal/testkit"
)

var (
	mgmtSecretRE = regexp.MustCompile(`ksm_[0-9A-Za-z]{46}`)
	listenRE     = regexp.MustCompile(`url=http://(127\.0\.0\.1:\d+)/mcp`)
)

// runningServer is a `keysmith http` process started by a test.
type runningServer struct {
	addr   string // host:port it listens on
	banner string // what it wrote to stderr up to the listening line
	cmd    *exec.Cmd
	log    *testkit.Buffer // everything it wrote to stderr
}

// httpServer runs `keysmith http` on a free loopback port.
func httpServer(t *testing.T, db string, args ...string) *runningServer {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"http", "--addr", "127.0.0.1:0", "--db", db}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	srv := &runningServer{cmd: cmd, log: &testkit.Buffer{}}
	lines := make(chan string, 1024) // the start-up lines; later ones only go to log
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			srv.log.Write([]byte(sc.Text() + "\n"))
			select {
			case lines <- sc.Text():
			default: // full: the test stopped reading after start-up
			}
		}
		close(lines)
	}()
	var b strings.Builder
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("keysmith http exited: %s", srv.log)
			}
			b.WriteString(line + "\n")
			if m := listenRE.FindStringSubmatch(line); m != nil {
				srv.addr, srv.banner = m[1], b.String()
				return srv
			}
		case <-timeout:
			t.Fatalf("keysmith http did not start: %s", srv.log)
		}
	}
}

// From `make run` (http --bootstrap) to an authenticated tool call with
// the key it prints; then the admin commands, from a second process on the
// same database, revoke that key and the server refuses it at once.
func TestHTTPBootstrapAndAdmin(t *testing.T) {
	db := filepath.Join(t.TempDir(), "keysmith.db")
	server := httpServer(t, db, "--bootstrap")
	addr, banner := server.addr, server.banner
	secrets := mgmtSecretRE.FindAllString(banner, -1)
	if len(secrets) != 2 || secrets[0] != secrets[1] {
		t.Fatalf("banner does not show one management key (in the text and the curl command): %s", banner)
	}
	key := secrets[0]
	if !strings.Contains(banner, "curl -s http://"+addr+"/mcp") {
		t.Fatalf("banner has no curl command for %s: %s", addr, banner)
	}

	// The curl command of the banner, as a newcomer would paste it.
	curl := regexp.MustCompile(`(?s)curl -s .*?\}\}'`).FindString(banner)
	out, err := exec.Command("sh", "-c", curl).CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"structuredContent":{"keys":[]}`) {
		t.Fatalf("banner's curl command: %v: %s", err, out)
	}

	c, err := client.NewStreamableHttpClient("http://"+addr+"/mcp", transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + key}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}
	created, isErr := call(t, c, "create_api_key", map[string]any{"name": "over http"})
	if isErr {
		t.Fatalf("create over HTTP: %v", created)
	}

	// Admin commands in another process on the same file.
	admin := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(binary, append([]string{"admin"}, append(args, "--db", db)...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("admin %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	made := admin("create-key", "--name", "billing-bot", "--scopes", "keys:read", "--application", "billing")
	if s := mgmtSecretRE.FindString(made); s == "" || !strings.Contains(made, "application billing") {
		t.Fatalf("create-key: %s", made)
	}
	list := admin("list-keys")
	if !strings.Contains(list, "bootstrap") || !strings.Contains(list, "billing-bot") || mgmtSecretRE.MatchString(list) {
		t.Fatalf("list-keys: %s", list)
	}
	bootstrapID := regexp.MustCompile(`(?m)^([0-9a-f-]{36})\s+bootstrap`).FindStringSubmatch(list)
	if bootstrapID == nil {
		t.Fatalf("no bootstrap key id in %s", list)
	}
	if out := admin("revoke-key", bootstrapID[1]); !strings.Contains(out, "Revoked") {
		t.Fatalf("revoke-key: %s", out)
	}

	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/verify", strings.NewReader(fmt.Sprintf(`{"key":%q}`, created["secret"])))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("a management key revoked by another process still works: %d", resp.StatusCode)
	}

	// Bad admin input names the flag and changes nothing.
	bad, err := exec.Command(binary, "admin", "create-key", "--name", "x", "--scopes", "keys:admin", "--db", db).CombinedOutput()
	if err == nil || !strings.Contains(string(bad), "--scopes") {
		t.Fatalf("bad scopes: %v: %s", err, bad)
	}

	// SIGTERM: a clean exit.
	server.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- server.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no exit within 15s of SIGTERM")
	}

	// A restart with --bootstrap creates no second key.
	if again := httpServer(t, db, "--bootstrap"); mgmtSecretRE.MatchString(again.banner) {
		t.Fatalf("second start printed a new key: %s", again.banner)
	}
}
