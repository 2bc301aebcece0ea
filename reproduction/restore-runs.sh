#!/bin/sh
# restore-runs.sh OUT [RUNS]: extract every reproduction/runs/part-NNN.tar.gz, in
# order, into OUT (later parts hold the newer version of a file), so that
# "hessrnn run paper --scale paper --out OUT" resumes the run where the
# saved results stop, or "--report-only" rewrites REPRODUCTION.md from them.
# RUNS (default: the runs folder beside this script) holds the parts.
set -eu
[ $# -eq 1 ] || [ $# -eq 2 ] || { echo "usage: $0 OUT [RUNS]" >&2; exit 2; }
out=$1
runs=${2:-$(cd "$(dirname "$0")" && pwd)/runs}
mkdir -p "$out"
n=0
for p in "$runs"/part-*.tar.gz; do
	[ -e "$p" ] || break
	tar --extract --gzip --file="$p" --directory="$out"
	n=$((n + 1))
done
echo "$0: $n part(s) extracted into $out"
