package providers_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/emailcheck/providers"
	"github.com/intentalert/intentalert/internal/exitcode"
)

func TestNewEveryProvider(t *testing.T) {
	file := filepath.Join(t.TempDir(), "r.csv")
	os.WriteFile(file, []byte("email,is_email_valid\na@example.com,1\n"), 0o644)
	for _, cfg := range []providers.Config{
		{},
		{Provider: "offline", MX: true},
		{Provider: "zerobounce", APIKey: "k"},
		{Provider: "abstractapi", APIKey: "k"},
		{Provider: "csv", File: file},
	} {
		c, err := providers.New(cfg)
		if err != nil {
			t.Errorf("New(%+v): %v", cfg, err)
			continue
		}
		want := cfg.Provider
		if want == "" {
			want = "offline"
		}
		if c.Name() != want {
			t.Errorf("New(%+v).Name() = %q", cfg, c.Name())
		}
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		cfg  providers.Config
		code int
		has  string
	}{
		{providers.Config{Provider: "mailgun"}, exitcode.Usage, "--provider must be one of offline, zerobounce, abstractapi, csv"},
		{providers.Config{Provider: "zerobounce", APIKey: "k", File: "x.csv"}, exitcode.Usage, "--file"},
		{providers.Config{Provider: "csv", File: "x.csv", MX: true}, exitcode.Usage, "--mx"},
		{providers.Config{Provider: "zerobounce"}, exitcode.Usage, "ZEROBOUNCE_API_KEY"},
		{providers.Config{Provider: "csv", File: filepath.Join(t.TempDir(), "none.csv")}, exitcode.Data, "does not exist"},
	}
	for _, tt := range tests {
		_, err := providers.New(tt.cfg)
		if exitcode.Of(err) != tt.code || !strings.Contains(err.Error(), tt.has) {
			t.Errorf("New(%+v) = %v (exit %d), want exit %d mentioning %q", tt.cfg, err, exitcode.Of(err), tt.code, tt.has)
		}
	}
	if _, err := providers.Verify(context.Background(), nil, providers.Config{Provider: "nope"}, emailcheck.Options{}); exitcode.Of(err) != exitcode.Usage {
		t.Errorf("Verify with a bad provider: %v", err)
	}
}

func TestLoadKey(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key")
	os.WriteFile(keyFile, []byte("  from-file-key\n"), 0o600)
	envFile := filepath.Join(dir, "envkey")
	os.WriteFile(envFile, []byte("from-env-file\n"), 0o600)
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	tests := []struct {
		name, provider, keyFile string
		env                     map[string]string
		want                    string
		code                    int
	}{
		{"environment", "zerobounce", "", map[string]string{"ZEROBOUNCE_API_KEY": "zb-key"}, "zb-key", 0},
		{"_FILE variable", "abstractapi", "", map[string]string{"ABSTRACTAPI_API_KEY_FILE": envFile}, "from-env-file", 0},
		{"--api-key-file wins", "zerobounce", keyFile, map[string]string{"ZEROBOUNCE_API_KEY": "zb-key"}, "from-file-key", 0},
		{"missing", "zerobounce", "", nil, "", exitcode.Usage},
		{"other provider's key", "abstractapi", "", map[string]string{"ZEROBOUNCE_API_KEY": "zb-key"}, "", exitcode.Usage},
		{"offline needs none", "offline", "", nil, "", 0},
		{"key file for offline", "offline", keyFile, nil, "", exitcode.Usage},
		{"missing key file", "zerobounce", filepath.Join(dir, "nope"), nil, "", exitcode.Usage},
	}
	for _, tt := range tests {
		got, err := providers.LoadKey(tt.provider, tt.keyFile, env(tt.env))
		if got != tt.want || exitcode.Of(err) != tt.code {
			t.Errorf("%s: LoadKey = %q, %v; want %q, exit %d", tt.name, got, err, tt.want, tt.code)
		}
		if err != nil && (strings.Contains(err.Error(), "zb-key") || strings.Contains(err.Error(), "from-")) {
			t.Errorf("%s: the error shows a key: %v", tt.name, err)
		}
	}
}
