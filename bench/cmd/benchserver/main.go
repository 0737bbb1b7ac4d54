// Command benchserver serves what the benchmark report compares keysmith
// with, and keysmith itself under a profiler:
//
//	benchserver bare -addr A -body FILE
//	    a bare net/http handler answering every request with the constant
//	    JSON in FILE, on an http.Server with keysmith's settings
//	benchserver keysmith -addr A -db PATH [-noop] [-log-level L] [-cpuprofile FILE] [-memprofile FILE]
//	    keysmith's HTTP server, assembled as `keysmith http` assembles it;
//	    -noop adds a tool that does nothing to its MCP server, -cpuprofile
//	    profiles it until it is stopped (SIGTERM or SIGINT), -memprofile
//	    writes its heap when stopped
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/keysmith/keysmith/httpserver"
	"github.com/keysmith/keysmith/keystore"
	"github.com/keysmith/keysmith/tools"
)

var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "benchserver:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, argv []string) error {
	if len(argv) == 0 {
		return errors.New("usage: benchserver bare|keysmith [flags]")
	}
	fs := flag.NewFlagSet("benchserver "+argv[0], flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "loopback `host:port` to listen on")
	body := fs.String("body", "", "bare: `file` with the JSON every request gets")
	db := fs.String("db", "", "keysmith: database `path`")
	noop := fs.Bool("noop", false, "keysmith: add a no-op tool")
	logLevel := fs.String("log-level", "info", "keysmith: debug, info, warn or error, as keysmith's --log-level")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to `file` until stopped")
	memprofile := fs.String("memprofile", "", "write a heap profile to `file` when stopped")
	if err := fs.Parse(argv[1:]); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer func() { pprof.StopCPUProfile(); f.Close() }()
	}
	switch argv[0] {
	case "bare":
		return serveBare(ctx, ln, *body)
	case "keysmith":
		var level slog.Level
		if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
			return err
		}
		return serveKeysmith(ctx, ln, *db, *noop, level, *memprofile)
	}
	return fmt.Errorf("unknown mode %q", argv[0])
}

// serveBare is the ceiling of POST /v1/verify: no authentication, no
// lookup, the same answer every time, on a server with the settings of
// httpserver.New. It reads the request body, as any handler of a POST does.
func serveBare(ctx context.Context, ln net.Listener, bodyFile string) error {
	body, err := os.ReadFile(bodyFile)
	if err != nil {
		return err
	}
	srv := &http.Server{
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// serveKeysmith serves keysmith as `keysmith http` does (cmd/keysmith/http.go):
// the five tools, httpserver.New, text logs on standard error (info level,
// keysmith's default, unless -log-level says otherwise).
func serveKeysmith(ctx context.Context, ln net.Listener, db string, noop bool, level slog.Level, memprofile string) error {
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	store, err := keystore.Open(ctx, keystore.Config{Path: db})
	if err != nil {
		return err
	}
	defer store.Close()
	m := tools.NewServer(store, version, logger)
	if noop {
		m.AddTool(mcp.NewTool("noop",
			mcp.WithDescription("Does nothing."),
			mcp.WithReadOnlyHintAnnotation(true),
		), func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			return mcp.NewToolResultText("ok"), nil
		})
	}
	srv := httpserver.New(store, m, logger, httpserver.Config{})
	logger.Info("serving MCP over HTTP", "url", "http://"+ln.Addr().String()+"/mcp", "db", db, "version", version)
	err = srv.Serve(ctx, ln)
	if memprofile != "" {
		// The heap as the verify load left it: the store is still open.
		f, ferr := os.Create(memprofile)
		if ferr != nil {
			return ferr
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		logger.Info("go memory before GC", "heap_inuse", ms.HeapInuse, "heap_sys", ms.HeapSys, "stack_sys", ms.StackSys, "sys", ms.Sys, "heap_released", ms.HeapReleased, "goroutines", runtime.NumGoroutine())
		runtime.GC()
		ferr = pprof.WriteHeapProfile(f)
		f.Close()
		runtime.KeepAlive(store)
		if ferr != nil {
			return ferr
		}
	}
	return err
}
