package emailchecktest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Local parts the AbstractAPI fake answers specially (providers.md 2.2);
// any other local part is DELIVERABLE with every flag false.
const (
	AbstractUndeliverable = "invalid"    // UNDELIVERABLE, SMTP check failed
	AbstractUnknown       = "unknown"    // UNKNOWN: the SMTP check failed while the rest passed
	AbstractDisposable    = "disposable" // is_disposable_email true
	AbstractRole          = "role"       // is_role_email true
	AbstractCatchAll      = "catch_all"  // is_catchall_email true
	AbstractBadFormat     = "badformat"  // is_valid_format false, every other check false
	AbstractRisky         = "risky"      // deliverability RISKY (seen only in third-party typings)
	AbstractTypo          = "typo"       // UNDELIVERABLE with an autocorrect suggestion
	AbstractLegacy        = "legacy"     // is_* fields as plain booleans (older docs)
	AbstractScoreString   = "scorestr"   // quality_score as a string "0.70"
	AbstractAutoCorrect   = "autokey"    // suggestion under auto_correct, not autocorrect
	AbstractFreePlan      = "freeplan"   // is_mx_found {"value": null, "text": "UNKNOWN"}
)

// Error bodies of the AbstractAPI fake (providers.md 2.3).
const (
	AbstractUnauthorized = `{"error": {"message": "Invalid API key provided.", "code": "unauthorized", "details": null}}`
	AbstractQuotaReached = `{"error": {"message": "You have reached your quota for this period. Please upgrade your plan.", "code": "quota_reached", "details": null}}`
	AbstractTooMany      = `{"error": {"message": "You have exceeded the requests per second allowed by your current plan. Please upgrade your plan.", "code": "too_many_requests", "details": null}}`
)

// AbstractAPI fakes the AbstractAPI email validation API (GET /v1/ with
// api_key and email). It checks the key (401), counts the quota (422 when
// spent, one per answer), enforces a requests-per-second limit on the fake's
// clock when asked (429), and serves canned replies.
type AbstractAPI struct {
	fake
	key        string
	quota      int
	charged    map[string]int
	perSecond  int
	retryAfter bool
	times      []time.Time
}

// NewAbstractAPI returns a fake accepting key with quota requests left.
func NewAbstractAPI(key string, quota int) *AbstractAPI {
	return &AbstractAPI{fake: newFake(), key: key, quota: quota, charged: map[string]int{}}
}

// Start serves the fake on 127.0.0.1 until the test ends and returns its
// base URL, version path included (http://127.0.0.1:port/v1).
func (a *AbstractAPI) Start(t testing.TB) string {
	return start(t, a, a.Release) + "/v1"
}

// LimitRate answers 429 to a request that comes less than 1/n second after
// n others (n requests per second on the fake's clock), with Retry-After: 1
// when retryAfter is set. 0 turns the limit off.
func (a *AbstractAPI) LimitRate(n int, retryAfter bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.perSecond, a.retryAfter = n, retryAfter
}

// Quota returns the requests left.
func (a *AbstractAPI) Quota() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.quota
}

// Charged returns how many times each address was charged.
func (a *AbstractAPI) Charged() map[string]int {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make(map[string]int, len(a.charged))
	for k, v := range a.charged {
		out[k] = v
	}
	return out
}

// ServeHTTP implements http.Handler.
func (a *AbstractAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, reply := a.log(r, func(req Request) []string {
		if e := req.Query.Get("email"); e != "" {
			return []string{e}
		}
		return nil
	})
	if reply != nil {
		a.serve(w, r, *reply)
		return
	}
	if r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, `{"error": {"message": "Method not allowed", "code": "method_not_allowed", "details": null}}`)
		return
	}
	if req.Query.Get("api_key") != a.key {
		writeJSON(w, http.StatusUnauthorized, AbstractUnauthorized)
		return
	}
	if a.limited() {
		if a.retryAfter {
			w.Header().Set("Retry-After", "1")
		}
		writeJSON(w, http.StatusTooManyRequests, AbstractTooMany)
		return
	}
	email := req.Query.Get("email")
	if email == "" {
		writeJSON(w, http.StatusBadRequest, `{"error": {"message": "Bad request: the email parameter is required.", "code": "bad_request", "details": null}}`)
		return
	}
	a.mu.Lock()
	delay := a.delay
	a.mu.Unlock()
	if !a.wait(r, delay, false) {
		return
	}
	a.mu.Lock()
	if a.quota <= 0 {
		a.mu.Unlock()
		writeJSON(w, http.StatusUnprocessableEntity, AbstractQuotaReached)
		return
	}
	a.quota--
	a.charged[strings.ToLower(email)]++
	a.mu.Unlock()
	b, _ := json.Marshal(AbstractAnswer(email))
	writeJSON(w, http.StatusOK, string(b))
}

func (a *AbstractAPI) limited() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.perSecond <= 0 {
		return false
	}
	now := a.now()
	recent := a.times[:0]
	for _, t := range a.times {
		if now.Sub(t) < time.Second {
			recent = append(recent, t)
		}
	}
	a.times = recent
	if len(recent) >= a.perSecond {
		return true
	}
	a.times = append(a.times, now)
	return false
}

// AbstractAnswer is the fake's 200 answer for email.
func AbstractAnswer(email string) map[string]any {
	local := localPart(email)
	flag := func(v bool) any {
		if local == AbstractLegacy {
			return v
		}
		return map[string]any{"value": v, "text": strings.ToUpper(strconv.FormatBool(v))}
	}
	format, disposable, role, catchAll, mx, smtp := true, false, false, false, true, true
	deliverability, suggestion := "DELIVERABLE", ""
	switch local {
	case AbstractUndeliverable:
		deliverability, smtp = "UNDELIVERABLE", false
	case AbstractUnknown:
		deliverability, smtp = "UNKNOWN", false
	case AbstractDisposable:
		disposable = true
	case AbstractRole:
		role = true
	case AbstractCatchAll:
		catchAll = true
	case AbstractBadFormat:
		deliverability, format, mx, smtp = "UNDELIVERABLE", false, false, false
	case AbstractRisky:
		deliverability = "RISKY"
	case AbstractTypo:
		deliverability, smtp, suggestion = "UNDELIVERABLE", false, "typo@gmail.com"
	}
	ans := map[string]any{
		"email":               email,
		"autocorrect":         suggestion,
		"deliverability":      deliverability,
		"quality_score":       0.9,
		"is_valid_format":     flag(format),
		"is_free_email":       flag(false),
		"is_disposable_email": flag(disposable),
		"is_role_email":       flag(role),
		"is_catchall_email":   flag(catchAll),
		"is_mx_found":         flag(mx),
		"is_smtp_valid":       flag(smtp),
	}
	switch local {
	case AbstractScoreString:
		ans["quality_score"] = "0.70"
	case AbstractAutoCorrect:
		delete(ans, "autocorrect")
		ans["auto_correct"] = "autokey@gmail.com"
		ans["deliverability"] = "UNDELIVERABLE"
	case AbstractFreePlan:
		ans["is_mx_found"] = map[string]any{"value": nil, "text": "UNKNOWN"}
	}
	return ans
}
