package keystore

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"hash/crc32"
	"regexp"
	"strings"
)

// The secret format is <prefix>_<random><checksum>. The random part carries
// randomLen base62 characters (randomLen*log2(62) ≈ 238 bits, well above the
// 192 the contract asks for), the checksum is the CRC32 of the random part in
// checksumLen base62 characters (62^6 > 2^32), so a mistyped or truncated key
// is rejected without touching the database and scanners can match the shape.
const (
	randomLen   = 40
	checksumLen = 6
	bodyLen     = randomLen + checksumLen

	// DefaultPrefix starts every key keysmith issues unless configured otherwise.
	DefaultPrefix = "ks"
	// ManagementPrefix starts every management key (reserved application), so
	// people and secret scanners tell them from issued keys.
	ManagementPrefix = "ksm"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

var prefixRE = regexp.MustCompile(`^[a-z][a-z0-9]{1,15}$`)

// ValidatePrefix reports whether p can start issued keys: lower-case
// alphanumerics (no underscore, which separates prefix and body) and not the
// management prefix.
func ValidatePrefix(p string) error {
	if !prefixRE.MatchString(p) {
		return fmt.Errorf("key prefix %q: want 2 to 16 characters of a-z and 0-9, starting with a letter", p)
	}
	if p == ManagementPrefix {
		return fmt.Errorf("key prefix %q is reserved for management keys", p)
	}
	return nil
}

// newSecret returns a fresh secret with the given prefix.
func newSecret(prefix string) (string, error) {
	var b strings.Builder
	b.Grow(len(prefix) + 1 + bodyLen)
	b.WriteString(prefix)
	b.WriteByte('_')
	// Rejection sampling keeps every character uniform: bytes >= 248 (4*62)
	// would bias the low digits.
	buf := make([]byte, 64)
	n := 0
	for n < randomLen {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("read random: %w", err)
		}
		for _, c := range buf {
			if c >= 248 || n == randomLen {
				continue
			}
			b.WriteByte(base62[c%62])
			n++
		}
	}
	random := b.String()[len(prefix)+1:]
	b.WriteString(checksum(random))
	return b.String(), nil
}

// isBase62 marks the bytes of the base62 alphabet.
var isBase62 = func() (t [256]bool) {
	for i := 0; i < len(base62); i++ {
		t[base62[i]] = true
	}
	return t
}()

// checksumOf returns the CRC32 of random as checksumLen base62 characters.
// It works on the stack: it runs on every verification.
func checksumOf(random string) [checksumLen]byte {
	var buf [randomLen]byte
	v := crc32.ChecksumIEEE(buf[:copy(buf[:], random)])
	var out [checksumLen]byte
	for i := checksumLen - 1; i >= 0; i-- {
		out[i] = base62[v%62]
		v /= 62
	}
	return out
}

func checksum(random string) string {
	c := checksumOf(random)
	return string(c[:])
}

// wellFormed reports whether secret has the given prefix, the right length,
// only base62 characters and a matching checksum. It reads no database.
func wellFormed(secret, prefix string) bool {
	if len(secret) != len(prefix)+1+bodyLen || !strings.HasPrefix(secret, prefix) || secret[len(prefix)] != '_' {
		return false
	}
	body := secret[len(prefix)+1:]
	for i := 0; i < len(body); i++ {
		if !isBase62[body[i]] {
			return false
		}
	}
	return checksumOf(body[:randomLen]) == [checksumLen]byte([]byte(body[randomLen:]))
}

// hint returns the non-secret reminder shown in place of a secret: the prefix,
// the first four and the last four characters of the body.
func hint(secret string) string {
	i := strings.LastIndexByte(secret, '_')
	body := secret[i+1:]
	return secret[:i+1] + body[:4] + "…" + body[len(body)-4:]
}

// digester turns secrets into the digests stored in place of them.
type digester struct {
	pepper []byte
}

// digest returns SHA-256 of the secret, or HMAC-SHA256 keyed with the pepper
// when one is configured, so a stolen database file alone does not allow
// testing guesses offline.
func (d digester) digest(secret string) []byte {
	if len(d.pepper) == 0 {
		var buf [64]byte // keys are shorter: hash from the stack, no allocation
		if len(secret) <= len(buf) {
			sum := sha256.Sum256(buf[:copy(buf[:], secret)])
			return sum[:]
		}
		sum := sha256.Sum256([]byte(secret))
		return sum[:]
	}
	m := hmac.New(sha256.New, d.pepper)
	m.Write([]byte(secret))
	return m.Sum(nil)
}
