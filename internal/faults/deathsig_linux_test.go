package faults

import (
	"os/exec"
	"syscall"
)

// setDeathSignal makes the child die with SIGKILL if the test binary dies
// first, so that no intentalert process outlives the suite.
func setDeathSignal(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
