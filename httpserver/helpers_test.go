package httpserver

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	mcpgo "github.com/mark3labs/mcp-go/mcp"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/keysmith/keysmith/internal/testkit"
	"github.com/keysmith/keysmith/keystore"
	"github.com/keysmith/keysmith/tools"
)

var admin = keystore.Caller{Actor: "cli", Application: keystore.ReservedApplication, Scopes: keystore.ManagementScopes}

// harness is a keysmith HTTP server on 127.0.0.1 over a fresh SQLite file.
type harness struct {
	t       *testing.T
	store   *keystore.Store
	clock   *testkit.Clock
	url     string
	logs    *testkit.Buffer
	secrets []string // every secret seen, to search the logs for
}

func newHarness(t *testing.T, cfg keystore.Config, hcfg Config) *harness {
	t.Helper()
	clk := testkit.NewClock(time.Now().UTC())
	cfg.Path = filepath.Join(t.TempDir(), "keysmith.db")
	cfg.Now = clk.Now
	store, err := keystore.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	logs := &testkit.Buffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if hcfg.Now == nil {
		hcfg.Now = clk.Now
	}
	srv := New(store, tools.NewServer(store, "test", logger), logger, hcfg)
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return &harness{t: t, store: store, clock: clk, url: ts.URL, logs: logs}
}

// mgmtKey creates a management key as the admin would.
func (h *harness) mgmtKey(bound string, scopes ...string) (id, secret string) {
	h.t.Helper()
	out, err := h.store.Create(context.Background(), admin, keystore.CreateInput{Name: "test", Scopes: scopes, BoundApplication: bound})
	if err != nil {
		h.t.Fatal(err)
	}
	h.secrets = append(h.secrets, out.Secret)
	return out.Key.ID, out.Secret
}

// post sends a request with an optional bearer key and returns the status,
// headers and body.
func (h *harness) post(path, key, body string, header ...string) (int, http.Header, string) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.url+path, strings.NewReader(body))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" {
			req.Host = header[i+1] // net/http sends req.Host, not a Host header
			continue
		}
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// mcpClient is what the tests need of an MCP client: a tool call that
// returns the structured content and whether it is an error.
type mcpClient interface {
	call(name string, args map[string]any) (map[string]any, bool)
}

// mcpGoClient is mark3labs/mcp-go's Streamable HTTP client.
type mcpGoClient struct {
	t *testing.T
	c *client.Client
}

func (h *harness) mcpGo(key string) *mcpGoClient {
	h.t.Helper()
	c, err := client.NewStreamableHttpClient(h.url+"/mcp", transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + key}))
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { c.Close() })
	ctx := context.Background()
	if err := c.Start(ctx); err != nil {
		h.t.Fatal(err)
	}
	init := mcpgo.InitializeRequest{}
	init.Params.ProtocolVersion = mcpgo.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcpgo.Implementation{Name: "mcp-go-test", Version: "1"}
	if _, err := c.Initialize(ctx, init); err != nil {
		h.t.Fatalf("mcp-go initialize: %v", err)
	}
	return &mcpGoClient{t: h.t, c: c}
}

func (m *mcpGoClient) call(name string, args map[string]any) (map[string]any, bool) {
	m.t.Helper()
	req := mcpgo.CallToolRequest{}
	req.Params.Name, req.Params.Arguments = name, args
	res, err := m.c.CallTool(context.Background(), req)
	if err != nil {
		m.t.Fatalf("mcp-go %s: %v", name, err)
	}
	return asMap(m.t, res.StructuredContent), res.IsError
}

// sdkClient is the official Go SDK's Streamable HTTP client.
type sdkClient struct {
	t  *testing.T
	cs *sdk.ClientSession
}

type bearerTransport struct{ key string }

func (b bearerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.key)
	return http.DefaultTransport.RoundTrip(r)
}

func (h *harness) sdk(key string) *sdkClient {
	h.t.Helper()
	c := sdk.NewClient(&sdk.Implementation{Name: "go-sdk-test", Version: "1"}, nil)
	cs, err := c.Connect(context.Background(), &sdk.StreamableClientTransport{
		Endpoint:   h.url + "/mcp",
		HTTPClient: &http.Client{Transport: bearerTransport{key}},
		MaxRetries: -1,
	}, nil)
	if err != nil {
		h.t.Fatalf("go-sdk connect: %v", err)
	}
	h.t.Cleanup(func() { cs.Close() })
	return &sdkClient{t: h.t, cs: cs}
}

func (s *sdkClient) call(name string, args map[string]any) (map[string]any, bool) {
	s.t.Helper()
	res, err := s.cs.CallTool(context.Background(), &sdk.CallToolParams{Name: name, Arguments: args})
	if err != nil {
		s.t.Fatalf("go-sdk %s: %v", name, err)
	}
	return asMap(s.t, res.StructuredContent), res.IsError
}

func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("structured content %s: %v", raw, err)
	}
	return m
}

func errorCode(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}

// create makes a key through c and returns its id and secret.
func (h *harness) create(c mcpClient, args map[string]any) (id, secret string) {
	h.t.Helper()
	m, isErr := c.call("create_api_key", args)
	if isErr {
		h.t.Fatalf("create: %v", m)
	}
	secret = m["secret"].(string)
	h.secrets = append(h.secrets, secret)
	return m["key"].(map[string]any)["id"].(string), secret
}
