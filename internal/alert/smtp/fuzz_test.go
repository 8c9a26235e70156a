package smtp_test

import (
	"bufio"
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/intentalert/intentalert/internal/alert/alerttest"
	"github.com/intentalert/intentalert/internal/alert/smtp"
)

var tagName = regexp.MustCompile(`<(/?)([!a-zA-Z][a-zA-Z0-9]*)`)

// FuzzBuild checks the email built for any CRM content, parsed as a mail
// client would: exactly intentalert's headers, each once, lines within
// RFC 5322's 998 octets, a one-line subject, and two parts (text/plain,
// text/html) whose HTML has only the template's tags: a CRM value can
// neither add a header (CR/LF) nor markup.
func FuzzBuild(f *testing.F) {
	alerttest.AddFuzzSeeds(f)
	allowed := []string{"Date", "Mime-Version", "Message-Id", "Subject", "User-Agent", "X-Mailer", "From", "To", "Content-Type"}
	f.Fuzz(func(t *testing.T, name, email, company, text, url string, flags uint8) {
		m := alerttest.Message(smtp.Name, alerttest.FuzzAlert(name, email, company, text, url, flags))
		msg, err := smtp.Build(m, fixedNow)
		if err != nil {
			t.Fatalf("Build: %v", err)
		}
		var buf bytes.Buffer
		if _, err := msg.WriteTo(&buf); err != nil {
			t.Fatalf("WriteTo: %v", err)
		}
		sc := bufio.NewScanner(bytes.NewReader(buf.Bytes()))
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if len(sc.Bytes()) > 998 {
				t.Fatalf("a line of %d octets", len(sc.Bytes()))
			}
		}
		parsed, err := mail.ReadMessage(&buf)
		if err != nil {
			t.Fatalf("the message does not parse: %v", err)
		}
		for k, vs := range parsed.Header {
			if !slices.Contains(allowed, k) || len(vs) != 1 {
				t.Fatalf("header %s (%d times): a CRM value added a header", k, len(vs))
			}
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
		if err != nil || strings.ContainsAny(subject, "\r\n") {
			t.Fatalf("subject %q (%v) is not one line", subject, err)
		}
		_, params, err := mime.ParseMediaType(parsed.Header.Get("Content-Type"))
		if err != nil {
			t.Fatalf("Content-Type: %v", err)
		}
		mr := multipart.NewReader(parsed.Body, params["boundary"])
		var types []string
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("multipart: %v", err)
			}
			var r io.Reader = part
			if part.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
				r = quotedprintable.NewReader(part)
			}
			body, err := io.ReadAll(r)
			if err != nil {
				t.Fatalf("part: %v", err)
			}
			ct, _, _ := mime.ParseMediaType(part.Header.Get("Content-Type"))
			types = append(types, ct)
			if ct == "text/html" {
				var tags []string
				for _, m := range tagName.FindAllSubmatch(body, -1) {
					if tag := strings.ToLower(string(m[2])); !slices.Contains(tags, tag) {
						tags = append(tags, tag)
					}
				}
				slices.Sort(tags)
				if want := []string{"!doctype", "body", "h4", "head", "html", "meta", "p", "strong", "table", "td", "title", "tr"}; !slices.Equal(tags, want) {
					t.Fatalf("HTML tags %q, want the template's %q", tags, want)
				}
			}
		}
		if !slices.Equal(types, []string{"text/plain", "text/html"}) {
			t.Fatalf("parts %q, want text/plain and text/html", types)
		}
	})
}
