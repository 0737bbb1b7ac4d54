package tools

import (
	"context"
	"fmt"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/keysmith/keysmith/keystore"
)

func listAPIKeys(store Store, h handlers) (mcp.Tool, server.ToolHandlerFunc) {
	tool := mcp.NewTool("list_api_keys",
		mcp.WithToolTitle("List API keys"),
		mcp.WithDescription(`List the user's API keys, newest first, without their secrets (a hint of each secret is shown instead).
Use it to find a key's id before revoking or rotating it, to review what keys exist, or to find keys that expire soon (expiring_within). By default it lists active keys of every application.
When next_cursor is in the result, more keys exist: call again with the same filters and that cursor.`),
		mcp.WithString("application", mcp.Pattern(`^[a-z0-9][a-z0-9._-]{0,62}$`),
			mcp.Description(`List only this application's keys. Default: every application.`)),
		mcp.WithString("status", mcp.Enum(keystore.StatusActive, keystore.StatusExpired, keystore.StatusRevoked, keystore.StatusAll),
			mcp.Description(`Which keys to list. Default: active.`)),
		mcp.WithString("expiring_within", mcp.Pattern(`^[0-9]{1,6}[hdy]$`),
			mcp.Description(`Only active keys that expire within this time, such as 7d or 48h.`)),
		mcp.WithInteger("limit", mcp.Min(1), mcp.Max(keystore.MaxListLimit),
			mcp.Description(`Keys per page, 1 to 200. Default: 50.`)),
		mcp.WithString("cursor",
			mcp.Description(`The next_cursor of the previous page, to get the next one.`)),
		mcp.WithSchemaAdditionalProperties(false),
		mcp.WithRawOutputSchema(outputSchema(object{
			"keys":        object{"type": "array", "items": keySchema},
			"next_cursor": str("Pass it as cursor, with the same filters, to get the next page. Absent on the last page."),
		}, "keys")),
		mcp.WithToolAnnotation(annotations("List API keys", true, false, true)),
	)
	return tool, h.handle(tool.Name, func(ctx context.Context, c keystore.Caller, a *args) (any, string, error) {
		in := keystore.ListInput{
			Application:    a.str("application", false, false),
			Status:         a.str("status", false, false),
			ExpiringWithin: a.str("expiring_within", false, false),
			Limit:          a.integer("limit", 1, keystore.MaxListLimit),
			Cursor:         a.str("cursor", false, true),
		}
		if err := a.err("application", "status", "expiring_within", "limit", "cursor"); err != nil {
			return nil, "", err
		}
		page, err := store.List(ctx, c, in)
		if err != nil {
			return nil, "", err
		}
		return page, listText(page), nil
	})
}

func listText(page keystore.Page) string {
	var b strings.Builder
	switch len(page.Keys) {
	case 0:
		b.WriteString("No keys match.")
	case 1:
		b.WriteString("1 key:")
	default:
		fmt.Fprintf(&b, "%d keys:", len(page.Keys))
	}
	for _, k := range page.Keys {
		fmt.Fprintf(&b, "\n- %s: %s, expires %s", describe(k), k.Status, stamp(k.ExpiresAt))
	}
	if page.NextCursor != "" {
		fmt.Fprintf(&b, "\nMore keys: call again with cursor %q.", page.NextCursor)
	}
	return b.String()
}
