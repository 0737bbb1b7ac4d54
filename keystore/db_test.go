package keystore

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestOpenCreatesPrivateFiles(t *testing.T) {
	s, _ := openTest(t, Config{})
	mustCreate(t, s, stdio, CreateInput{Name: "k"})
	dir := filepath.Dir(s.cfg.Path)
	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("directory mode %o, want 700", perm)
	}
	for _, name := range []string{"keysmith.db", "keysmith.db-wal", "keysmith.db-shm"} {
		info, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm != 0o600 {
			t.Errorf("%s mode %o, want 600", name, perm)
		}
	}
}

func TestOpenMigratesOnceAndKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	ctx := context.Background()
	s, err := Open(ctx, Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	k := mustCreate(t, s, stdio, CreateInput{Name: "survives"})
	s.Close()

	s, err = Open(ctx, Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	migrations, _ := migrationFS.ReadDir("migrations")
	var version int
	if err := s.reader.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != len(migrations) {
		t.Fatalf("user_version %d, %v; want %d", version, err, len(migrations))
	}
	var mode string
	if err := s.reader.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode %q, %v", mode, err)
	}
	if v, err := s.Verify(ctx, stdio, k.Secret); err != nil || !v.Valid {
		t.Fatalf("key lost across reopen: %+v, %v", v, err)
	}
}

func TestOpenRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	s, err := Open(context.Background(), Config{Path: "rel.db"})
	if err != nil {
		t.Fatalf("relative path: %v", err)
	}
	defer s.Close()
	mustCreate(t, s, stdio, CreateInput{Name: "k"})
	if _, err := os.Stat("rel.db"); err != nil {
		t.Fatalf("database not at the relative path: %v", err)
	}
}

func TestOpenRejectsBadConfig(t *testing.T) {
	dir := t.TempDir()
	for name, cfg := range map[string]Config{
		"no path":              {},
		"prefix":               {Path: filepath.Join(dir, "a.db"), Prefix: "KS"},
		"management prefix":    {Path: filepath.Join(dir, "b.db"), Prefix: ManagementPrefix},
		"lifetime above 1y":    {Path: filepath.Join(dir, "c.db"), MaxLifetime: 2 * Year},
		"negative limit":       {Path: filepath.Join(dir, "d.db"), KeyLimit: -1},
		"allowed scope format": {Path: filepath.Join(dir, "e.db"), AllowedScopes: []string{"Bad Scope"}},
	} {
		if s, err := Open(context.Background(), cfg); err == nil {
			s.Close()
			t.Errorf("%s: Open accepted %+v", name, cfg)
		}
	}
}

func TestAuditIsAppendOnly(t *testing.T) {
	s, _ := openTest(t, Config{})
	mustCreate(t, s, stdio, CreateInput{Name: "k"})
	for _, q := range []string{`UPDATE audit SET actor = 'someone else'`, `DELETE FROM audit`} {
		if _, err := s.writer.Exec(q); err == nil {
			t.Errorf("%s: allowed", q)
		}
	}
	trail, err := s.AuditTrail(context.Background())
	if err != nil || len(trail) != 1 || trail[0].Actor != "stdio" {
		t.Fatalf("trail %+v, %v", trail, err)
	}
}

// No secret reaches the disk: not the database file, not the WAL.
func TestNoSecretOnDisk(t *testing.T) {
	s, _ := openTest(t, Config{})
	ctx := context.Background()
	var secrets []string
	for range 5 {
		secrets = append(secrets, mustCreate(t, s, stdio, CreateInput{Name: "k"}).Secret)
	}
	out, err := s.Rotate(ctx, stdio, RotateInput{KeyID: mustCreate(t, s, stdio, CreateInput{Name: "r"}).Key.ID, GracePeriod: "1d"})
	if err != nil {
		t.Fatal(err)
	}
	secrets = append(secrets, out.Secret)
	for _, secret := range secrets {
		if _, err := s.Verify(ctx, stdio, secret); err != nil {
			t.Fatal(err)
		}
	}

	dir := filepath.Dir(s.cfg.Path)
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil || len(files) < 2 {
		t.Fatalf("files %v, %v: want the database and its WAL", files, err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, secret := range secrets {
			body := secret[len(DefaultPrefix)+1:]
			// The hint keeps the first and last four characters; any
			// longer run of the secret on disk is a leak.
			for _, part := range []string{secret, body[:12], body[10:22], body[len(body)-12:]} {
				if bytes.Contains(data, []byte(part)) {
					t.Fatalf("%s contains %q, part of a secret", filepath.Base(f), part)
				}
			}
		}
	}
}

// Two stores on one file, as two processes would have: a revoke through one
// is refused by the other's very next verify, and writes from both respect
// the key limit.
func TestTwoStoresShareOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shared.db")
	ctx := context.Background()
	a, err := Open(ctx, Config{Path: path, KeyLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, Config{Path: path, KeyLimit: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	k := mustCreate(t, a, stdio, CreateInput{Name: "k"})
	if v, err := b.Verify(ctx, stdio, k.Secret); err != nil || !v.Valid {
		t.Fatalf("b does not see a's key: %+v, %v", v, err)
	}
	if _, err := a.Revoke(ctx, stdio, RevokeInput{KeyID: k.Key.ID, Confirm: ConfirmRevoke}); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Verify(ctx, stdio, k.Secret); err != nil || v.Valid {
		t.Fatalf("b still accepts a key a revoked: %+v, %v", v, err)
	}
	mustCreate(t, a, stdio, CreateInput{Name: "one"})
	mustCreate(t, b, stdio, CreateInput{Name: "two"})
	_, err = a.Create(ctx, stdio, CreateInput{Name: "three"})
	wantCode(t, err, ELimit)
}
