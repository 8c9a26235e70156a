package cli

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestDemoIsIdempotent(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	first := run(t, "demo", "--dir", dir)
	first.want(t, 0)
	for _, s := range []string{"as of 2024-04-30", "3. segment   100 companies: HIGH", "HIGH ",
		"4. verify    ", "offline checker", "5. alert     ", `"to": "biz-dev@taktile.com"`, `"from": "intent-alerts@taktile.com"`} {
		if !strings.Contains(first.out, s) {
			t.Errorf("demo report lacks %q:\n%s", s, first.out)
		}
	}
	src, _ := os.ReadFile(filepath.Join(dir, "db_src.duckdb"))
	sent := regexp.MustCompile(`5\. alert     (\d+) sent`).FindStringSubmatch(first.out)
	posts := regexp.MustCompile(`The receiver got (\d+) POST`).FindStringSubmatch(first.out)
	if sent == nil || posts == nil || sent[1] != posts[1] || sent[1] == "0" {
		t.Errorf("the demo should deliver alerts and show each one the receiver got:\n%s", first.out)
	}
	second := run(t, "demo", "--dir", dir)
	second.want(t, 0)
	port := regexp.MustCompile(`127\.0\.0\.1:\d+`)
	if port.ReplaceAllString(second.out, "") != port.ReplaceAllString(first.out, "") {
		t.Errorf("a second demo printed a different report:\n%s\nwant\n%s", second.out, first.out)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, "db_src.duckdb")); string(again) != string(src) {
		t.Error("the second demo rewrote the demo export")
	}
	if _, err := os.Stat(filepath.Join(dir, "customer_segments.csv")); err != nil {
		t.Errorf("no CSV: %v", err)
	}
}

func TestDemoData(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.duckdb")
	run(t, "demo-data", "--out", out, "--companies", "50", "--seed", "3").want(t, 0, "50 companies")
	run(t, "demo-data", "--out", out).want(t, 2, "--force")
	run(t, "demo-data", "--out", out, "--force", "--companies", "20").want(t, 0, "20 companies")
	run(t, "demo-data").want(t, 2, "--out")
	run(t, "demo-data", "--out", out, "--force", "--companies", "0").want(t, 2, "--companies")
	// What it writes is a CRM the pipeline accepts.
	run(t, "segment", "--db", out, "--as-of", "2024-04-30", "--data-dir", t.TempDir()).want(t, 0, "segmented 20 companies")
}
