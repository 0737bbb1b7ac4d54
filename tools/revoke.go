package tools

import (
	"context"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/keysmith/keysmith/keystore"
)

func revokeAPIKey(store Store, h handlers) (mcp.Tool, server.ToolHandlerFunc) {
	tool := mcp.NewTool("revoke_api_key",
		mcp.WithToolTitle("Revoke API key"),
		mcp.WithDescription(`Revoke an API key: it stops working at once, for good. The application's other keys keep working.
Before calling, tell the user which key will stop working (name and hint) and get their explicit confirmation; only then call with confirm set to "REVOKE". Without it nothing changes and the result is CONFIRMATION_REQUIRED, whose message names the key to ask about.
To replace a key without an outage, use rotate_api_key with a grace period instead. Revoking a key that is already revoked succeeds and changes nothing.`),
		mcp.WithString("key_id", mcp.Required(),
			mcp.Description(`The id of the key (a UUID), as list_api_keys shows it.`)),
		mcp.WithString("confirm", mcp.Required(), mcp.Enum(keystore.ConfirmRevoke),
			mcp.Description(`Must be exactly "REVOKE", set only after the user confirmed.`)),
		mcp.WithString("reason", mcp.MaxLength(keystore.MaxReasonLen),
			mcp.Description(`Why the key is revoked, such as "leaked in a log": kept in the audit trail. At most 200 characters.`)),
		mcp.WithSchemaAdditionalProperties(false),
		mcp.WithRawOutputSchema(outputSchema(object{"key": keySchema}, "key")),
		mcp.WithToolAnnotation(annotations("Revoke API key", false, true, true)),
	)
	return tool, h.handle(tool.Name, func(ctx context.Context, c keystore.Caller, a *args) (any, string, error) {
		in := keystore.RevokeInput{
			KeyID:  a.str("key_id", true, false),
			Reason: a.str("reason", false, true),
		}
		// Any confirm that is not the string "REVOKE", of whatever type, is
		// a missing confirmation, not a malformed argument: the answer the
		// model needs is to ask its user.
		in.Confirm, _ = a.values["confirm"].(string)
		if err := a.err("key_id", "confirm", "reason"); err != nil {
			return nil, "", err
		}
		out, err := store.Revoke(ctx, c, in)
		if err != nil {
			return nil, "", err
		}
		text := fmt.Sprintf("Revoked key %s: it stopped working at %s.", describe(out.Key), stamp(*out.Key.RevokedAt))
		if out.AlreadyRevoked {
			text = fmt.Sprintf("Key %s was already revoked at %s; nothing changed.", describe(out.Key), stamp(*out.Key.RevokedAt))
		}
		return object{"key": out.Key}, text, nil
	})
}
