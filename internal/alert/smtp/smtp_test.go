package smtp_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/alerttest"
	"github.com/intentalert/intentalert/internal/alert/smtp"
	"github.com/intentalert/intentalert/internal/exitcode"
	"github.com/intentalert/intentalert/internal/outbound"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var _ alert.Channel = (*smtp.Notifier)(nil)

var fixedNow = time.Date(2024, 4, 30, 7, 0, 0, 0, time.UTC)

func config(s *alerttest.SMTPServer, mode smtp.TLSMode) smtp.Config {
	return smtp.Config{
		Host: s.Host, Port: s.Port, Username: s.Username, Password: s.Password, TLS: mode,
		TLSConfig: &tls.Config{RootCAs: s.RootCAs}, Timeout: 5 * time.Second,
		Now: func() time.Time { return fixedNow },
	}
}

func newNotifier(t *testing.T, c smtp.Config) *smtp.Notifier {
	t.Helper()
	n, err := smtp.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConformance(t *testing.T) {
	alerttest.Run(t, func(t *testing.T) *alerttest.Harness {
		s := alerttest.NewSMTPServer(t, alerttest.SMTPStartTLS)
		return &alerttest.Harness{
			Channel:    newNotifier(t, config(s, smtp.TLSStartTLS)),
			Next:       s.Next,
			Deliveries: s.Deliveries,
			Secrets:    []string{s.Password},
			Check:      checkMail,
			Unreachable: func() alert.Channel {
				c := config(s, smtp.TLSStartTLS)
				_, port, _ := net.SplitHostPort(strings.TrimPrefix(alerttest.Unreachable(t, ""), "http://"))
				c.Port, _ = strconv.Atoi(port)
				return newNotifier(t, c)
			},
		}
	})
}

// checkMail parses what the server received: one From, To, Subject each
// with the message's values, no header a CRM value could have added, a
// multipart/alternative body with the plain text and an HTML part with
// every value escaped.
func checkMail(t *testing.T, d alerttest.Delivery, m alert.Message) {
	t.Helper()
	if got := d.Header["Mail-From"]; len(got) != 1 || got[0] != m.From {
		t.Errorf("MAIL FROM %v, want %s", got, m.From)
	}
	if got := d.Header["Rcpt-To"]; len(got) != 1 || got[0] != m.To {
		t.Errorf("RCPT TO %v, want exactly %s", got, m.To)
	}
	head, _, _ := bytes.Cut(d.Body, []byte("\r\n\r\n"))
	for _, line := range strings.Split(string(head), "\r\n") {
		if line == "" || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		name, _, ok := strings.Cut(line, ":")
		if !ok {
			t.Errorf("header line without a name: %q", line)
			continue
		}
		switch strings.ToLower(name) {
		case "from", "to", "subject", "date", "message-id", "mime-version", "content-type", "user-agent", "x-mailer":
		default:
			t.Errorf("unexpected header %q: a value got out of its field", line)
		}
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(d.Body))
	if err != nil {
		t.Fatalf("not a mail message: %v", err)
	}
	for _, h := range []string{"From", "To", "Subject", "Date", "Message-Id"} {
		if n := len(msg.Header[h]); n != 1 {
			t.Errorf("%d %s headers, want 1", n, h)
		}
	}
	if to := msg.Header.Get("To"); !strings.Contains(to, m.To) {
		t.Errorf("To = %q, want %s", to, m.To)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != m.Subject {
		t.Errorf("Subject = %q (%v), want %q", subject, err, m.Subject)
	}
	if id := msg.Header.Get("Message-Id"); id != "<"+m.Key+"@taktile.com>" {
		t.Errorf("Message-ID = %q, want one built from the key %s", id, m.Key)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("Content-Type = %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	parts := map[string]string{}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("multipart: %v", err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		var body io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatalf("part %s: %v", ct, err)
		}
		if _, dup := parts[ct]; dup {
			t.Errorf("two %s parts", ct)
		}
		parts[ct] = string(b)
	}
	if len(parts) != 2 {
		t.Errorf("parts %v, want text/plain and text/html", keys(parts))
	}
	if got := strings.ReplaceAll(parts["text/plain"], "\r\n", "\n"); got != m.Text {
		t.Errorf("text part differs from the message:\n%s\n---\n%s", got, m.Text)
	}
	html := parts["text/html"]
	for _, bad := range []string{"<script>", "<b>Eve", "<!channel>", "<!here>"} {
		if strings.Contains(html, bad) {
			t.Errorf("HTML part has the raw CRM markup %q", bad)
		}
	}
	for _, a := range m.Alerts[:min(3, len(m.Alerts))] {
		if name := a.Name(); name != "" && !strings.Contains(html, escapeHTML(name)) {
			t.Errorf("HTML part lacks the contact %q", name)
		}
	}
}

func escapeHTML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestGoldenMIME(t *testing.T) {
	for _, tt := range []struct {
		name string
		m    alert.Message
	}{
		{"sample", alerttest.Message(smtp.Name, alerttest.Sample())},
		{"hostile", alerttest.Message(smtp.Name, alerttest.Hostile())},
	} {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := smtp.Build(tt.m, fixedNow)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := msg.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			alerttest.Golden(t, "testdata/"+tt.name+".golden.eml", buf.Bytes(), *update)
			checkMail(t, alerttest.Delivery{Header: map[string][]string{"Mail-From": {tt.m.From}, "Rcpt-To": {tt.m.To}}, Body: buf.Bytes()}, tt.m)
		})
	}
}

