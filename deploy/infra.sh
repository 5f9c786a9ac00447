#!/usr/bin/env bash
# Real test/dev infrastructure without Docker: Kafka (KRaft), Elasticsearch, S3Proxy, PostgreSQL.
#
#   deploy/infra.sh up [--kafka-brokers 1|3] [service...]   fetch (cached) + start + wait until ready
#   deploy/infra.sh down [service...]                       stop what this script started (all by default)
#   deploy/infra.sh status                                  pid, port and health of each service
#   deploy/infra.sh logs [service] [lines]                  tail of the logs
#   deploy/infra.sh env                                     print the exported variables for tests
#
# Services: kafka (single node, :9092), es (:9200), s3 (:9000), postgres (:55432, Debian's
# postgresql package), kafka-cluster (3 brokers, :19092/:29092/:39092; started by
# `up --kafka-brokers 3`, in addition to the others).
# Everything is fetched from Maven Central with mvn into $KESTRA_INFRA_CACHE (default <repo>/.infra)
# and runs with state under $KESTRA_INFRA_STATE (default <repo>/.infra/state).
# See docs/infrastructure.md.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE="${KESTRA_INFRA_CACHE:-$ROOT/.infra}"
STATE="${KESTRA_INFRA_STATE:-$CACHE/state}"

KAFKA_VERSION="${KAFKA_VERSION:-4.3.1}" # 4.4.0 on Central lacks kafka-tools-api (unresolvable)
LOG4J_VERSION="${LOG4J_VERSION:-2.25.4}" # the version kafka-server 4.3.1 depends on
ES_VERSION="${ES_VERSION:-8.19.21}"
S3PROXY_VERSION="${S3PROXY_VERSION:-3.3.0}"
DEP_PLUGIN="org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
ES_PORT="${ES_PORT:-9200}"
ES_TRANSPORT_PORT="${ES_TRANSPORT_PORT:-9300}"
S3_PORT="${S3_PORT:-9000}"
S3_ACCESS_KEY="${S3_ACCESS_KEY:-minioadmin}"
S3_SECRET_KEY="${S3_SECRET_KEY:-minioadmin}"
PG_PORT="${PG_PORT:-55432}"
PG_USER="${PG_USER:-kestra}"
PG_PASSWORD="${PG_PASSWORD:-kestra-test-pw}"
PG_OS_USER="${KESTRA_PG_USER:-kestra-pg}"
read -r -a CLUSTER_PORTS <<<"${KAFKA_CLUSTER_PORTS:-19092 29092 39092}"
read -r -a CLUSTER_CONTROLLER_PORTS <<<"${KAFKA_CLUSTER_CONTROLLER_PORTS:-19093 29093 39093}"

KAFKA_HEAP="${KAFKA_HEAP:-512m}"
ES_HEAP_MIN="${ES_HEAP_MIN:-512m}"
ES_HEAP_MAX="${ES_HEAP_MAX:-1g}"
S3_HEAP="${S3_HEAP:-256m}"
ES_USER="${KESTRA_ES_USER:-kestra-es}"
READY_TIMEOUT="${KESTRA_INFRA_TIMEOUT:-120}"
STOP_TIMEOUT="${KESTRA_INFRA_STOP_TIMEOUT:-30}"

# ---------------------------------------------------------------------------------------------
# helpers
now() { date +%s.%N; }
since() { awk -v s="$1" -v e="$(now)" 'BEGIN { printf "%.1fs", e - s }'; }
log() { printf '[infra] %s\n' "$*" >&2; }
die() {
	printf '[infra] ERROR: %s\n' "$*" >&2
	exit 1
}

java_home() {
	if [[ -n "${JAVA_HOME:-}" && -x "$JAVA_HOME/bin/java" ]]; then
		echo "$JAVA_HOME"
	elif command -v java >/dev/null 2>&1; then
		dirname "$(dirname "$(readlink -f "$(command -v java)")")"
	elif [[ -x /usr/lib/jvm/java-17-openjdk-amd64/bin/java ]]; then
		echo /usr/lib/jvm/java-17-openjdk-amd64
	else
		die "java 17+ not found (install openjdk-17-jre-headless or set JAVA_HOME)"
	fi
}

