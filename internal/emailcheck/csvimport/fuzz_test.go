package csvimport

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/normalize"
)

// FuzzParse feeds the importer arbitrary files. It must never panic; a
// file it refuses gets an error naming the line at fault (or saying the
// file is empty); a file it accepts gives one verdict per trimmed,
// lower-cased, non-empty address, and writing those verdicts back as a
// file and importing it again gives the same verdicts.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		",email,is_email_valid\n0,a@b.com,True\n1,c@d.com,False\n",
		"email,is_email_valid\nA@B.com ,true\na@b.com,1\n",
		"email,is_email_valid\na@b.com,maybe\n",
		"email,is_email_valid\na@b.com,True\nA@b.com,False\n",
		"\ufeffemail,is_email_valid\r\n\"x,y\"\"z\"\"@b.com\",0\r\n",
		"email,is_email_valid\n\"a@b.com\nBcc: x@y.z\",True\n",
		"email\na@b.com\n", "", "\n\n", "email,is_email_valid\n,True\n", "email,is_email_valid\na@b.com\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := &Checker{rows: map[string]row{}, now: time.Now}
		if err := c.parse(bytes.TrimPrefix(data, []byte("\ufeff"))); err != nil {
			if msg := err.Error(); !strings.Contains(msg, "line ") && !strings.Contains(msg, "empty file") {
				t.Fatalf("error %q names no line", msg)
			}
			return
		}
		if len(c.order) != len(c.rows) {
			t.Fatalf("%d addresses in order, %d rows", len(c.order), len(c.rows))
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		w.Write([]string{"email", "is_email_valid"})
		for _, e := range c.order {
			r, ok := c.rows[e]
			if !ok || e == "" || e != normalize.Email(e) {
				t.Fatalf("address %q: in the rows %v, not trimmed and lower-cased, or empty", e, ok)
			}
			w.Write([]string{e, strconv.FormatBool(r.valid)})
		}
		w.Flush()
		again := &Checker{rows: map[string]row{}, now: time.Now}
		if err := again.parse(buf.Bytes()); err != nil {
			t.Fatalf("the verdicts written back do not import: %v\n%s", err, buf.Bytes())
		}
		if len(again.rows) != len(c.rows) {
			t.Fatalf("round trip: %d addresses, want %d", len(again.rows), len(c.rows))
		}
		for e, r := range c.rows {
			if again.rows[e].valid != r.valid {
				t.Fatalf("round trip: %q is %v, want %v", e, again.rows[e].valid, r.valid)
			}
		}
	})
}
