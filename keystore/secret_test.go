package keystore

import (
	"regexp"
	"strings"
	"testing"
)

// The regex the README gives secret scanners.
var scannerRE = regexp.MustCompile(`^ks_[0-9A-Za-z]{46}$`)

func TestNewSecretFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 200 {
		s, err := newSecret(DefaultPrefix)
		if err != nil {
			t.Fatal(err)
		}
		if !scannerRE.MatchString(s) {
			t.Fatalf("secret %q does not match the documented format", s)
		}
		if !wellFormed(s, DefaultPrefix) {
			t.Fatalf("fresh secret %q is not well formed", s)
		}
		if seen[s] {
			t.Fatalf("secret %q issued twice", s)
		}
		seen[s] = true
	}
}

func TestWellFormedRejectsTypos(t *testing.T) {
	s, err := newSecret(DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) string {
		b := []byte(s)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	tests := map[string]string{
		"empty":             "",
		"prefix only":       "ks_",
		"truncated":         s[:len(s)-1],
		"extra character":   s + "a",
		"other prefix":      "kx" + s[2:],
		"management prefix": "ksm_" + s[3:],
		"no separator":      "ks" + s[3:] + "a",
		"not base62":        s[:10] + "-" + s[11:],
		"typo in random":    flip(5),
		"typo in checksum":  flip(len(s) - 2),
		"swapped case":      s[:3] + strings.ToUpper(s[3:]),
		"surrounding space": " " + s,
	}
	for name, in := range tests {
		t.Run(name, func(t *testing.T) {
			if wellFormed(in, DefaultPrefix) {
				t.Fatalf("wellFormed(%q) = true", in)
			}
		})
	}
}

func TestHint(t *testing.T) {
	s := "ks_" + strings.Repeat("A", 4) + strings.Repeat("x", 38) + "Qz9y"
	if got, want := hint(s), "ks_AAAA…Qz9y"; got != want {
		t.Fatalf("hint = %q, want %q", got, want)
	}
}

func TestDigestUsesPepper(t *testing.T) {
	plain := digester{}.digest("ks_secret")
	peppered := digester{pepper: []byte("0123456789abcdef")}.digest("ks_secret")
	other := digester{pepper: []byte("fedcba9876543210")}.digest("ks_secret")
	if string(plain) == string(peppered) || string(peppered) == string(other) {
		t.Fatal("digest does not depend on the pepper")
	}
	if len(plain) != 32 || len(peppered) != 32 {
		t.Fatalf("digest lengths %d, %d; want 32", len(plain), len(peppered))
	}
}

func TestValidatePrefix(t *testing.T) {
	for _, ok := range []string{"ks", "acme", "sk2"} {
		if err := ValidatePrefix(ok); err != nil {
			t.Errorf("ValidatePrefix(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "k", "ksm", "Ks", "k_s", "2ks", "averyveryverylongprefix"} {
		if ValidatePrefix(bad) == nil {
			t.Errorf("ValidatePrefix(%q) accepted", bad)
		}
	}
}