# port_open PORT -> 0 when something accepts TCP connections on 127.0.0.1:PORT
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# read_pid FILE -> pid if the file names a live process started for this state folder (its
# command line names a file under $STATE: guards against pid reuse after a reboot), else nothing
read_pid() {
	local f="$1" pid
	[[ -f "$f" ]] || return 0
	pid="$(tr -dc '0-9' <"$f")"
	if pid_alive "$pid" && tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$STATE/"; then
		echo "$pid"
	fi
}

# wait_until TIMEOUT DESCRIPTION COMMAND... ; also fails early when $WATCH_PID dies
wait_until() {
	local timeout="$1" what="$2" deadline
	shift 2
	deadline=$(($(date +%s) + timeout))
	until "$@"; do
		if [[ -n "${WATCH_PID:-}" ]] && ! pid_alive "$WATCH_PID"; then
			log "$what: process $WATCH_PID exited while starting"
			return 1
		fi
		if (($(date +%s) >= deadline)); then
			log "$what: not ready after ${timeout}s"
			return 1
		fi
		sleep 0.5
	done
}

# kill_target PID -> "-PGID" when the process leads its own group (started with setsid), else PID
kill_target() {
	local pid="$1" pgid mypgid
	pgid="$(ps -o pgid= -p "$pid" 2>/dev/null | tr -d ' ' || true)"
	mypgid="$(ps -o pgid= -p $$ | tr -d ' ')"
	if [[ -n "$pgid" && "$pgid" != "$mypgid" && "$pgid" != "0" ]]; then echo "-$pgid"; else echo "$pid"; fi
}

# stop_pids NAME=PID...: SIGTERM all at once (a KRaft quorum must not lose its voters one by one
# while the others still shut down), wait up to STOP_TIMEOUT, then SIGKILL what is left
stop_pids() {
	local entry name pid i left targets=()
	for entry in "$@"; do
		name="${entry%%=*}" pid="${entry#*=}"
		targets+=("$(kill_target "$pid")")
		log "stopping $name (pid $pid, kill ${targets[-1]})"
		kill -TERM -- "${targets[-1]}" 2>/dev/null || true
	done
	for ((i = 0; i < STOP_TIMEOUT * 5; i++)); do
		left=0
		for entry in "$@"; do pid_alive "${entry#*=}" && left=1; done
		((left)) || return 0
		sleep 0.2
	done
	i=0
	for entry in "$@"; do
		if pid_alive "${entry#*=}"; then
			log "${entry%%=*} did not stop after ${STOP_TIMEOUT}s: SIGKILL"
			kill -KILL -- "${targets[$i]}" 2>/dev/null || true
		fi
		i=$((i + 1))
	done
	sleep 1
	left=0
	for entry in "$@"; do
		if pid_alive "${entry#*=}"; then
			log "${entry%%=*} (pid ${entry#*=}) still alive"
			left=1
		fi
	done
	return "$left"
}

mvn_run() {
	local t
	t="$(now)"
	mkdir -p "$CACHE"
	if ! mvn -B -q -ntp -Dstyle.color=never -Dmaven.repo.local="$CACHE/m2" "$@" >>"$CACHE/mvn.log" 2>&1 </dev/null; then
		tail -n 30 "$CACHE/mvn.log" >&2
		die "mvn failed: $* (log: $CACHE/mvn.log)"
	fi
	log "  mvn $(printf '%s ' "$@" | cut -c1-90)... $(since "$t")"
}

# ---------------------------------------------------------------------------------------------
# fetch (Maven Central, cached under $CACHE)
KAFKA_DIR="$CACHE/kafka-$KAFKA_VERSION"
ES_DIR="$CACHE/elasticsearch-$ES_VERSION"
S3_DIR="$CACHE/s3proxy-$S3PROXY_VERSION"

fetch_kafka() {
	[[ -f "$KAFKA_DIR/.complete" ]] && return 0
	log "fetching Kafka $KAFKA_VERSION jars from Maven Central"
	rm -rf "$KAFKA_DIR" && mkdir -p "$KAFKA_DIR"
	cat >"$KAFKA_DIR/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>local.kestra.infra</groupId><artifactId>kafka-libs</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencyManagement><dependencies>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-bom</artifactId>
      <version>$LOG4J_VERSION</version><type>pom</type><scope>import</scope></dependency>
  </dependencies></dependencyManagement>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId></dependency>
  </dependencies>
</project>
EOF
	mvn_run -f "$KAFKA_DIR/pom.xml" "$DEP_PLUGIN:copy-dependencies" -DincludeScope=runtime \
		-DoutputDirectory="$KAFKA_DIR/libs"
	compgen -G "$KAFKA_DIR/libs/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null || die "kafka jar missing after fetch"
	touch "$KAFKA_DIR/.complete"
}

