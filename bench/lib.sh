# bench/lib.sh — shared by the benchmarks: tools from Debian packages, the proxy-service jar, a work folder cleaned
# up on exit, nginx configs, process start and wait, wrk runs (warm-up, then timed, errors refused), peak RSS.
# Expects ROOT, DURATION, WARMUP, CONNECTIONS and THREADS to be set by the caller.

# JVM options of proxy-service: those it ships with (bin/edgestack and its container image): the serial collector with
# a small young generation keeps pauses short on a small box whose cores are shared (the parallel collector's young
# pauses reached 25-65 ms there). Override to compare.
EDGESTACK_JAVA_OPTS=${EDGESTACK_JAVA_OPTS:--XX:+UseSerialGC -Xmn48m}

bench_setup() { # tools... (a tool whose Debian package has another name as tool=package, e.g. varnishd=varnish)
    local need=() tool
    for tool in "$@"; do command -v "${tool%%=*}" > /dev/null || need+=("${tool##*=}"); done
    if [ ${#need[@]} -gt 0 ]; then
        local sudo
        sudo=$([ "$(id -u)" = 0 ] || echo sudo)
        $sudo apt-get install -y -qq "${need[@]}" > /dev/null || { $sudo apt-get update -qq && $sudo apt-get install -y -qq "${need[@]}"; }
    fi
    JAR=$ROOT/proxy-service/target/quarkus-app/quarkus-run.jar
    # grep reads all of the list: grep -q would stop at the first match and, under pipefail, the list's SIGPIPE would
    # fail the test (a stale jar then went unbuilt whenever another module was stale after it)
    if [ ! -f "$JAR" ] || "$ROOT/bin/edgestack" stale | grep -x proxy-service > /dev/null; then
        (cd "$ROOT" && mvn -B -q -pl proxy-service -am package -DskipTests)
    fi
    WORK=$(mktemp -d /tmp/edgestack-bench.XXXXXX)
    mkdir -p "$WORK/nginx"
    chmod 755 "$WORK" # nginx workers and varnishd run as other users when started by root
    PIDS=()
    trap bench_cleanup EXIT
}
# KEEP_WORK=1 keeps the work folder (server logs, configs) after the run, to look into a failure.
bench_cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2> /dev/null || true; done; wait 2> /dev/null || true; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"; }

nginx_conf() { # name, body of the server block, worker processes
    cat > "$WORK/nginx/$1.conf" <<CONF
worker_processes ${3:-auto};
daemon off;
pid $WORK/nginx/$1.pid;
error_log $WORK/nginx/$1.error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $WORK/nginx/$1.body;
    proxy_temp_path $WORK/nginx/$1.proxy;
    fastcgi_temp_path $WORK/nginx/$1.fcgi;
    uwsgi_temp_path $WORK/nginx/$1.uwsgi;
    scgi_temp_path $WORK/nginx/$1.scgi;
    types { text/html html; }
    $2
}
CONF
}
start() { # name, command...
    local name=$1; shift
    "$@" > "$WORK/$name.out" 2>&1 &
    PIDS+=($!)
    eval "PID_$name=$!"
}
wait_port() { # port [path]
    for _ in $(seq 1 150); do
        curl -s -o /dev/null "http://127.0.0.1:$1${2:-/1k.html}" && return 0
        sleep 0.2
    done
    echo "nothing answers on port $1" >&2; exit 1
}

# Peak RSS (kB) of a process and its children (nginx master + worker).
rss_kb() {
    local total=0 p
    for p in $1 $(pgrep -P "$1" || true); do
        total=$((total + $(awk '/VmHWM/ {print $2}' "/proc/$p/status" 2> /dev/null || echo 0)))
    done
    echo $total
}
to_ms() { # wrk latency like 1.23ms, 456.00us, 1.02s → ms
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'
}
# CPU ticks (user + system) of a process and its children (nginx master + workers), from /proc.
ticks() {
    local total=0 p s
    for p in $1 $(pgrep -P "$1" || true); do
        read -r -a s < "/proc/$p/stat" || continue
        total=$((total + s[13] + s[14]))
    done
    echo $total
}
HZ=$(getconf CLK_TCK)
# Prints "label req/s p50-ms p99-ms"; with RUN_PID set (the server's process), three more figures, each a CPU time
# (user + system) per request over the timed run, in µs: that process's (and its children's), wrk's, and that of
# OTHER_PID's process (and its children: an origin the server forwards to; 0 when OTHER_PID is not set). On cores
# shared by all three, the server's throughput is bounded by what the three cost together.
run() { # label, url, extra wrk args...
    local label=$1 url=$2; shift 2
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" "$@" "$url" > /dev/null
    local out before after other_before=0 other_after=0
    [ -z "${RUN_PID:-}" ] || before=$(ticks "$RUN_PID")
    [ -z "${OTHER_PID:-}" ] || other_before=$(ticks "$OTHER_PID")
    # `times` after wrk, in the same subshell: its second line is the CPU time of that subshell's children (wrk)
    out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$@" "$url"; times)
    [ -z "${RUN_PID:-}" ] || after=$(ticks "$RUN_PID")
    [ -z "${OTHER_PID:-}" ] || other_after=$(ticks "$OTHER_PID")
    if echo "$out" | grep -q "Non-2xx"; then
        echo "$label answered errors under load:" >&2; echo "$out" >&2; exit 1
    fi
    local rps p50 p99 cpu= requests
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(to_ms "$(echo "$out" | awk '$1 == "50%" {print $2}')")
    p99=$(to_ms "$(echo "$out" | awk '$1 == "99%" {print $2}')")
    if [ -n "${RUN_PID:-}" ]; then
        requests=$(echo "$out" | awk '/requests in/ {print $1}')
        cpu=" $(echo "$out" | tail -1 | awk -v t=$((after - before)) -v o=$((other_after - other_before)) -v hz="$HZ" \
            -v n="$requests" 'function sec(v) { split(v, p, /[ms]/); return p[1] * 60 + p[2] }
            BEGIN {printf "%.1f ", t / hz * 1e6 / n} {printf "%.1f %.1f", (sec($1) + sec($2)) * 1e6 / n, o / hz * 1e6 / n}')"
    fi
    echo "$label $rps $p50 $p99$cpu"
}
# The median of numbers given one per line or separated by spaces (the mean of the two middle ones for an even count).
median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# JIT warm-up: the JVM compiles its hot paths during the first tens of seconds under load (a 1 KiB proxy run measured
# 2,600 req/s in its first 8 s and ~12,000 after 40 s); a benchmark of steady state loads every server, not only the
# JVM, for WARM seconds (default 20) per URL before anything is timed. WARM=0 times a cold start.
warm() { # url [extra wrk args...] — the same load for each server, one after another
    local url=$1; shift
    [ "${WARM:-20}" -gt 0 ] || return 0
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARM:-20}s" "$@" "$url" > /dev/null
}
# Every server must give the same answer before it is timed: status 200, the full size, and gzip where asked.
check() { # label url expected-encoding(or -) extra curl args...
    local label=$1 url=$2 encoding=$3; shift 3
    local head
    head=$(curl -s -D - -o "$WORK/check.body" "$@" "$url")
    local status got
    status=$(echo "$head" | awk 'NR == 1 {print $2}')
    got=$(echo "$head" | awk -F': ' 'tolower($1) == "content-encoding" {gsub("\r", "", $2); print $2}')
    if [ "$status" != 200 ] || [ "${got:--}" != "$encoding" ]; then
        echo "$label: expected 200 with content-encoding $encoding, got $status ${got:--}" >&2; echo "$head" >&2; exit 1
    fi
}

