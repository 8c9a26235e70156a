package outbound

import "testing"

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		host string
		want bool
	}{
		{"localhost", true}, {"LOCALHOST", true}, {"127.0.0.1", true}, {"127.8.9.10", true}, {"::1", true}, {"[::1]", true},
		{"", false}, {"10.0.0.1", false}, {"localhost.example.com", false}, {"hooks.slack.com", false}, {"0.0.0.0", false},
	}
	for _, tt := range tests {
		if got := IsLoopback(tt.host); got != tt.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
}
