package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/keysmith/keysmith/keystore"
)

// These are the in-process rows of the benchmark report, for
// `go test ./bench -run '^$' -bench . [-cpuprofile cpu.out]`. Each reports
// its ratio to its ceiling where the ceiling is cheap to measure beside it.
// Timing targets are checked by benchreport, never by a test.

var (
	tmpDir   string
	datasets sync.Map // n -> *Dataset
	seedMu   sync.Mutex
)

func TestMain(m *testing.M) {
	var err error
	if tmpDir, err = os.MkdirTemp("", "keysmith-bench-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tmpDir)
	os.Exit(code)
}

// dataset returns a database seeded with n keys, made once per test binary.
func dataset(b *testing.B, n int) *Dataset {
	seedMu.Lock()
	defer seedMu.Unlock()
	if d, ok := datasets.Load(n); ok {
		return d.(*Dataset)
	}
	d, err := Seed(context.Background(), filepath.Join(tmpDir, fmt.Sprintf("keys-%d.db", n)), n, 1)
	if err != nil {
		b.Fatal(err)
	}
	datasets.Store(n, d)
	return d
}

func open(b *testing.B, path string) *keystore.Store {
	store, err := keystore.Open(context.Background(), keystore.Config{Path: path})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	return store
}

// HitSecrets are 64 active keys of the dataset; MissSecrets are 4096
// well-formed keys it does not hold.
func hitSecrets(d *Dataset) []string {
	s := make([]string, 64)
	for j := range s {
		s[j] = d.Secret(ActiveIndex(j))
	}
	return s
}

func missSecrets(d *Dataset) []string {
	s := make([]string, 4096)
	for j := range s {
		s[j] = d.Secret(d.N + j)
	}
	return s
}

func BenchmarkVerify(b *testing.B) {
	d := dataset(b, 1000)
	store := open(b, d.Path)
	hits, misses := hitSecrets(d), missSecrets(d)
	shaNs := sync.OnceValue(func() float64 { return SHA256NsPerOp(hits) })
	run := func(secrets []string, valid bool) func(*testing.B) {
		return func(b *testing.B) {
			if err := WarmVerify(store, secrets); err != nil {
				b.Fatal(err)
			}
			ceiling := shaNs()
			b.ResetTimer()
			Verify(store, secrets, valid)(b)
			b.StopTimer()
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/ceiling, "x-sha256")
		}
	}
	b.Run("hit", run(hits, true))
	b.Run("miss", run(misses, false))
	b.Run("miss-fresh", func(b *testing.B) {
		VerifyFresh(store, d)(b)
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/shaNs(), "x-sha256")
	})
	b.Run("sha256", SHA256(hits))
}

func BenchmarkCreate(b *testing.B) {
	b.Run("keysmith", func(b *testing.B) {
		Create(open(b, filepath.Join(b.TempDir(), "create.db")))(b)
	})
	b.Run("raw-insert", func(b *testing.B) {
		db, err := OpenRaw(context.Background(), filepath.Join(b.TempDir(), "raw.db"))
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		RawInsert(db)(b)
	})
}

// BenchmarkList pages at 1k and 1M keys. The 1M database takes some 15
// seconds to seed, once per test binary.
func BenchmarkList(b *testing.B) {
	for _, n := range []int{1000, 1_000_000} {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			d := dataset(b, n)
			store := open(b, d.Path)
			for _, c := range ListCases(context.Background(), store, d) {
				b.Run(c.Name, func(b *testing.B) {
					if c.Err != nil {
						b.Fatal(c.Err)
					}
					List(store, c.In, c.Want)(b)
				})
			}
		})
	}
}
