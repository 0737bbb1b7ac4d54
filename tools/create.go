package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/keysmith/keysmith/keystore"
)

func createAPIKey(store Store, h handlers) (mcp.Tool, server.ToolHandlerFunc) {
	tool := mcp.NewTool("create_api_key",
		mcp.WithToolTitle("Create API key"),
		mcp.WithDescription(`Create a new API key for one of the user's applications.
Use it when the user asks for a new key. If they did not say what the key is for, ask them for a short name first. Choose scopes and a lifetime only as the user asks; keys always expire (default 90 days).
The result holds the key's secret. It is shown only in this result: give it to the user right away and tell them to store it safely (for example in a secret manager). No tool can show it again; if it is lost, rotate the key.
Each application holds a limited number of active keys. On LIMIT_REACHED, offer to revoke a key the user no longer needs or to rotate an existing one.`),
		mcp.WithString("name", mcp.Required(), mcp.MinLength(1), mcp.MaxLength(keystore.MaxNameLen),
			mcp.Description(`What the key is for, such as "ci-deploy" or "billing service": 1 to 100 characters, no control characters.`)),
		mcp.WithString("application", mcp.Pattern(`^[a-z0-9][a-z0-9._-]{0,62}$`),
			mcp.Description(`The application the key belongs to. Default: "default".`)),
		mcp.WithArray("scopes", mcp.WithStringItems(mcp.Pattern(`^[a-z0-9][a-z0-9:._-]{0,63}$`)),
			mcp.MaxItems(keystore.MaxScopes), mcp.UniqueItems(true),
			mcp.Description(`What the key allows, such as ["read", "billing:write"]. At most 32, no duplicates. Default: none.`)),
		mcp.WithString("expires_in", mcp.Pattern(`^[0-9]{1,6}[hdy]$`),
			mcp.Description(`How long the key works: 7d, 30d, 90d or 1y, or any Nh or Nd from 1h up to 1y. Default: 90d. Keys cannot be made to never expire.`)),
		mcp.WithSchemaAdditionalProperties(false),
		mcp.WithRawOutputSchema(outputSchema(object{
			"key":    keySchema,
			"secret": str(secretDescription),
		}, "key", "secret")),
		mcp.WithToolAnnotation(annotations("Create API key", false, false, false)),
	)
	return tool, h.handle(tool.Name, func(ctx context.Context, c keystore.Caller, a *args) (any, string, error) {
		in := keystore.CreateInput{
			Name:        a.str("name", true, false),
			Application: a.str("application", false, false),
			Scopes:      a.strs("scopes"),
			ExpiresIn:   a.str("expires_in", false, false),
		}
		if err := a.err("name", "application", "scopes", "expires_in"); err != nil {
			return nil, "", err
		}
		out, err := store.Create(ctx, c, in)
		if err != nil {
			return nil, "", err
		}
		return out, fmt.Sprintf("Created key %s, expiring %s.\nSecret (shown only this once, store it now): %s",
			describe(out.Key), stamp(out.Key.ExpiresAt), out.Secret), nil
	})
}

// annotations sets every hint explicitly: mcp-go's defaults claim
// destructive and open-world for any tool that leaves them out.
func annotations(title string, readOnly, destructive, idempotent bool) mcp.ToolAnnotation {
	return mcp.ToolAnnotation{
		Title:           title,
		ReadOnlyHint:    mcp.ToBoolPtr(readOnly),
		DestructiveHint: mcp.ToBoolPtr(destructive),
		IdempotentHint:  mcp.ToBoolPtr(idempotent),
		OpenWorldHint:   mcp.ToBoolPtr(false),
	}
}
