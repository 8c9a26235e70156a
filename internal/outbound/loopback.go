package outbound

import (
	"net"
	"strings"
)

// IsLoopback reports whether host (a name or an IP address, without port)
// is localhost or a loopback address: the only place intentalert sends
// anything without TLS.
func IsLoopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
