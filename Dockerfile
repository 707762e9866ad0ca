# provision and docspace-emulator in a Debian 12 slim image, built from Debian packages only.
#   docker build -t provision .
#   docker run --rm -v "$PWD:/work" -w /work -e DOCSPACE_TOKEN provision plan manifests/bots.yaml
# The build stage's steps are scripts/container-build, which CI also runs on the host
# (scripts/test --package), so they are tested where no container engine is.

FROM debian:12 AS build
# The script installs the -dev packages it needs (scripts/setup --build) with apt-get.
COPY . /src
RUN BUILD_DIR=/build /src/scripts/container-build /out

FROM debian:12-slim
# The package's Depends (computed by dpkg-shlibdeps) bring exactly the runtime libraries;
# ca-certificates for HTTPS portals, age for encrypted outputs (docs/outputs.md).
COPY --from=build /out/provision.deb /tmp/provision.deb
RUN apt-get update \
 && apt-get install -y --no-install-recommends /tmp/provision.deb ca-certificates age \
 && rm -rf /var/lib/apt/lists/* /tmp/provision.deb \
 && useradd --uid 10001 --user-group --create-home --home-dir /home/provision provision
USER provision
WORKDIR /home/provision
ENTRYPOINT ["provision"]
CMD ["--help"]
