package emailchecktest

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ZeroBounceOutcome is what the fake answers for a local part, as the
// ZeroBounce sandbox does (providers.md 1.4 to 1.6).
type ZeroBounceOutcome struct {
	Status, SubStatus string
}

// ZeroBounceOutcomes maps a local part (before "@") to the fake's answer.
// Any other local part is valid with no sub-status.
var ZeroBounceOutcomes = map[string]ZeroBounceOutcome{
	"valid":     {"valid", ""},
	"invalid":   {"invalid", "mailbox_not_found"},
	"catch_all": {"catch-all", ""},
	"unknown":   {"unknown", "mail_server_temporary_error"},
	"spamtrap":  {"spamtrap", ""},
	"abuse":     {"abuse", ""},
	"donotmail": {"do_not_mail", "role_based"},
	// unknown sub-statuses
	"antispam_system":             {"unknown", "antispam_system"},
	"greylisted":                  {"unknown", "greylisted"},
	"mail_server_temporary_error": {"unknown", "mail_server_temporary_error"},
	"forcible_disconnect":         {"unknown", "forcible_disconnect"},
	"mail_server_did_not_respond": {"unknown", "mail_server_did_not_respond"},
	"timeout_exceeded":            {"unknown", "timeout_exceeded"},
	"failed_smtp_connection":      {"unknown", "failed_smtp_connection"},
	"exception_occurred":          {"unknown", "exception_occurred"},
	// invalid sub-statuses
	"mailbox_quota_exceeded": {"invalid", "mailbox_quota_exceeded"},
	"mailbox_not_found":      {"invalid", "mailbox_not_found"},
	"no_dns_entries":         {"invalid", "no_dns_entries"},
	"failed_syntax_check":    {"invalid", "failed_syntax_check"},
	"possible_typo":          {"invalid", "possible_typo"},
	"unroutable_ip_address":  {"invalid", "unroutable_ip_address"},
	"does_not_accept_mail":   {"invalid", "does_not_accept_mail"},
	// do_not_mail sub-statuses
	"disposable":           {"do_not_mail", "disposable"},
	"toxic":                {"do_not_mail", "toxic"},
	"role_based":           {"do_not_mail", "role_based"},
	"role_based_catch_all": {"do_not_mail", "role_based_catch_all"},
	"global_suppression":   {"do_not_mail", "global_suppression"},
	"possible_trap":        {"do_not_mail", "possible_trap"},
	// valid sub-statuses
	"leading_period_removed": {"valid", "leading_period_removed"},
	"gold":                   {"valid", "gold"},
	"role_based_accept_all":  {"valid", "role_based_accept_all"},
	"alias_address":          {"valid", "alias_address"},
	"alternate":              {"valid", "alternate"},
	"free_email":             {"valid", ""},
	// a status ZeroBounce may add one day
	"future_status": {"deliverable_maybe", "new_detail"},
	// field-type variants, all valid
	"nullfields":    {"valid", ""},
	"mxbool":        {"valid", ""},
	"catchallfield": {"valid", ""},
}

// Local parts with special batch behaviour: "rowerror" comes back as a
// per-row error and "omitted" is left out of the batch answer; the single
// validate endpoint answers both as valid.
const (
	ZeroBounceRowError = "rowerror"
	ZeroBounceOmitted  = "omitted"
)

// ZeroBounce fakes the ZeroBounce v2 API: GET validate, POST validatebatch
// and GET getcredits, under any base path. It checks the key, counts and
// charges credits (one per answer that is not unknown), reports errors the
// way the real API does (inside HTTP 200 bodies, "all" error rows, Credits
// -1), rejects batches over 200, rate-limits batches when asked, and serves
// canned replies (429, 403 firewall pages, 5xx, slow and cut answers).
type ZeroBounce struct {
	fake
	key             string
	credits         int
	creditsAsNumber bool
	charged         map[string]int
	spent           int
	batchLimit      int
	batchWindow     time.Duration
	batchRetryAfter int
	batchTimes      []time.Time
	badRequests     []time.Time
}

// NewZeroBounce returns a fake accepting key with credits credits.
func NewZeroBounce(key string, credits int) *ZeroBounce {
	return &ZeroBounce{fake: newFake(), key: key, credits: credits, charged: map[string]int{}}
}

// Start serves the fake on 127.0.0.1 until the test ends and returns its
// base URL, version path included (http://127.0.0.1:port/v2).
func (z *ZeroBounce) Start(t testing.TB) string {
	return start(t, z, z.Release) + "/v2"
}

// SetCredits sets the balance.
func (z *ZeroBounce) SetCredits(n int) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.credits = n
}

// Credits returns the balance.
func (z *ZeroBounce) Credits() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.credits
}

// CreditsAsNumber makes getcredits answer {"Credits": N} instead of the
// string {"Credits": "N"}.
func (z *ZeroBounce) CreditsAsNumber(on bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.creditsAsNumber = on
}

