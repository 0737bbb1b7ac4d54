package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"

	"github.com/keysmith/keysmith/httpserver"
	"github.com/keysmith/keysmith/keystore"
	"github.com/keysmith/keysmith/tools"
)

// runHTTP serves Streamable HTTP MCP and the verification API until ctx ends.
func runHTTP(ctx context.Context, argv []string, stderr io.Writer) error {
	fs, o, err := newFlagSet("keysmith http", stderr)
	if err != nil {
		return err
	}
	addr := fs.String("addr", envOr("KEYSMITH_ADDR", "127.0.0.1:8080"), "`host:port` to listen on; loopback unless you mean it (env KEYSMITH_ADDR)")
	origins := fs.String("allowed-origins", os.Getenv("KEYSMITH_ALLOWED_ORIGINS"), "comma-separated browser `origins` allowed besides loopback ones (env KEYSMITH_ALLOWED_ORIGINS)")
	bootstrap := fs.Bool("bootstrap", false, "on a database without management keys, create one with every scope and print it once on standard error")
	if err := parse(fs, argv); err != nil {
		return err
	}
	logger, err := o.newLogger(stderr)
	if err != nil {
		return err
	}
	store, db, err := o.openStore(ctx)
	if err != nil {
		return err
	}
	defer store.Close()

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if host, _, _ := net.SplitHostPort(*addr); !isLoopback(host) {
		logger.Warn("listening beyond loopback: anyone who can reach this address can try management keys; put TLS in front", "addr", ln.Addr().String())
	}
	if *bootstrap {
		if err := bootstrapKey(ctx, store, localURL(ln.Addr()), stderr, logger); err != nil {
			return err
		}
	}

	srv := httpserver.New(store, tools.NewServer(store, buildVersion(), logger), logger, httpserver.Config{AllowedOrigins: splitList(*origins)})
	logger.Info("serving MCP over HTTP", "url", "http://"+ln.Addr().String()+"/mcp", "db", db, "version", buildVersion())
	return srv.Serve(ctx, ln)
}

// localURL is the address a client on this machine reaches ln at: a
// wildcard listener (0.0.0.0, ::) is reached at 127.0.0.1, which also
// passes the Host check on loopback.
func localURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", port)
	}
	return addr.String()
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// bootstrapKey gives a new installation its first management key, so that
// a newcomer gets from `make run` to a first call in one step. It does
// nothing once any management key exists, and the secret is printed here
// only: it is stored as a digest like every other.
func bootstrapKey(ctx context.Context, store *keystore.Store, addr string, w io.Writer, log *slog.Logger) error {
	existing, err := store.List(ctx, adminCaller, keystore.ListInput{Status: keystore.StatusAll, Limit: 1})
	if err != nil {
		return err
	}
	if len(existing.Keys) > 0 {
		active, err := store.List(ctx, adminCaller, keystore.ListInput{Limit: 1})
		if err == nil && len(active.Keys) == 0 {
			log.Warn("no active management key: create one with keysmith admin create-key --name NAME --scopes keys:read,keys:write,keys:revoke")
		}
		return err
	}
	out, err := store.Create(ctx, adminCaller, keystore.CreateInput{Name: "bootstrap", Scopes: keystore.ManagementScopes})
	if err != nil {
		return err
	}
	fmt.Fprintf(w, `
First start: created management key %q with every scope (id %s, expires %s).
Its secret is shown only this once; store it now:

    %s

Make a first call:

    curl -s http://%s/mcp \
      -H 'Authorization: Bearer %s' \
      -H 'Content-Type: application/json' -H 'Accept: application/json, text/event-stream' \
      -d '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_api_keys","arguments":{}}}'

`, out.Key.Name, out.Key.ID, out.Key.ExpiresAt.Format("2006-01-02"), out.Secret, addr, out.Secret)
	return nil
}
