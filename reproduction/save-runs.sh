#!/bin/sh
# save-runs.sh OUT [RUNS]: archive the result files of a "hessrnn run paper" output
# folder OUT that are not yet in reproduction/runs/, as the next
# reproduction/runs/part-NNN.tar.gz, and list them in
# reproduction/runs/MANIFEST (SHA-256 and path, one file a line).
#
# A paper-scale run takes longer than one working session; committing the
# parts lets the next session (or anyone) restore the folder with
# restore-runs.sh and resume the run, or regenerate REPRODUCTION.md from the
# results with "hessrnn run paper --scale paper --report-only".
# Only *.json files are archived (run results, selection summaries,
# invocation records); reports and figures are regenerated from them.
# RUNS (default: the runs folder beside this script) holds the parts.
set -eu
[ $# -eq 1 ] || [ $# -eq 2 ] || { echo "usage: $0 OUT [RUNS]" >&2; exit 2; }
out=$1
[ -d "$out" ] || { echo "$0: $out: not a directory" >&2; exit 2; }
runs=${2:-$(cd "$(dirname "$0")" && pwd)/runs}
mkdir -p "$runs"
touch "$runs/MANIFEST"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$out" && find . -type f -name '*.json' ! -name '.*' | sed 's|^\./||' | LC_ALL=C sort |
	while IFS= read -r f; do sha256sum "$f"; done) > "$tmp/all"
LC_ALL=C sort "$runs/MANIFEST" > "$tmp/old"
LC_ALL=C sort "$tmp/all" | LC_ALL=C comm -23 - "$tmp/old" > "$tmp/new"
n=$(wc -l < "$tmp/new")
if [ "$n" -eq 0 ]; then
	echo "$0: nothing new in $out"
	exit 0
fi
i=$(ls "$runs" | grep -c '^part-[0-9]*\.tar\.gz$' || true)
part=$(printf 'part-%03d.tar.gz' $((i + 1)))
cut -c67- "$tmp/new" > "$tmp/files"
(cd "$out" && tar --create --file=- --files-from="$tmp/files" --sort=name --owner=0 --group=0 --numeric-owner) |
	gzip -9n > "$runs/$part.tmp"
mv "$runs/$part.tmp" "$runs/$part"
cat "$tmp/new" >> "$runs/MANIFEST"
echo "$0: $n files -> $runs/$part ($(du -h "$runs/$part" | cut -f1))"
