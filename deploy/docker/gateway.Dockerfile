# syntax=docker/dockerfile:1
# switchboard-gateway: the WebSocket edge, on Debian 12.
# Build from the repository root (the context must hold WORKSPACE):
#   docker build -f deploy/docker/gateway.Dockerfile -t switchboard-gateway:TAG .
# deploy/docker/gateway.Dockerfile.dockerignore keeps bazel-*, node_modules and .git
# out of the context (BuildKit reads a Dockerfile-specific ignore file).

# Build stage: the Debian packages of the switchboard script's PACKAGES that the
# Bazel build needs (system_libs.bzl runs pkg-config for every library, gtest and
# benchmark included). Left out, as only tests and "up" use them: chromium,
# clang, libclang-rt-14-dev, lld, nats-server, curl, procps.
# tests/deploy/run_tests.sh checks this list against PACKAGES.
FROM debian:12 AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      bazel-bootstrap bazel-platforms bazel-rules-java bazel-skylib \
      g++ pkg-config ca-certificates \
      protobuf-compiler protobuf-compiler-grpc libprotobuf-dev libgrpc++-dev grpc-proto \
      libboost-dev libabsl-dev libnats-dev prometheus-cpp-dev \
      libgtest-dev libgmock-dev libbenchmark-dev \
      libcpp-jwt-dev nlohmann-json3-dev libspdlog-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Bazel's output base lives in a cache mount, so the binary is copied out in the
# same step. .bazelrc already limits the build to 2 jobs.
RUN --mount=type=cache,target=/root/.cache/bazel \
    bazel build --noshow_progress //gateway:switchboard-gateway \
 && install -D -m 0755 bazel-bin/gateway/switchboard-gateway /out/switchboard-gateway

# Runtime stage: only the shared libraries the binary links (ldd), no compilers.
FROM debian:12-slim
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates \
      libabsl20220623 \
      libfmt9 \
      libnats3.4 \
      libprometheus-cpp-core1.0 \
      libprotobuf-c1 \
      libprotobuf32 \
      libspdlog1.10 \
      libssl3 \
      libstdc++6 \
      libgcc-s1 \
      zlib1g \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 switchboard \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin switchboard
COPY --from=build /out/switchboard-gateway /usr/local/bin/switchboard-gateway
# Numeric, so that Kubernetes' runAsNonRoot can verify it (the manifests set
# runAsUser 10001 too).
USER 10001:10001
# 8080 WebSocket (--listen), 9090 admin HTTP (--admin_listen)
EXPOSE 8080 9090
ENTRYPOINT ["/usr/local/bin/switchboard-gateway"]