fetch_es() {
	[[ -f "$ES_DIR/.complete" ]] && return 0
	log "fetching Elasticsearch $ES_VERSION (integ-test-zip) from Maven Central"
	rm -rf "$ES_DIR" && mkdir -p "$ES_DIR"
	mvn_run "$DEP_PLUGIN:copy" \
		-Dartifact="org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
		-DoutputDirectory="$ES_DIR"
	(cd "$ES_DIR" && unzip -q "elasticsearch-$ES_VERSION.zip" && rm -f "elasticsearch-$ES_VERSION.zip")
	[[ -x "$ES_DIR/elasticsearch-$ES_VERSION/bin/elasticsearch" ]] || die "elasticsearch launcher missing after unzip"
	chmod -R a+rX "$ES_DIR"
	touch "$ES_DIR/.complete"
}

fetch_s3() {
	[[ -f "$S3_DIR/.complete" ]] && return 0
	log "fetching S3Proxy $S3PROXY_VERSION from Maven Central"
	rm -rf "$S3_DIR" && mkdir -p "$S3_DIR"
	mvn_run "$DEP_PLUGIN:copy" \
		-Dartifact="org.gaul:s3proxy:$S3PROXY_VERSION:jar:jar-with-dependencies" \
		-DoutputDirectory="$S3_DIR"
	touch "$S3_DIR/.complete"
}

# ---------------------------------------------------------------------------------------------
# Kafka
kafka_log4j() {
	cat >"$1" <<'EOF'
status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRefs = stdout
rootLogger.appenderRef.stdout.ref = STDOUT
logger.request.name = kafka.request.logger
logger.request.level = WARN
logger.statechange.name = state.change.logger
logger.statechange.level = WARN
EOF
}

# kafka_props FILE NODE_ID PORT VOTERS LOG_DIR REPLICAS MIN_ISR
kafka_props() {
	local file="$1" id="$2" port="$3" cport="$4" voters="$5" dir="$6" rf="$7" isr="$8"
	cat >"$file" <<EOF
process.roles=broker,controller
node.id=$id
controller.quorum.voters=$voters
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir
num.partitions=3
default.replication.factor=$rf
min.insync.replicas=$isr
offsets.topic.replication.factor=$rf
offsets.topic.num.partitions=3
transaction.state.log.replication.factor=$rf
transaction.state.log.min.isr=$isr
transaction.state.log.num.partitions=3
share.coordinator.state.topic.replication.factor=$rf
share.coordinator.state.topic.min.isr=$isr
share.coordinator.state.topic.num.partitions=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=2
num.recovery.threads.per.data.dir=1
background.threads=4
log.retention.hours=24
log.segment.bytes=67108864
log.cleaner.dedupe.buffer.size=16777216
log.cleaner.threads=1
EOF
	if [[ "$rf" -gt 1 ]]; then
		# faster failure detection for HA tests (defaults: 9000 / 2000)
		cat >>"$file" <<EOF
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000
replica.lag.time.max.ms=5000
EOF
	fi
}

kafka_java() {
	local jh
	jh="$(java_home)"
	echo "$jh/bin/java" "-Xms$KAFKA_HEAP" "-Xmx$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
		-XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true
}

# start_kafka_node NAME NODE_DIR ID PORT CPORT VOTERS CLUSTER_ID RF ISR
start_kafka_node() {
	local name="$1" dir="$2" id="$3" port="$4" cport="$5" voters="$6" cid="$7" rf="$8" isr="$9"
	local pid java
	mkdir -p "$dir/data"
	kafka_log4j "$dir/log4j2.properties"
	kafka_props "$dir/server.properties" "$id" "$port" "$cport" "$voters" "$dir/data" "$rf" "$isr"
	read -r -a java <<<"$(kafka_java)"
	java+=("-Dlog4j2.configurationFile=$dir/log4j2.properties" "-Dkafka.logs.dir=$dir" -cp "$KAFKA_DIR/libs/*")
	if [[ ! -f "$dir/data/meta.properties" ]]; then
		"${java[@]}" kafka.tools.StorageTool format -t "$cid" -c "$dir/server.properties" \
			--ignore-formatted >"$dir/format.log" 2>&1 || {
			cat "$dir/format.log" >&2
			die "$name: storage format failed"
		}
	fi
	printf '%s %s\n' "$START_MARK" "$(date -Is)" >>"$dir/server.log"
	setsid "${java[@]}" kafka.Kafka "$dir/server.properties" >>"$dir/server.log" 2>&1 </dev/null 9>&- &
	pid=$!
	echo "$pid" >"$dir/pid"
	echo "$port" >"$dir/port"
}

