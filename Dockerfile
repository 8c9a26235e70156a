# syntax=docker/dockerfile:1
#
# intentalert container image.
#
#   docker build -t intentalert .
#   docker run --rm -v intentalert-data:/var/lib/intentalert intentalert run --as-of 2024-04-30
#   docker run -d -p 9464:9464 -e INTENTALERT_LISTEN=0.0.0.0:9464 \
#       -v intentalert-data:/var/lib/intentalert intentalert serve
#
# DuckDB is linked in through cgo, so the binary needs glibc and the C++
# runtime: it is built on the Debian-based Go image and runs on the slim
# image of the same Debian release (bookworm), so the libraries match.

ARG GO_VERSION=1.26
ARG DEBIAN_RELEASE=bookworm

FROM golang:${GO_VERSION}-${DEBIAN_RELEASE} AS build
WORKDIR /src
ENV CGO_ENABLED=1
# Dependencies first, so that code changes reuse this layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w" -o /out/intentalert ./cmd/intentalert \
 && /out/intentalert --help > /dev/null

FROM debian:${DEBIAN_RELEASE}-slim
# ca-certificates: HTTPS to the verification API, Slack and webhooks.
# libstdc++6: DuckDB's C++ runtime (already in the slim image; named to say so).
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates libstdc++6 \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 intentalert \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/intentalert \
        --shell /usr/sbin/nologin intentalert \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/intentalert
COPY --from=build /out/intentalert /usr/local/bin/intentalert
# Non-root, by number, so Kubernetes can check runAsNonRoot.
USER 10001:10001
WORKDIR /var/lib/intentalert
ENV INTENTALERT_DB=/var/lib/intentalert/db.duckdb \
    INTENTALERT_DATA_DIR=/var/lib/intentalert/out \
    INTENTALERT_LOG_FORMAT=json \
    HOME=/var/lib/intentalert
VOLUME ["/var/lib/intentalert"]
# serve's /healthz, /readyz, /metrics, POST /run (set INTENTALERT_LISTEN=0.0.0.0:9464).
EXPOSE 9464
ENTRYPOINT ["/usr/local/bin/intentalert"]
CMD ["run"]
