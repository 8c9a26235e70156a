// Package csvimport answers verifications from an earlier result file, such
// as Taktile's example valid_emails.csv: a header email,is_email_valid,
// optionally after an unnamed index column (as pandas writes it), and one
// row per address with True/False, true/false or 1/0. Every row of the file
// is answered (and so recorded); addresses it lacks are left unanswered.
package csvimport

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/intentalert/intentalert/internal/emailcheck"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/normalize"
	"github.com/intentalert/intentalert/internal/outbound"
)

// Name is the provider's name.
const Name = "csv"

// MaxBatch is how many addresses one Check takes.
const MaxBatch = 1000

// row is one address of the file.
type row struct {
	valid bool
	value string // as written
	line  int
}

// Checker answers from a parsed file.
type Checker struct {
	file  string // base name, for the raw answers
	rows  map[string]row
	order []string
	now   func() time.Time
}

// New reads and checks the file. A missing or malformed file is an exit 3
// error naming the file and the line.
func New(cfg Config) (*Checker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(cfg.File)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, exitcode.Dataf("csv: %s does not exist", cfg.File)
		}
		return nil, exitcode.Dataf("csv: %s: %v", cfg.File, errors.Unwrap(err))
	}
	c := &Checker{file: filepath.Base(cfg.File), rows: map[string]row{}, now: cfg.Now}
	if c.now == nil {
		c.now = time.Now
	}
	if err := c.parse(bytes.TrimPrefix(b, []byte("\ufeff"))); err != nil {
		return nil, exitcode.Dataf("csv: %s: %v", cfg.File, err)
	}
	return c, nil
}

func (c *Checker) parse(b []byte) error {
	r := csv.NewReader(bytes.NewReader(b))
	header, err := r.Read()
	if err == io.EOF {
		return errors.New("empty file: want a header email,is_email_valid")
	}
	if err != nil {
		return err
	}
	for i := range header {
		header[i] = strings.ToLower(strings.TrimSpace(header[i]))
	}
	index := len(header) == 3 && header[0] == ""
	if index {
		header = header[1:]
	}
	if len(header) != 2 || header[0] != "email" || header[1] != "is_email_valid" {
		return fmt.Errorf("line 1: want the header email,is_email_valid (an unnamed index column may come first), got %q", strings.Join(header, ","))
	}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err // csv errors name the line
		}
		line, _ := r.FieldPos(0)
		if index {
			rec = rec[1:]
		}
		email := normalize.Email(rec[0])
		valid, ok := parseBool(strings.TrimSpace(rec[1]))
		switch {
		case email == "":
			return fmt.Errorf("line %d: no email", line)
		case !ok:
			return fmt.Errorf("line %d: is_email_valid is %q: want True, False, true, false, 1 or 0", line, rec[1])
		}
		if prev, dup := c.rows[email]; dup {
			if prev.valid != valid {
				return fmt.Errorf("line %d: %s is listed again with another value (first on line %d)", line, email, prev.line)
			}
			continue
		}
		c.rows[email] = row{valid: valid, value: strings.TrimSpace(rec[1]), line: line}
		c.order = append(c.order, email)
	}
}

func parseBool(s string) (value, ok bool) {
	switch s {
	case "True", "true", "1":
		return true, true
	case "False", "false", "0":
		return false, true
	}
	return false, false
}

// Name implements emailcheck.Checker.
func (c *Checker) Name() string { return Name }

// MaxBatch implements emailcheck.Checker.
func (c *Checker) MaxBatch() int { return MaxBatch }

// Addresses implements emailcheck.Lister: every address of the file,
// trimmed and lower-cased, in file order.
func (c *Checker) Addresses() []string { return append([]string(nil), c.order...) }

// Check implements emailcheck.Checker: addresses of the file are valid or
// invalid as it says; the others get no result.
func (c *Checker) Check(ctx context.Context, emails []string) ([]emailcheck.Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, outbound.TransportError(ctx, err)
	}
	now := c.now().UTC()
	send, results := emailcheck.SplitMalformed(emails, Name, now)
	for _, e := range send {
		r, ok := c.rows[e]
		if !ok {
			continue
		}
		verdict := emailcheck.Invalid
		if r.valid {
			verdict = emailcheck.Valid
		}
		raw, _ := json.Marshal(map[string]any{"file": c.file, "line": r.line, "is_email_valid": r.value})
		results = append(results, emailcheck.Result{Email: e, Verdict: verdict, Provider: Name, CheckedAt: now, Raw: raw})
	}
	return results, nil
}
