// Package bench measures keysmith against ceilings measured beside it, on
// the same machine in the same run: the HTTP verification API against a bare
// net/http handler, in-process verification against a bare SHA-256, MCP
// tool calls against a no-op tool, durable creates against a raw SQLite
// INSERT, paging at a million keys against paging at a thousand, and the
// stdio cold start against an mcp-go echo server.
//
// `go run ./bench/cmd/benchreport` runs everything and prints the table; the
// Benchmark functions in this package's tests are the same measurements for
// `go test -bench` and its profilers.
package bench

import (
	"crypto/sha512"
	"encoding/binary"
	"hash/crc32"
)

// The secret format of keysmith (keystore/secret.go), reimplemented so that
// the benchmarks can make well-formed keys by the million, and well-formed
// keys that are not stored: <prefix>_<40 base62><6 base62 CRC32 of the 40>.
const (
	randomLen   = 40
	checksumLen = 6
	base62      = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// Secret returns the i-th secret of a deterministic series named by seed:
// the same (prefix, seed, i) always gives the same well-formed key, so a
// database seeded with keys 0..n-1 can be verified later without keeping
// the secrets, and keys past n are well-formed but unknown. These are
// benchmark keys, not random ones: never use them for anything else.
func Secret(prefix string, seed uint64, i int) string {
	var in [16]byte
	binary.LittleEndian.PutUint64(in[:8], seed)
	binary.LittleEndian.PutUint64(in[8:], uint64(i))
	sum := sha512.Sum512(in[:])
	b := make([]byte, 0, len(prefix)+1+randomLen+checksumLen)
	b = append(b, prefix...)
	b = append(b, '_')
	for _, c := range sum[:randomLen] {
		b = append(b, base62[int(c)%62])
	}
	v := crc32.ChecksumIEEE(b[len(prefix)+1:])
	var cs [checksumLen]byte
	for j := checksumLen - 1; j >= 0; j-- {
		cs[j] = base62[v%62]
		v /= 62
	}
	return string(append(b, cs[:]...))
}

// hint is keysmith's non-secret reminder of a secret: prefix, first four and
// last four characters of the body.
func hint(secret string) string {
	i := len(secret) - randomLen - checksumLen
	body := secret[i:]
	return secret[:i] + body[:4] + "…" + body[len(body)-4:]
}
