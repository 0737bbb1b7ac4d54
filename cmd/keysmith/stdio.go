package main

import (
	"context"
	"io"
	"log"
	"log/slog"

	"github.com/mark3labs/mcp-go/server"

	"github.com/keysmith/keysmith/keystore"
	"github.com/keysmith/keysmith/tools"
)

// runStdio serves MCP over stdin and stdout until stdin closes or ctx ends.
// The local user who spawned the process is trusted with every tool.
func runStdio(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs, o, err := newFlagSet("keysmith stdio", stderr)
	if err != nil {
		return err
	}
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
	logger.Info("serving MCP over stdio", "db", db, "version", buildVersion())

	srv := server.NewStdioServer(tools.NewServer(store, buildVersion(), logger))
	srv.SetErrorLogger(log.New(slogWriter{logger}, "", 0))
	srv.SetContextFunc(func(ctx context.Context) context.Context {
		return keystore.NewContext(ctx, keystore.Caller{Actor: "stdio", Scopes: keystore.ManagementScopes})
	})
	err = srv.Listen(ctx, stdin, stdout)
	if err == nil || ctx.Err() != nil || err == io.EOF {
		return nil
	}
	return err
}

// slogWriter sends mcp-go's log.Logger lines to the structured log.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Warn("mcp", "msg", string(p))
	return len(p), nil
}
