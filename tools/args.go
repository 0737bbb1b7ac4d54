package tools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/keysmith/keysmith/keystore"
)

// args reads a tool call's arguments and collects every problem with them,
// each naming its field, so a model can fix all of them in one retry. Type
// and presence are checked here; what the values mean is the keystore's to
// judge. A JSON null counts as an absent argument.
type args struct {
	values   map[string]any
	problems []keystore.FieldError
}

// parseArgs reads the arguments object of a call. Anything but an object (or
// nothing) is refused, naming "arguments".
func parseArgs(req mcp.CallToolRequest) (*args, error) {
	a := &args{values: map[string]any{}}
	switch raw := req.GetRawArguments().(type) {
	case nil:
	case json.RawMessage:
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, keystore.Invalid(keystore.FieldError{Field: "arguments", Message: "must be a JSON object"})
		}
		switch v := v.(type) {
		case nil:
		case map[string]any:
			a.values = v
		default:
			return nil, keystore.Invalid(keystore.FieldError{Field: "arguments", Message: "must be a JSON object"})
		}
	case map[string]any:
		a.values = raw
	default:
		return nil, keystore.Invalid(keystore.FieldError{Field: "arguments", Message: "must be a JSON object"})
	}
	return a, nil
}

func (a *args) problem(field, format string, v ...any) {
	a.problems = append(a.problems, keystore.FieldError{Field: field, Message: fmt.Sprintf(format, v...)})
}

// str reads a string argument. A missing required one is a problem; an
// empty optional one is too unless allowEmpty, because "" would otherwise
// silently mean the default.
func (a *args) str(field string, required, allowEmpty bool) string {
	v, ok := a.values[field]
	if !ok || v == nil {
		if required {
			a.problem(field, "required")
		}
		return ""
	}
	s, ok := v.(string)
	if !ok {
		a.problem(field, "must be a string, not %s", jsonType(v))
		return ""
	}
	if s == "" && !required && !allowEmpty {
		a.problem(field, "must not be empty: leave it out to use the default")
	}
	return s
}

// strs reads an optional array of strings.
func (a *args) strs(field string) []string {
	v, ok := a.values[field]
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		a.problem(field, "must be an array of strings, not %s", jsonType(v))
		return nil
	}
	out := make([]string, 0, len(list))
	for i, item := range list {
		s, ok := item.(string)
		if !ok {
			a.problem(field, "item %d must be a string, not %s", i, jsonType(item))
			return nil
		}
		out = append(out, s)
	}
	return out
}

// integer reads an optional whole number from min to max; 0 when absent.
func (a *args) integer(field string, min, max int) int {
	v, ok := a.values[field]
	if !ok || v == nil {
		return 0
	}
	var f float64
	switch n := v.(type) {
	case json.Number:
		var err error
		if f, err = n.Float64(); err != nil {
			a.problem(field, "must be a whole number from %d to %d", min, max)
			return 0
		}
	case float64:
		f = n
	case int:
		f = float64(n)
	default:
		a.problem(field, "must be a number, not %s", jsonType(v))
		return 0
	}
	if f != math.Trunc(f) || f < float64(min) || f > float64(max) {
		a.problem(field, "must be a whole number from %d to %d", min, max)
		return 0
	}
	return int(f)
}

// err reports the problems found, and any argument the tool does not take:
// a misspelt optional argument must not silently fall back to its default.
func (a *args) err(known ...string) error {
	var unknown []string
	for name := range a.values {
		if !slices.Contains(known, name) {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	for _, name := range unknown {
		if name == "" {
			a.problem("arguments", "an argument with an empty name; this tool takes: %s", strings.Join(known, ", "))
			continue
		}
		a.problem(name, "unknown argument; this tool takes: %s", strings.Join(known, ", "))
	}
	if len(a.problems) > 0 {
		return keystore.Invalid(a.problems...)
	}
	return nil
}

func jsonType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64, int:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "null"
}
