// Package faults is intentalert's fault-injection suite. It has no code of
// its own: its tests build the real binary (cmd/intentalert) once per test
// run and drive it against local doubles on 127.0.0.1 (webhook receivers, a
// fake Slack, an SMTP server, a fake ZeroBounce), injecting faults and
// counting outcomes:
//
//   - kill -9 of `alert` and `verify` at random points, then reruns: no
//     alert lost, duplicates bounded by the messages in flight, no recorded
//     paid answer bought twice;
//   - receivers that fail, throttle, hang, reset connections or answer
//     slowly: bounded retries, the right exit code and a summary;
//   - a database locked by another process, a full disk and a read-only
//     data directory: clear errors, previous tables and CSV files intact;
//   - hostile CRM content: every channel's output well-formed and inert;
//   - known fake secrets in the environment: never printed or logged.
//
// `go test ./internal/faults` runs the short form (a few kill points, tens
// of alerts). `go test ./internal/faults -long` (or INTENTALERT_SOAK=1) runs
// the soak form: 200 alerts and 20 kill points per scenario. With
// -figures FILE (or INTENTALERT_FAULTS_FIGURES=FILE) the suite writes the
// figures it counted as JSON; docs/reliability.md quotes one long run.
package faults
