//go:build !linux

package faults

import "os/exec"

// setDeathSignal does nothing where the OS has no parent-death signal: the
// tests' cleanups still kill every child they started.
func setDeathSignal(*exec.Cmd) {}
