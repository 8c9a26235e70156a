package alert_test

import (
	"strings"
	"testing"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/alerttest"
)

// TestNewsURLWithoutCredentials checks that a news URL in the CRM that
// carries a user and password is shown without them.
func TestNewsURLWithoutCredentials(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"https://user:hunter2@www.acme.com:8443/news?id=1": "https://www.acme.com:8443/news?id=1",
		"user:hunter2@acme.com/news":                       "acme.com/news",
		"https://a@hunter2@acme.com/":                      "https://acme.com/",
		"https://acme.com/news@2024":                       "https://acme.com/news@2024",
	} {
		a := alerttest.Sample()
		a.News.URL = in
		text := alert.NewMessage("webhook", alert.DefaultFrom, alert.DefaultTo, a).Text
		if !strings.Contains(text, " "+want+"\n") || strings.Contains(text, "hunter2@") {
			t.Errorf("news URL %q shown as:\n%s\nwant %q", in, text, want)
		}
	}
}