func TestTLSModes(t *testing.T) {
	tests := []struct {
		name    string
		server  alerttest.SMTPTLS
		mode    smtp.TLSMode
		wantTLS bool
	}{
		{"STARTTLS (port 587 style)", alerttest.SMTPStartTLS, smtp.TLSStartTLS, true},
		{"implicit TLS (port 465 style)", alerttest.SMTPImplicit, smtp.TLSImplicit, true},
		{"plain text to loopback", alerttest.SMTPPlain, smtp.TLSNone, false},
		{"auto on a loopback port other than 465 and 587", alerttest.SMTPPlain, smtp.TLSAuto, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := alerttest.NewSMTPServer(t, tt.server)
			m := alerttest.Message(smtp.Name, alerttest.Sample())
			if err := newNotifier(t, config(s, tt.mode)).Send(context.Background(), m); err != nil {
				t.Fatalf("Send = %v", err)
			}
			got := s.Messages()
			if len(got) != 1 || got[0].TLS != tt.wantTLS || got[0].Auth != s.Username {
				t.Fatalf("messages %+v, want one with TLS=%v, authenticated", got, tt.wantTLS)
			}
		})
	}
}

func TestPermanentFailures(t *testing.T) {
	tests := []struct {
		name   string
		server alerttest.SMTPTLS
		change func(*smtp.Config)
		want   string
	}{
		{"wrong password", alerttest.SMTPStartTLS, func(c *smtp.Config) { c.Password = "wrong-app-password" }, "535"},
		{"STARTTLS required but not offered", alerttest.SMTPPlain, func(c *smtp.Config) { c.TLS = smtp.TLSStartTLS }, "STARTTLS"},
		{"untrusted certificate", alerttest.SMTPStartTLS, func(c *smtp.Config) { c.TLSConfig = nil }, "certificate"},
		{"untrusted certificate, implicit TLS", alerttest.SMTPImplicit, func(c *smtp.Config) { c.TLS, c.TLSConfig = smtp.TLSImplicit, nil }, "certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := alerttest.NewSMTPServer(t, tt.server)
			c := config(s, smtp.TLSStartTLS)
			tt.change(&c)
			err := newNotifier(t, c).Send(context.Background(), alerttest.Message(smtp.Name, alerttest.Sample()))
			var oe *outbound.Error
			if !errors.As(err, &oe) || oe.Retry {
				t.Fatalf("Send = %v, want a permanent *outbound.Error", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Send = %q, want it to mention %q", err, tt.want)
			}
			for _, secret := range []string{s.Password, c.Password} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows the password: %q", err)
				}
			}
			if len(s.Messages()) != 0 {
				t.Errorf("a message was delivered")
			}
		})
	}
}

