#!/usr/bin/env bash
# speed.sh measures composex against compose-go's stock LoadProject on the
# generated projects and prints the README's speed table.
#
#   examples/scale/speed.sh bench     BenchmarkPaired, COUNT runs (default 3) of
#                                     BENCHTIME (default 1x) per size; medians of
#                                     the ratio and of composex's ms per service,
#                                     and the growth check: ms per service at 100,
#                                     1000 and 3000 within 25% of each other
#                                     (exit 1 if not).
#   examples/scale/speed.sh process   both as whole processes: the composex binary
#                                     and examples/scale/cmd/stockload, RUNS
#                                     (default 5) alternating runs per size, median
#                                     wall time, CPU and peak RSS (/usr/bin/time -v).
#
# Timings on a shared machine are noisy: both sides run in the same run,
# alternating, and the table shows medians. This is a measurement, not a
# test: the normal suite never fails on a timing.
set -euo pipefail
cd "$(dirname "$0")/../.."
mode=${1:-bench}

median() { sort -g | awk '{a[NR]=$1} END {if (NR==0) {print "nan"} else if (NR%2) {print a[(NR+1)/2]} else {print (a[NR/2]+a[NR/2+1])/2}}'; }

bench() {
	out=$(mktemp)
	go test ./examples/scale -run '^$' -bench 'BenchmarkPaired' -benchtime "${BENCHTIME:-1x}" -count "${COUNT:-3}" -timeout 60m | tee "$out" >&2
	echo "| services | compose-go LoadProject (ms) | composex end to end (ms) | ratio | composex ms/service | allocs/op (both) |"
	echo "|---:|---:|---:|---:|---:|---:|"
	for n in 10 100 1000 3000; do
		rows=$(grep "^BenchmarkPaired/services=$n-" "$out" || true)
		[ -n "$rows" ] || continue
		field() { echo "$rows" | awk -v u="$1" '{for (i=2;i<=NF;i++) if ($i==u) print $(i-1)}' | median; }
		printf '| %s | %s | %s | %.2fx | %.2f | %s |\n' "$n" "$(field composego-ms/op)" "$(field composex-ms/op)" "$(field ratio)" "$(field composex-ms/service)" "$(field allocs/op)"
		eval "perservice_$n=$(field composex-ms/service)"
		eval "cpuperservice_$n=$(field composex-cpu-ms/service)"
		printf '    CPU: ratio %s, composex %s ms/service\n' "$(field cpu-ratio)" "$(field composex-cpu-ms/service)" >&2
	done
	if [ -n "${perservice_100:-}" ] && [ -n "${perservice_1000:-}" ] && [ -n "${perservice_3000:-}" ]; then
		# CPU per service first (what the code costs; wall time on a shared
		# machine also measures the neighbours), then wall, which decides.
		awk -v a="${cpuperservice_100:-nan}" -v b="${cpuperservice_1000:-nan}" -v c="${cpuperservice_3000:-nan}" 'BEGIN {
			lo=a; hi=a; if (b<lo) lo=b; if (c<lo) lo=c; if (b>hi) hi=b; if (c>hi) hi=c
			if (lo > 0) printf "growth (CPU): %.2f / %.2f / %.2f ms per service at 100 / 1000 / 3000: max/min %.2f\n", a, b, c, hi/lo }'
		awk -v a="$perservice_100" -v b="$perservice_1000" -v c="$perservice_3000" 'BEGIN {
			lo=a; hi=a; if (b<lo) lo=b; if (c<lo) lo=c; if (b>hi) hi=b; if (c>hi) hi=c
			printf "growth: %.2f / %.2f / %.2f ms per service at 100 / 1000 / 3000: max/min %.2f (allowed 1.25)\n", a, b, c, hi/lo
			exit (hi/lo > 1.25) }'
	fi
}

process() {
	bin=$(mktemp -d)
	go build -o "$bin/composex" ./cmd/composex
	go build -o "$bin/stockload" ./examples/scale/cmd/stockload
	go build -o "$bin/scaleproject" ./examples/scale/cmd/scaleproject
	echo "| services | compose-go LoadProject wall (s) | composex wall (s) | wall ratio | CPU ratio | peak RSS compose-go (MB) | peak RSS composex (MB) |"
	echo "|---:|---:|---:|---:|---:|---:|---:|"
	for n in ${SIZES:-1 100 1000 3000}; do
		dir="$bin/p$n"
		mkdir -p "$dir"
		"$bin/scaleproject" "$n" >"$dir/docker-compose.yml"
		: >"$bin/s" ; : >"$bin/x"
		for _ in $(seq "${RUNS:-5}"); do
			/usr/bin/time -f '%e %U %S %M' -o "$bin/t" "$bin/stockload" "$dir/docker-compose.yml"
			cat "$bin/t" >>"$bin/s"
			/usr/bin/time -f '%e %U %S %M' -o "$bin/t" "$bin/composex" render -f "$dir/docker-compose.yml" -p bench -o "$dir/out" >/dev/null 2>&1
			cat "$bin/t" >>"$bin/x"
		done
		sw=$(awk '{print $1}' "$bin/s" | median); xw=$(awk '{print $1}' "$bin/x" | median)
		sc=$(awk '{print $2+$3}' "$bin/s" | median); xc=$(awk '{print $2+$3}' "$bin/x" | median)
		sm=$(awk '{print $4}' "$bin/s" | median); xm=$(awk '{print $4}' "$bin/x" | median)
		awk -v n="$n" -v sw="$sw" -v xw="$xw" -v sc="$sc" -v xc="$xc" -v sm="$sm" -v xm="$xm" \
			'BEGIN {printf "| %s | %.2f | %.2f | %.2fx | %.2fx | %.0f | %.0f |\n", n, sw, xw, xw/sw, xc/sc, sm/1024, xm/1024}'
	done
	rm -rf "$bin"
}

"$mode"