START_MARK="=== started by deploy/infra.sh at"

# ready = port open and the current process logged "Kafka Server started" (the log is appended
# across restarts: look only after the last start marker)
broker_ready() {
	port_open "$1" || return 1
	awk -v m="$START_MARK" 'index($0, m) == 1 { s = 0 } /Kafka Server started/ { s = 1 } END { exit !s }' \
		"$2/server.log" 2>/dev/null
}

random_cluster_id() {
	# 16 random bytes, base64url without padding (what StorageTool random-uuid prints); not
	# starting with "-", which the format command would take for an option
	local id="-"
	while [[ "$id" == -* ]]; do id="$(head -c16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"; done
	echo "$id"
}

up_kafka() {
	local dir="$STATE/kafka" pid cid t
	t="$(now)"
	fetch_kafka
	pid="$(read_pid "$dir/pid")"
	if [[ -n "$pid" ]] && port_open "$KAFKA_PORT"; then
		log "kafka already running (pid $pid, port $KAFKA_PORT)"
		return 0
	fi
	if [[ -z "$pid" ]]; then
		port_open "$KAFKA_PORT" && die "port $KAFKA_PORT is used by another process (set KAFKA_PORT)"
		port_open "$KAFKA_CONTROLLER_PORT" && die "port $KAFKA_CONTROLLER_PORT is used by another process (set KAFKA_CONTROLLER_PORT)"
		mkdir -p "$dir"
		cid="$(cat "$dir/cluster-id" 2>/dev/null || true)"
		[[ -n "$cid" ]] || {
			cid="$(random_cluster_id)"
			echo "$cid" >"$dir/cluster-id"
		}
		start_kafka_node kafka "$dir" 1 "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT" \
			"1@127.0.0.1:$KAFKA_CONTROLLER_PORT" "$cid" 1 1
		pid="$(cat "$dir/pid")"
	fi
	WATCH_PID="$pid" wait_until "$READY_TIMEOUT" kafka broker_ready "$KAFKA_PORT" "$dir" || {
		tail -n 30 "$dir/server.log" >&2
		die "kafka did not start (log: $dir/server.log)"
	}
	log "kafka ready on 127.0.0.1:$KAFKA_PORT (pid $pid) in $(since "$t")"
}

cluster_voters() {
	local v="" i
	for i in 0 1 2; do v+="${v:+,}$((i + 1))@127.0.0.1:${CLUSTER_CONTROLLER_PORTS[$i]}"; done
	echo "$v"
}

up_kafka_cluster() {
	local base="$STATE/kafka-cluster" cid t i dir pid
	t="$(now)"
	fetch_kafka
	mkdir -p "$base"
	cid="$(cat "$base/cluster-id" 2>/dev/null || true)"
	[[ -n "$cid" ]] || {
		cid="$(random_cluster_id)"
		echo "$cid" >"$base/cluster-id"
	}
	for i in 0 1 2; do
		dir="$base/broker-$((i + 1))"
		pid="$(read_pid "$dir/pid")"
		if [[ -n "$pid" ]]; then
			log "kafka-cluster broker $((i + 1)) already running (pid $pid, port ${CLUSTER_PORTS[$i]})"
			continue
		fi
		port_open "${CLUSTER_PORTS[$i]}" && die "port ${CLUSTER_PORTS[$i]} is used by another process"
		port_open "${CLUSTER_CONTROLLER_PORTS[$i]}" && die "port ${CLUSTER_CONTROLLER_PORTS[$i]} is used by another process"
		start_kafka_node "kafka-cluster broker $((i + 1))" "$dir" "$((i + 1))" "${CLUSTER_PORTS[$i]}" \
			"${CLUSTER_CONTROLLER_PORTS[$i]}" "$(cluster_voters)" "$cid" 3 2
	done
	for i in 0 1 2; do
		dir="$base/broker-$((i + 1))"
		pid="$(cat "$dir/pid")"
		WATCH_PID="$pid" wait_until "$READY_TIMEOUT" "kafka-cluster broker $((i + 1))" \
			broker_ready "${CLUSTER_PORTS[$i]}" "$dir" || {
			tail -n 30 "$dir/server.log" >&2
			die "kafka-cluster broker $((i + 1)) did not start (log: $dir/server.log)"
		}
	done
	log "kafka-cluster ready on 127.0.0.1:${CLUSTER_PORTS[0]},${CLUSTER_PORTS[1]},${CLUSTER_PORTS[2]} in $(since "$t")"
}

