#!/bin/sh
# restore-runs.sh OUT: extract every reproduction/runs/part-NNN.tar.gz, in
# order, into OUT (later parts hold the newer version of a file), so that
# "hessrnn run paper --scale paper --out OUT" resumes the run where the
# saved results stop, or "--report-only" rewrites REPRODUCTION.md from them.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
out=$1
runs=$(cd "$(dirname "$0")" && pwd)/runs
mkdir -p "$out"
n=0
for p in "$runs"/part-*.tar.gz; do
	[ -e "$p" ] || break
	tar --extract --gzip --file="$p" --directory="$out"
	n=$((n + 1))
done
echo "$0: $n part(s) extracted into $out"
