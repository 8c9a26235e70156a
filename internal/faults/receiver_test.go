package faults

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// receipt is one request a receiver read completely.
type receipt struct {
	Key      string
	Body     []byte
	Header   http.Header
	At       time.Time
	Answered int // the status answered; 0 when none was (hang, reset, client gone)
}

// behaviour decides how a receiver answers the n-th request (1-based) and
// the attempt-th request carrying the same Idempotency-Key.
type behaviour func(n, attempt int) answer

// answer is what a receiver does with one request.
type answer struct {
	Status int           // 0: 200
	Header http.Header   // extra headers
	Body   string        // response body
	Delay  time.Duration // wait before answering (ends early when the client goes away)
	Hang   bool          // never answer: wait until the client goes away
	Reset  bool          // close the connection with a TCP reset, no answer
}

// receiver is a webhook receiver on 127.0.0.1 whose answers a behaviour
// scripts, which records every request it read completely, and which can
// call hooks when a request arrives and when it has been answered (the
// kill points of the kill tests).
type receiver struct {
	srv   *httptest.Server
	token string
	do    behaviour
	// byKey, when set, decides instead of do, by Idempotency-Key.
	byKey func(key string, attempt int) answer

	mu       sync.Mutex
	n        int
	attempts map[string]int
	got      []receipt
	inflight int
	// onArrive runs, in the handler, after the n-th request was read and
	// before it is answered; onAnswered after the n-th answer was flushed.
	onArrive   func(n int)
	onAnswered func(n int)
}

func newReceiver(t testing.TB, do behaviour) *receiver {
	t.Helper()
	r := &receiver{token: "hooktok-" + randomHex(10), do: do, attempts: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

// URL is the receiver's URL, a token in its path as webhook.site's.
func (r *receiver) URL() string { return r.srv.URL + "/hook/" + r.token }

// answerByKey makes the receiver answer by Idempotency-Key with f.
func (r *receiver) answerByKey(f func(key string, attempt int) answer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byKey = f
}

func (r *receiver) hooks(onArrive, onAnswered func(n int)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.onArrive, r.onAnswered = onArrive, onAnswered
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return // the client died while sending: not received
	}
	key := req.Header.Get("Idempotency-Key")
	r.mu.Lock()
	r.n++
	n := r.n
	r.attempts[key]++
	attempt := r.attempts[key]
	idx := len(r.got)
	r.got = append(r.got, receipt{Key: key, Body: body, Header: req.Header.Clone(), At: time.Now()})
	r.inflight++
	arrive, answered := r.onArrive, r.onAnswered
	byKey, do := r.byKey, r.do
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.inflight--
		r.mu.Unlock()
	}()
	if arrive != nil {
		arrive(n)
	}
	a := answer{}
	switch {
	case byKey != nil:
		a = byKey(key, attempt)
	case do != nil:
		a = do(n, attempt)
	}
	switch {
	case a.Reset:
		reset(w)
		return
	case a.Hang:
		<-req.Context().Done()
		return
	}
	if a.Delay > 0 {
		t := time.NewTimer(a.Delay)
		select {
		case <-t.C:
		case <-req.Context().Done():
			t.Stop()
			return
		}
	}
	if req.Context().Err() != nil {
		return
	}
	for k, vs := range a.Header {
		w.Header()[k] = vs
	}
	status := a.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	io.WriteString(w, a.Body)
	w.(http.Flusher).Flush()
	r.mu.Lock()
	r.got[idx].Answered = status
	r.mu.Unlock()
	if answered != nil {
		answered(n)
	}
}

// reset closes the request's connection with a TCP RST.
func reset(w http.ResponseWriter) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	conn.Close()
}

// receipts returns a copy of what the receiver read.
func (r *receiver) receipts() []receipt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]receipt(nil), r.got...)
}

// idle waits until no request is being handled.
func (r *receiver) idle(d time.Duration) bool {
	return within(d, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		return r.inflight == 0
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
