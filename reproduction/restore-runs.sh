#!/bin/sh
# restore-runs.sh OUT [RUNS]: extract every reproduction/runs/part-NNN.tar.gz, in
# order (later parts hold the newer version of a file), and copy the result
# into OUT, so that "hessrnn run paper --scale paper --out OUT" resumes the run
# where the saved results stop, or "--report-only" rewrites REPRODUCTION.md
# from them. RUNS (default: the runs folder beside this script) holds the
# parts. A file already in OUT that is newer than its archived version is
# kept: a machine that outlived the session may hold results and invocation
# records written after the last save, and restoring into that live folder
# loses none of them.
set -eu
[ $# -eq 1 ] || [ $# -eq 2 ] || { echo "usage: $0 OUT [RUNS]" >&2; exit 2; }
out=$1
runs=${2:-$(cd "$(dirname "$0")" && pwd)/runs}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
for p in "$runs"/part-*.tar.gz; do
	[ -e "$p" ] || break
	tar --extract --gzip --file="$p" --directory="$tmp"
	n=$((n + 1))
done
# -u: copy a file only where OUT has none or an older one; -p keeps the
# archived modification times, which the next restore compares against.
cp -R -p -u "$tmp"/. "$out"/
echo "$0: $n part(s) extracted into $out"
