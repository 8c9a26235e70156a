package emailchecktest

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/intentalert/intentalert/internal/emailcheck"
)

func TestMalformedAreMalformed(t *testing.T) {
	for _, e := range Malformed {
		if emailcheck.CheckSyntax(e) == nil || !strings.Contains(strings.ReplaceAll(e, " ", ""), "neversent") {
			t.Errorf("%q is well-formed or lacks the marker", e)
		}
	}
	for _, e := range Good {
		if err := emailcheck.CheckSyntax(e); err != nil {
			t.Errorf("%q: %v", e, err)
		}
	}
}

func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestZeroBounceFakeDocumentedErrors covers what the client never sends
// but the fake must answer as providers.md 1.7 to 1.10 describe.
func TestZeroBounceFakeDocumentedErrors(t *testing.T) {
	z := NewZeroBounce("k", 10)
	base := z.Start(t)
	tests := []struct {
		name, method, path, body string
		status                   int
		has                      string
	}{
		{"missing email_batch", "POST", "/validatebatch", `{"api_key": "k"}`, 400, `"Message": "Missing parameter: email_batch."`},
		{"row without email_address", "POST", "/validatebatch", `{"api_key": "k", "email_batch": [{"ip_address": ""}]}`, 200, `"email_address":"unknown","error":"Missing email_batch key: email_address."`},
		{"over 200", "POST", "/validatebatch", `{"api_key": "k", "email_batch": [` + strings.Repeat(`{"email_address": "a@b.co"},`, 200) + `{"email_address": "a@b.co"}]}`, 400, "200"},
		{"missing api_key, validate", "GET", "/validate?email=a@b.co", "", 200, "Missing parameter: api_key."},
		{"missing api_key, batch", "POST", "/validatebatch", `{"email_batch": []}`, 200, "Missing parameter: api_key."},
		{"missing email", "GET", "/validate?api_key=k", "", 400, "Missing parameter: email."},
		{"bad key, batch", "POST", "/validatebatch", `{"api_key": "x", "email_batch": [{"email_address": "a@b.co"}]}`, 200, `"email_address": "all"`},
		{"bad key, credits", "GET", "/getcredits?api_key=x", "", 200, `{"Credits": "-1"}`},
		{"wrong method", "GET", "/validatebatch", "", 405, "Method"},
		{"unknown endpoint", "GET", "/nothing", "", 404, "Not found"},
	}
	for _, tt := range tests {
		status, body := do(t, tt.method, base+tt.path, tt.body)
		if status != tt.status || !strings.Contains(body, tt.has) {
			t.Errorf("%s: %d %s; want %d with %q", tt.name, status, body, tt.status, tt.has)
		}
	}
	// Past 100 bad requests a minute the key is blocked.
	for range 100 {
		do(t, "GET", base+"/validate?api_key=k", "")
	}
	if status, _ := do(t, "GET", base+"/validate?api_key=k&email=a@b.co", ""); status != 429 {
		t.Errorf("after 100 bad requests: %d, want 429", status)
	}
}

func TestCutReply(t *testing.T) {
	a := NewAbstractAPI("k", 10)
	base := a.Start(t)
	a.Enqueue(Reply{Cut: true})
	resp, err := http.Get(base + "/?api_key=k&email=a@b.co")
	if err == nil {
		_, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	if err == nil {
		t.Errorf("a cut answer read completely")
	}
}
