package alerttest

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Response is one scripted answer of a test double.
type Response struct {
	Status int
	Header http.Header
	Body   string
	// Hang holds the request until the client gives up.
	Hang bool
	// Close hijacks the connection and closes it without an answer.
	Close bool
}

// Request is one request a double received.
type Request struct {
	Method   string
	Path     string
	Header   http.Header
	Body     []byte
	Status   int  // the status answered; 0 when none was
	Accepted bool // answered 2xx
}

// Receiver is a webhook receiver on 127.0.0.1 that behaves like
// webhook.site: any method on its URL is answered 200, text/html, empty
// body; a final path segment of three digits forces that status. It records
// every request, and answers scripted responses first.
type Receiver struct {
	Server *httptest.Server
	// Token is the secret part of the URL path.
	Token string

	mu       sync.Mutex
	next     []Response
	requests []Request
}

// NewReceiver starts a Receiver, closed when the test ends.
func NewReceiver(t testing.TB) *Receiver {
	t.Helper()
	r := &Receiver{Token: "tok-" + randomHex(12)}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Server.Close)
	return r
}

// URL is the receiver's secret URL.
func (r *Receiver) URL() string { return r.Server.URL + "/hook/" + r.Token }

// Next scripts the answers to the next requests.
func (r *Receiver) Next(responses ...Response) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.next = append(r.next, responses...)
}

// NextModes scripts the next answers by mode: 500, 429 with Retry-After 7,
// 400, a hang.
func (r *Receiver) NextModes(modes ...Mode) {
	for _, m := range modes {
		r.Next(HTTPResponse(m, "error"))
	}
}

// HTTPResponse is the answer of an HTTP double for a mode.
func HTTPResponse(m Mode, body string) Response {
	switch m {
	case Transient:
		return Response{Status: http.StatusInternalServerError, Body: body}
	case RateLimited:
		return Response{Status: http.StatusTooManyRequests, Header: http.Header{"Retry-After": {"7"}}, Body: body}
	case Reject:
		return Response{Status: http.StatusBadRequest, Body: body}
	case Hang:
		return Response{Hang: true}
	}
	return Response{Status: http.StatusOK}
}

// Requests returns every request received.
func (r *Receiver) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.requests...)
}

// Deliveries returns the requests answered 2xx.
func (r *Receiver) Deliveries() []Delivery {
	var out []Delivery
	for _, req := range r.Requests() {
		if req.Accepted {
			out = append(out, Delivery{Header: req.Header, Body: req.Body})
		}
	}
	return out
}

func (r *Receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(req.Body, 10<<20))
	rec := Request{Method: req.Method, Path: req.URL.Path, Header: req.Header.Clone(), Body: body}
	r.mu.Lock()
	resp := Response{Status: http.StatusOK, Header: http.Header{"Content-Type": {"text/html; charset=UTF-8"}}}
	if len(r.next) > 0 {
		resp, r.next = r.next[0], r.next[1:]
	} else if !strings.HasPrefix(req.URL.Path, "/hook/"+r.Token) {
		resp = Response{Status: http.StatusNotFound, Body: "not found"}
	} else if last := req.URL.Path[strings.LastIndexByte(req.URL.Path, '/')+1:]; len(last) == 3 {
		if code, err := strconv.Atoi(last); err == nil && code >= 200 && code <= 599 {
			resp.Status = code
		}
	}
	r.mu.Unlock()
	rec.Status, rec.Accepted = write(w, req, resp)
	r.mu.Lock()
	r.requests = append(r.requests, rec)
	r.mu.Unlock()
}

// write answers req with resp and reports the status sent.
func write(w http.ResponseWriter, req *http.Request, resp Response) (int, bool) {
	switch {
	case resp.Hang:
		select {
		case <-req.Context().Done():
		case <-time.After(time.Minute):
		}
		return 0, false
	case resp.Close:
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
			}
		}
		return 0, false
	}
	for k, vs := range resp.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	io.WriteString(w, resp.Body)
	return status, status >= 200 && status < 300
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
