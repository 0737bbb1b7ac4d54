package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/keysmith/keysmith/keystore"
)

// adminCaller is the operator at the command line: the only caller that
// acts on the reserved application of management keys.
var adminCaller = keystore.Caller{Actor: "cli", Application: keystore.ReservedApplication, Scopes: keystore.ManagementScopes}

const adminUsage = `Usage:
  keysmith admin create-key --name N --scopes S [--application A] [--expires-in D]
  keysmith admin list-keys
  keysmith admin revoke-key ID

Management keys authenticate HTTP clients. Scopes: keys:read (list, verify),
keys:write (create, rotate), keys:revoke. --application binds a key to one
application.
`

// runAdmin manages management keys from the command line.
func runAdmin(ctx context.Context, argv []string, stdout, stderr io.Writer) error {
	if len(argv) == 0 {
		fmt.Fprint(stderr, adminUsage)
		return fmt.Errorf("admin: no command given")
	}
	fs, o, err := newFlagSet("keysmith admin "+argv[0], stderr)
	if err != nil {
		return err
	}
	var name, scopes, application, expiresIn string
	switch argv[0] {
	case "create-key":
		fs.StringVar(&name, "name", "", "what the key is for (required)")
		fs.StringVar(&scopes, "scopes", "", "comma-separated scopes among keys:read, keys:write, keys:revoke (required)")
		fs.StringVar(&application, "application", "", "bind the key to this one application")
		fs.StringVar(&expiresIn, "expires-in", "", "lifetime, 1h to 1y (default 90d)")
	case "list-keys", "revoke-key":
	default:
		fmt.Fprint(stderr, adminUsage)
		return fmt.Errorf("admin: unknown command %q", argv[0])
	}
	args, err := parseInterspersed(fs, argv[1:])
	if err != nil {
		return err
	}
	store, _, err := o.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()

	switch argv[0] {
	case "create-key":
		if len(args) > 0 {
			return fmt.Errorf("admin create-key: unexpected argument %q", args[0])
		}
		if scopes == "" {
			return fmt.Errorf("admin create-key: --scopes is required (keys:read, keys:write, keys:revoke)")
		}
		out, err := store.Create(ctx, adminCaller, keystore.CreateInput{
			Name: name, Scopes: splitList(scopes), BoundApplication: application, ExpiresIn: expiresIn,
		})
		if err != nil {
			return adminError(err)
		}
		fmt.Fprintf(stdout, "Created management key %q (id %s, scopes %s, %s, expires %s).\nSecret (shown only this once, store it now):\n%s\n",
			out.Key.Name, out.Key.ID, strings.Join(out.Key.Scopes, ","), boundText(out.Key), out.Key.ExpiresAt.Format("2006-01-02"), out.Secret)
	case "list-keys":
		return listManagementKeys(ctx, store, stdout)
	case "revoke-key":
		if len(args) != 1 {
			return fmt.Errorf("admin revoke-key: want one key id")
		}
		out, err := store.Revoke(ctx, adminCaller, keystore.RevokeInput{KeyID: args[0], Confirm: keystore.ConfirmRevoke, Reason: "admin revoke-key"})
		if err != nil {
			return adminError(err)
		}
		if out.AlreadyRevoked {
			fmt.Fprintf(stdout, "Management key %q (%s) was already revoked.\n", out.Key.Name, out.Key.Hint)
		} else {
			fmt.Fprintf(stdout, "Revoked management key %q (%s).\n", out.Key.Name, out.Key.Hint)
		}
	}
	return nil
}

// parseInterspersed parses flags that may come before or after the
// positional arguments ("revoke-key ID --db PATH"), which flag.Parse alone
// stops at.
func parseInterspersed(fs *flag.FlagSet, argv []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(argv); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		argv = fs.Args()[1:]
	}
}

func listManagementKeys(ctx context.Context, store *keystore.Store, stdout io.Writer) error {
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tHINT\tSCOPES\tAPPLICATION\tSTATUS\tEXPIRES\tLAST USED")
	in := keystore.ListInput{Status: keystore.StatusAll, Limit: keystore.MaxListLimit}
	for {
		page, err := store.List(ctx, adminCaller, in)
		if err != nil {
			return adminError(err)
		}
		for _, k := range page.Keys {
			lastUsed := "never"
			if k.LastUsedAt != nil {
				lastUsed = k.LastUsedAt.Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Hint, strings.Join(k.Scopes, ","),
				boundText(k), k.Status, k.ExpiresAt.Format("2006-01-02"), lastUsed)
		}
		if page.NextCursor == "" {
			break
		}
		in.Cursor = page.NextCursor
	}
	return tw.Flush()
}

func boundText(k keystore.Key) string {
	if k.BoundApplication == "" {
		return "all applications"
	}
	return "application " + k.BoundApplication
}

// adminError words a keystore error for the command line, where field names
// are flags.
func adminError(err error) error {
	details := keystore.ErrorDetails(err)
	if len(details) == 0 {
		return fmt.Errorf("%s: %s", keystore.ErrorCode(err), keystore.ErrorMessage(err))
	}
	arg := map[string]string{"name": "--name", "scopes": "--scopes", "bound_application": "--application", "expires_in": "--expires-in", "key_id": "ID"}
	var parts []string
	for _, d := range details {
		name, ok := arg[d.Field]
		if !ok {
			name = d.Field
		}
		parts = append(parts, name+": "+d.Message)
	}
	return fmt.Errorf("%s", strings.Join(parts, "; "))
}
