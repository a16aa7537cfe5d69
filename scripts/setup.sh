#!/usr/bin/env bash
# Installs what Tributary needs on this machine, once: the RocksDB C library and headers
# (for the RocksDB store, through cgo) and the Go modules. Safe to run again: it only installs
# what is missing. Used by `make demo`, `make test` and .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

have_rocksdb() {
	# The header and the shared library, where the C compiler finds them.
	echo '#include <rocksdb/c.h>
int main(void){rocksdb_options_t *o = rocksdb_options_create(); rocksdb_options_destroy(o); return 0;}' |
		${CC:-cc} -x c - -o /dev/null -lrocksdb ${CGO_CFLAGS:-} ${CGO_LDFLAGS:-} >/dev/null 2>&1
}

if ! command -v go >/dev/null 2>&1; then
	echo "setup: Go is not on PATH; install Go 1.26 or newer from https://go.dev/dl/" >&2
	exit 1
fi

# cgo needs a C compiler as well as RocksDB.
missing=""
command -v "${CC:-cc}" >/dev/null 2>&1 || missing="gcc"
if [ -n "$missing" ] || ! have_rocksdb; then
	case "$(uname -s)" in
	Linux)
		if command -v apt-get >/dev/null 2>&1; then
			sudo=""
			[ "$(id -u)" -eq 0 ] || sudo="sudo"
			echo "setup: installing $missing librocksdb-dev (a C compiler for cgo, RocksDB's C library) with apt-get" >&2
			$sudo apt-get update -qq
			DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq $missing librocksdb-dev >/dev/null
		else
			echo "setup: install RocksDB's C library and headers (7.x, e.g. librocksdb-dev or rocksdb-devel) and run again" >&2
			exit 1
		fi
		;;
	Darwin)
		cat >&2 <<'MSG'
setup: RocksDB's C library is missing. On macOS:
    brew install rocksdb
    export CGO_CFLAGS="-I$(brew --prefix rocksdb)/include"
    export CGO_LDFLAGS="-L$(brew --prefix rocksdb)/lib -lrocksdb"
Homebrew's RocksDB is newer than 7.8; if grocksdb v1.7.15 does not build against it, install
RocksDB 7.8.3 from source. Then run this again.
MSG
		exit 1
		;;
	*)
		echo "setup: install RocksDB's C library (7.x) and headers, then run again" >&2
		exit 1
		;;
	esac
	have_rocksdb || { echo "setup: RocksDB still not found by the C compiler after installing" >&2; exit 1; }
fi

go mod download