// Spent returns the credits charged so far.
func (z *ZeroBounce) Spent() int {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.spent
}

// Charged returns how many times each address was charged.
func (z *ZeroBounce) Charged() map[string]int {
	z.mu.Lock()
	defer z.mu.Unlock()
	out := make(map[string]int, len(z.charged))
	for k, v := range z.charged {
		out[k] = v
	}
	return out
}

// LimitBatches answers 429 to a validatebatch beyond n calls per window,
// with a Retry-After of retryAfter seconds when it is positive.
func (z *ZeroBounce) LimitBatches(n int, window time.Duration, retryAfter int) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.batchLimit, z.batchWindow, z.batchRetryAfter = n, window, retryAfter
}

// ServeHTTP implements http.Handler.
func (z *ZeroBounce) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req, reply := z.log(r, zeroBounceEmails)
	if reply != nil {
		z.serve(w, r, *reply)
		return
	}
	switch {
	case strings.HasSuffix(req.Path, "/validatebatch"):
		if r.Method != http.MethodPost {
			writeJSON(w, http.StatusMethodNotAllowed, `{"error": "Method not allowed"}`)
			return
		}
		z.batch(w, r, req)
	case strings.HasSuffix(req.Path, "/validate"):
		z.validate(w, r, req)
	case strings.HasSuffix(req.Path, "/getcredits"):
		z.getCredits(w, req)
	default:
		z.bad()
		writeJSON(w, http.StatusNotFound, `{"error": "Not found"}`)
	}
}

func zeroBounceEmails(req Request) []string {
	if e := req.Query.Get("email"); e != "" {
		return []string{e}
	}
	var body zbBatchRequest
	if json.Unmarshal([]byte(req.Body), &body) != nil {
		return nil
	}
	var out []string
	for _, row := range body.EmailBatch {
		if row.EmailAddress != nil {
			out = append(out, *row.EmailAddress)
		}
	}
	return out
}

type zbBatchRequest struct {
	APIKey     *string `json:"api_key"`
	EmailBatch []struct {
		EmailAddress *string `json:"email_address"`
		IPAddress    *string `json:"ip_address"`
	} `json:"email_batch"`
}

const zbAuthError = "Invalid API key or your account ran out of credits"

// bad counts a bad request; past 100 a minute the fake blocks like the API.
func (z *ZeroBounce) bad() {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.badRequests = append(z.badRequests, z.now())
}

func (z *ZeroBounce) blocked() bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	n, now := 0, z.now()
	for _, t := range z.badRequests {
		if now.Sub(t) < time.Minute {
			n++
		}
	}
	return n >= 100
}

// charge takes n credits for the addresses, or reports there are too few.
func (z *ZeroBounce) charge(emails []string) bool {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.credits < len(emails) {
		return false
	}
	z.credits -= len(emails)
	z.spent += len(emails)
	for _, e := range emails {
		z.charged[strings.ToLower(e)]++
	}
	return true
}

func (z *ZeroBounce) validate(w http.ResponseWriter, r *http.Request, req Request) {
	if z.blocked() {
		writeJSON(w, http.StatusTooManyRequests, `{"error": "Too many bad requests"}`)
		return
	}
	key, email := req.Query.Get("api_key"), req.Query.Get("email")
	switch {
	case !req.Query.Has("api_key"):
		z.bad()
		writeJSON(w, http.StatusOK, `{"error": "Missing parameter: api_key."}`)
		return
	case key != z.key:
		writeJSON(w, http.StatusOK, `{"error": "`+zbAuthError+`"}`)
		return
	case email == "":
		z.bad()
		writeJSON(w, http.StatusBadRequest, `{"error": "Missing parameter: email."}`)
		return
	}
	z.mu.Lock()
	delay := z.delay
	z.mu.Unlock()
	if !z.wait(r, delay, false) {
		return
	}
	row := z.row(email)
	if row["status"] != "unknown" && !z.charge([]string{email}) {
		writeJSON(w, http.StatusOK, `{"error": "`+zbAuthError+`"}`)
		return
	}
	b, _ := json.Marshal(row)
	writeJSON(w, http.StatusOK, string(b))
}

