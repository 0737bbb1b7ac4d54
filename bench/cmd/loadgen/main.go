// Command loadgen drives one HTTP endpoint of a server on this machine with
// the benchmark report's load (closed loop, keep-alive connections, fixed
// time) and prints requests/s, p50, p99 and the status codes. It is for
// experiments beside the report, such as a profile of a server started by
// hand; it refuses any address that is not loopback, and stops by itself.
//
//	loadgen -addr 127.0.0.1:8080 -path /v1/verify -bearer ksm_… -body '{"key":"ks_…"}'
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"slices"
	"time"

	"github.com/keysmith/keysmith/bench"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "loopback `host:port` of the server")
	path := flag.String("path", "/v1/verify", "request path (POST)")
	bearer := flag.String("bearer", os.Getenv("KEYSMITH_BENCH_BEARER"), "management key for the Authorization header (env KEYSMITH_BENCH_BEARER)")
	body := flag.String("body", `{"key":""}`, "JSON request body")
	mcp := flag.Bool("mcp", false, "add the Accept header a Streamable HTTP MCP client sends")
	conns := flag.Int("conns", 64, "concurrent keep-alive connections")
	warmup := flag.Duration("warmup", time.Second, "warm-up, not counted")
	duration := flag.Duration("duration", 5*time.Second, "measured time (at most 10m)")
	flag.Parse()
	host, _, err := net.SplitHostPort(*addr)
	if ip := net.ParseIP(host); err != nil || (host != "localhost" && (ip == nil || !ip.IsLoopback())) {
		fmt.Fprintln(os.Stderr, "loadgen: -addr must be a loopback host:port")
		os.Exit(2)
	}
	if *conns < 1 || *duration <= 0 || *duration > 10*time.Minute {
		fmt.Fprintln(os.Stderr, "loadgen: -conns must be positive, -duration from 1ns to 10m")
		os.Exit(2)
	}
	var extra []string
	if *mcp {
		extra = []string{"Accept", "application/json, text/event-stream"}
	}
	req := bench.PostRequest(*addr, *path, *bearer, []byte(*body), extra...)
	ctx, cancel := context.WithTimeout(context.Background(), *warmup+*duration+30*time.Second)
	defer cancel()
	res, err := bench.Load{Addr: *addr, Conns: *conns, Warmup: *warmup, Duration: *duration,
		Request: func(int, int) []byte { return req }}.Run(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
	codes := make([]int, 0, len(res.Status))
	for c := range res.Status {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	fmt.Printf("%.0f requests/s, p50 %s, p99 %s, %d requests, %d errors, statuses:", res.PerSec, res.P50, res.P99, res.Requests, res.Errors)
	for _, c := range codes {
		fmt.Printf(" %d×%d", res.Status[c], c)
	}
	fmt.Println()
}
