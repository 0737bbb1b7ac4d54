package tools

import (
	"encoding/json"

	"github.com/keysmith/keysmith/keystore"
)

// Output schemas. Each admits the tool's success shape and the error shape,
// because clients (the TypeScript SDK among them) validate the structured
// content of error results against the output schema too.

type object = map[string]any

func str(description string) object {
	return object{"type": "string", "description": description}
}

func timestamp(description string) object {
	return object{"type": "string", "format": "date-time", "description": description}
}

// keySchema describes keystore.Key.
var keySchema = object{
	"type": "object",
	"properties": object{
		"id":           object{"type": "string", "format": "uuid", "description": "The key's id: what revoke_api_key and rotate_api_key take."},
		"name":         str("What the key is for."),
		"application":  str("The application the key belongs to."),
		"scopes":       object{"type": "array", "items": object{"type": "string"}, "description": "What the key allows."},
		"hint":         str("Prefix and the first and last four characters of the secret, to recognise it; not the secret."),
		"status":       object{"type": "string", "enum": []string{keystore.StatusActive, keystore.StatusExpired, keystore.StatusRevoked}},
		"created_at":   timestamp("When the key was created (UTC)."),
		"expires_at":   timestamp("When the key stops working on its own (UTC)."),
		"revoked_at":   timestamp("When the key was, or will be at the end of a rotation grace period, revoked (UTC)."),
		"last_used_at": timestamp("When the key last verified successfully, to the minute (UTC)."),
		"rotated_from": object{"type": "string", "format": "uuid", "description": "The id of the key this one replaced."},
		"replaced_by":  object{"type": "string", "format": "uuid", "description": "The id of the key that replaced this one."},
	},
	"required":             []string{"id", "name", "application", "scopes", "hint", "status", "created_at", "expires_at"},
	"additionalProperties": false,
}

var errorSchema = object{
	"type": "object",
	"properties": object{
		"code": object{"type": "string", "enum": []string{
			keystore.EValidation, keystore.ENotFound, keystore.ELimit, keystore.EConfirmation,
			keystore.EAlreadyRotate, keystore.ENotActive, keystore.EUnauthorized, keystore.EForbidden, keystore.EInternal,
		}},
		"message": str("What went wrong and what to do about it."),
		"details": object{
			"type": "array",
			"items": object{
				"type": "object",
				"properties": object{
					"field":   str("The argument at fault."),
					"message": str("What is wrong with it."),
				},
				"required":             []string{"field", "message"},
				"additionalProperties": false,
			},
		},
	},
	"required":             []string{"code", "message", "details"},
	"additionalProperties": false,
}

// outputSchema returns an object schema with the success properties and
// the error property: a result has either all of required or the error.
func outputSchema(properties object, required ...string) json.RawMessage {
	props := object{"error": errorSchema}
	for name, p := range properties {
		props[name] = p
	}
	schema := object{
		"type":                 "object",
		"properties":           props,
		"anyOf":                []object{{"required": required}, {"required": []string{"error"}}},
		"additionalProperties": false,
	}
	raw, err := json.Marshal(schema)
	if err != nil {
		panic(err) // static data: cannot fail
	}
	return raw
}

const secretDescription = "The key's secret, shown only in this result: hand it to the user now; no tool can show it again."
