package emailcheck

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of RFC 5321 section 4.5.3.1, in octets.
const (
	MaxAddress = 254 // a path is at most 256 octets, angle brackets included
	MaxLocal   = 64
	MaxDomain  = 253 // 255 octets on the wire, as labels with length bytes
	MaxLabel   = 63
)

// CheckSyntax reports why addr is not a deliverable mailbox address, or nil.
// It follows RFC 5321 and 5322: a dot-atom or quoted-string local part of at
// most 64 octets, an "@", and a domain of at least two labels of letters,
// digits and inner hyphens, at most 63 octets each and 253 in all, with a
// top-level label that is not all digits; 254 octets at most. Non-ASCII
// letters are allowed as RFC 6531 (SMTPUTF8) does. Address literals
// (user@[192.0.2.1]), comments and obsolete forms are refused: no CRM
// contact should need them.
func CheckSyntax(addr string) error {
	if addr == "" {
		return errors.New("empty address")
	}
	if !utf8.ValidString(addr) {
		return errors.New("not valid UTF-8")
	}
	if len(addr) > MaxAddress {
		return fmt.Errorf("longer than %d octets", MaxAddress)
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return errors.New("no @")
	}
	local, domain := addr[:at], addr[at+1:]
	if err := checkLocal(local); err != nil {
		return err
	}
	return checkDomain(domain)
}

func checkLocal(local string) error {
	switch {
	case local == "":
		return errors.New("empty local part")
	case len(local) > MaxLocal:
		return fmt.Errorf("local part longer than %d octets", MaxLocal)
	case len(local) >= 2 && local[0] == '"' && local[len(local)-1] == '"':
		return checkQuoted(local[1 : len(local)-1])
	case local[0] == '.' || local[len(local)-1] == '.':
		return errors.New("local part starts or ends with a dot")
	case strings.Contains(local, ".."):
		return errors.New("two dots in a row in the local part")
	}
	for _, r := range local {
		if r != '.' && !atext(r) {
			return fmt.Errorf("character %q not allowed in the local part", r)
		}
	}
	return nil
}

// atext reports whether r may appear in a dot-atom (RFC 5322 3.2.3, with
// RFC 6531's UTF-8 extension).
func atext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r):
		return true
	case r >= utf8.RuneSelf:
		return unicode.IsGraphic(r) && !unicode.IsSpace(r)
	}
	return false
}

// checkQuoted checks the inside of a quoted-string local part.
func checkQuoted(s string) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
			if i == len(s) || s[i] < 32 || s[i] > 126 {
				return errors.New("bad escape in the quoted local part")
			}
		case c == '"':
			return errors.New("unescaped quote in the quoted local part")
		case c < 32 || c == 127:
			return errors.New("control character in the quoted local part")
		}
	}
	return nil
}

func checkDomain(domain string) error {
	switch {
	case domain == "":
		return errors.New("empty domain")
	case strings.HasPrefix(domain, "["):
		return errors.New("address literals are not accepted")
	case len(domain) > MaxDomain:
		return fmt.Errorf("domain longer than %d octets", MaxDomain)
	}
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return errors.New("domain has no dot")
	}
	for _, l := range labels {
		if err := checkLabel(l); err != nil {
			return err
		}
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return errors.New("top-level domain is all digits")
	}
	return nil
}

func checkLabel(l string) error {
	switch {
	case l == "":
		return errors.New("empty domain label")
	case len(l) > MaxLabel:
		return fmt.Errorf("domain label longer than %d octets", MaxLabel)
	case l[0] == '-' || l[len(l)-1] == '-':
		return errors.New("domain label starts or ends with a hyphen")
	}
	for _, r := range l {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' ||
			r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r))
		if !ok {
			return fmt.Errorf("character %q not allowed in the domain", r)
		}
	}
	return nil
}
