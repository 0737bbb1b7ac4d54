// Command benchreport is `make bench`: it measures keysmith and, in the same
// run on the same machine, the ceiling of each figure, and prints one table
// of figure, value, ceiling, ratio, target and whether the target is met.
//
// It builds keysmith and the bench helpers, seeds its databases under a
// temporary directory, starts every server it measures on 127.0.0.1 and
// stops them, and exits by itself (at -timeout at the latest). Each figure
// is the median of -reps repetitions; keysmith and its ceiling alternate
// (ABBA) so that drift in the machine hits both alike.
//
// Run it from the repository: go run ./bench/cmd/benchreport [flags]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/keysmith/keysmith/bench"
	"github.com/keysmith/keysmith/keystore"
)

type config struct {
	reps       int
	conns      int
	warmup     time.Duration
	duration   time.Duration
	keys       int
	coldStarts int
	sustained  time.Duration
	dir        string
	keep       bool
	markdown   string
	profile    string
	timeout    time.Duration
	only       map[string]bool
	goCmd      string
}

var sections = []string{"verify", "http-verify", "mcp", "create", "coldstart", "list", "rss"}

func main() {
	var c config
	var only string
	flag.IntVar(&c.reps, "reps", 5, "repetitions of each measurement; figures are their medians")
	flag.IntVar(&c.conns, "conns", 64, "concurrent keep-alive connections of the HTTP loads")
	flag.DurationVar(&c.warmup, "warmup", time.Second, "warm-up of each HTTP load, not counted")
	flag.DurationVar(&c.duration, "duration", 5*time.Second, "measured time of each HTTP load")
	flag.IntVar(&c.keys, "keys", 1_000_000, "keys in the large database (list and RSS rows)")
	flag.IntVar(&c.coldStarts, "coldstarts", 15, "stdio cold starts of each server")
	flag.DurationVar(&c.sustained, "sustained", time.Minute, "length of the sustained verify load of the peak-RSS row (0: no such row)")
	flag.StringVar(&c.dir, "dir", "", "`directory` for binaries, databases and logs (default: a new temporary one)")
	flag.BoolVar(&c.keep, "keep", false, "keep the directory afterwards")
	flag.StringVar(&c.markdown, "markdown", "", "also write the table and the machine, as Markdown, to `file`")
	flag.StringVar(&c.profile, "profile", "", "write CPU profiles (and the RSS run's heap profile) into `dir`; HTTP rows then run keysmith under benchserver")
	flag.DurationVar(&c.timeout, "timeout", 9*time.Minute+30*time.Second, "stop everything and fail after this long")
	flag.StringVar(&only, "only", "", "comma-separated sections to run, among "+strings.Join(sections, ", ")+" (default all)")
	flag.Parse()
	c.goCmd = os.Getenv("GO")
	if c.goCmd == "" {
		c.goCmd = "go"
	}
	if only != "" {
		c.only = map[string]bool{}
		for _, s := range strings.Split(only, ",") {
			s = strings.TrimSpace(s)
			if !slices.Contains(sections, s) {
				fatalf("-only: unknown section %q (want among %s)", s, strings.Join(sections, ", "))
			}
			c.only[s] = true
		}
	}
	if c.reps < 1 || c.conns < 1 || c.duration <= 0 || c.keys < 1000 || c.coldStarts < 1 {
		fatalf("-reps, -conns, -duration and -coldstarts must be positive, -keys at least 1000")
	}
	// The run stops by itself: the servers it started die with it
	// (Pdeathsig), and nothing outlives the timeout.
	time.AfterFunc(c.timeout, func() {
		fmt.Fprintf(os.Stderr, "benchreport: timed out after %s\n", c.timeout)
		os.Exit(2)
	})
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	if err := run(ctx, c); err != nil {
		fatalf("%v", err)
	}
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "benchreport: "+format+"\n", args...)
	os.Exit(1)
}

// row is one line of the table.
type row struct {
	figure  string
	value   string
	ceiling string
	ratio   float64 // NaN: no ratio
	target  string
	met     string // "yes", "no" or "—"
	note    string
}

type report struct {
	c      config
	commit string
	start  time.Time
	dir    string
	bins   map[string]string
	rows   []row
	notes  []string
}

func (r *report) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "[%5.1fs] "+format+"\n", append([]any{time.Since(r.start).Seconds()}, args...)...)
}

func (r *report) want(section string) bool { return r.c.only == nil || r.c.only[section] }

