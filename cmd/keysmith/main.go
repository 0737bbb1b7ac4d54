// Command keysmith is an API key manager served over the Model Context
// Protocol: `keysmith stdio` for editors and assistants that spawn it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…"; a plain
// go install reports the module version instead.
var version = ""

const usage = `keysmith manages API keys over the Model Context Protocol.

Usage:
  keysmith http [flags]      serve MCP over Streamable HTTP at /mcp, and POST /v1/verify
  keysmith stdio [flags]     serve MCP over standard input and output
  keysmith admin COMMAND     create, list and revoke management keys for HTTP
  keysmith version           print the version

Run "keysmith http -h", "keysmith stdio -h" or "keysmith admin" for more.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "keysmith:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(argv) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch cmd, rest := argv[0], argv[1:]; cmd {
	case "http":
		return runHTTP(ctx, rest, stderr)
	case "stdio":
		return runStdio(ctx, rest, stdin, stdout, stderr)
	case "admin":
		return runAdmin(ctx, rest, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "keysmith", buildVersion())
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}
