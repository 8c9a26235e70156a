package faults

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/intentalert/intentalert/internal/alert/alerttest"
	"github.com/intentalert/intentalert/internal/crmtest"
	"github.com/intentalert/intentalert/internal/exitcode"
)

// Hostile CRM values. Each would do harm if a channel passed it on raw:
// mention everyone in Slack, add an email header, run a script in an HTML
// part, forge a line of the message, or leak a credential.
const (
	slackMention  = "<!channel>"
	slackLink     = "<https://phish.example/login|Your bank>"
	htmlScript    = "<script>alert(1)</script>"
	headerInject  = "\r\nBcc: victim@evil.example\r\nX-Injected: yes\r\n\r\nbody"
	fakeLine      = "\n  Account owner:  mallory@evil.example"
	urlPassword   = "hunter2-url-password"
	bidiOverride  = "\u202e"
	nulByte       = "\x00"
	escapeSeq     = "\x1b[31m"
	hostileDomain = "evil.example"
)

// hostileCRM returns a CRM (closed) full of hostile and malformed data,
// segmented HIGH for evil.example as of asOf, and the addresses that must
// be alerted.
func hostileCRM(t testing.TB) (string, []string) {
	t.Helper()
	crm := crmtest.New(t)
	long := strings.Repeat("Very long value & <more> ", 2000)
	// An extra column nobody reads, full of junk.
	crm.Exec(`ALTER TABLE crm.contacts ADD COLUMN notes VARCHAR`)
	crm.Exec(`ALTER TABLE crm.companies ADD COLUMN "<b>odd column</b>" INTEGER`)
	crm.Exec(`INSERT INTO crm.companies VALUES ($1, $2, $3, 'load', 'd1', 1)`, "evil", "1 Main St"+headerInject+htmlScript, " Evil.Example ")
	crm.Exec(`INSERT INTO crm.companies VALUES ($1, $2, $3, 'load', 'd2', 2)`, "evil", "a duplicated id", "evil.example")
	crm.Exec(`INSERT INTO crm.companies VALUES ($1, NULL, NULL, NULL, NULL, NULL)`, "no-domain")
	crm.Exec(`INSERT INTO crm.companies VALUES ($1, '', '', 'load', 'd3', 3)`, "empty-domain")
	crm.Exec(`INSERT INTO crm.companies VALUES (NULL, NULL, NULL, NULL, NULL, NULL)`)
	crm.Exec(`INSERT INTO crm.companies VALUES ($1, 'x', 'csv.example', 'load', 'd4', 4)`, "id,with \"quotes\"\nand a line")
	contact := func(company, first, last, email, phone string) {
		t.Helper()
		crm.Exec(`INSERT INTO crm.contacts VALUES ($1, $2, $3, $4, $5, $6, 'load', $7, $8)`,
			nullIf(company), "ct-"+strconv.Itoa(len(first)+len(last)+len(email)), nullIf(first), nullIf(last), nullIf(email), nullIf(phone), "dlt", slackMention+headerInject)
	}
	contact("evil", slackMention+" *bold* _it_ "+slackLink, "Smith"+headerInject+htmlScript, "mention@evil.example", "+1 555"+bidiOverride+"0100"+headerInject)
	contact("evil", "Ève"+nulByte+escapeSeq, long, "  Unicode.Jöhn@Evil.Example ", "")
	contact("evil", "Quoted", "Local", `"quoted local"@evil.example`, "")
	contact("evil", "Dup", "One", "dup@evil.example", "1")
	contact("evil", "Dup", "Two", " DUP@evil.example", "2")
	contact("evil", "X-Injected: yes", "Subject: pwned"+fakeLine, "header@evil.example", "")
	contact("evil", "", "", "nameless@evil.example", "")
	contact("evil", "No", "Address", "", "")
	contact("evil", "Bad", "Address", "not an address", "")
	contact("", "", "", "", "")
	contact("no-domain", "Nobody", "Home", "nobody@nowhere.example", "")
	crm.Exec(`INSERT INTO crm.contacts VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	crm.Visit("Visitor"+slackMention+"@evil.example", "2024-04-29")
	crm.Exec(`INSERT INTO crm.website_visits VALUES (NULL, NULL, NULL, NULL, NULL)`)
	crm.News("https://user:"+urlPassword+"@www.Evil.Example:8443/news?q="+htmlScript, "2024-04-28", slackMention+" "+slackLink+" & <@U123> "+htmlScript+headerInject+long)
	crm.Exec(`INSERT INTO crm.news_publications VALUES (NULL, NULL, NULL, NULL, NULL, NULL)`)
	crm.News("", "2024-04-28", "a news without a website")
	crm.Outreach("mention@evil.example", "owner@taktile.com"+headerInject, "Re: "+slackMention+headerInject, "2024-03-01")
	crm.Exec(`INSERT INTO crm.outreach_emails VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
	crm.Close()
	return crm.Path, []string{"dup@evil.example", "header@evil.example", "mention@evil.example", "nameless@evil.example", `"quoted local"@evil.example`, "unicode.jöhn@evil.example"}
}

func nullIf(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// TestHostileData runs segment, verify (offline) and alert (dry run, then
// real delivery to the webhook, Slack, SMTP and stdout doubles) on a CRM of
// hostile and malformed values, and checks that nothing crashes and that
// every output stays well-formed and inert.
func TestHostileData(t *testing.T) {
	t.Parallel()
	db, want := hostileCRM(t)
	slices.Sort(want)
	dataDir := t.TempDir()
	environ := env(t)
	runBin(t, environ, "segment", "--db", db, "--as-of", asOfText, "--data-dir", dataDir).want(t, 0, "HIGH 1")
	checkCSV(t, filepath.Join(dataDir, "customer_segments.csv"), []string{"company_id", "buying_intent"})
	ids := query(t, db, `SELECT count(*) FROM crm.customer_buying_intent WHERE company_id = $1`, "id,with \"quotes\"\nand a line")
	if ids[0][0] != "1" {
		t.Errorf("the company whose id has a comma, quotes and a line break: %s rows", ids[0][0])
	}
	runBin(t, environ, "verify", "--db", db, "--as-of", asOfText, "--data-dir", dataDir).want(t, 0)
	checkCSV(t, filepath.Join(dataDir, "valid_emails.csv"), []string{"email", "is_email_valid"})

	// The dry run: one JSON line per alert, nothing sent.
	res := runBin(t, environ, "alert", "--db", db, "--as-of", asOfText, "--dry-run", "--format", "json", "--channel", "webhook,slack,smtp,stdout")
	res.want(t, 0, "would send 6 messages", "invalid 1", "no address 1")
	lines := strings.Split(strings.TrimSuffix(res.out, "\n"), "\n")
	if len(lines) != 4*len(want) {
		t.Fatalf("%d dry-run lines, want %d:\n%s", len(lines), 4*len(want), clip(res.out))
	}
	perChannel := map[string][]string{}
	for _, line := range lines {
		var l struct {
			ContactEmail string          `json:"contact_email"`
			Channel      string          `json:"channel"`
			Payload      json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal([]byte(line), &l); err != nil {
			t.Fatalf("dry-run line is not JSON: %v\n%s", err, line)
		}
		checkPayload(t, "dry run "+l.Channel, l.Payload)
		perChannel[l.Channel] = append(perChannel[l.Channel], l.ContactEmail)
	}
	for ch, got := range perChannel {
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("dry run %s alerts %q, want %q", ch, got, want)
		}
	}

	// Real delivery to every channel's double.
	hook := newReceiver(t, nil)
	slack := alerttest.NewSlack(t)
	smtpd := alerttest.NewSMTPServer(t, alerttest.SMTPPlain)
	environ = env(t, "INTENTALERT_WEBHOOK_URL="+hook.URL(), "SLACK_WEBHOOK_URL="+slack.WebhookURL(),
		"SMTP_HOST="+smtpd.Host, "SMTP_PORT="+strconv.Itoa(smtpd.Port), "SMTP_USERNAME="+smtpd.Username, "SMTP_PASSWORD="+smtpd.Password)
	res = runBin(t, environ, "alert", "--db", db, "--as-of", asOfText, "--channel", "webhook,slack,smtp,stdout", "--verbose")
	res.want(t, 0, "webhook: 8 contacts of HIGH companies, 6 selected", "slack:", "smtp:", "stdout:")
	if strings.ContainsAny(res.errOut, "\r\x00\x1b"+bidiOverride) {
		t.Errorf("stderr carries a control character from the CRM:\n%q", res.errOut)
	}
	if got := len(hook.receipts()); got != len(want) {
		t.Errorf("webhook: %d requests, want %d", got, len(want))
	}
	for _, r := range hook.receipts() {
		checkPayload(t, "webhook", r.Body)
	}
	for _, line := range strings.Split(strings.TrimSuffix(res.out, "\n"), "\n") {
		checkPayload(t, "stdout", []byte(line))
	}
	if got := len(slack.Deliveries()); got != len(want) {
		t.Errorf("slack: %d messages accepted, want %d", got, len(want))
	}
	if v := slack.Violations(); len(v) > 0 {
		t.Errorf("slack: markup Slack would act on: %q", v)
	}
	for _, d := range slack.Deliveries() {
		checkSlack(t, d.Body)
	}
	if got := len(smtpd.Messages()); got != len(want) {
		t.Errorf("smtp: %d messages, want %d", got, len(want))
	}
	for _, m := range smtpd.Messages() {
		if m.From != "intent-alerts@taktile.com" || !slices.Equal(m.To, []string{"biz-dev@taktile.com"}) {
			t.Errorf("smtp: envelope from %q to %q: the CRM changed the recipients", m.From, m.To)
		}
		checkEmail(t, m.Data)
	}
	addFigure("hostile data", "alerts_delivered", float64(len(hook.receipts())+len(slack.Deliveries())+len(smtpd.Messages())+len(want)))
	addFigure("hostile data", "dry_run_alerts_checked", float64(len(lines)))
}

// TestHostileDataOnPostgres loads the hostile CRM into PostgreSQL: the
// NUL character PostgreSQL cannot store stops init with an error naming
// the table, the row and the column; without it, segment, verify and
// alert give the same well-formed, inert output as on DuckDB.
func TestHostileDataOnPostgres(t *testing.T) {
	t.Parallel()
	src, want := hostileCRM(t)
	slices.Sort(want)
	dsn := crmtest.NewPostgresDB(t)
	environ := env(t)
	runBin(t, environ, "init", "--src", src, "--db", dsn).want(t, exitcode.Data, "crm.contacts row", "column first_name", "NUL character")
	clean := copyFile(t, src, "clean.duckdb")
	execOn(t, clean, `UPDATE crm.contacts SET first_name = replace(first_name, chr(0), '')`)
	runBin(t, environ, "init", "--src", clean, "--db", dsn).want(t, 0)
	runBin(t, environ, "segment", "--db", dsn, "--as-of", asOfText, "--data-dir", t.TempDir()).want(t, 0, "HIGH 1")
	runBin(t, environ, "verify", "--db", dsn, "--as-of", asOfText, "--data-dir", t.TempDir()).want(t, 0)
	res := runBin(t, environ, "alert", "--db", dsn, "--as-of", asOfText, "--channel", "stdout")
	res.want(t, 0, "stdout: 8 contacts of HIGH companies, 6 selected", "sent 6, failed 0")
	lines := strings.Split(strings.TrimSuffix(res.out, "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d alerts on stdout, want %d:\n%s", len(lines), len(want), clip(res.out))
	}
	for _, line := range lines {
		checkPayload(t, "postgres stdout", []byte(line))
	}
}

// checkCSV reads a CSV file the commands wrote and checks it parses with
// the header and a constant number of fields.
func checkCSV(t testing.TB, path string, header []string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("%s is not well-formed CSV: %v", path, err)
	}
	if len(recs) == 0 || !slices.Equal(recs[0], header) {
		t.Errorf("%s: header %q, want %q", path, recs[0], header)
	}
}

// labels are the first words of the lines of a message: its lead, the
// section titles and the field labels. A CRM value that added a line
// would start a line with something else.
var labels = regexp.MustCompile(`^(|.* shows HIGH buying intent as of \d{4}-\d{2}-\d{2}\.|Who|Company|Why|Context|As of|  (Name|Email|Phone|CRM records|Domain|Address|Company ID|Segment|Latest visit|Latest news|Last outreach|Account owner|Date):  .*)$`)

// checkPayload checks a webhook or stdout payload: exactly the four keys,
// a one-line subject, and a message whose lines are the template's.
func checkPayload(t testing.TB, where string, raw []byte) {
	t.Helper()
	var p map[string]string
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Errorf("%s: payload is not a JSON object of strings: %v\n%s", where, err, raw)
		return
	}
	if len(p) != 4 || p["from"] != "intent-alerts@taktile.com" || p["to"] != "biz-dev@taktile.com" {
		t.Errorf("%s: payload keys or addresses changed: %v", where, p)
	}
	if !alerttest.Inert(p["subject"], false) || utf8.RuneCountInString(p["subject"]) > 200 {
		t.Errorf("%s: subject %q is not one clean line of at most 200 characters", where, p["subject"])
	}
	if !alerttest.Inert(p["message"], true) {
		t.Errorf("%s: message has control or invisible characters: %q", where, p["message"])
	}
	for _, line := range strings.Split(strings.TrimSuffix(p["message"], "\n"), "\n") {
		if !labels.MatchString(line) {
			t.Errorf("%s: message line %q is not one of the template's: a CRM value broke the layout", where, clip(line))
		}
	}
	if strings.Contains(p["message"], urlPassword) || strings.Contains(p["subject"], urlPassword) {
		t.Errorf("%s: the password of a URL in the CRM is shown: %q", where, p["message"])
	}
	if utf8.RuneCountInString(p["message"]) > 5000 {
		t.Errorf("%s: message of %d characters: long CRM values were not cut", where, utf8.RuneCountInString(p["message"]))
	}
}

