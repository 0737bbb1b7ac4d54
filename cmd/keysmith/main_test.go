package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/keysmith/keysmith/internal/testkit"
)

// binary is the keysmith binary built once for the end-to-end tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "keysmith-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "keysmith")
	build := exec.Command("go", "build", "-ldflags", "-X main.version=e2e-test", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build keysmith:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// stdioClient spawns `keysmith stdio` on the database and initializes an
// MCP session with it. The returned buffer collects the process's stderr.
func stdioClient(t *testing.T, db string, args ...string) (*client.Client, *testkit.Buffer) {
	t.Helper()
	c, err := client.NewStdioMCPClient(binary, []string{"KEYSMITH_DB=" + db, "HOME=" + t.TempDir()}, append([]string{"stdio", "--log-level", "debug"}, args...)...)
	if err != nil {
		t.Fatal(err)
	}
	stderr := &testkit.Buffer{}
	if r, ok := client.GetStderr(c); ok {
		go io.Copy(stderr, r)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "keysmith-e2e", Version: "1"}
	res, err := c.Initialize(ctx, init)
	if err != nil {
		t.Fatalf("initialize: %v (stderr: %s)", err, stderr)
	}
	if res.ServerInfo.Name != "keysmith" || res.ServerInfo.Version != "e2e-test" {
		t.Fatalf("server info %+v", res.ServerInfo)
	}
	return c, stderr
}

func call(t *testing.T, c *client.Client, name string, args map[string]any) (map[string]any, bool) {
	t.Helper()
	m, isErr, err := callTool(c, name, args)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m, isErr
}

// callTool calls a tool and returns its structured content and whether it
// is an error result; err is a protocol or transport failure.
func callTool(c *client.Client, name string, args map[string]any) (map[string]any, bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return nil, false, err
	}
	raw, _ := json.Marshal(res.StructuredContent)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, false, fmt.Errorf("structured content %s: %w", raw, err)
	}
	return m, res.IsError, nil
}

func errorCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// The real binary over stdio: the whole key lifecycle, data kept across a
// restart, nothing but protocol on stdout (the client would choke on
// anything else) and no secret in the logs.
func TestStdioEndToEnd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "data", "keysmith.db")
	c, stderr := stdioClient(t, db)

	tools, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil || len(tools.Tools) != 5 {
		t.Fatalf("tools/list: %d tools, %v", len(tools.Tools), err)
	}

	created, isErr := call(t, c, "create_api_key", map[string]any{"name": "e2e", "scopes": []string{"read"}, "expires_in": "7d"})
	if isErr {
		t.Fatalf("create: %v", created)
	}
	id := created["key"].(map[string]any)["id"].(string)
	secret := created["secret"].(string)
	if !regexp.MustCompile(`^ks_[0-9A-Za-z]{46}$`).MatchString(secret) {
		t.Fatalf("secret %q does not match the documented format", secret)
	}
	if v, _ := call(t, c, "verify_api_key", map[string]any{"key": secret}); v["valid"] != true {
		t.Fatalf("verify: %v", v)
	}
	other, _ := call(t, c, "create_api_key", map[string]any{"name": "stays"})
	otherSecret := other["secret"].(string)

	if m, isErr := call(t, c, "revoke_api_key", map[string]any{"key_id": id}); !isErr || errorCode(m) != "CONFIRMATION_REQUIRED" {
		t.Fatalf("unconfirmed revoke: %v", m)
	}
	if m, isErr := call(t, c, "revoke_api_key", map[string]any{"key_id": id, "confirm": "REVOKE"}); isErr || m["key"].(map[string]any)["status"] != "revoked" {
		t.Fatalf("revoke: %v", m)
	}
	if v, _ := call(t, c, "verify_api_key", map[string]any{"key": secret}); v["valid"] != false || v["code"] != "API_KEY_INVALID" {
		t.Fatalf("verify after revoke: %v", v)
	}
	if m, isErr := call(t, c, "rotate_api_key", map[string]any{"key_id": id}); !isErr || errorCode(m) != "KEY_NOT_ACTIVE" {
		t.Fatalf("rotate revoked: %v", m)
	}
	if m, isErr := call(t, c, "create_api_key", map[string]any{"name": ""}); !isErr || errorCode(m) != "VALIDATION_FAILED" {
		t.Fatalf("bad create: %v", m)
	}
	c.Close()

	// A new process on the same file sees everything acknowledged before.
	c2, stderr2 := stdioClient(t, db)
	if v, _ := call(t, c2, "verify_api_key", map[string]any{"key": otherSecret}); v["valid"] != true {
		t.Fatalf("key lost across restart: %v", v)
	}
	if v, _ := call(t, c2, "verify_api_key", map[string]any{"key": secret}); v["valid"] != false {
		t.Fatalf("revoke lost across restart: %v", v)
	}
	list, _ := call(t, c2, "list_api_keys", map[string]any{"status": "all"})
	if n := len(list["keys"].([]any)); n != 2 {
		t.Fatalf("list after restart: %d keys, want 2", n)
	}
	c2.Close()

	logs := stderr.String() + stderr2.String()
	if !strings.Contains(logs, "tool call") {
		t.Fatalf("no tool calls logged to stderr: %q", logs)
	}
	for _, s := range []string{secret, otherSecret} {
		if strings.Contains(logs, s) {
			t.Fatal("a secret reached the log")
		}
	}
	info, err := os.Stat(filepath.Dir(db))
	if err != nil || info.Mode().Perm() != 0o700 {
		t.Fatalf("database directory: %v, %v", info, err)
	}
}

func TestDefaultDatabasePath(t *testing.T) {
	data := t.TempDir()
	c, err := client.NewStdioMCPClient(binary, []string{"XDG_DATA_HOME=" + data, "HOME=" + t.TempDir()}, "stdio")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	if _, err := c.Initialize(context.Background(), init); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(data, "keysmith", "keysmith.db")); err != nil {
		t.Fatalf("database not under $XDG_DATA_HOME/keysmith: %v", err)
	}
}

func TestCommands(t *testing.T) {
	tests := []struct {
		args    []string
		wantOut string
		wantErr bool
	}{
		{[]string{"version"}, "keysmith e2e-test\n", false},
		{[]string{}, "", true},
		{[]string{"bogus"}, "", true},
		{[]string{"stdio", "--max-lifetime", "2y"}, "", true},
		{[]string{"stdio", "--max-lifetime", "0d"}, "", true},
		{[]string{"stdio", "--prefix", "KS"}, "", true},
		{[]string{"stdio", "--key-limit", "0"}, "", true},
		{[]string{"stdio", "extra"}, "", true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			cmd := exec.Command(binary, tt.args...)
			cmd.Env = []string{"KEYSMITH_DB=" + filepath.Join(t.TempDir(), "k.db")}
			cmd.Stdin = strings.NewReader("")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, want error %v; stderr %s", err, tt.wantErr, stderr.String())
			}
			if tt.wantOut != "" && stdout.String() != tt.wantOut {
				t.Fatalf("stdout %q, want %q", stdout.String(), tt.wantOut)
			}
			if tt.wantErr && (stdout.Len() != 0 || stderr.Len() == 0) {
				t.Fatalf("an error must go to stderr only: stdout %q stderr %q", stdout.String(), stderr.String())
			}
		})
	}
}
