package tools

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/keysmith/keysmith/internal/testkit"
	"github.com/keysmith/keysmith/keystore"
)

// env is a real keysmith MCP server on a fresh SQLite file, reached through
// mcp-go's in-process client: every call goes through JSON-RPC encoding and
// the server's dispatch, as it would from an editor.
type env struct {
	t       testing.TB
	client  *client.Client
	clock   *testkit.Clock
	dbPath  string
	tools   map[string]json.RawMessage    // definitions as on the wire
	schemas map[string]*jsonschema.Schema // output schema per tool
	caller  keystore.Caller
	logs    *testkit.Buffer
	ids     map[string]string // id -> placeholder, see normalize
}

func newEnv(t testing.TB, cfg keystore.Config) *env {
	t.Helper()
	clk := testkit.NewClock(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	cfg.Path = filepath.Join(t.TempDir(), "keysmith.db")
	cfg.Now = clk.Now
	store, err := keystore.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	logs := &testkit.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	srv := NewServer(store, "test", logger)
	c, err := client.NewInProcessClient(srv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "keysmith-test", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		t.Fatal(err)
	}

	e := &env{t: t, client: c, clock: clk, dbPath: cfg.Path, schemas: map[string]*jsonschema.Schema{},
		caller: keystore.Caller{Actor: "stdio", Scopes: keystore.ManagementScopes}, logs: logs, ids: map[string]string{}}
	e.tools = wireTools(t, srv)
	for name, raw := range e.tools {
		var tool struct {
			OutputSchema json.RawMessage `json:"outputSchema"`
		}
		if err := json.Unmarshal(raw, &tool); err != nil {
			t.Fatal(err)
		}
		e.schemas[name] = compileSchema(t, tool.OutputSchema)
	}
	return e
}

// wireTools returns each tool's definition exactly as tools/list puts it on
// the wire. (mcp-go's client parses output schemas into a struct that keeps
// only some keywords, so its view is not what other clients see.)
func wireTools(t testing.TB, srv *server.MCPServer) map[string]json.RawMessage {
	t.Helper()
	resp := srv.HandleMessage(context.Background(), []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
	raw, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct {
		Result struct {
			Tools []json.RawMessage `json:"tools"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &msg); err != nil || len(msg.Result.Tools) == 0 {
		t.Fatalf("tools/list: %s, %v", raw, err)
	}
	out := map[string]json.RawMessage{}
	for _, tool := range msg.Result.Tools {
		var named struct{ Name string }
		if err := json.Unmarshal(tool, &named); err != nil {
			t.Fatal(err)
		}
		out[named.Name] = tool
	}
	return out
}

func compileSchema(t testing.TB, raw json.RawMessage) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource("output.json", doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("output.json")
	if err != nil {
		t.Fatalf("output schema does not compile: %v", err)
	}
	return s
}

// call calls a tool as e.caller, checks the result against the tool's output
// schema (as the TypeScript SDK does, error results included) and returns it.
func (e *env) call(name string, args any) *mcp.CallToolResult {
	e.t.Helper()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := e.client.CallTool(keystore.NewContext(context.Background(), e.caller), req)
	if err != nil {
		e.t.Fatalf("%s: protocol error %v", name, err)
	}
	if res.StructuredContent == nil {
		e.t.Fatalf("%s: no structured content", name)
	}
	raw, _ := json.Marshal(res.StructuredContent)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.schemas[name].Validate(inst); err != nil {
		e.t.Fatalf("%s: structured content %s does not match the output schema: %v", name, raw, err)
	}
	if len(res.Content) != 1 {
		e.t.Fatalf("%s: %d content items, want one text", name, len(res.Content))
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	if tc, ok := res.Content[0].(mcp.TextContent); ok {
		return tc.Text
	}
	return ""
}

// structured returns the structured content as a generic JSON value.
func structured(t testing.TB, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(res.StructuredContent)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

var (
	uuidRE   = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	secretRE = regexp.MustCompile(`ks_[0-9A-Za-z]{46}`)
	hintRE   = regexp.MustCompile(`ks_[0-9A-Za-z]{4}…[0-9A-Za-z]{4}`)
)

// normalize makes a result comparable: ids become <id1>, <id2>… in the
// order the test first saw them, secrets <secret> and hints <hint>.
func (e *env) normalize(s string) string {
	s = uuidRE.ReplaceAllStringFunc(s, func(id string) string {
		if _, ok := e.ids[id]; !ok {
			e.ids[id] = "<id" + strconv.Itoa(len(e.ids)+1) + ">"
		}
		return e.ids[id]
	})
	s = secretRE.ReplaceAllString(s, "<secret>")
	return hintRE.ReplaceAllString(s, "<hint>")
}

// wantResult compares the whole result, structured content and text, after
// normalize, with want: a JSON document {"isError", "structuredContent", "text"}.
func (e *env) wantResult(res *mcp.CallToolResult, want string) {
	e.t.Helper()
	got, _ := json.Marshal(map[string]any{
		"isError":           res.IsError,
		"structuredContent": res.StructuredContent,
		"text":              text(res),
	})
	var gotV, wantV any
	if err := json.Unmarshal([]byte(e.normalize(string(got))), &gotV); err != nil {
		e.t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(want), &wantV); err != nil {
		e.t.Fatalf("bad want JSON: %v", err)
	}
	g, _ := json.MarshalIndent(gotV, "", "  ")
	w, _ := json.MarshalIndent(wantV, "", "  ")
	if string(g) != string(w) {
		e.t.Fatalf("result differs\n got: %s\nwant: %s", g, w)
	}
}

// wantError checks an error result: isError, its code, its text starting
// with the code, and (for VALIDATION_FAILED) a detail naming field.
func (e *env) wantError(res *mcp.CallToolResult, code, field string) map[string]any {
	e.t.Helper()
	if !res.IsError {
		e.t.Fatalf("want %s error, got success: %s", code, text(res))
	}
	body, _ := structured(e.t, res)["error"].(map[string]any)
	if body["code"] != code {
		e.t.Fatalf("code %v (%v), want %s", body["code"], body["message"], code)
	}
	if !strings.HasPrefix(text(res), code+": ") {
		e.t.Fatalf("text %q does not start with the code", text(res))
	}
	if field != "" {
		found := false
		for _, d := range body["details"].([]any) {
			if d.(map[string]any)["field"] == field {
				found = true
			}
		}
		if !found {
			e.t.Fatalf("details %v do not name %q", body["details"], field)
		}
	}
	return body
}

// dbDigest hashes every row of every table through a separate connection,
// to show that a call changed nothing stored.
func (e *env) dbDigest() string {
	e.t.Helper()
	db, err := sql.Open("sqlite", "file:"+e.dbPath+"?mode=ro")
	if err != nil {
		e.t.Fatal(err)
	}
	defer db.Close()
	h := sha256.New()
	for _, table := range []string{"keys", "audit"} {
		rows, err := db.Query(`SELECT * FROM ` + table + ` ORDER BY seq`)
		if err != nil {
			e.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				e.t.Fatal(err)
			}
			for _, v := range vals {
				h.Write(v)
				h.Write([]byte{0})
			}
		}
		rows.Close()
	}
	return hex.EncodeToString(h.Sum(nil))
}

// create makes a key through the tool and returns its id and secret.
func (e *env) create(args map[string]any) (id, secret string) {
	e.t.Helper()
	res := e.call("create_api_key", args)
	if res.IsError {
		e.t.Fatalf("create: %s", text(res))
	}
	m := structured(e.t, res)
	return m["key"].(map[string]any)["id"].(string), m["secret"].(string)
}
