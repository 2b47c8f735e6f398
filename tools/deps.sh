#!/usr/bin/env bash
# deps.sh: install, with apt, the Debian 12 packages phaseprof needs to build
# and test, when any is missing. Sourced by demo.sh and check.sh; needs root.
set -euo pipefail

PHASEPROF_PACKAGES=(
	# build
	cmake make gcc pkg-config clang lld libbpf-dev libelf-dev libdw-dev libiberty-dev
	zlib1g-dev bpftool
	# profile.pb.gz: protobuf-c's runtime and code generator (protoc decodes it in tests)
	libprotobuf-c-dev protobuf-c-compiler protobuf-compiler
	# phaseprof suite: results.sqlite (libsqlite3), checked with sqlite3(1) in tests
	libsqlite3-dev sqlite3
	# wasm example apps: clang --target=wasm32-wasi with Debian's wasi-libc
	wasi-libc libclang-rt-14-dev-wasm32
	# tests and runtimes
	python3 binutils elfutils xz-utils util-linux wabt time chromium
	# perf backend and probes: tracefs events decoded with libtraceevent, perf(1), systemd units
	libtraceevent-dev linux-perf systemd
)
# commands that any installation satisfies (rustup's rustc, nodesource's node)
declare -A PHASEPROF_COMMANDS=([node]=nodejs [rustc]=rustc)

missing_packages() {
	local p
	for p in "${PHASEPROF_PACKAGES[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
	done
	for p in "${!PHASEPROF_COMMANDS[@]}"; do
		command -v "$p" >/dev/null || echo "${PHASEPROF_COMMANDS[$p]}"
	done
}

install_deps() {
	local missing
	missing=$(missing_packages | tr '\n' ' ')
	[ -z "${missing// /}" ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "phaseprof: missing packages: $missing; run this as root (sudo) to install them" >&2
		return 1
	fi
	echo "phaseprof: installing $missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

build_phaseprof() {
	local top=$1
	local werror=OFF
	# CI fails on any compiler warning; a user's build only shows them
	[ "${CI:-}" = true ] && werror=ON
	cmake -S "$top" -B "$top/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
		-DPHASEPROF_WERROR=$werror >/dev/null
	cmake --build "$top/build" -j"$(nproc)"
}
