package csvimport_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/emailcheck/csvimport"
	"github.com/intentalert/intentalert/internal/emailcheck/emailchecktest"
	"github.com/intentalert/intentalert/internal/exitcode"
)

var (
	_ emailcheck.Checker = (*csvimport.Checker)(nil)
	_ emailcheck.Lister  = (*csvimport.Checker)(nil)
)

func write(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "valid_emails.csv")
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestConformance(t *testing.T) {
	emailchecktest.Run(t, emailchecktest.Provider{
		Name: csvimport.Name,
		New: func(t *testing.T, _ string) emailcheck.Checker {
			var b strings.Builder
			b.WriteString(",email,is_email_valid\n")
			for i, e := range emailchecktest.Good {
				b.WriteString(strings.Join([]string{string(rune('0' + i)), e, []string{"True", "False"}[i%2]}, ",") + "\n")
			}
			c, err := csvimport.New(csvimport.Config{File: write(t, b.String())})
			if err != nil {
				t.Fatal(err)
			}
			return c
		},
	})
}

func TestPandasFile(t *testing.T) {
	c, err := csvimport.New(csvimport.Config{File: "testdata/pandas.csv"})
	if err != nil {
		t.Fatal(err)
	}
	wantList := []string{"ann.lee@example.com", "bob.stone@example.com", "carla@example.org"}
	if got := c.Addresses(); !slices.Equal(got, wantList) {
		t.Errorf("Addresses() = %v, want %v", got, wantList)
	}
	res, err := c.Check(context.Background(), []string{"ann.lee@example.com", "bob.stone@example.com", "zed@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != 2 || res[0].Verdict != emailcheck.Valid || res[1].Verdict != emailcheck.Invalid || res[1].Credits != 0 {
		t.Errorf("Check = %+v; want ann valid, bob invalid, nothing for zed", res)
	}
	if !strings.Contains(string(res[1].Raw), `"line":3`) || !strings.Contains(string(res[1].Raw), `"False"`) {
		t.Errorf("Raw = %s, want the file line and value", res[1].Raw)
	}
}

func TestFormats(t *testing.T) {
	tests := []struct {
		name    string
		content string
		valid   []bool
	}{
		{"no index, lower case", "email,is_email_valid\na@example.com,true\nb@example.com,false\n", []bool{true, false}},
		{"ones and zeros, CRLF", "email,is_email_valid\r\na@example.com,1\r\nb@example.com,0\r\n", []bool{true, false}},
		{"byte order mark", "\ufeff,email,is_email_valid\n0,a@example.com,True\n1,b@example.com,False\n", []bool{true, false}},
		{"same value twice", "email,is_email_valid\na@example.com,True\nA@example.com,true\nb@example.com,0\n", []bool{true, false}},
	}
	for _, tt := range tests {
		c, err := csvimport.New(csvimport.Config{File: write(t, tt.content)})
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		res, err := c.Check(context.Background(), []string{"a@example.com", "b@example.com"})
		if err != nil || len(res) != 2 {
			t.Errorf("%s: Check = %v, %v", tt.name, res, err)
			continue
		}
		for i, r := range res {
			if (r.Verdict == emailcheck.Valid) != tt.valid[i] {
				t.Errorf("%s: %s is %s", tt.name, r.Email, r.Verdict)
			}
		}
	}
}

func TestDataErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		name, content, has string
	}{
		{"yes", "", ""}, // testdata/bad_value.csv below
		{"header", "mail,valid\na@example.com,True\n", "line 1"},
		{"empty", "", "empty file"},
		{"empty email", ",email,is_email_valid\n0,,True\n", "line 2: no email"},
		{"blank value", "email,is_email_valid\na@example.com,\n", `line 2: is_email_valid is ""`},
		{"TRUE", "email,is_email_valid\na@example.com,TRUE\n", "line 2"},
		{"conflict", "email,is_email_valid\na@example.com,True\nb@example.com,True\nA@Example.com,False\n", "line 4: a@example.com is listed again with another value (first on line 2)"},
		{"field count", "email,is_email_valid\na@example.com,True,extra\n", "line 2"},
	}
	for _, tt := range tests {
		path := filepath.Join("testdata", "bad_value.csv")
		has := `line 4: is_email_valid is "yes"`
		if tt.name != "yes" {
			path, has = write(t, tt.content), tt.has
		}
		_, err := csvimport.New(csvimport.Config{File: path})
		if exitcode.Of(err) != exitcode.Data || !strings.Contains(err.Error(), has) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: %v (exit %d), want exit 3 naming %s and %q", tt.name, err, exitcode.Of(err), path, has)
		}
	}
	if _, err := csvimport.New(csvimport.Config{File: filepath.Join(t.TempDir(), "nope.csv")}); exitcode.Of(err) != exitcode.Data || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing file: %v, want exit 3", err)
	}
	if _, err := csvimport.New(csvimport.Config{}); exitcode.Of(err) != exitcode.Usage || !strings.Contains(err.Error(), "--file") {
		t.Errorf("no file: %v, want a usage error naming --file", err)
	}
}