// checkSlack checks a Slack message: Block Kit within its limits, every
// text free of markup Slack acts on, no link or mention parsing turned on.
func checkSlack(t testing.TB, body []byte) {
	t.Helper()
	var msg map[string]any
	if err := json.Unmarshal(body, &msg); err != nil {
		t.Errorf("slack: body is not JSON: %v", err)
		return
	}
	for _, k := range []string{"link_names", "parse", "mrkdwn_in"} {
		if _, ok := msg[k]; ok {
			t.Errorf("slack: %s is set", k)
		}
	}
	if blocks, _ := msg["blocks"].([]any); len(blocks) == 0 || len(blocks) > 50 {
		t.Errorf("slack: %d blocks", len(blocks))
	}
	var texts []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case string:
			texts = append(texts, v)
		case map[string]any:
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(msg)
	for _, text := range texts {
		for _, raw := range []string{slackMention, "<@U123>", "<https://", "<script", "\r", urlPassword} {
			if strings.Contains(text, raw) {
				t.Errorf("slack: a text carries %q raw: %q", raw, clip(text))
			}
		}
		if !alerttest.Inert(text, true) {
			t.Errorf("slack: a text has control or invisible characters: %q", clip(text))
		}
	}
}

// checkEmail parses a message as a mail client would: the headers must be
// exactly intentalert's (no header a CRM value added), the subject one
// line, and the HTML part free of any tag from the CRM.
func checkEmail(t testing.TB, data []byte) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Errorf("smtp: message does not parse: %v", err)
		return
	}
	allowed := []string{"Date", "Mime-Version", "Message-Id", "Subject", "User-Agent", "X-Mailer", "From", "To", "Content-Type"}
	for k := range msg.Header {
		if !slices.Contains(allowed, k) {
			t.Errorf("smtp: header %q: a CRM value added a header", k)
		}
	}
	for k, vs := range msg.Header {
		if len(vs) != 1 {
			t.Errorf("smtp: header %s given %d times", k, len(vs))
		}
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || !alerttest.Inert(subject, false) {
		t.Errorf("smtp: subject %q (%v) is not one clean line", subject, err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Errorf("smtp: Content-Type: %v", err)
		return
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Errorf("smtp: multipart: %v", err)
			return
		}
		var r io.Reader = part
		if part.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			r = quotedprintable.NewReader(part)
		}
		body, _ := io.ReadAll(r)
		ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
		types = append(types, ct)
		if ct == "text/html" {
			for _, raw := range []string{htmlScript, "<b>", "<https://", slackMention} {
				if bytes.Contains(body, []byte(raw)) {
					t.Errorf("smtp: the HTML part carries %q unescaped", raw)
				}
			}
			if tags := htmlTags(body); !slices.Equal(tags, []string{"!doctype", "body", "h4", "head", "html", "meta", "p", "strong", "table", "td", "title", "tr"}) {
				t.Errorf("smtp: HTML tags %q: a CRM value added markup", tags)
			}
		}
		if bytes.Contains(body, []byte(urlPassword)) {
			t.Errorf("smtp: the %s part shows the password of a URL in the CRM", ct)
		}
	}
	if !slices.Equal(types, []string{"text/plain", "text/html"}) {
		t.Errorf("smtp: parts %q, want text/plain and text/html", types)
	}
}

