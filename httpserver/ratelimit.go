package httpserver

import (
	"net"
	"sync"
	"time"
)

// Failed authentication is limited per client address: after maxFailures
// failures within a window, further requests from that address that do not
// carry a valid key get 429 with Retry-After, and are neither checked
// against the database more than needed nor written to the audit trail. A
// request with a valid key always passes, so other clients behind the same
// address (or on loopback) keep working.
const (
	maxFailures   = 10
	failureWindow = time.Minute
)

type failureLimiter struct {
	mu      sync.Mutex
	now     func() time.Time
	windows map[string]*failureWindowState
}

type failureWindowState struct {
	failures int
	resetAt  time.Time
}

func newFailureLimiter(now func() time.Time) *failureLimiter {
	return &failureLimiter{now: now, windows: map[string]*failureWindowState{}}
}

// blocked reports whether the address has used up its failures, and if so
// how long until it may try again.
func (l *failureLimiter) blocked(addr string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.windows[clientIP(addr)]
	now := l.now()
	if !ok || !now.Before(w.resetAt) {
		return false, 0
	}
	if w.failures < maxFailures {
		return false, 0
	}
	return true, w.resetAt.Sub(now)
}

// fail records a failed authentication from the address.
func (l *failureLimiter) fail(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	ip := clientIP(addr)
	w, ok := l.windows[ip]
	if !ok || !now.Before(w.resetAt) {
		if len(l.windows) >= 10_000 {
			l.prune(now)
		}
		w = &failureWindowState{resetAt: now.Add(failureWindow)}
		l.windows[ip] = w
	}
	w.failures++
}

// prune drops expired windows, so the map stays bounded by the number of
// addresses that failed within the last window.
func (l *failureLimiter) prune(now time.Time) {
	for ip, w := range l.windows {
		if !now.Before(w.resetAt) {
			delete(l.windows, ip)
		}
	}
}

func clientIP(addr string) string {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return host
}
