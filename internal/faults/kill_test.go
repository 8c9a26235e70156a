package faults

import (
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"
)

// killKind is where a kill -9 lands.
type killKind int

const (
	// killAtRandomTime kills after a random delay from the start.
	killAtRandomTime killKind = iota
	// killOnArrival kills when the double has read a request and before it
	// answers: the request is in flight.
	killOnArrival
	// killAfterAnswer kills right after the double's answer was flushed:
	// the client may not have recorded it yet.
	killAfterAnswer
	killKinds
)

func (k killKind) String() string {
	return [...]string{"random time", "request in flight", "just after the answer"}[k]
}

// newRand returns the random source of a scenario, seeded from
// INTENTALERT_FAULTS_SEED when set (to replay a failure), else from the
// clock; the seed is logged.
func newRand(t testing.TB) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("INTENTALERT_FAULTS_SEED"); s != "" {
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			seed = n
		}
	}
	t.Logf("random seed %d (set INTENTALERT_FAULTS_SEED=%d to replay)", seed, seed)
	return rand.New(rand.NewPCG(seed, seed>>1|1))
}

// killer arms one kill point of one process: a hook of a double fires it
// (trigger), or a timer does.
type killer struct {
	trigger chan struct{}
	killed  chan struct{}
	once    sync.Once
}

func newKiller() *killer {
	return &killer{trigger: make(chan struct{}, 1), killed: make(chan struct{})}
}

// fire is called by a double's hook: it asks for the kill and waits until
// it happened (or the process ended on its own), so that the double does
// not answer first.
func (k *killer) fire() {
	select {
	case k.trigger <- struct{}{}:
	default:
	}
	<-k.killed
}

// run waits for the trigger or the delay (0: no timer), then kills p. It
// reports whether p was killed (false: it ended before the kill point).
func (k *killer) run(p *proc, delay time.Duration) bool {
	defer k.once.Do(func() { close(k.killed) })
	var timer <-chan time.Time
	if delay > 0 {
		timer = time.After(delay)
	}
	select {
	case <-k.trigger:
	case <-timer:
	case <-p.done:
		return false
	}
	return p.kill()
}
