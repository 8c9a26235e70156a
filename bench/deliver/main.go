// Command deliver is the alert command's delivery path (alert.Run: select,
// render, claim in the ledger, POST, record) over the webhook channel with
// the rate limit off, which the CLI does not offer. It prints alerts sent,
// seconds in all, in selection and in delivery, and alerts per second of
// delivery (ledger included).
//
//	deliver -db FILE|postgres://... -as-of 2024-04-30 -url http://127.0.0.1:PORT/hook -max 10000
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"golang.org/x/time/rate"

	"github.com/intentalert/intentalert/internal/alert"
	"github.com/intentalert/intentalert/internal/alert/channels"
	"github.com/intentalert/intentalert/internal/alert/webhook"
	"github.com/intentalert/intentalert/internal/store"
)

func main() {
	dsn := flag.String("db", "", "DuckDB file or postgres:// URL")
	asOf := flag.String("as-of", "2024-04-30", "as-of date")
	url := flag.String("url", "", "webhook URL")
	maxAlerts := flag.Int("max", 10000, "alerts to send")
	conc := flag.Int("concurrency", alert.DefaultConcurrency, "messages in flight")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "deliver:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(context.Background(), *dsn, *asOf, *url, *maxAlerts, *conc); err != nil {
		fmt.Fprintln(os.Stderr, "deliver:", err)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
}

func run(ctx context.Context, dsn, asOfS, url string, maxAlerts, conc int) error {
	asOf, err := time.Parse(time.DateOnly, asOfS)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, dsn, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	chs, err := channels.Build([]string{"webhook"}, channels.Config{Webhook: webhook.Config{URL: url}})
	if err != nil {
		return err
	}
	start := time.Now()
	rep, err := alert.Run(ctx, st, chs, alert.Options{
		Params:      alert.Params{AsOf: asOf, OutreachDays: alert.DefaultOutreachDays, CooldownDays: alert.DefaultCooldownDays, EvidenceDays: 7},
		MaxAlerts:   maxAlerts,
		Concurrency: conc,
		Rates:       map[string]rate.Limit{"webhook": rate.Inf},
	})
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	sent := rep.Count(alert.ResultSent)
	delivery := secs - rep.Planning.Seconds()
	fmt.Printf("sent=%d seconds=%.3f selection_seconds=%.3f delivery_seconds=%.3f per_second=%.0f concurrency=%d\n",
		sent, secs, rep.Planning.Seconds(), delivery, float64(sent)/delivery, conc)
	return rep.Err()
}