# ---------------------------------------------------------------------------------------------
# Elasticsearch
es_health() { curl -fsS -m 5 "http://127.0.0.1:$ES_PORT/_cluster/health?wait_for_status=yellow&timeout=2s" >/dev/null 2>&1; }

up_es() {
	local dir="$STATE/es" home="$ES_DIR/elasticsearch-$ES_VERSION" pid t jh as_user=()
	t="$(now)"
	fetch_es
	pid="$(read_pid "$dir/pid")"
	if [[ -n "$pid" ]] && es_health; then
		log "es already running (pid $pid, port $ES_PORT)"
		return 0
	fi
	if [[ -z "$pid" ]]; then
		port_open "$ES_PORT" && die "port $ES_PORT is used by another process (set ES_PORT)"
		port_open "$ES_TRANSPORT_PORT" && die "port $ES_TRANSPORT_PORT is used by another process (set ES_TRANSPORT_PORT)"
		mkdir -p "$dir/data" "$dir/logs" "$dir/tmp"
		rm -rf "$dir/config"
		cp -r "$home/config" "$dir/config"
		mkdir -p "$dir/config/jvm.options.d"
		printf -- '-Xms%s\n-Xmx%s\n' "$ES_HEAP_MIN" "$ES_HEAP_MAX" >"$dir/config/jvm.options.d/heap.options"
		cat >"$dir/config/elasticsearch.yml" <<EOF
cluster.name: kestra-stream-test
node.name: es-1
discovery.type: single-node
network.host: 127.0.0.1
http.port: $ES_PORT
transport.port: $ES_TRANSPORT_PORT
path.data: $dir/data
path.logs: $dir/logs
xpack.security.enabled: false
node.store.allow_mmap: false
cluster.routing.allocation.disk.threshold_enabled: false
action.destructive_requires_name: false
EOF
		if [[ "$(id -u)" == 0 ]]; then
			if ! id "$ES_USER" >/dev/null 2>&1; then
				log "creating system user $ES_USER (Elasticsearch refuses to run as root)"
				useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER"
			fi
			chown -R "$ES_USER:" "$dir"
			as_user=(runuser -u "$ES_USER" --)
			runuser -u "$ES_USER" -- test -r "$home/lib" -a -w "$dir/data" ||
				die "user $ES_USER cannot read $home or write $dir: put the cache/state in a world-traversable folder (KESTRA_INFRA_CACHE / KESTRA_INFRA_STATE)"
		fi
		jh="$(java_home)"
		rm -f "$dir/pid"
		# -d: the launcher returns once the node started, the server keeps running detached
		(cd "$dir" && setsid "${as_user[@]}" env ES_JAVA_HOME="$jh" ES_PATH_CONF="$dir/config" \
			ES_TMPDIR="$dir/tmp" "$home/bin/elasticsearch" -d -p "$dir/pid" \
			>>"$dir/console.log" 2>&1 </dev/null 9>&-) || {
			tail -n 40 "$dir/console.log" >&2
			die "elasticsearch failed to start (logs: $dir/console.log, $dir/logs/)"
		}
		pid="$(read_pid "$dir/pid")"
		[[ -n "$pid" ]] || die "elasticsearch did not write its pid file (logs: $dir/console.log)"
	fi
	WATCH_PID="$pid" wait_until "$READY_TIMEOUT" es es_health || {
		tail -n 30 "$dir/logs/kestra-stream-test.log" >&2 || true
		die "elasticsearch not healthy (logs: $dir/logs/)"
	}
	log "es ready on http://127.0.0.1:$ES_PORT (pid $pid) in $(since "$t")"
}

