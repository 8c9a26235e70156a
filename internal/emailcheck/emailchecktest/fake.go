// Package emailchecktest holds what every email-verification provider is
// tested with: the conformance suite Run, local fakes of the ZeroBounce and
// AbstractAPI HTTP APIs reproducing their documented behaviour (see
// ../shared/docs/providers.md section 6), and a fake clock.
package emailchecktest

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Reply is a canned answer a fake serves, once, instead of its normal
// behaviour.
type Reply struct {
	Status int         // HTTP status; 0 means 200
	Header http.Header // extra headers, e.g. Retry-After
	Body   string
	Delay  time.Duration // wait before answering; ends early when the client goes away
	Hang   bool          // never answer: wait until the client goes away
	Cut    bool          // send the headers and part of the body, then close the connection
}

// Request is a request a fake received.
type Request struct {
	Method string
	Path   string
	Query  url.Values // decoded query string
	Body   string
	Emails []string // the addresses asked about
}

// fake is what both API fakes share: a request log, a queue of canned
// replies, a delay for normal answers and a hook run on every request.
type fake struct {
	mu        sync.Mutex
	requests  []Request
	replies   []Reply
	delay     time.Duration
	onRequest func(Request)
	release   chan struct{}
	once      sync.Once
	now       func() time.Time
}

func newFake() fake {
	return fake{release: make(chan struct{}), now: time.Now}
}

// Enqueue makes the next requests get these replies, in order, before the
// fake goes back to its normal behaviour.
func (f *fake) Enqueue(replies ...Reply) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.replies = append(f.replies, replies...)
}

// SetDelay delays every normal answer by d (0: none). The wait ends early
// when the client goes away, and nothing is charged then.
func (f *fake) SetDelay(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.delay = d
}

// SetNow sets the clock that rate limits and timestamps use.
func (f *fake) SetNow(now func() time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = now
}

// OnRequest sets a function called with every request as it arrives,
// before it is answered (for example to cancel a run at the third batch).
func (f *fake) OnRequest(fn func(Request)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.onRequest = fn
}

// Requests returns a copy of the requests received so far.
func (f *fake) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Request(nil), f.requests...)
}

// Count returns the number of requests whose path ends with suffix.
func (f *fake) Count(suffix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

// Release ends every hanging or delayed answer. start calls it when the
// test ends, so the server can close.
func (f *fake) Release() { f.once.Do(func() { close(f.release) }) }

// log reads the request, records it, runs the hook and returns it with the
// canned reply to serve, if any.
func (f *fake) log(r *http.Request, emails func(Request) []string) (Request, *Reply) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	req := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: string(body)}
	req.Emails = emails(req)
	f.mu.Lock()
	f.requests = append(f.requests, req)
	hook := f.onRequest
	f.mu.Unlock()
	// The hook runs first, so that a reply it enqueues answers this very
	// request.
	if hook != nil {
		hook(req)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var reply *Reply
	if len(f.replies) > 0 {
		reply = &f.replies[0]
		f.replies = f.replies[1:]
	}
	return req, reply
}

// wait sleeps d, or until the client goes away or the fake is released. It
// reports whether the client is still there.
func (f *fake) wait(r *http.Request, d time.Duration, forever bool) bool {
	var timer <-chan time.Time
	if !forever {
		if d <= 0 {
			return r.Context().Err() == nil
		}
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-timer:
		return r.Context().Err() == nil
	case <-r.Context().Done():
	case <-f.release:
	}
	return false
}

// serve writes a canned reply.
func (f *fake) serve(w http.ResponseWriter, r *http.Request, rep Reply) {
	if rep.Hang {
		f.wait(r, 0, true)
		return
	}
	if !f.wait(r, rep.Delay, false) {
		return
	}
	status := rep.Status
	if status == 0 {
		status = http.StatusOK
	}
	if rep.Cut {
		cut(w, status, rep.Body)
		return
	}
	for k, vs := range rep.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if w.Header().Get("Content-Type") == "" {
		ct := "application/json"
		if !strings.HasPrefix(strings.TrimSpace(rep.Body), "{") && !strings.HasPrefix(strings.TrimSpace(rep.Body), "[") {
			ct = "text/html; charset=UTF-8"
		}
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(status)
	io.WriteString(w, rep.Body)
}

// cut sends a response head announcing more body than it sends, then
// closes the connection.
func cut(w http.ResponseWriter, status int, body string) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic("emailchecktest: the response writer cannot be hijacked")
	}
	conn, buf, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	if body == "" {
		body = `{"email_batch": [{"address": "`
	}
	fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n", status, http.StatusText(status))
	buf.WriteString(body[:len(body)/2+1])
	buf.Flush()
}

// start serves h on 127.0.0.1 for the test's duration and returns its URL.
func start(t testing.TB, h http.Handler, release func()) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	t.Cleanup(release) // runs first: frees hanging handlers so Close returns
	return srv.URL
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}
