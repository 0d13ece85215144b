# A small static image of composex: docker run --rm -v "$PWD:/work" -w /work IMAGE render -o out/
# Build: docker build --build-arg VERSION=v1.2.3 -t composex .
FROM golang:1.26.8 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
# Static (no cgo), no local paths in the binary, stamped with the version.
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/composex ./cmd/composex

# scratch holds nothing but the binary: composex needs no shell, no CA
# certificates (it never calls the network) and no libc.
FROM scratch
COPY --from=build /out/composex /composex
# Not root: the image only reads the mounted project and writes -o.
USER 65532:65532
ENTRYPOINT ["/composex"]
CMD ["help"]