func (z *ZeroBounce) batch(w http.ResponseWriter, r *http.Request, req Request) {
	var body zbBatchRequest
	if err := json.Unmarshal([]byte(req.Body), &body); err != nil {
		z.bad()
		writeJSON(w, http.StatusBadRequest, `{"Message": "The request is invalid."}`)
		return
	}
	switch {
	case body.APIKey == nil:
		z.bad()
		writeJSON(w, http.StatusOK, `{"error": "Missing parameter: api_key."}`)
		return
	case *body.APIKey != z.key:
		writeJSON(w, http.StatusOK, `{"email_batch": [], "errors": [{"email_address": "all", "error": "Invalid API Key or your account ran out of credits"}]}`)
		return
	case body.EmailBatch == nil:
		z.bad()
		writeJSON(w, http.StatusBadRequest, `{"Message": "Missing parameter: email_batch."}`)
		return
	case len(body.EmailBatch) > 200:
		z.bad()
		writeJSON(w, http.StatusBadRequest, `{"Message": "The maximum number of emails per batch is 200."}`)
		return
	}
	if ra, limited := z.limitBatch(); limited {
		if ra > 0 {
			w.Header().Set("Retry-After", strconv.Itoa(ra))
		}
		writeJSON(w, http.StatusTooManyRequests, `{"error": "Too many requests. Your API key is blocked for 10 minutes."}`)
		return
	}
	z.mu.Lock()
	delay := z.delay
	z.mu.Unlock()
	if !z.wait(r, delay, false) {
		return
	}
	rows := []map[string]any{}
	errs := []map[string]string{}
	var billable []string
	for _, in := range body.EmailBatch {
		if in.EmailAddress == nil {
			errs = append(errs, map[string]string{"error": "Missing email_batch key: email_address.", "email_address": "unknown"})
			continue
		}
		email := *in.EmailAddress
		switch localPart(email) {
		case ZeroBounceRowError:
			errs = append(errs, map[string]string{"error": "Email address could not be processed.", "email_address": email})
			continue
		case ZeroBounceOmitted:
			continue
		}
		row := z.row(email)
		if row["status"] != "unknown" {
			billable = append(billable, email)
		}
		rows = append(rows, row)
	}
	if !z.charge(billable) {
		writeJSON(w, http.StatusOK, `{"email_batch": [], "errors": [{"email_address": "all", "error": "Invalid API Key or your account ran out of credits"}]}`)
		return
	}
	b, _ := json.Marshal(map[string]any{"email_batch": rows, "errors": errs})
	writeJSON(w, http.StatusOK, string(b))
}

// limitBatch applies LimitBatches.
func (z *ZeroBounce) limitBatch() (retryAfter int, limited bool) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.batchLimit <= 0 {
		return 0, false
	}
	now := z.now()
	recent := z.batchTimes[:0]
	for _, t := range z.batchTimes {
		if now.Sub(t) < z.batchWindow {
			recent = append(recent, t)
		}
	}
	z.batchTimes = recent
	if len(recent) >= z.batchLimit {
		return z.batchRetryAfter, true
	}
	z.batchTimes = append(z.batchTimes, now)
	return 0, false
}

func (z *ZeroBounce) getCredits(w http.ResponseWriter, req Request) {
	switch {
	case !req.Query.Has("api_key"):
		z.bad()
		writeJSON(w, http.StatusOK, `{"error": "Missing parameter: api_key."}`)
		return
	case req.Query.Get("api_key") != z.key:
		writeJSON(w, http.StatusOK, `{"Credits": "-1"}`)
		return
	}
	z.mu.Lock()
	n, asNumber := z.credits, z.creditsAsNumber
	z.mu.Unlock()
	if asNumber {
		writeJSON(w, http.StatusOK, `{"Credits": `+strconv.Itoa(n)+`}`)
		return
	}
	writeJSON(w, http.StatusOK, `{"Credits": "`+strconv.Itoa(n)+`"}`)
}

func localPart(email string) string {
	local, _, _ := strings.Cut(strings.ToLower(email), "@")
	return local
}

// row is the validate object for email (providers.md 1.3), with the field
// types the real API uses: mx_found and domain_age_days as strings.
func (z *ZeroBounce) row(email string) map[string]any {
	local := localPart(email)
	_, domain, _ := strings.Cut(strings.ToLower(email), "@")
	out, ok := ZeroBounceOutcomes[local]
	if !ok {
		out = ZeroBounceOutcome{"valid", ""}
	}
	z.mu.Lock()
	now := z.now()
	z.mu.Unlock()
	row := map[string]any{
		"address": email, "status": out.Status, "sub_status": out.SubStatus,
		"free_email": local == "free_email", "did_you_mean": nil,
		"account": local, "domain": domain, "domain_age_days": "9692",
		"smtp_provider": "", "mx_found": "true", "mx_record": "mx1." + domain,
		"firstname": "", "lastname": "", "gender": "",
		"country": nil, "region": nil, "city": nil, "zipcode": nil,
		"processed_at": now.UTC().Format("2006-01-02 15:04:05.000"),
	}
	switch local {
	case "possible_typo":
		row["did_you_mean"] = "possible_typo@gmail.com"
	case "nullfields":
		row["account"], row["domain"], row["mx_found"], row["domain_age_days"] = nil, nil, "false", ""
		row["smtp_provider"], row["mx_record"], row["firstname"] = nil, nil, nil
	case "mxbool":
		row["mx_found"], row["domain_age_days"] = true, 9692
	case "catchallfield":
		row["catchall_domain"] = true
	}
	return row
}