func run(ctx context.Context, c config) error {
	r := &report{c: c, start: time.Now()}
	cpu0 := readCPU()
	m := machine()
	r.logf("machine: %s", m.oneLine())

	root, err := bench.ModuleRoot(ctx, c.goCmd)
	if err != nil {
		return err
	}
	r.dir = c.dir
	if r.dir == "" {
		if r.dir, err = os.MkdirTemp("", "keysmith-bench-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(r.dir, 0o700); err != nil {
		return err
	}
	if !c.keep && c.dir == "" {
		defer os.RemoveAll(r.dir)
	}
	if c.profile != "" {
		if err := os.MkdirAll(c.profile, 0o755); err != nil {
			return err
		}
	}
	r.commit = describe(ctx, root)
	r.logf("measuring keysmith %s", r.commit)
	r.logf("building keysmith and the helpers (go build -ldflags %q) into %s", bench.LDFlags, r.dir)
	if r.bins, err = bench.Build(ctx, c.goCmd, root, filepath.Join(r.dir, "bin")); err != nil {
		return err
	}

	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"verify", r.verifyInProcess},
		{"create", r.create},
		{"http-verify", r.verifyHTTP},
		{"mcp", r.mcp},
		{"coldstart", r.coldStart},
	}
	for _, s := range steps {
		if !r.want(s.name) {
			continue
		}
		if err := s.fn(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	if r.want("list") || r.want("rss") {
		if err := r.large(ctx); err != nil {
			return err
		}
	}

	cpu1 := readCPU()
	elapsed := time.Since(r.start)
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	own := tv(self.Utime) + tv(self.Stime) + tv(children.Utime) + tv(children.Stime)
	busy, steal := cpu1.busy-cpu0.busy, cpu1.steal-cpu0.steal
	foreign := max(0, busy-own)
	r.notes = append(r.notes, fmt.Sprintf("CPU time over the run: %.0f s busy of %.0f s (%d cores × %.0f s): this run %.0f s, other processes %.1f s (%.2f cores on average), taken by the hypervisor (steal) %.1f s",
		busy, float64(runtime.NumCPU())*elapsed.Seconds(), runtime.NumCPU(), elapsed.Seconds(), own, foreign, foreign/elapsed.Seconds(), steal))
	if (foreign+steal)/elapsed.Seconds() > 0.1 {
		r.notes = append(r.notes, "WARNING: other processes or the hypervisor took CPU time during this run: the figures are disturbed; run again on a quiet machine")
	}

	table := r.table()
	fmt.Println()
	fmt.Print(table)
	fmt.Println()
	for _, n := range r.notes {
		fmt.Println("- " + n)
	}
	command := strings.Join(append([]string{"benchreport"}, os.Args[1:]...), " ")
	fmt.Printf("\nkeysmith: %s\ncommand: %s\nmachine: %s\ntotal: %s\n", r.commit, command, m.oneLine(), elapsed.Round(time.Second))
	if c.markdown != "" {
		var b strings.Builder
		fmt.Fprintf(&b, "Run of %s on keysmith %s (`%s`), %s in all.\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), r.commit, command, elapsed.Round(time.Second))
		b.WriteString(table)
		b.WriteString("\n")
		for _, n := range r.notes {
			b.WriteString("- " + n + "\n")
		}
		fmt.Fprintf(&b, "\nMachine: %s\n", m.oneLine())
		if err := os.WriteFile(c.markdown, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// ----- in-process rows -----------------------------------------------------

// benchmark runs f through testing.Benchmark, under a CPU profile into
// -profile/name.cpu.pprof the first time when profiling.
func (r *report) benchmark(name string, f func(*testing.B)) (testing.BenchmarkResult, error) {
	if r.c.profile != "" {
		path := filepath.Join(r.c.profile, name+".cpu.pprof")
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			pf, err := os.Create(path)
			if err != nil {
				return testing.BenchmarkResult{}, err
			}
			defer pf.Close()
			if err := pprof.StartCPUProfile(pf); err != nil {
				return testing.BenchmarkResult{}, err
			}
			defer pprof.StopCPUProfile()
		}
	}
	res := testing.Benchmark(f)
	if res.N == 0 {
		return res, fmt.Errorf("benchmark %s failed (it calls b.Fatal: run go test ./bench -bench to see why)", name)
	}
	return res, nil
}

func nsPerOp(res testing.BenchmarkResult) float64 {
	return float64(res.T.Nanoseconds()) / float64(res.N)
}

func (r *report) seed(ctx context.Context, name string, n int) (*bench.Dataset, error) {
	start := time.Now()
	ds, err := bench.Seed(ctx, filepath.Join(r.dir, name+".db"), n, 1)
	if err == nil && n >= 100_000 {
		r.logf("seeded %d keys in %s", n, time.Since(start).Round(100*time.Millisecond))
	}
	return ds, err
}

func (r *report) verifyInProcess(ctx context.Context) error {
	ds, err := r.seed(ctx, "verify", 1000)
	if err != nil {
		return err
	}
	store, err := keystore.Open(ctx, keystore.Config{Path: ds.Path})
	if err != nil {
		return err
	}
	defer store.Close()
	hits := make([]string, 64)
	for j := range hits {
		hits[j] = ds.Secret(bench.ActiveIndex(j))
	}
	misses := make([]string, 4096)
	for j := range misses {
		misses[j] = ds.Secret(ds.N + j)
	}
	r.logf("in-process Verify: hit (64 keys), miss (4096 unknown well-formed keys), never-seen miss, SHA-256; %d reps", r.c.reps)
	var hit, miss, freshMiss, shaHit, shaMiss []float64
	var hitAllocs, missAllocs, freshAllocs int64
	for range r.c.reps {
		if err := bench.WarmVerify(store, append(hits, misses...)); err != nil {
			return err
		}
		for _, m := range []struct {
			name string
			f    func(*testing.B)
			out  *[]float64
		}{
			{"verify-hit", bench.Verify(store, hits, true), &hit},
			{"sha256-hit", bench.SHA256(hits), &shaHit},
			{"verify-miss", bench.Verify(store, misses, false), &miss},
			{"sha256-miss", bench.SHA256(misses), &shaMiss},
			{"verify-miss-fresh", bench.VerifyFresh(store, ds), &freshMiss},
		} {
			res, err := r.benchmark(m.name, m.f)
			if err != nil {
				return err
			}
			*m.out = append(*m.out, nsPerOp(res))
			switch m.name {
			case "verify-hit":
				hitAllocs = res.AllocsPerOp()
			case "verify-miss":
				missAllocs = res.AllocsPerOp()
			case "verify-miss-fresh":
				freshAllocs = res.AllocsPerOp()
			}
		}
	}
	for _, x := range []struct {
		what      string
		v, c      []float64
		allocs    int64
		keyspools string
	}{
		{"hit", hit, shaHit, hitAllocs, "64 active keys in turn"},
		{"miss", miss, shaMiss, missAllocs, "4096 unknown well-formed keys in turn, each presented before"},
		{"miss, never-seen key", freshMiss, shaMiss, freshAllocs, "a new unknown well-formed key every call, as in a guessing attack"},
	} {
		v, c := median(x.v), median(x.c)
		r.add(row{
			figure:  "in-process verify (Store.Verify), " + x.what + ": time per call",
			value:   fmtNs(v),
			ceiling: fmtNs(c) + " (SHA-256 of the key)",
			ratio:   v / c, target: "≤ 3×", met: yesNo(v/c <= 3),
			note: fmt.Sprintf("%s, %d allocs/op", x.keyspools, x.allocs),
		})
	}
	return nil
}

func (r *report) create(ctx context.Context) error {
	store, err := keystore.Open(ctx, keystore.Config{Path: filepath.Join(r.dir, "create.db")})
	if err != nil {
		return err
	}
	defer store.Close()
	db, err := bench.OpenRaw(ctx, filepath.Join(r.dir, "raw.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	r.logf("durable creates: Store.Create vs raw INSERT, %s; %d reps", fsType(r.dir), r.c.reps)
	var ks, raw []float64
	for i := range r.c.reps {
		order := []string{"create", "raw-insert"}
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, name := range order {
			f, out := bench.Create(store), &ks
			if name == "raw-insert" {
				f, out = bench.RawInsert(db), &raw
			}
			res, err := r.benchmark(name, f)
			if err != nil {
				return err
			}
			*out = append(*out, 1e9/nsPerOp(res))
		}
	}
	v, c := median(ks), median(raw)
	r.add(row{
		figure:  "create_api_key (Store.Create), durable: keys/s",
		value:   fmt.Sprintf("%.0f/s", v),
		ceiling: fmt.Sprintf("%.0f/s (raw INSERT, same pragmas)", c),
		ratio:   v / c, target: "≥ 0.5×", met: yesNo(v/c >= 0.5),
		note: "one transaction per key, each committed (fsync) before the next; database on " + fsType(r.dir),
	})
	return nil
}

// ----- HTTP rows -------------------------------------------------------------

// startKeysmith starts the real binary (`keysmith http`), or under
// -profile keysmith's server in benchserver with a CPU profile.
func (r *report) startKeysmith(ctx context.Context, name, db string, extra ...string) (*bench.Proc, error) {
	addr, err := bench.FreeAddr()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(r.dir, name+".log")
	if r.c.profile != "" {
		args := append([]string{"keysmith", "-addr", addr, "-db", db, "-cpuprofile", filepath.Join(r.c.profile, name+".cpu.pprof")}, extra...)
		return bench.StartServer(ctx, addr, logPath, r.bins["benchserver"], args...)
	}
	return bench.StartServer(ctx, addr, logPath, r.bins["keysmith"], "http", "--addr", addr, "--db", db)
}

func (r *report) load(ctx context.Context, addr string, req func(c, n int) []byte) (bench.LoadResult, error) {
	return bench.Load{Addr: addr, Conns: r.c.conns, Warmup: r.c.warmup, Duration: r.c.duration, Request: req}.Run(ctx)
}

func (r *report) verifyHTTP(ctx context.Context) error {
	ds, err := r.seed(ctx, "http-verify", 1000)
	if err != nil {
		return err
	}
	ks, err := r.startKeysmith(ctx, "http-verify", ds.Path)
	if err != nil {
		return err
	}
	defer ks.Stop()
	body := []byte(`{"key":"` + ds.Secret(bench.ActiveIndex(0)) + `"}`)
	ksReq := bench.PostRequest(ks.Addr, "/v1/verify", ds.Management, body)
	status, answer, err := bench.Do(ks.Addr, ksReq)
	if err != nil || status != 200 {
		return fmt.Errorf("POST /v1/verify: %d %v %s", status, err, answer)
	}
	// The bare handler answers with exactly what keysmith answered.
	bodyFile := filepath.Join(r.dir, "bare-body.json")
	if err := os.WriteFile(bodyFile, answer, 0o600); err != nil {
		return err
	}
	bareAddr, err := bench.FreeAddr()
	if err != nil {
		return err
	}
	bare, err := bench.StartServer(ctx, bareAddr, filepath.Join(r.dir, "bare.log"), r.bins["benchserver"], "bare", "-addr", bareAddr, "-body", bodyFile)
	if err != nil {
		return err
	}
	defer bare.Stop()
	bareReq := bench.PostRequest(bare.Addr, "/v1/verify", ds.Management, body)

	r.logf("POST /v1/verify: keysmith vs bare handler, %d connections, %s + %s each; %d reps", r.c.conns, r.c.warmup, r.c.duration, r.c.reps)
	var ksRes, bareRes []bench.LoadResult
	for i := range r.c.reps {
		order := []bool{false, true}
		if i%2 == 1 {
			order = []bool{true, false}
		}
		for _, isKS := range order {
			addr, req, out := bare.Addr, bareReq, &bareRes
			if isKS {
				addr, req, out = ks.Addr, ksReq, &ksRes
			}
			res, err := r.load(ctx, addr, func(int, int) []byte { return req })
			if err != nil {
				return err
			}
			if res.Status[200] != res.Requests {
				return fmt.Errorf("POST /v1/verify on %s: statuses %v", addr, res.Status)
			}
			*out = append(*out, res)
		}
	}
	r.addLoadRows("POST /v1/verify, 64 connections", ksRes, bareRes, "bare net/http handler", "≥ 0.7×", 0.7, "≤ 1.5× the bare p99", 1.5,
		"one valid key, management key in the header; client and server share the cores")
	return nil
}

// addLoadRows adds req/s, p50 and p99 rows for keysmith against a ceiling.
func (r *report) addLoadRows(figure string, ks, ceil []bench.LoadResult, ceilName, rpsTarget string, rpsMin float64, p99Target string, p99Max float64, note string) {
	rps := func(rs []bench.LoadResult) float64 {
		return median(collect(rs, func(x bench.LoadResult) float64 { return x.PerSec }))
	}
	p50 := func(rs []bench.LoadResult) float64 {
		return median(collect(rs, func(x bench.LoadResult) float64 { return float64(x.P50) }))
	}
	p99 := func(rs []bench.LoadResult) float64 {
		return median(collect(rs, func(x bench.LoadResult) float64 { return float64(x.P99) }))
	}
	v, c := rps(ks), rps(ceil)
	r.add(row{figure: figure + ": requests/s", value: fmt.Sprintf("%.0f/s", v), ceiling: fmt.Sprintf("%.0f/s (%s)", c, ceilName),
		ratio: v / c, target: rpsTarget, met: yesNo(v/c >= rpsMin), note: note})
	v, c = p50(ks), p50(ceil)
	r.add(row{figure: figure + ": p50 latency", value: fmtNs(v), ceiling: fmtNs(c), ratio: v / c, target: "—", met: "—"})
	v, c = p99(ks), p99(ceil)
	if p99Target == "" {
		r.add(row{figure: figure + ": p99 latency", value: fmtNs(v), ceiling: fmtNs(c), ratio: v / c, target: "—", met: "—"})
	} else {
		r.add(row{figure: figure + ": p99 latency", value: fmtNs(v), ceiling: fmtNs(c), ratio: v / c, target: p99Target, met: yesNo(v/c <= p99Max)})
	}
}

func (r *report) mcp(ctx context.Context) error {
	ds, err := r.seed(ctx, "mcp", 1000)
	if err != nil {
		return err
	}
	addr, err := bench.FreeAddr()
	if err != nil {
		return err
	}
	args := []string{"keysmith", "-noop", "-addr", addr, "-db", ds.Path}
	if r.c.profile != "" {
		args = append(args, "-cpuprofile", filepath.Join(r.c.profile, "mcp.cpu.pprof"))
	}
	srv, err := bench.StartServer(ctx, addr, filepath.Join(r.dir, "mcp.log"), r.bins["benchserver"], args...)
	if err != nil {
		return err
	}
	defer srv.Stop()
	call := func(tool, arguments string) []byte {
		body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"` + tool + `","arguments":` + arguments + `}}`
		return bench.PostRequest(addr, "/mcp", ds.Management, []byte(body), "Accept", "application/json, text/event-stream")
	}
	calls := []struct {
		name string
		req  []byte
		keys int // keys in the result, -1 for the no-op
	}{
		{"noop", call("noop", `{}`), -1},
		{"list-50", call("list_api_keys", `{}`), 50},
		{"list-10", call("list_api_keys", `{"application":"`+bench.Application(3)+`","limit":10}`), 10},
	}
	for _, c := range calls {
		if err := checkToolCall(addr, c.req, c.keys); err != nil {
			return fmt.Errorf("%s: %w", c.name, err)
		}
	}
	r.logf("MCP tools/call over HTTP: list_api_keys (50 keys, 10 keys) vs a no-op tool on the same server; %d reps", r.c.reps)
	results := map[string][]bench.LoadResult{}
	for i := range r.c.reps {
		order := slices.Clone(calls)
		if i%2 == 1 {
			slices.Reverse(order)
		}
		for _, c := range order {
			res, err := r.load(ctx, addr, func(int, int) []byte { return c.req })
			if err != nil {
				return err
			}
			if res.Status[200] != res.Requests {
				return fmt.Errorf("%s: statuses %v", c.name, res.Status)
			}
			results[c.name] = append(results[c.name], res)
		}
	}
	rps := func(name string) float64 {
		return median(collect(results[name], func(x bench.LoadResult) float64 { return x.PerSec }))
	}
	p99 := func(name string) float64 {
		return median(collect(results[name], func(x bench.LoadResult) float64 { return float64(x.P99) }))
	}
	noop := rps("noop")
	for _, x := range []struct{ name, what string }{
		{"list-50", "default arguments: a full page of 50 keys"},
		{"list-10", "one application, limit 10"},
	} {
		v := rps(x.name)
		r.add(row{
			figure:  "MCP tools/call list_api_keys over HTTP (" + x.what + "): calls/s",
			value:   fmt.Sprintf("%.0f/s", v),
			ceiling: fmt.Sprintf("%.0f/s (no-op tool, same server)", noop),
			ratio:   v / noop, target: "≥ 0.8×", met: yesNo(v/noop >= 0.8),
			note: fmt.Sprintf("%d connections, stateless POSTs; p99 %s vs %s", r.c.conns, fmtNs(p99(x.name)), fmtNs(p99("noop"))),
		})
	}
	return nil
}

// checkToolCall makes the call once and checks that it succeeded with the
// number of keys expected (-1: any result).
func checkToolCall(addr string, req []byte, keys int) error {
	status, body, err := bench.Do(addr, req)
	if err != nil || status != 200 {
		return fmt.Errorf("status %d, %v: %s", status, err, body)
	}
	var msg struct {
		Result struct {
			IsError           bool `json:"isError"`
			StructuredContent struct {
				Keys []json.RawMessage `json:"keys"`
			} `json:"structuredContent"`
		} `json:"result"`
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(body, &msg); err != nil || msg.Error != nil || msg.Result.IsError {
		return fmt.Errorf("not a successful tool result: %.300s", body)
	}
	if keys >= 0 && len(msg.Result.StructuredContent.Keys) != keys {
		return fmt.Errorf("%d keys, want %d", len(msg.Result.StructuredContent.Keys), keys)
	}
	return nil
}

// ----- stdio cold start ------------------------------------------------------

func (r *report) coldStart(ctx context.Context) error {
	ds, err := r.seed(ctx, "stdio", 1000)
	if err != nil {
		return err
	}
	ksArgs := []string{"stdio", "--db", ds.Path}
	// One start of each first, not counted: it brings the binaries into
	// the page cache, as they are on any machine that has run them once.
	if _, _, err := bench.ColdStart(ctx, r.bins["keysmith"], ksArgs...); err != nil {
		return fmt.Errorf("keysmith stdio: %w", err)
	}
	if _, _, err := bench.ColdStart(ctx, r.bins["mcpecho"]); err != nil {
		return fmt.Errorf("mcpecho: %w", err)
	}
	r.logf("stdio cold start to the tools/list answer: keysmith vs mcp-go echo, %d each", r.c.coldStarts)
	var ks, echo []float64
	var ksTools int
	for i := range r.c.coldStarts {
		order := []bool{true, false}
		if i%2 == 1 {
			order = []bool{false, true}
		}
		for _, isKS := range order {
			if isKS {
				d, n, err := bench.ColdStart(ctx, r.bins["keysmith"], ksArgs...)
				if err != nil {
					return fmt.Errorf("keysmith stdio: %w", err)
				}
				ks, ksTools = append(ks, float64(d)), n
			} else {
				d, _, err := bench.ColdStart(ctx, r.bins["mcpecho"])
				if err != nil {
					return fmt.Errorf("mcpecho: %w", err)
				}
				echo = append(echo, float64(d))
			}
		}
	}
	v, c := median(ks), median(echo)
	r.add(row{
		figure:  "stdio cold start: spawn to the tools/list answer",
		value:   fmtNs(v),
		ceiling: fmtNs(c) + " (mcp-go echo server)",
		ratio:   v / c, target: "≤ 2×", met: yesNo(v/c <= 2),
		note: fmt.Sprintf("median of %d; initialize, notifications/initialized, tools/list (%d tools); %s, both built with -ldflags %q",
			r.c.coldStarts, ksTools, binSizes(r.bins["keysmith"], r.bins["mcpecho"]), bench.LDFlags),
	})
	return nil
}

func binSizes(paths ...string) string {
	var parts []string
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil {
			parts = append(parts, fmt.Sprintf("%s %.1f MiB", filepath.Base(p), float64(fi.Size())/(1<<20)))
		}
	}
	return strings.Join(parts, ", ")
}

// ----- 1M keys: list and RSS ---------------------------------------------------

func (r *report) large(ctx context.Context) error {
	r.logf("seeding %d keys (and 1000 for the list ceiling)", r.c.keys)
	large, err := r.seed(ctx, "large", r.c.keys)
	if err != nil {
		return err
	}
	if fi, err := os.Stat(large.Path); err == nil {
		r.notes = append(r.notes, fmt.Sprintf("the %d-key database is %.0f MiB", r.c.keys, float64(fi.Size())/(1<<20)))
	}
	if r.want("list") {
		small, err := r.seed(ctx, "list-small", 1000)
		if err != nil {
			return err
		}
		if err := r.list(ctx, small, large); err != nil {
			return fmt.Errorf("list: %w", err)
		}
	}
	if r.want("rss") {
		if err := r.rss(ctx, large); err != nil {
			return fmt.Errorf("rss: %w", err)
		}
	}
	return nil
}

func (r *report) list(ctx context.Context, small, large *bench.Dataset) error {
	type side struct {
		ds    *bench.Dataset
		store *keystore.Store
		cases []bench.ListCase
	}
	var sides [2]side
	for i, ds := range []*bench.Dataset{small, large} {
		store, err := keystore.Open(ctx, keystore.Config{Path: ds.Path})
		if err != nil {
			return err
		}
		defer store.Close()
		cases := bench.ListCases(ctx, store, ds)
		for _, c := range cases {
			if c.Err != nil {
				return fmt.Errorf("%s: %w", c.Name, c.Err)
			}
		}
		sides[i] = side{ds, store, cases}
	}
	r.logf("Store.List, page of 50: %d keys vs 1000 keys; %d reps", large.N, r.c.reps)
	times := make([][2][]float64, len(sides[0].cases))
	for rep := range r.c.reps {
		for ci := range sides[0].cases {
			order := []int{0, 1}
			if rep%2 == 1 {
				order = []int{1, 0}
			}
			for _, si := range order {
				s := sides[si]
				c := s.cases[ci]
				res, err := r.benchmark(fmt.Sprintf("list-%s-%d", c.Name, s.ds.N), bench.List(s.store, c.In, c.Want))
				if err != nil {
					return err
				}
				times[ci][si] = append(times[ci][si], nsPerOp(res))
			}
		}
	}
	what := map[string]string{
		"first-page":      "first page, defaults (active keys, every application)",
		"middle-page":     "a page from the middle, through a cursor",
		"one-application": "first page of one application",
	}
	for ci, c := range sides[0].cases {
		v, base := median(times[ci][1]), median(times[ci][0])
		r.add(row{
			figure:  fmt.Sprintf("list page of 50 at %s keys (Store.List): %s", human(large.N), what[c.Name]),
			value:   fmtNs(v),
			ceiling: fmtNs(base) + " (same at 1k keys)",
			ratio:   v / base, target: "≤ 1.5×", met: yesNo(v/base <= 1.5),
		})
	}
	return nil
}

// rssRun starts keysmith on the large database, drives a verify load over
// random active keys for warmup+duration, and reads its memory.
type rssResult struct {
	idle, after bench.Memory
	conns       int // SQLite connections open on the database file
	load        bench.LoadResult
}

func (r *report) rssRun(ctx context.Context, large *bench.Dataset, name string, seed uint64, warmup, duration time.Duration) (rssResult, error) {
	var extra []string
	if r.c.profile != "" {
		extra = []string{"-memprofile", filepath.Join(r.c.profile, name+".heap.pprof")}
	}
	ks, err := r.startKeysmith(ctx, name, large.Path, extra...)
	if err != nil {
		return rssResult{}, err
	}
	defer ks.Stop()
	var out rssResult
	if out.idle, err = bench.ReadMemory(ks.Pid()); err != nil {
		return out, err
	}
	active := bench.ActiveCount(large.N)
	prefix := bench.PostRequest(ks.Addr, "/v1/verify", large.Management, nil)
	prefix = prefix[:len(prefix)-len("Content-Length: 0\r\n\r\n")]
	rngs := make([]*rand.Rand, r.c.conns)
	for c := range rngs {
		rngs[c] = rand.New(rand.NewPCG(uint64(c), seed))
	}
	load := bench.Load{Addr: ks.Addr, Conns: r.c.conns, Warmup: warmup, Duration: duration,
		Request: func(c, n int) []byte {
			secret := large.Secret(bench.ActiveIndex(rngs[c].IntN(active)))
			body := `{"key":"` + secret + `"}`
			return fmt.Appendf(slices.Clip(prefix), "Content-Length: %d\r\n\r\n%s", len(body), body)
		}}
	if out.load, err = load.Run(ctx); err != nil {
		return out, err
	}
	if out.load.Status[200] != out.load.Requests {
		return out, fmt.Errorf("verify load: statuses %v", out.load.Status)
	}
	if out.after, err = bench.ReadMemory(ks.Pid()); err != nil {
		return out, err
	}
	out.conns = bench.OpenFiles(ks.Pid(), filepath.Base(large.Path))
	return out, nil
}

func (r *report) rss(ctx context.Context, large *bench.Dataset) error {
	active := bench.ActiveCount(large.N)
	mib := func(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }
	const limit = 64 << 20
	r.logf("RSS: a fresh keysmith http per rep, verify load over random keys among %d active of %d, %d connections, %s + %s; %d reps",
		active, large.N, r.c.conns, r.c.warmup, r.c.duration, r.c.reps)
	var runs []rssResult
	for i := range r.c.reps {
		res, err := r.rssRun(ctx, large, fmt.Sprintf("rss-%d", i+1), uint64(i), r.c.warmup, r.c.duration)
		if err != nil {
			return err
		}
		runs = append(runs, res)
	}
	v := median(collect(runs, func(x rssResult) float64 { return float64(x.after.RSS) }))
	r.add(row{
		figure:  fmt.Sprintf("RSS of keysmith http with %s keys after a verify load", human(large.N)),
		value:   mib(v),
		ceiling: "—",
		ratio:   math.NaN(), target: "≤ 64 MiB", met: yesNo(v <= limit),
		note: fmt.Sprintf("VmRSS after %s + %s of %d connections verifying random keys among %d (%.0f/s, p99 %s); %s at start, peak (VmHWM) %s; %d SQLite connections open on the file",
			r.c.warmup, r.c.duration, r.c.conns, active,
			median(collect(runs, func(x rssResult) float64 { return x.load.PerSec })),
			fmtNs(median(collect(runs, func(x rssResult) float64 { return float64(x.load.P99) }))),
			mib(median(collect(runs, func(x rssResult) float64 { return float64(x.idle.RSS) }))),
			mib(median(collect(runs, func(x rssResult) float64 { return float64(x.after.HWM) }))),
			runs[len(runs)-1].conns),
	})
	if r.c.sustained <= 0 {
		return nil
	}
	r.logf("RSS: one sustained verify load of %s", r.c.sustained)
	res, err := r.rssRun(ctx, large, "rss-sustained", 99, 0, r.c.sustained)
	if err != nil {
		return err
	}
	r.add(row{
		figure:  fmt.Sprintf("peak RSS of keysmith http with %s keys over a sustained %s verify load", human(large.N), r.c.sustained),
		value:   mib(float64(res.after.HWM)),
		ceiling: "—",
		ratio:   math.NaN(), target: "≤ 64 MiB", met: yesNo(res.after.HWM <= limit),
		note: fmt.Sprintf("VmHWM; one run (not a median); %d verifications of random keys among %d, %.0f/s; VmRSS at the end %s",
			res.load.Requests, active, res.load.PerSec, mib(float64(res.after.RSS))),
	})
	return nil
}

// ----- the table -------------------------------------------------------------

func (r *report) add(x row) {
	r.rows = append(r.rows, x)
	ratio := "—"
	if !math.IsNaN(x.ratio) {
		ratio = fmt.Sprintf("%.2f×", x.ratio)
	}
	r.logf("  %s: %s vs %s = %s (target %s: %s)", x.figure, x.value, x.ceiling, ratio, x.target, x.met)
}

func (r *report) table() string {
	header := []string{"figure", "keysmith", "ceiling, measured beside it", "ratio", "target", "met"}
	lines := [][]string{header}
	for _, x := range r.rows {
		ratio := "—"
		if !math.IsNaN(x.ratio) {
			ratio = fmt.Sprintf("%.2f×", x.ratio)
		}
		lines = append(lines, []string{x.figure, x.value, x.ceiling, ratio, x.target, x.met})
	}
	width := make([]int, len(header))
	for _, l := range lines {
		for i, cell := range l {
			width[i] = max(width[i], len([]rune(cell)))
		}
	}
	var b strings.Builder
	for li, l := range lines {
		b.WriteString("|")
		for i, cell := range l {
			fmt.Fprintf(&b, " %s%s |", cell, strings.Repeat(" ", width[i]-len([]rune(cell))))
		}
		b.WriteString("\n")
		if li == 0 {
			b.WriteString("|")
			for i := range l {
				fmt.Fprintf(&b, "%s|", strings.Repeat("-", width[i]+2))
			}
			b.WriteString("\n")
		}
	}
	var notes []string
	for _, x := range r.rows {
		if x.note != "" {
			notes = append(notes, x.figure+": "+x.note)
		}
	}
	if len(notes) > 0 {
		b.WriteString("\n")
		for _, n := range notes {
			b.WriteString("- " + n + "\n")
		}
	}
	return b.String()
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func collect[T any](xs []T, f func(T) float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}

// fmtNs formats nanoseconds with a unit that keeps three digits.
func fmtNs(ns float64) string {
	switch {
	case ns < 1e3:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.1f µs", ns/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
	return fmt.Sprintf("%.2f s", ns/1e9)
}

func human(n int) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

// ----- the machine -----------------------------------------------------------

type machineInfo struct {
	cpu, kernel, mem, goVersion string
	cores                       int
}

func machine() machineInfo {
	m := machineInfo{cores: runtime.NumCPU(), goVersion: runtime.Version(), cpu: "unknown CPU"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			if name, value, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(name) == "model name" {
				m.cpu = strings.TrimSpace(value)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for line := range strings.Lines(string(b)) {
			var kb int64
			if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
				m.mem = fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
			}
		}
	}
	return m
}

func (m machineInfo) oneLine() string {
	return fmt.Sprintf("%d cores (%s), %s memory, %s, %s/%s, %s", m.cores, m.cpu, m.mem, m.kernel, runtime.GOOS, runtime.GOARCH, m.goVersion)
}

// fsType names the file system a directory is on: fsync costs differ.
func fsType(dir string) string {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return "an unknown file system"
	}
	names := map[int64]string{0xEF53: "ext4", 0x01021994: "tmpfs", 0x58465342: "xfs", 0x9123683E: "btrfs", 0x794c7630: "overlayfs"}
	if n, ok := names[int64(st.Type)]; ok {
		return n
	}
	return fmt.Sprintf("file system 0x%x", st.Type)
}

// cpuTimes is the machine's busy CPU time and the time the hypervisor
// took from it (steal), from /proc/stat, in seconds.
type cpuTimes struct{ busy, steal float64 }

func readCPU() cpuTimes {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return cpuTimes{}
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return cpuTimes{}
	}
	var t cpuTimes
	// user nice system idle iowait irq softirq steal (guest time is in user)
	for i, f := range fields[1:9] {
		var v float64
		fmt.Sscan(f, &v)
		switch i {
		case 3, 4:
		case 7:
			t.steal += v / 100 // USER_HZ is 100 on Linux
		default:
			t.busy += v / 100
		}
	}
	return t
}

// describe names the commit measured, as `make build` versions keysmith.
func describe(ctx context.Context, root string) string {
	cmd := exec.CommandContext(ctx, "git", "describe", "--tags", "--always", "--dirty")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return "(not a git checkout)"
	}
	return strings.TrimSpace(string(out))
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
