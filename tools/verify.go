package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/keysmith/keysmith/keystore"
)

// Verification codes of verify_api_key.
const (
	codeValid   = "VALID"
	codeInvalid = "API_KEY_INVALID"
)

type verifyResult struct {
	Valid bool          `json:"valid"`
	Code  string        `json:"code"`
	Key   *keystore.Key `json:"key,omitempty"`
}

func verifyAPIKey(store Store, h handlers) (mcp.Tool, server.ToolHandlerFunc) {
	tool := mcp.NewTool("verify_api_key",
		mcp.WithToolTitle("Verify API key"),
		mcp.WithDescription(`Check whether an API key secret works now, and if so which key it is (name, application, scopes, expiry).
Use it when the user asks whether a key is valid, or to test a key after creating, rotating or revoking it. An unknown, malformed, revoked or expired key is a normal result with valid: false and code API_KEY_INVALID; nothing more is told about it.
Do not repeat the secret back to the user.`),
		mcp.WithString("key", mcp.Required(),
			mcp.Description(`The full secret of the key to check, as created.`)),
		mcp.WithSchemaAdditionalProperties(false),
		mcp.WithRawOutputSchema(outputSchema(object{
			"valid": object{"type": "boolean", "description": "Whether the key works now."},
			"code":  object{"type": "string", "enum": []string{codeValid, codeInvalid}},
			"key":   keySchema,
		}, "valid", "code")),
		mcp.WithToolAnnotation(annotations("Verify API key", true, false, true)),
	)
	return tool, h.handle(tool.Name, func(ctx context.Context, c keystore.Caller, a *args) (any, string, error) {
		secret := a.str("key", true, false)
		if secret == "" && len(a.problems) == 0 {
			a.problem("key", "required: the full secret of the key to check")
		}
		if err := a.err("key"); err != nil {
			return nil, "", err
		}
		v, err := store.Verify(ctx, c, secret)
		if err != nil {
			return nil, "", err
		}
		if !v.Valid {
			return verifyResult{Code: codeInvalid}, codeInvalid + ": the key is not valid (unknown, malformed, revoked or expired).", nil
		}
		return verifyResult{Valid: true, Code: codeValid, Key: &v.Key},
			fmt.Sprintf("%s: key %s works, scopes %v, expires %s.", codeValid, describe(v.Key), v.Key.Scopes, stamp(v.Key.ExpiresAt)), nil
	})
}
