package bench

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LDFlags are the link flags every benchmarked binary is built with, as
// `make build` builds keysmith: only the version is set.
const LDFlags = "-X main.version=bench"

// Build builds the keysmith binary and the bench helpers into dir, with one
// `go build` and the same flags for all, and returns their paths by name
// (keysmith, benchserver, mcpecho). root is the module's directory.
func Build(ctx context.Context, goCmd, root, dir string) (map[string]string, error) {
	pkgs := []string{"./cmd/keysmith", "./bench/cmd/benchserver", "./bench/cmd/mcpecho"}
	cmd := exec.CommandContext(ctx, goCmd, append([]string{"build", "-ldflags", LDFlags, "-o", dir + string(os.PathSeparator)}, pkgs...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("go build: %w\n%s", err, out)
	}
	bins := map[string]string{}
	for _, p := range pkgs {
		name := filepath.Base(p)
		bins[name] = filepath.Join(dir, name)
	}
	return bins, nil
}

// ModuleRoot returns the directory of the main module of the working
// directory.
func ModuleRoot(ctx context.Context, goCmd string) (string, error) {
	out, err := exec.CommandContext(ctx, goCmd, "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module: run from the keysmith repository")
	}
	return filepath.Dir(gomod), nil
}

// FreeAddr returns a loopback address with a port that was free a moment
// ago.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// Proc is a server process under measurement.
type Proc struct {
	Addr string
	cmd  *exec.Cmd
	done chan error
	log  *os.File
}

// StartServer runs bin with args (which must make it listen on addr),
// logging to logPath, and waits until GET /healthz answers. The child is
// killed if this process dies, so a run always stops by itself.
func StartServer(ctx context.Context, addr, logPath, bin string, args ...string) (*Proc, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = cleanEnv()
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, err
	}
	p := &Proc{Addr: addr, cmd: cmd, done: make(chan error, 1), log: logf}
	go func() { p.done <- cmd.Wait() }()
	health := []byte("GET /healthz HTTP/1.1\r\nHost: " + addr + "\r\n\r\n")
	deadline := time.Now().Add(30 * time.Second)
	for {
		if status, _, err := Do(addr, health); err == nil && status == 200 {
			return p, nil
		}
		select {
		case err := <-p.done:
			logf.Close()
			return nil, fmt.Errorf("%s exited before serving: %v (log %s)", filepath.Base(bin), err, logPath)
		case <-ctx.Done():
			p.Stop()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.Stop()
			return nil, fmt.Errorf("%s did not answer /healthz within 30s (log %s)", filepath.Base(bin), logPath)
		}
	}
}

// Pid is the server's process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Stop asks the server to shut down (SIGTERM), and kills it after 15s.
func (p *Proc) Stop() error {
	defer p.log.Close()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		return err
	case <-time.After(15 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
		return errors.New("killed after 15s without shutting down")
	}
}

// Memory is a process's resident set: now and at its peak.
type Memory struct {
	RSS, HWM int64 // bytes
}

// ReadMemory reads VmRSS and VmHWM of a process from /proc.
func ReadMemory(pid int) (Memory, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Memory{}, err
	}
	var m Memory
	for line := range strings.Lines(string(b)) {
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			continue
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch name {
		case "VmRSS":
			m.RSS = kb << 10
		case "VmHWM":
			m.HWM = kb << 10
		}
	}
	if m.RSS == 0 {
		return m, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
	}
	return m, nil
}

// OpenFiles counts the open file descriptors of a process whose target's
// base name is name: for a SQLite database file, the connections open on it.
func OpenFiles(pid int, name string) int {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return -1
	}
	n := 0
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && filepath.Base(target) == name {
			n++
		}
	}
	return n
}

// cleanEnv is this process's environment without keysmith's own variables,
// so that an operator's settings do not leak into what is measured.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KEYSMITH_") {
			env = append(env, kv)
		}
	}
	return env
}

// ColdStart spawns an MCP stdio server and times it from spawn to the
// answer to tools/list, going through initialize and
// notifications/initialized as a client does. It returns the time and the
// number of tools listed.
func ColdStart(ctx context.Context, bin string, args ...string) (time.Duration, int, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = cleanEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 0, 0, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return 0, 0, err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, 0, err
	}
	defer func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()
	br := bufio.NewReader(stdout)
	if _, err := io.WriteString(stdin, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"keysmith-bench","version":"1"}}}`+"\n"); err != nil {
		return 0, 0, err
	}
	if _, err := readRPC(br, 1); err != nil {
		return 0, 0, fmt.Errorf("initialize: %w (stderr: %s)", err, stderr.Bytes())
	}
	if _, err := io.WriteString(stdin, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"+
		`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`+"\n"); err != nil {
		return 0, 0, err
	}
	res, err := readRPC(br, 2)
	if err != nil {
		return 0, 0, fmt.Errorf("tools/list: %w (stderr: %s)", err, stderr.Bytes())
	}
	elapsed := time.Since(start)
	var list struct {
		Tools []json.RawMessage `json:"tools"`
	}
	if err := json.Unmarshal(res, &list); err != nil || len(list.Tools) == 0 {
		return 0, 0, fmt.Errorf("tools/list: no tools in %s", res)
	}
	return elapsed, len(list.Tools), nil
}

// readRPC reads JSON-RPC lines until the response with the id, and returns
// its result.
func readRPC(br *bufio.Reader, id int) (json.RawMessage, error) {
	for {
		line, err := br.ReadBytes('\n')
		if err != nil {
			return nil, err
		}
		var msg struct {
			ID     *int            `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  json.RawMessage `json:"error"`
		}
		if json.Unmarshal(line, &msg) != nil || msg.ID == nil || *msg.ID != id {
			continue
		}
		if msg.Error != nil {
			return nil, fmt.Errorf("error %s", msg.Error)
		}
		return msg.Result, nil
	}
}
