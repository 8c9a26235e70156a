package serve

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/intentalert/intentalert/internal/pipeline"
)

// Metrics are what /metrics exposes, on a registry of their own (never the
// global default one).
type Metrics struct {
	Registry *prometheus.Registry

	runs          *prometheus.CounterVec
	runDuration   prometheus.Histogram
	stepDuration  *prometheus.HistogramVec
	steps         *prometheus.CounterVec
	companies     *prometheus.GaugeVec
	verifications *prometheus.CounterVec
	credits       prometheus.Counter
	alerts        *prometheus.CounterVec
	lastSuccess   prometheus.Gauge
	lastRun       prometheus.Gauge
	running       prometheus.Gauge
	nextRun       prometheus.Gauge
}

// NewMetrics creates the metrics on a new registry, with the Go runtime's
// and the process's own.
func NewMetrics() *Metrics {
	durations := []float64{0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600}
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intentalert_runs_total",
			Help: "Pipeline runs by outcome (succeeded, partial, failed, cancelled, busy) and trigger (schedule, http).",
		}, []string{"status", "trigger"}),
		runDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "intentalert_run_duration_seconds", Help: "Duration of pipeline runs.", Buckets: durations,
		}),
		stepDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "intentalert_step_duration_seconds", Help: "Duration of pipeline steps.", Buckets: durations,
		}, []string{"step"}),
		steps: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intentalert_steps_total", Help: "Pipeline steps run, by step and outcome.",
		}, []string{"step", "status"}),
		companies: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "intentalert_companies",
			Help: "Companies per buying-intent segment in the latest segmentation.",
		}, []string{"segment"}),
		verifications: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intentalert_verifications_total",
			Help: "Email addresses verified, by verdict (valid, invalid, catch-all, unknown, do-not-mail).",
		}, []string{"verdict"}),
		credits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "intentalert_verification_credits_spent_total",
			Help: "Credits spent with the email verification provider.",
		}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "intentalert_alerts_total",
			Help: "Alerts by channel and outcome (sent, failed, skipped, ...).",
		}, []string{"channel", "outcome"}),
		lastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "intentalert_last_success_timestamp_seconds",
			Help: "When the last successful run finished, in Unix seconds (0: none since this database was created).",
		}),
		lastRun: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "intentalert_last_run_timestamp_seconds",
			Help: "When the last run finished, whatever its outcome, in Unix seconds.",
		}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "intentalert_run_in_progress", Help: "1 while a run is in progress.",
		}),
		nextRun: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "intentalert_next_run_timestamp_seconds", Help: "When the schedule fires next, in Unix seconds.",
		}),
	}
	m.Registry.MustRegister(m.runs, m.runDuration, m.stepDuration, m.steps, m.companies, m.verifications,
		m.credits, m.alerts, m.lastSuccess, m.lastRun, m.running, m.nextRun,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Observe records a finished (or refused) run. The run counter moves last,
// so a scrape that sees the run also sees its steps' figures.
func (m *Metrics) Observe(s pipeline.Summary) {
	defer m.runs.WithLabelValues(string(s.Status), s.Trigger).Inc()
	if s.Status == pipeline.Busy {
		return
	}
	if !s.FinishedAt.IsZero() {
		m.runDuration.Observe(s.Duration().Seconds())
		m.lastRun.Set(unix(s.FinishedAt))
	}
	if s.Status == pipeline.Succeeded {
		m.lastSuccess.Set(unix(s.FinishedAt))
	}
	for _, st := range s.Steps {
		if st.Status == pipeline.Skipped {
			continue
		}
		m.steps.WithLabelValues(st.Name, string(st.Status)).Inc()
		m.stepDuration.WithLabelValues(st.Name).Observe(st.Seconds)
		if len(st.Segments) > 0 {
			m.companies.Reset()
			for seg, n := range st.Segments {
				m.companies.WithLabelValues(seg).Set(float64(n))
			}
		}
		for verdict, n := range st.Verdicts {
			m.verifications.WithLabelValues(verdict).Add(float64(n))
		}
		if st.Credits > 0 {
			m.credits.Add(st.Credits)
		}
		for channel, outcomes := range st.Alerts {
			for outcome, n := range outcomes {
				m.alerts.WithLabelValues(channel, outcome).Add(float64(n))
			}
		}
	}
}

// SetLastSuccess sets the last successful run's time, read from the
// database at start so that a restart does not look like a missed run.
func (m *Metrics) SetLastSuccess(t time.Time) {
	if !t.IsZero() {
		m.lastSuccess.Set(unix(t))
	}
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
