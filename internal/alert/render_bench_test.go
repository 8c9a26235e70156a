package alert_test

import (
	"testing"
	"time"

	"github.com/intentalert/intentalert/internal/alert"
)

func benchAlert() alert.Alert {
	return alert.Alert{
		ContactEmail: "white.white@cummings.net", FirstName: "White", LastName: "White", Phone: "+1 555 0100",
		CompanyID: "c-42", Domain: "cummings.net", Address: "1 Main Street, Springfield", Segment: "HIGH",
		EvidenceDays: 7,
		Visit:        &alert.Visit{Date: "2024-04-29", Visitor: "someone@cummings.net"},
		News:         &alert.News{Date: "2024-04-28", Headline: "Cummings raises a Series B <to> expand & hire", URL: "https://cummings.net/news"},
		LastOutreach: &alert.Outreach{Date: "2024-03-01", From: "rep@taktile.com", Subject: "Intro"},
		AsOf:         time.Date(2024, 4, 30, 0, 0, 0, 0, time.UTC),
	}
}

func BenchmarkRenderText(b *testing.B) {
	a := benchAlert()
	for b.Loop() {
		_ = a.Text()
	}
}

func BenchmarkNewMessage(b *testing.B) {
	a := benchAlert()
	for b.Loop() {
		_ = alert.NewMessage("webhook", alert.DefaultFrom, alert.DefaultTo, a)
	}
}

func BenchmarkDigest100(b *testing.B) {
	as := make([]alert.Alert, 100)
	for i := range as {
		as[i] = benchAlert()
	}
	for b.Loop() {
		_ = alert.NewDigest("webhook", alert.DefaultFrom, alert.DefaultTo, as[0].AsOf, as)
	}
}
