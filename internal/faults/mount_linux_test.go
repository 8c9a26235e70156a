package faults

import (
	"fmt"
	"syscall"
)

// mountTmpfs mounts a tmpfs of size bytes on dir (root with CAP_SYS_ADMIN
// only; the caller falls back when it fails).
func mountTmpfs(dir string, size int64, readOnly bool) error {
	var flags uintptr = syscall.MS_NOSUID | syscall.MS_NODEV
	if readOnly {
		flags |= syscall.MS_RDONLY
	}
	return syscall.Mount("tmpfs", dir, "tmpfs", flags, fmt.Sprintf("size=%d,mode=0755", size))
}

// bindReadOnly makes dir read-only by bind-mounting it on itself and
// remounting the bind read-only: root cannot write there either.
func bindReadOnly(dir string) error {
	if err := syscall.Mount(dir, dir, "", syscall.MS_BIND, ""); err != nil {
		return err
	}
	if err := syscall.Mount("", dir, "", syscall.MS_REMOUNT|syscall.MS_BIND|syscall.MS_RDONLY, ""); err != nil {
		unmount(dir)
		return err
	}
	return nil
}

// unmount detaches whatever is mounted on dir.
func unmount(dir string) { syscall.Unmount(dir, syscall.MNT_DETACH) }