# ---------------------------------------------------------------------------------------------
# S3Proxy
s3_ready() { curl -s -o /dev/null -m 3 "http://127.0.0.1:$S3_PORT/"; }

up_s3() {
	local dir="$STATE/s3" pid t jh
	t="$(now)"
	fetch_s3
	pid="$(read_pid "$dir/pid")"
	if [[ -n "$pid" ]] && s3_ready; then
		log "s3 already running (pid $pid, port $S3_PORT)"
		return 0
	fi
	if [[ -z "$pid" ]]; then
		port_open "$S3_PORT" && die "port $S3_PORT is used by another process (set S3_PORT)"
		mkdir -p "$dir/data"
		cat >"$dir/s3proxy.conf" <<EOF
s3proxy.endpoint=http://127.0.0.1:$S3_PORT
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$S3_ACCESS_KEY
s3proxy.credential=$S3_SECRET_KEY
jclouds.provider=filesystem
jclouds.filesystem.basedir=$dir/data
EOF
		jh="$(java_home)"
		setsid "$jh/bin/java" "-Xms64m" "-Xmx$S3_HEAP" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
			-jar "$S3_DIR/s3proxy-$S3PROXY_VERSION-jar-with-dependencies.jar" \
			--properties "$dir/s3proxy.conf" >>"$dir/s3proxy.log" 2>&1 </dev/null 9>&- &
		pid=$!
		echo "$pid" >"$dir/pid"
	fi
	WATCH_PID="$pid" wait_until "$READY_TIMEOUT" s3 s3_ready || {
		tail -n 30 "$dir/s3proxy.log" >&2
		die "s3proxy did not start (log: $dir/s3proxy.log)"
	}
	log "s3 ready on http://127.0.0.1:$S3_PORT (pid $pid) in $(since "$t")"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL (Debian's postgresql package: `apt-get install postgresql`, done by .ci/run)
pg_bin() {
	local dir
	dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
	[[ -n "$dir" && -x "$dir/postgres" ]] || die "PostgreSQL is not installed: apt-get install postgresql"
	echo "$dir"
}

pg_ready() { "$(pg_bin)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 2; }

up_postgres() {
	local dir="$STATE/postgres" bin pid t as_user=()
	t="$(now)"
	bin="$(pg_bin)"
	pid="$(read_pid "$dir/pid")"
	if [[ -n "$pid" ]] && pg_ready; then
		log "postgres already running (pid $pid, port $PG_PORT)"
		return 0
	fi
	if [[ -z "$pid" ]]; then
		port_open "$PG_PORT" && die "port $PG_PORT is used by another process (set PG_PORT)"
		mkdir -p "$dir/run"
		if [[ "$(id -u)" == 0 ]]; then
			if ! id "$PG_OS_USER" >/dev/null 2>&1; then
				log "creating system user $PG_OS_USER (PostgreSQL refuses to run as root)"
				useradd --system --no-create-home --shell /usr/sbin/nologin "$PG_OS_USER"
			fi
			chown -R "$PG_OS_USER:" "$dir"
			as_user=(runuser -u "$PG_OS_USER" --)
			runuser -u "$PG_OS_USER" -- test -w "$dir" ||
				die "user $PG_OS_USER cannot write $dir: put the state in a world-traversable folder (KESTRA_INFRA_STATE)"
		fi
		if [[ ! -f "$dir/data/PG_VERSION" ]]; then
			rm -rf "$dir/data"
			printf '%s\n' "$PG_PASSWORD" >"$dir/pwfile"
			[[ "$(id -u)" != 0 ]] || chown "$PG_OS_USER:" "$dir/pwfile"
			"${as_user[@]}" "$bin/initdb" -D "$dir/data" -U "$PG_USER" --pwfile="$dir/pwfile" \
				--auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
				>>"$dir/initdb.log" 2>&1 || {
				tail -n 20 "$dir/initdb.log" >&2
				die "initdb failed (log: $dir/initdb.log)"
			}
			rm -f "$dir/pwfile"
		fi
		rm -f "$dir/pid"
		setsid "${as_user[@]}" "$bin/postgres" -D "$dir/data" -p "$PG_PORT" -k "$dir/run" \
			-c listen_addresses=127.0.0.1 -c max_connections=200 -c shared_buffers=64MB -c fsync=off \
			-c synchronous_commit=off -c full_page_writes=off \
			>>"$dir/postgres.log" 2>&1 </dev/null 9>&- &
		wait_until 30 postgres test -s "$dir/data/postmaster.pid" || die "postgres did not start (log: $dir/postgres.log)"
		head -n 1 "$dir/data/postmaster.pid" >"$dir/pid"
		pid="$(read_pid "$dir/pid")"
		[[ -n "$pid" ]] || { tail -n 20 "$dir/postgres.log" >&2; die "postgres exited (log: $dir/postgres.log)"; }
	fi
	WATCH_PID="$pid" wait_until "$READY_TIMEOUT" postgres pg_ready || {
		tail -n 30 "$dir/postgres.log" >&2
		die "postgres not ready (log: $dir/postgres.log)"
	}
	log "postgres ready on 127.0.0.1:$PG_PORT (pid $pid, user $PG_USER) in $(since "$t")"
}

# ---------------------------------------------------------------------------------------------
write_env() {
	mkdir -p "$STATE"
	cat >"$STATE/env" <<EOF
export KESTRA_TEST_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT
export KESTRA_TEST_KAFKA_CLUSTER_BOOTSTRAP=127.0.0.1:${CLUSTER_PORTS[0]},127.0.0.1:${CLUSTER_PORTS[1]},127.0.0.1:${CLUSTER_PORTS[2]}
export KESTRA_TEST_ES_URL=http://127.0.0.1:$ES_PORT
export KESTRA_TEST_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export KESTRA_TEST_S3_ACCESS_KEY=$S3_ACCESS_KEY
export KESTRA_TEST_S3_SECRET_KEY=$S3_SECRET_KEY
export KESTRA_TEST_PG_URL=jdbc:postgresql://127.0.0.1:$PG_PORT/postgres
export KESTRA_TEST_PG_USER=$PG_USER
export KESTRA_TEST_PG_PASSWORD=$PG_PASSWORD
export KESTRA_INFRA_STATE=$STATE
# the ports infra.sh used (so a later deploy/infra.sh call, e.g. a test restarting a broker, agrees)
export KAFKA_PORT=$KAFKA_PORT KAFKA_CONTROLLER_PORT=$KAFKA_CONTROLLER_PORT
export ES_PORT=$ES_PORT ES_TRANSPORT_PORT=$ES_TRANSPORT_PORT S3_PORT=$S3_PORT PG_PORT=$PG_PORT
export KAFKA_CLUSTER_PORTS="${CLUSTER_PORTS[*]}" KAFKA_CLUSTER_CONTROLLER_PORTS="${CLUSTER_CONTROLLER_PORTS[*]}"
EOF
}

# pidfile NAME -> the pid file of a service (kafka-cluster-N for brokers)
pidfile() {
	case "$1" in
	kafka) echo "$STATE/kafka/pid" ;;
	es) echo "$STATE/es/pid" ;;
	s3) echo "$STATE/s3/pid" ;;
	postgres) echo "$STATE/postgres/pid" ;;
	kafka-cluster-[123]) echo "$STATE/kafka-cluster/broker-${1##*-}/pid" ;;
	*) die "unknown service $1" ;;
	esac
}

