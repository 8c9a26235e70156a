package stdout_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/intentalert/intentalert/internal/alert/alerttest"
	"github.com/intentalert/intentalert/internal/alert/stdout"
)

// FuzzLine checks the stdout channel's line for any CRM content: one line
// (a CRM value cannot start another), a JSON object of exactly the four
// payload keys, decoding back to the message.
func FuzzLine(f *testing.F) {
	alerttest.AddFuzzSeeds(f)
	f.Fuzz(func(t *testing.T, name, email, company, text, url string, flags uint8) {
		m := alerttest.Message(stdout.Name, alerttest.FuzzAlert(name, email, company, text, url, flags))
		line, err := stdout.Line(m)
		if err != nil {
			t.Fatalf("Line: %v", err)
		}
		if bytes.Count(line, []byte("\n")) != 1 || !bytes.HasSuffix(line, []byte("\n")) {
			t.Fatalf("not exactly one line: %q", line)
		}
		var got map[string]string
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("line is not a JSON object of strings: %v", err)
		}
		if len(got) != 4 || got["from"] != m.From || got["to"] != m.To || got["subject"] != m.Subject || got["message"] != m.Text {
			t.Fatalf("line %s does not carry exactly the message's four keys", line)
		}
	})
}
