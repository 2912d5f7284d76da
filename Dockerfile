# Palisade's own image: one static binary on an empty base, run as a non-root user.
#
#   docker build -t registry.example.com/palisade/palisade:0.1.0 .
#
# The build stage is pinned by digest (the tag is kept for readers); the final stage is
# `scratch`, which is not pulled from anywhere and holds nothing but the binary.
FROM rust:1.95-alpine@sha256:606fd313a0f49743ee2a7bd49a0914bab7deedb12791f3a846a34a4711db7ed2 AS build
RUN apk add --no-cache musl-dev~1.2 make~4.4
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p palisade-cli \
    && cp target/release/palisade /palisade

FROM scratch
COPY --from=build /palisade /palisade
USER 65532:65532
EXPOSE 8443
ENTRYPOINT ["/palisade"]
CMD ["serve", "--tls-cert=/etc/palisade/tls/tls.crt", "--tls-key=/etc/palisade/tls/tls.key"]