expand_services() {
	local s
	for s in "$@"; do
		case "$s" in
		kafka-cluster) echo kafka-cluster-1 kafka-cluster-2 kafka-cluster-3 ;;
		all) echo kafka es s3 postgres kafka-cluster-1 kafka-cluster-2 kafka-cluster-3 ;;
		elasticsearch) echo es ;;
		postgresql | pg) echo postgres ;;
		*) echo "$s" ;;
		esac
	done
}

cmd_up() {
	local brokers=1 services=() s t
	while (($#)); do
		case "$1" in
		--kafka-brokers)
			brokers="${2:?--kafka-brokers needs 1 or 3}"
			shift 2
			;;
		--kafka-brokers=*)
			brokers="${1#*=}"
			shift
			;;
		-h | --help) usage ;;
		*)
			services+=("$1")
			shift
			;;
		esac
	done
	case "$brokers" in
	1) ((${#services[@]})) || services=(kafka es s3 postgres) ;;
	3) services+=(kafka-cluster) ;;
	*) die "--kafka-brokers must be 1 or 3" ;;
	esac
	t="$(now)"
	mkdir -p "$CACHE" "$STATE"
	write_env
	for s in "${services[@]}"; do
		case "$s" in
		kafka) up_kafka ;;
		kafka-cluster) up_kafka_cluster ;;
		es | elasticsearch) up_es ;;
		s3) up_s3 ;;
		postgres | postgresql | pg) up_postgres ;;
		*) die "unknown service $s (kafka, es, s3, postgres, kafka-cluster)" ;;
		esac
	done
	log "up (${services[*]}) done in $(since "$t"); env: $STATE/env"
	cat "$STATE/env"
}

