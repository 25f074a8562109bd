# Build stage: the release binary (templates are compiled into it).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY policies ./policies
COPY templates ./templates
COPY static ./static
RUN cargo build --release --locked --bin kechuang

# Runtime stage: the binary and the static assets; PostgreSQL comes from docker-compose.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /app kechuang
WORKDIR /app
COPY --from=build /src/target/release/kechuang /usr/local/bin/kechuang
COPY static ./static
ENV KECHUANG_STATIC_DIR=/app/static \
    KECHUANG_BIND=0.0.0.0:8080 \
    KECHUANG_LOG_FORMAT=json
USER kechuang
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q ' 200 ' <&3"]
ENTRYPOINT ["kechuang"]
CMD ["serve", "--demo"]
