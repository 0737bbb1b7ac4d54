package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/keysmith/keysmith/keystore"
)

// options are the settings every serving command shares. Each flag has an
// environment variable, for clients that configure a server by its
// environment; a flag wins over its variable.
type options struct {
	db            string
	prefix        string
	pepperFile    string
	maxLifetime   string
	keyLimit      int
	allowedScopes string
	logLevel      string
}

// newFlagSet returns the flags of a command with the shared options
// registered; the command adds its own before parsing.
func newFlagSet(name string, stderr io.Writer) (*flag.FlagSet, *options, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := &options{}
	if err := o.register(fs); err != nil {
		return nil, nil, err
	}
	return fs, o, nil
}

// parse parses argv, refusing positional arguments.
func parse(fs *flag.FlagSet, argv []string) error {
	if err := fs.Parse(argv); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func (o *options) register(fs *flag.FlagSet) error {
	fs.StringVar(&o.db, "db", os.Getenv("KEYSMITH_DB"), "SQLite database `path` (env KEYSMITH_DB; default $XDG_DATA_HOME/keysmith/keysmith.db)")
	fs.StringVar(&o.prefix, "prefix", envOr("KEYSMITH_PREFIX", keystore.DefaultPrefix), "`prefix` of issued keys (env KEYSMITH_PREFIX)")
	fs.StringVar(&o.pepperFile, "pepper-file", os.Getenv("KEYSMITH_PEPPER_FILE"), "`file` whose contents key the stored digests (env KEYSMITH_PEPPER_FILE)")
	fs.StringVar(&o.maxLifetime, "max-lifetime", envOr("KEYSMITH_MAX_LIFETIME", "1y"), "longest key lifetime allowed, Nh, Nd or 1y (env KEYSMITH_MAX_LIFETIME)")
	fs.IntVar(&o.keyLimit, "key-limit", keystore.DefaultKeyLimit, "live keys allowed per application (env KEYSMITH_KEY_LIMIT)")
	fs.StringVar(&o.allowedScopes, "allowed-scopes", os.Getenv("KEYSMITH_ALLOWED_SCOPES"), "comma-separated `scopes` issued keys may carry; empty allows any (env KEYSMITH_ALLOWED_SCOPES)")
	fs.StringVar(&o.logLevel, "log-level", envOr("KEYSMITH_LOG_LEVEL", "info"), "debug, info, warn or error (env KEYSMITH_LOG_LEVEL)")
	if v := os.Getenv("KEYSMITH_KEY_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("KEYSMITH_KEY_LIMIT=%q: want a whole number", v)
		}
		o.keyLimit = n
	}
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// openStore opens the key store the options describe, and says which file
// it is.
func (o *options) openStore(ctx context.Context) (*keystore.Store, string, error) {
	cfg, err := o.storeConfig()
	if err != nil {
		return nil, "", err
	}
	store, err := keystore.Open(ctx, cfg)
	return store, cfg.Path, err
}

// storeConfig turns the options into the key store's configuration.
func (o *options) storeConfig() (keystore.Config, error) {
	cfg := keystore.Config{Path: o.db, Prefix: o.prefix, KeyLimit: o.keyLimit}
	if cfg.Path == "" {
		var err error
		if cfg.Path, err = defaultDBPath(); err != nil {
			return cfg, err
		}
	}
	maxLifetime, err := keystore.ParseDuration(o.maxLifetime)
	if err != nil {
		return cfg, fmt.Errorf("-max-lifetime: %w", err)
	}
	if maxLifetime < keystore.MinLifetime || maxLifetime > keystore.MaxLifetimeCeiling {
		return cfg, errors.New("-max-lifetime: must be from 1h to 1y")
	}
	cfg.MaxLifetime = maxLifetime
	if o.keyLimit < 1 {
		return cfg, errors.New("-key-limit: must be at least 1")
	}
	cfg.AllowedScopes = splitList(o.allowedScopes)
	if o.pepperFile != "" {
		pepper, err := os.ReadFile(o.pepperFile)
		if err != nil {
			return cfg, fmt.Errorf("-pepper-file: %w", err)
		}
		if len(pepper) < 16 {
			return cfg, errors.New("-pepper-file: a pepper needs at least 16 bytes")
		}
		cfg.Pepper = pepper
	}
	return cfg, nil
}

// splitList splits a comma-separated flag value, trimming spaces, so
// "keys:read, keys:write" reads as two items; empty items are dropped.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// defaultDBPath is $XDG_DATA_HOME/keysmith/keysmith.db, or
// ~/.local/share/keysmith/keysmith.db when XDG_DATA_HOME is not set.
func defaultDBPath() (string, error) {
	dir := os.Getenv("XDG_DATA_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no database path: set --db or KEYSMITH_DB (%w)", err)
		}
		dir = filepath.Join(home, ".local", "share")
	}
	return filepath.Join(dir, "keysmith", "keysmith.db"), nil
}

// newLogger writes structured logs to w, which is never standard output:
// over stdio that carries only protocol messages.
func (o *options) newLogger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, fmt.Errorf("-log-level: %w", err)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), nil
}
