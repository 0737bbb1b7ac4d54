package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/keysmith/keysmith/keystore"
)

func rotateAPIKey(store Store, h handlers) (mcp.Tool, server.ToolHandlerFunc) {
	tool := mcp.NewTool("rotate_api_key",
		mcp.WithToolTitle("Rotate API key"),
		mcp.WithDescription(`Replace an API key in one step: a new key with the same name, application and scopes, and the old key revoked.
Use it when a key may have leaked, is about to expire, or is due for rotation. Without grace_period the old key stops working at once: ask the user first whether the services that use it need time to switch, and if so pass a grace_period (up to 7d) during which both keys work.
The result holds the new key's secret, shown only in this result: give it to the user right away. Revoked or expired keys cannot be rotated (KEY_NOT_ACTIVE): create a new key instead. A key can be rotated once (ALREADY_ROTATED names its replacement).`),
		mcp.WithString("key_id", mcp.Required(),
			mcp.Description(`The id of the key to replace (a UUID), as list_api_keys shows it.`)),
		mcp.WithString("grace_period", mcp.Pattern(`^(0|[0-9]{1,6}[hd])$`),
			mcp.Description(`How long the old key keeps working: 0 (default, it stops at once) or Nh / Nd up to 7d.`)),
		mcp.WithString("expires_in", mcp.Pattern(`^[0-9]{1,6}[hdy]$`),
			mcp.Description(`Lifetime of the new key: 7d, 30d, 90d, 1y, or Nh / Nd from 1h to 1y. Default: the old key's original lifetime.`)),
		mcp.WithSchemaAdditionalProperties(false),
		mcp.WithRawOutputSchema(outputSchema(object{
			"key":      keySchema,
			"secret":   str(secretDescription),
			"previous": keySchema,
		}, "key", "secret", "previous")),
		mcp.WithToolAnnotation(annotations("Rotate API key", false, true, false)),
	)
	return tool, h.handle(tool.Name, func(ctx context.Context, c keystore.Caller, a *args) (any, string, error) {
		in := keystore.RotateInput{
			KeyID:       a.str("key_id", true, false),
			GracePeriod: a.str("grace_period", false, false),
			ExpiresIn:   a.str("expires_in", false, false),
		}
		if err := a.err("key_id", "grace_period", "expires_in"); err != nil {
			return nil, "", err
		}
		out, err := store.Rotate(ctx, c, in)
		if err != nil {
			return nil, "", err
		}
		stops := "stopped working now"
		if out.Previous.Status == keystore.StatusActive {
			stops = "keeps working until " + stamp(*out.Previous.RevokedAt)
		}
		return out, fmt.Sprintf("Rotated key %s: the old key %s %s. New key %s, expiring %s.\nSecret (shown only this once, store it now): %s",
			out.Previous.Name, out.Previous.Hint, stops, describe(out.Key), stamp(out.Key.ExpiresAt), out.Secret), nil
	})
}
