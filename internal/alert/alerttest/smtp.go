package alerttest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"io"
	"log"
	"math/big"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	gosmtp "github.com/emersion/go-smtp"
)

// SMTPTLS is how the test SMTP server encrypts.
type SMTPTLS int

// The server's TLS modes.
const (
	SMTPPlain            SMTPTLS = iota // no TLS offered
	SMTPStartTLS                        // STARTTLS offered and required before AUTH and MAIL
	SMTPImplicit                        // TLS from the first byte (port 465 style)
	SMTPStartTLSOptional                // STARTTLS offered, not required
)

// SMTPMessage is one message the server accepted.
type SMTPMessage struct {
	From string
	To   []string
	Data []byte
	TLS  bool // the session was encrypted
	Auth string
}

// SMTPServer is a real SMTP server (emersion/go-smtp) on 127.0.0.1 that
// answers like Gmail (docs/providers.md §4): AUTH PLAIN with a configured
// password (535 5.7.8 otherwise), STARTTLS or implicit TLS with a
// self-signed certificate (RootCAs trusts it), scripted 4xx and 5xx
// replies, and stalls.
type SMTPServer struct {
	Host     string // 127.0.0.1
	Port     int
	Username string
	Password string
	// RootCAs trusts the server's certificate.
	RootCAs *x509.CertPool

	server  *gosmtp.Server
	mode    SMTPTLS
	closed  chan struct{}
	mu      sync.Mutex
	next    []Mode
	msgs    []SMTPMessage
	txs     int // MAIL commands seen
	authErr int // failed AUTH attempts
}

// NewSMTPServer starts a server, closed when the test ends. Clients must
// authenticate with the returned server's Username and Password.
func NewSMTPServer(t testing.TB, mode SMTPTLS) *SMTPServer {
	t.Helper()
	s := &SMTPServer{Host: "127.0.0.1", Username: "alerts@taktile.com", Password: "app-pass-" + randomHex(8),
		mode: mode, closed: make(chan struct{})}
	cert, pool := selfSigned(t)
	s.RootCAs = pool
	srv := gosmtp.NewServer(gosmtp.BackendFunc(func(c *gosmtp.Conn) (gosmtp.Session, error) {
		return &smtpSession{s: s, conn: c}, nil
	}))
	srv.Domain = "mx.test"
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 100
	srv.ErrorLog = log.New(io.Discard, "", 0)
	srv.AllowInsecureAuth = mode == SMTPPlain
	tlsConf := &tls.Config{Certificates: []tls.Certificate{cert}}
	if mode != SMTPPlain {
		srv.TLSConfig = tlsConf
	}
	var l net.Listener
	var err error
	l, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("alerttest: listen: %v", err)
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	if mode == SMTPImplicit {
		l = tls.NewListener(l, tlsConf)
	}
	s.server = srv
	go srv.Serve(l)
	t.Cleanup(func() {
		close(s.closed)
		srv.Close()
	})
	return s
}

// Addr is host:port.
func (s *SMTPServer) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

// Next scripts the next transactions: Transient answers 451 4.3.0 to
// DATA, RateLimited 421 4.7.0 to MAIL, Reject 550 5.1.1 to RCPT, Hang
// stalls after DATA until the client gives up.
func (s *SMTPServer) Next(modes ...Mode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next = append(s.next, modes...)
}

// Messages returns the messages accepted.
func (s *SMTPServer) Messages() []SMTPMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SMTPMessage(nil), s.msgs...)
}

// Deliveries returns the messages accepted, the envelope as headers.
func (s *SMTPServer) Deliveries() []Delivery {
	var out []Delivery
	for _, m := range s.Messages() {
		out = append(out, Delivery{Header: map[string][]string{"Mail-From": {m.From}, "Rcpt-To": m.To}, Body: m.Data})
	}
	return out
}

// Transactions returns the number of MAIL commands received.
func (s *SMTPServer) Transactions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.txs
}

type smtpSession struct {
	s     *SMTPServer
	conn  *gosmtp.Conn
	mode  Mode
	from  string
	to    []string
	authd string
}

func (ss *smtpSession) tls() bool {
	_, ok := ss.conn.TLSConnectionState()
	return ok
}

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	if ss.s.mode == SMTPStartTLS && !ss.tls() {
		return nil, &gosmtp.SMTPError{Code: 530, EnhancedCode: gosmtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != ss.s.Username || password != ss.s.Password {
			ss.s.mu.Lock()
			ss.s.authErr++
			ss.s.mu.Unlock()
			return &gosmtp.SMTPError{Code: 535, EnhancedCode: gosmtp.EnhancedCode{5, 7, 8}, Message: "Username and Password not accepted"}
		}
		ss.authd = username
		return nil
	}), nil
}

func (ss *smtpSession) Mail(from string, _ *gosmtp.MailOptions) error {
	if ss.s.mode == SMTPStartTLS && !ss.tls() {
		return &gosmtp.SMTPError{Code: 530, EnhancedCode: gosmtp.EnhancedCode{5, 7, 0}, Message: "Must issue a STARTTLS command first"}
	}
	if ss.authd == "" {
		return &gosmtp.SMTPError{Code: 530, EnhancedCode: gosmtp.EnhancedCode{5, 7, 0}, Message: "Authentication Required"}
	}
	ss.s.mu.Lock()
	ss.s.txs++
	ss.mode = Accept
	if len(ss.s.next) > 0 {
		ss.mode, ss.s.next = ss.s.next[0], ss.s.next[1:]
	}
	ss.s.mu.Unlock()
	if ss.mode == RateLimited {
		return &gosmtp.SMTPError{Code: 421, EnhancedCode: gosmtp.EnhancedCode{4, 7, 0}, Message: "Try again later, closing connection"}
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *gosmtp.RcptOptions) error {
	if ss.mode == Reject {
		return &gosmtp.SMTPError{Code: 550, EnhancedCode: gosmtp.EnhancedCode{5, 1, 1}, Message: "The email account that you tried to reach does not exist"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	switch ss.mode {
	case Transient:
		return &gosmtp.SMTPError{Code: 451, EnhancedCode: gosmtp.EnhancedCode{4, 3, 0}, Message: "Temporary local problem, try again"}
	case Hang:
		select {
		case <-ss.s.closed:
		case <-time.After(time.Minute):
		}
		return errors.New("stalled")
	}
	ss.s.mu.Lock()
	ss.s.msgs = append(ss.s.msgs, SMTPMessage{From: ss.from, To: ss.to, Data: data, TLS: ss.tls(), Auth: ss.authd})
	ss.s.mu.Unlock()
	return nil
}

func (ss *smtpSession) Reset() {
	ss.from, ss.to, ss.mode = "", nil, Accept
}

func (ss *smtpSession) Logout() error { return nil }

// selfSigned returns a certificate for 127.0.0.1, ::1 and localhost and a
// pool that trusts it.
func selfSigned(t testing.TB) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("alerttest: key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "alerttest SMTP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("alerttest: certificate: %v", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("alerttest: certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, pool
}
