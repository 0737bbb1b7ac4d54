// Package httpserver serves keysmith over HTTP: Streamable HTTP MCP at /mcp,
// key verification at POST /v1/verify and liveness at GET /healthz. Every
// request to /mcp and /v1/verify must carry a management key.
package httpserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/keysmith/keysmith/keystore"
)

// MaxBodyBytes caps a request body; a larger one gets 413.
const MaxBodyBytes = 1 << 20

// Store is what the HTTP side needs of the key store.
type Store interface {
	Authenticate(ctx context.Context, secret, from string) (keystore.Caller, error)
	Check(ctx context.Context, secret string) (keystore.Caller, error)
	Verify(ctx context.Context, c keystore.Caller, secret string) (keystore.Verification, error)
}

// Config is what an operator may set for the HTTP side.
type Config struct {
	// AllowedOrigins are the browser origins (scheme://host[:port]) allowed
	// besides loopback ones. A request with any other Origin gets 403.
	AllowedOrigins []string
	// ReadHeaderTimeout cuts off clients that send their headers slowly
	// (default 10s).
	ReadHeaderTimeout time.Duration
	// Now is the clock of the failed-authentication limiter (default time.Now).
	Now func() time.Time
}

// Server is keysmith's HTTP server.
type Server struct {
	store   Store
	limiter *failureLimiter
	log     *slog.Logger
	cfg     Config
	mcp     *server.StreamableHTTPServer
	http    *http.Server
	handler http.Handler
}

// New returns a server for the MCP server m and the store.
func New(store Store, m *server.MCPServer, log *slog.Logger, cfg Config) *Server {
	if cfg.ReadHeaderTimeout == 0 {
		cfg.ReadHeaderTimeout = 10 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	s := &Server{store: store, log: log, cfg: cfg, limiter: newFailureLimiter(cfg.Now)}
	s.http = &http.Server{
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		ReadTimeout:       30 * time.Second,
		// No WriteTimeout: /mcp answers may be long-lived event streams.
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	s.mcp = server.NewStreamableHTTPServer(m,
		server.WithEndpointPath("/mcp"),
		// No sessions: every request is authenticated on its own and the
		// tools keep no per-client state, so any request may come first,
		// a tools/call included.
		server.WithStateLess(true),
		server.WithStreamableHTTPServer(s.http),
		server.WithStreamableHTTPLogger(log),
	)

	// Authentication comes before the body is read, so a client without a
	// key cannot make the server read a megabyte.
	mux := http.NewServeMux()
	mux.Handle("/mcp", s.authenticate(limitBody(s.mcp)))
	mux.Handle("POST /v1/verify", s.authenticate(limitBody(http.HandlerFunc(s.verify))))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	s.handler = s.logRequests(s.checkOrigin(mux))
	s.http.Handler = s.handler
	return s
}

// Handler is the server's whole HTTP handler, for tests with httptest.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers requests on ln until ctx ends, then shuts down gracefully:
// no new connections, event streams closed, calls in flight finished (for
// up to ten seconds).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.log.Info("shutting down")
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.mcp.Shutdown(shutdown); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// authenticate lets through only requests with a valid management key, and
// hands their caller to what follows. The 401 carries no OAuth discovery
// metadata: clients that see it switch to OAuth and drop the configured
// bearer header.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret := bearer(r.Header.Get("Authorization"))
		var (
			c   keystore.Caller
			err error
		)
		if blocked, retry := s.limiter.blocked(r.RemoteAddr); blocked {
			// Over the limit, only a valid key gets through, and a refusal
			// is neither audited nor counted again.
			c, err = s.store.Check(r.Context(), secret)
			if err != nil {
				w.Header().Set("Retry-After", strconv.Itoa(int(retry.Seconds())+1))
				writeError(w, http.StatusTooManyRequests, keystore.EUnauthorized, "too many failed authentications from this address: try again later")
				return
			}
		} else {
			c, err = s.store.Authenticate(r.Context(), secret, r.RemoteAddr)
		}
		if err != nil {
			if keystore.ErrorCode(err) == keystore.EInternal {
				s.log.ErrorContext(r.Context(), "authenticate", "err", err)
				writeError(w, http.StatusInternalServerError, keystore.EInternal, keystore.ErrorMessage(err))
				return
			}
			s.limiter.fail(r.RemoteAddr)
			w.Header().Set("WWW-Authenticate", `Bearer realm="keysmith"`)
			writeError(w, http.StatusUnauthorized, keystore.EUnauthorized, keystore.ErrorMessage(err))
			return
		}
		if rec, ok := w.(*recorder); ok { // for the request log line
			rec.actor = c.Actor
		}
		next.ServeHTTP(w, r.WithContext(keystore.NewContext(r.Context(), c)))
	})
}

// bearer returns the token of an "Authorization: Bearer <token>" header, or
// "" (which no key matches).
func bearer(header string) string {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}

// checkOrigin refuses browser requests from origins that are not allowed:
// together with mcp-go's Host check on loopback, it keeps a web page (also
// one that rebinds its DNS name to 127.0.0.1) from driving keysmith through
// a user's browser. Requests without an Origin (non-browser clients) pass.
func (s *Server) checkOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin != "" && !s.originAllowed(origin) {
			writeError(w, http.StatusForbidden, keystore.EForbidden, "origin "+origin+" is not allowed")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) originAllowed(origin string) bool {
	if slices.Contains(s.cfg.AllowedOrigins, origin) {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	host := u.Hostname()
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// limitBody reads at most MaxBodyBytes of a request body up front and
// answers 413 to a larger one, whether or not it declared its length.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxBodyBytes {
			writeError(w, http.StatusRequestEntityTooLarge, keystore.EValidation, "request body over 1 MiB")
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
			if err != nil {
				writeError(w, http.StatusBadRequest, keystore.EValidation, "could not read the request body")
				return
			}
			if len(body) > MaxBodyBytes {
				writeError(w, http.StatusRequestEntityTooLarge, keystore.EValidation, "request body over 1 MiB")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// recorder notes the status and actor of a response for the request log.
type recorder struct {
	http.ResponseWriter
	status int
	actor  string
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

// Flush keeps event streams flowing through the recorder.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// logRequests writes one line per request. Headers are never logged: the
// Authorization header holds a management key.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		// Answered requests are logged at debug level: on the verification
		// path a line per request to stderr costs more than the request.
		// Refusals and failures stay visible at info.
		level := slog.LevelDebug
		if rec.status >= 400 {
			level = slog.LevelInfo
		}
		if s.log.Enabled(r.Context(), level) {
			s.log.Log(r.Context(), level, "http request", "method", r.Method, "path", r.URL.Path,
				"status", rec.status, "actor", rec.actor, "remote", r.RemoteAddr, "duration", time.Since(start))
		}
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers with the error body of the HTTP API:
// {"error": <status text>, "code", "message"}.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeJSON(w, status, map[string]string{"error": http.StatusText(status), "code": code, "message": message})
}
