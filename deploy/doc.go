// Package deploy holds intentalert's deployment files: the Kubernetes
// manifests (kubernetes/), the systemd units (systemd/) and, at the
// repository root, the Dockerfile. It has no code; its tests lint the files
// offline, since CI has neither a cluster nor a Docker engine.
package deploy