var tagName = regexp.MustCompile(`<(/?)([!a-zA-Z][a-zA-Z0-9]*)`)

// htmlTags returns the distinct tag names of an HTML document, sorted.
func htmlTags(b []byte) []string {
	var out []string
	for _, m := range tagName.FindAllSubmatch(b, -1) {
		name := strings.ToLower(string(m[2]))
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// TestMalformedTables checks that a CRM whose tables lack a column, have
// a column of the wrong type or lack a table stops every command that
// needs it with exit 3 and an error naming the table and the column, and
// that an imported result file with a bad row names the line.
func TestMalformedTables(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		alter string
		args  []string
		has   []string
	}{
		{"missing column", `ALTER TABLE crm.contacts DROP COLUMN email`, []string{"segment"}, []string{"column crm.contacts.email is missing"}},
		{"wrong type", `ALTER TABLE crm.news_publications ALTER publication_date_utc TYPE VARCHAR`, []string{"segment"},
			[]string{"column crm.news_publications.publication_date_utc has type VARCHAR, want DATE"}},
		{"missing table", `DROP TABLE crm.outreach_emails`, []string{"segment"}, []string{"table crm.outreach_emails is missing"}},
		{"no segmentation", `DROP TABLE crm.customer_buying_intent`, []string{"verify"}, []string{"crm.customer_buying_intent", "intentalert segment"}},
		{"verification result missing a column", `ALTER TABLE crm.valid_emails DROP COLUMN is_email_valid`, []string{"alert", "--dry-run"},
			[]string{"column crm.valid_emails.is_email_valid is missing"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := highCRM(t, 2, true)
			db := copyFile(t, src, "db.duckdb")
			execOn(t, db, tt.alter)
			args := append(tt.args, "--db", db, "--as-of", asOfText, "--data-dir", t.TempDir())
			runBin(t, env(t, "INTENTALERT_WEBHOOK_URL=http://127.0.0.1:1/hook"), args...).want(t, exitcode.Data, tt.has...)
			addFigure("malformed tables", "faults_injected", 1)
		})
	}
	t.Run("imported result with a bad row", func(t *testing.T) {
		t.Parallel()
		db := highCRM(t, 2, false)
		file := filepath.Join(t.TempDir(), "valid_emails.csv")
		content := "email,is_email_valid\nc0000@acme.com,True\n\"c0001@acme.com\nBcc: x@y.z\",maybe\n"
		if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		runBin(t, env(t), "verify", "--db", db, "--provider", "csv", "--file", file, "--data-dir", t.TempDir()).
			want(t, exitcode.Data, file, "line 3", `is_email_valid is "maybe"`)
		addFigure("malformed tables", "faults_injected", 1)
	})
}

// execOn runs statements on a DuckDB file no process holds.
func execOn(t testing.TB, path string, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		query(t, path, s)
	}
}
