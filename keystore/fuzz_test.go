package keystore

import (
	"hash/crc32"
	"regexp"
	"strings"
	"testing"
	"time"
)

var bodyRE = regexp.MustCompile(`^[0-9A-Za-z]{46}$`)

// FuzzWellFormed checks the key parser against a second, plainer statement
// of the format: the prefix, an underscore, 46 base62 characters, and a
// CRC32 of the first 40 that matches the last 6.
func FuzzWellFormed(f *testing.F) {
	good, _ := newSecret(DefaultPrefix)
	for _, seed := range []string{good, good[:len(good)-1], "ks_", "", "ksm_" + good[3:], good + "x", strings.ToUpper(good), "ks_\x00" + good[4:]} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := wellFormed(s, DefaultPrefix)
		body, ok := strings.CutPrefix(s, DefaultPrefix+"_")
		want := ok && bodyRE.MatchString(body)
		if want {
			v := crc32.ChecksumIEEE([]byte(body[:randomLen]))
			var enc [checksumLen]byte
			for i := checksumLen - 1; i >= 0; i-- {
				enc[i] = base62[v%62]
				v /= 62
			}
			want = string(enc[:]) == body[randomLen:]
		}
		if got != want {
			t.Fatalf("wellFormed(%q) = %v, want %v", s, got, want)
		}
		if got {
			if h := hint(s); !strings.HasPrefix(h, "ks_") || strings.Contains(h, body[4:len(body)-4]) {
				t.Fatalf("hint %q of %q", h, s)
			}
		}
	})
}

// FuzzParseDuration: no input panics, and what parses is a whole number of
// hours that reads back the same after FormatDuration.
func FuzzParseDuration(f *testing.F) {
	for _, seed := range []string{"7d", "90d", "1y", "36h", "0", "0h", "-1d", "999999d", "1.5h", "1e3h", "", "d", "٣d"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDuration(s)
		if err != nil {
			return
		}
		if d < 0 || d%time.Hour != 0 {
			t.Fatalf("ParseDuration(%q) = %v", s, d)
		}
		if back, err := ParseDuration(FormatDuration(d)); d > 0 && (err != nil || back != d) {
			t.Fatalf("%q -> %v -> %q -> %v, %v", s, d, FormatDuration(d), back, err)
		}
		if l, err := parseLifetime(s, MaxLifetimeCeiling); err == nil && (l < MinLifetime || l > MaxLifetimeCeiling) {
			t.Fatalf("parseLifetime(%q) = %v, outside 1h..1y", s, l)
		}
		if g, err := parseGrace(s); err == nil && (g < 0 || g > MaxGracePeriod) {
			t.Fatalf("parseGrace(%q) = %v, outside 0..7d", s, g)
		}
	})
}

// FuzzCursor: decoding never panics, accepts only cursors of the same
// filters with a positive sequence, and round-trips what it encodes.
func FuzzCursor(f *testing.F) {
	fp := listFingerprint("", StatusActive, "")
	for _, seed := range []string{encodeCursor(1, fp), encodeCursor(1<<62, fp), "", "AAAA", "MTIz", "LTEuYWJj", "%%%"} {
		f.Add(seed, int64(7))
	}
	f.Fuzz(func(t *testing.T, cursor string, seq int64) {
		if got, ok := decodeCursor(cursor, fp); ok && got < 1 {
			t.Fatalf("decodeCursor(%q) accepted sequence %d", cursor, got)
		}
		if seq < 1 {
			return
		}
		if got, ok := decodeCursor(encodeCursor(seq, fp), fp); !ok || got != seq {
			t.Fatalf("round trip of %d: %d, %v", seq, got, ok)
		}
		if _, ok := decodeCursor(encodeCursor(seq, fp), listFingerprint("x", StatusAll, "")); ok {
			t.Fatal("a cursor was accepted for other filters")
		}
	})
}
