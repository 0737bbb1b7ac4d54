package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Load describes one HTTP load: Conns keep-alive connections to Addr, each
// sending one request at a time (a closed loop), for Warmup and then
// Duration; only requests that start and finish inside the Duration window
// count.
type Load struct {
	Addr     string
	Conns    int
	Warmup   time.Duration
	Duration time.Duration
	// Request returns the bytes of the n-th request of connection c: a whole
	// HTTP/1.1 request, headers and body.
	Request func(c, n int) []byte
}

// LoadResult is what a load measured.
type LoadResult struct {
	Requests int           // requests completed in the window
	PerSec   float64       // Requests / Duration
	P50, P99 time.Duration // latency from first byte written to last byte read
	Status   map[int]int   // responses by status code, in the window
	Errors   int           // connection or protocol errors (the connection is redialled)
}

// Run drives the load. Its client is deliberately lean (pre-built request
// bytes, a minimal HTTP/1.1 response reader, no per-request allocation when
// the request bytes are constant) because it shares the machine's cores with
// the server it measures: every cycle it spends is taken from the server.
func (l Load) Run(ctx context.Context) (LoadResult, error) {
	start := time.Now()
	from, to := start.Add(l.Warmup), start.Add(l.Warmup+l.Duration)
	ctx, cancel := context.WithDeadline(ctx, to)
	defer cancel()

	type result struct {
		lat    []time.Duration
		status map[int]int
		errs   int
		err    error
	}
	results := make([]result, l.Conns)
	var wg sync.WaitGroup
	for c := range l.Conns {
		wg.Go(func() {
			r := &results[c]
			r.status = map[int]int{}
			r.lat = make([]time.Duration, 0, 1<<14)
			var (
				conn net.Conn
				br   *bufio.Reader
			)
			defer func() {
				if conn != nil {
					conn.Close()
				}
			}()
			for n := 0; ctx.Err() == nil; n++ {
				if conn == nil {
					var err error
					d := net.Dialer{}
					conn, err = d.DialContext(ctx, "tcp", l.Addr)
					if err != nil {
						if ctx.Err() == nil {
							r.errs++
							if r.errs > 100 {
								r.err = err
								return
							}
							time.Sleep(10 * time.Millisecond)
						}
						continue
					}
					conn.SetDeadline(to.Add(5 * time.Second))
					br = bufio.NewReaderSize(conn, 64<<10)
				}
				req := l.Request(c, n)
				t0 := time.Now()
				_, err := conn.Write(req)
				var status int
				if err == nil {
					status, err = readResponse(br)
				}
				t1 := time.Now()
				if err != nil {
					conn.Close()
					conn = nil
					if t1.Before(to) {
						r.errs++
					}
					continue
				}
				if !t0.Before(from) && !t1.After(to) {
					r.lat = append(r.lat, t1.Sub(t0))
					r.status[status]++
				}
			}
		})
	}
	wg.Wait()

	out := LoadResult{Status: map[int]int{}}
	var all []time.Duration
	for _, r := range results {
		if r.err != nil {
			return out, fmt.Errorf("load on %s: %w", l.Addr, r.err)
		}
		all = append(all, r.lat...)
		out.Errors += r.errs
		for s, n := range r.status {
			out.Status[s] += n
		}
	}
	if len(all) == 0 {
		return out, fmt.Errorf("load on %s: no request completed", l.Addr)
	}
	slices.Sort(all)
	out.Requests = len(all)
	out.PerSec = float64(len(all)) / l.Duration.Seconds()
	out.P50 = all[len(all)*50/100]
	out.P99 = all[len(all)*99/100]
	return out, nil
}

// readResponse reads one HTTP/1.1 response (Content-Length or chunked body)
// and returns its status code.
func readResponse(br *bufio.Reader) (int, error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		return 0, err
	}
	// HTTP/1.1 200 OK
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	status, err := strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, fmt.Errorf("bad status line %q", line)
	}
	length, chunked := -1, false
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return 0, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		value = bytes.TrimSpace(value)
		switch {
		case asciiEqualFold(name, "Content-Length"):
			if length, err = strconv.Atoi(string(value)); err != nil {
				return 0, fmt.Errorf("bad Content-Length %q", value)
			}
		case asciiEqualFold(name, "Transfer-Encoding"):
			chunked = asciiEqualFold(value, "chunked")
		}
	}
	switch {
	case chunked:
		for {
			line, err := br.ReadSlice('\n')
			if err != nil {
				return 0, err
			}
			size, err := strconv.ParseInt(string(bytes.TrimRight(bytes.SplitN(line, []byte(";"), 2)[0], "\r\n")), 16, 64)
			if err != nil {
				return 0, fmt.Errorf("bad chunk size %q", line)
			}
			if size == 0 {
				for { // trailers, then the empty line
					line, err := br.ReadSlice('\n')
					if err != nil {
						return 0, err
					}
					if len(bytes.TrimRight(line, "\r\n")) == 0 {
						return status, nil
					}
				}
			}
			if _, err := br.Discard(int(size) + 2); err != nil {
				return 0, err
			}
		}
	case length >= 0:
		_, err := br.Discard(length)
		return status, err
	default:
		return 0, errors.New("response without length: the load needs keep-alive responses")
	}
}

func asciiEqualFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i]|0x20, s[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}

// PostRequest builds an HTTP/1.1 POST with a JSON body and the headers an
// API client sends.
func PostRequest(host, path, bearer string, body []byte, extra ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: keysmith-bench\r\n", path, host)
	if bearer != "" {
		fmt.Fprintf(&b, "Authorization: Bearer %s\r\n", bearer)
	}
	fmt.Fprintf(&b, "Content-Type: application/json\r\nContent-Length: %d\r\n", len(body))
	for i := 0; i+1 < len(extra); i += 2 {
		fmt.Fprintf(&b, "%s: %s\r\n", extra[i], extra[i+1])
	}
	b.WriteString("\r\n")
	b.Write(body)
	return b.Bytes()
}

// Do sends one request on a fresh connection and returns the status and the
// body, for set-up and checks outside the timed window.
func Do(addr string, req []byte) (int, []byte, error) {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := conn.Write(req); err != nil {
		return 0, nil, err
	}
	br := bufio.NewReader(conn)
	resp, err := readFull(br)
	return resp.status, resp.body, err
}

type fullResponse struct {
	status int
	body   []byte
}

// readFull is readResponse keeping the body, through net/http's reader.
func readFull(br *bufio.Reader) (fullResponse, error) {
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fullResponse{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return fullResponse{resp.StatusCode, body}, err
}
