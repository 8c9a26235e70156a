//go:build !linux

package faults

import "errors"

var errNoMount = errors.New("mounts are only tried on Linux")

func mountTmpfs(string, int64, bool) error { return errNoMount }
func bindReadOnly(string) error            { return errNoMount }
func unmount(string)                       {}