func TestReplyCodes(t *testing.T) {
	tests := []struct {
		mode   alerttest.Mode
		status int
		retry  bool
	}{
		{alerttest.Transient, 451, true},
		{alerttest.RateLimited, 421, true},
		{alerttest.Reject, 550, false},
	}
	for _, tt := range tests {
		s := alerttest.NewSMTPServer(t, alerttest.SMTPPlain)
		s.Next(tt.mode)
		err := newNotifier(t, config(s, smtp.TLSNone)).Send(context.Background(), alerttest.Message(smtp.Name, alerttest.Sample()))
		var oe *outbound.Error
		if !errors.As(err, &oe) || oe.Retry != tt.retry || oe.Status != tt.status {
			t.Errorf("%s: Send = %v (%+v), want reply %d with retry=%v", tt.mode, err, oe, tt.status, tt.retry)
		}
	}
}

func TestModeByPort(t *testing.T) {
	tests := []struct {
		host string
		port int
		want smtp.TLSMode
	}{
		{"smtp.gmail.com", 587, smtp.TLSStartTLS},
		{"smtp.gmail.com", 0, smtp.TLSStartTLS},
		{"smtp.gmail.com", 465, smtp.TLSImplicit},
		{"smtp.example.com", 25, smtp.TLSStartTLS},
		{"smtp.example.com", 2525, smtp.TLSStartTLS},
		{"127.0.0.1", 2525, smtp.TLSNone},
		{"localhost", 25, smtp.TLSNone},
		{"127.0.0.1", 587, smtp.TLSStartTLS},
		{"::1", 465, smtp.TLSImplicit},
	}
	for _, tt := range tests {
		n, err := smtp.New(smtp.Config{Host: tt.host, Port: tt.port})
		if err != nil {
			t.Fatalf("New(%s:%d) = %v", tt.host, tt.port, err)
		}
		if got := n.Mode(); got != tt.want {
			t.Errorf("%s:%d: mode %q, want %q", tt.host, tt.port, got, tt.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	const pw = "abcd efgh ijkl mnop"
	tests := []struct {
		name string
		c    smtp.Config
		ok   bool
	}{
		{"gmail", smtp.Config{Host: "smtp.gmail.com", Port: 587, Username: "me@gmail.com", Password: pw}, true},
		{"relay without auth", smtp.Config{Host: "127.0.0.1", Port: 25}, true},
		{"no host", smtp.Config{Port: 587}, false},
		{"host with port", smtp.Config{Host: "smtp.gmail.com:587"}, false},
		{"port out of range", smtp.Config{Host: "smtp.gmail.com", Port: 70000}, false},
		{"username without password", smtp.Config{Host: "smtp.gmail.com", Username: "me@gmail.com"}, false},
		{"password without username", smtp.Config{Host: "smtp.gmail.com", Password: pw}, false},
		{"plain text to a remote host", smtp.Config{Host: "smtp.gmail.com", TLS: smtp.TLSNone, Username: "me@gmail.com", Password: pw}, false},
		{"unknown TLS mode", smtp.Config{Host: "smtp.gmail.com", TLS: "ssl3"}, false},
	}
	for _, tt := range tests {
		err := tt.c.Validate()
		if (err == nil) != tt.ok {
			t.Errorf("%s: Validate = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && (exitcode.Of(err) != exitcode.Usage || strings.Contains(err.Error(), pw)) {
			t.Errorf("%s: Validate = %q: want a usage error without the password", tt.name, err)
		}
	}
}
