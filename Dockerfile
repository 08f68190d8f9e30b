# The deckhand image: the binary on distroless `cc` (glibc, libgcc, OpenSSL
# and CA certificates; no shell, no package manager), running as non-root.
#
#   docker build --build-arg DECKHAND_BUILD_COMMIT=$(git rev-parse --short=12 HEAD) -t deckhand .
#   docker run --rm deckhand --version
#
# The default command is the controller listening on :8080; see
# examples/controller-on-ecs/ for running it on ECS.

FROM rust:1.95-bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends pkg-config libssl-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so a code change does not rebuild the AWS SDK.
COPY Cargo.toml Cargo.lock build.rs ./
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
 && cargo build --release --locked --bin deckhand \
 && rm -rf src
COPY src ./src
ARG DECKHAND_BUILD_COMMIT=unknown
ENV DECKHAND_BUILD_COMMIT=${DECKHAND_BUILD_COMMIT}
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin deckhand

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/deckhand /usr/local/bin/deckhand
USER nonroot:nonroot
# git URLs are cloned here (the image's only writable place is /tmp).
ENV DECKHAND_CACHE_DIR=/tmp/deckhand-cache \
    DECKHAND_LOG_FORMAT=json \
    DECKHAND_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/deckhand"]
CMD ["controller"]