cmd_down() {
	local s pid f rc=0 t running=()
	t="$(now)"
	# shellcheck disable=SC2046
	set -- $(expand_services "${@:-all}")
	for s in "$@"; do
		pid="$(read_pid "$(pidfile "$s")")"
		[[ -z "$pid" ]] || running+=("$s=$pid")
		# SIGINT is PostgreSQL's fast shutdown (SIGTERM would wait for every client to disconnect)
		[[ "$s" != postgres || -z "$pid" ]] || kill -INT "$pid" 2>/dev/null || true
	done
	if ((${#running[@]})); then stop_pids "${running[@]}" || rc=1; fi
	for s in "$@"; do
		f="$(pidfile "$s")"
		[[ -n "$(read_pid "$f")" ]] || rm -f "$f"
	done
	log "down done in $(since "$t")"
	return "$rc"
}

service_port() {
	case "$1" in
	kafka) echo "$KAFKA_PORT" ;;
	es) echo "$ES_PORT" ;;
	s3) echo "$S3_PORT" ;;
	postgres) echo "$PG_PORT" ;;
	kafka-cluster-[123]) echo "${CLUSTER_PORTS[$((${1##*-} - 1))]}" ;;
	esac
}

cmd_status() {
	local s pid port state rss any=1
	printf '%-16s %-8s %-6s %-10s %s\n' SERVICE PID PORT RSS_MB STATE
	for s in $(expand_services all); do
		pid="$(read_pid "$(pidfile "$s")")"
		port="$(service_port "$s")"
		if [[ -n "$pid" ]]; then
			rss="$(ps -o rss= -p "$pid" | awk '{ printf "%.0f", $1 / 1024 }')"
			if port_open "$port"; then state=up; else state="running, port closed"; fi
			any=0
		else
			rss=-
			if port_open "$port"; then state="stopped (port used by another process)"; else state=stopped; fi
			pid=-
		fi
		printf '%-16s %-8s %-6s %-10s %s\n' "$s" "$pid" "$port" "$rss" "$state"
	done
	return "$any"
}

cmd_logs() {
	local s="${1:-all}" n="${2:-40}" f
	for s in $(expand_services "$s"); do
		case "$s" in
		kafka) f="$STATE/kafka/server.log" ;;
		es) f="$STATE/es/logs/kestra-stream-test.log" ;;
		s3) f="$STATE/s3/s3proxy.log" ;;
		postgres) f="$STATE/postgres/postgres.log" ;;
		kafka-cluster-[123]) f="$STATE/kafka-cluster/broker-${s##*-}/server.log" ;;
		*) die "unknown service $s" ;;
		esac
		[[ -f "$f" ]] || continue
		printf '==> %s (%s) <==\n' "$s" "$f"
		tail -n "$n" "$f"
	done
}

usage() {
	sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit 2
}

# one up/down at a time per state folder (two shells, or a test restarting a broker)
lock_state() {
	mkdir -p "$STATE"
	exec 9>"$STATE/.lock"
	flock -w 600 9 || die "another deploy/infra.sh holds $STATE/.lock"
}

main() {
	local cmd="${1:-}"
	(($#)) && shift
	case "$cmd" in
	up | down) lock_state ;;
	esac
	case "$cmd" in
	up) cmd_up "$@" ;;
	down) cmd_down "$@" ;;
	status) cmd_status ;;
	logs) cmd_logs "$@" ;;
	env)
		[[ -f "$STATE/env" ]] || write_env
		cat "$STATE/env"
		;;
	*) usage ;;
	esac
}

main "$@"
