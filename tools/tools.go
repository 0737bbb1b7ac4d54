// Package tools is keysmith's MCP surface: the five key tools, their
// definitions written for a model, and the mapping of keystore outcomes to
// tool results. Transports (stdio, HTTP) serve the server built here.
package tools

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/keysmith/keysmith/keystore"
)

// Store is what the tools need of the key store.
type Store interface {
	Create(ctx context.Context, c keystore.Caller, in keystore.CreateInput) (keystore.Created, error)
	List(ctx context.Context, c keystore.Caller, in keystore.ListInput) (keystore.Page, error)
	Revoke(ctx context.Context, c keystore.Caller, in keystore.RevokeInput) (keystore.Revoked, error)
	Rotate(ctx context.Context, c keystore.Caller, in keystore.RotateInput) (keystore.Rotated, error)
	Verify(ctx context.Context, c keystore.Caller, secret string) (keystore.Verification, error)
}

const instructions = `keysmith manages API keys for the user's services: create, list, revoke, rotate and verify them.
A key's secret is shown once, in the result of the call that made it (create_api_key, rotate_api_key): pass it to the user at once and never repeat or store it.
Ask the user before revoking a key or rotating one without a grace period: both stop the key working at once.`

// NewServer returns an MCP server with the five key tools.
func NewServer(store Store, version string, log *slog.Logger) *server.MCPServer {
	s := server.NewMCPServer("keysmith", version,
		server.WithToolCapabilities(false),
		server.WithInstructions(instructions),
	)
	h := handlers{log: log}
	for _, newTool := range []func(Store, handlers) (mcp.Tool, server.ToolHandlerFunc){
		createAPIKey, listAPIKeys, revokeAPIKey, rotateAPIKey, verifyAPIKey,
	} {
		s.AddTool(newTool(store, h))
	}
	return s
}

// handlers holds what every tool handler shares.
type handlers struct {
	log *slog.Logger
}

// toolFunc does one tool's work. It returns the structured result and its
// short human-readable text, or an error.
type toolFunc func(ctx context.Context, c keystore.Caller, a *args) (structured any, text string, err error)

// handle turns a toolFunc into an mcp-go handler. Every failure becomes a
// tool result with isError and the error shape of SPEC.md; none reaches
// mcp-go as a Go error, which it would turn into a protocol error carrying
// the raw message.
func (h handlers) handle(tool string, fn toolFunc) server.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, _ error) {
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				h.log.ErrorContext(ctx, "tool panicked", "tool", tool, "panic", fmt.Sprint(p))
				res = errorResult(fmt.Errorf("panic: %v", p))
			}
		}()
		structured, text, err := h.call(ctx, req, fn)
		if err != nil {
			code := keystore.ErrorCode(err)
			if code == keystore.EInternal {
				h.log.ErrorContext(ctx, "tool failed", "tool", tool, "err", err)
			}
			h.log.InfoContext(ctx, "tool call", "tool", tool, "outcome", code, "duration", time.Since(start))
			return errorResult(err), nil
		}
		h.log.InfoContext(ctx, "tool call", "tool", tool, "outcome", "ok", "duration", time.Since(start))
		return mcp.NewToolResultStructured(structured, text), nil
	}
}

func (h handlers) call(ctx context.Context, req mcp.CallToolRequest, fn toolFunc) (any, string, error) {
	// The transport puts the caller in the context (keystore.NewContext). A
	// call without one is refused, so a transport that forgets grants nothing.
	c, ok := keystore.CallerFromContext(ctx)
	if !ok {
		return nil, "", keystore.Errorf(keystore.EUnauthorized, "no caller identity on this connection")
	}
	a, err := parseArgs(req)
	if err != nil {
		return nil, "", err
	}
	return fn(ctx, c, a)
}

// errorBody is the structured content of every tool error.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string                `json:"code"`
	Message string                `json:"message"`
	Details []keystore.FieldError `json:"details"`
}

func errorResult(err error) *mcp.CallToolResult {
	body := errorBody{Error: errorDetail{
		Code:    keystore.ErrorCode(err),
		Message: keystore.ErrorMessage(err),
		Details: keystore.ErrorDetails(err),
	}}
	if body.Error.Details == nil {
		body.Error.Details = []keystore.FieldError{}
	}
	res := mcp.NewToolResultStructured(body, body.Error.Code+": "+body.Error.Message)
	res.IsError = true
	return res
}

// describe writes a key on one line for result texts.
func describe(k keystore.Key) string {
	return fmt.Sprintf("%q (%s, id %s) in application %q", k.Name, k.Hint, k.ID, k.Application)
}

func stamp(t time.Time) string {
	return t.Format(time.RFC3339)
}
