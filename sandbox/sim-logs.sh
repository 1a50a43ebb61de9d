# Writes the log files that simulated containers return (sourced by kwok.sh).
# kwok reads them like a kubelet reads container logs: CRI format,
# "<RFC 3339 time> <stream> F <line>". Times end at the moment of writing.
# shellcheck shell=bash

# sim_log FILE STEP_SECONDS: turn "stream|line" records on stdin into FILE.
sim_log() {
	local file=$1 step=$2 now i=0 stream line n
	local -a recs=()
	mapfile -t recs
	n=${#recs[@]}
	now=$(printf '%(%s)T' -1)
	: >"$file"
	for ((i = 0; i < n; i++)); do
		stream=${recs[$i]%%|*}
		line=${recs[$i]#*|}
		TZ=UTC printf '%(%Y-%m-%dT%H:%M:%S)T.%09dZ %s F %s\n' \
			"$((now - (n - i) * step))" "$((i * 7919 % 1000000000))" "$stream" "$line" >>"$file"
	done
}

# kafka: log4j lines as a broker writes them.
sim_kafka_log() {
	local i
	{
		echo "stdout|[kafka] INFO Registered kafka:type=kafka.Log4jController MBean (kafka.utils.Log4jControllerRegistration\$)"
		echo "stdout|[kafka] INFO Starting (kafka.server.KafkaServer)"
		echo "stdout|[kafka] INFO Connecting to zookeeper on zookeeper-headless:2181 (kafka.server.KafkaServer)"
		echo "stdout|[kafka] INFO [ZooKeeperClient Kafka server] Connected. (kafka.zookeeper.ZooKeeperClient)"
		echo "stdout|[kafka] INFO Cluster ID = 7Qb1pYvFRrSx2uS0bHc5Lg (kafka.server.KafkaServer)"
		echo "stdout|[kafka] INFO [KafkaServer id=0] started (kafka.server.KafkaServer)"
		for ((i = 1; i <= 30; i++)); do
			case $((i % 10)) in
			3) echo "stdout|[kafka] WARN [ReplicaFetcher replicaId=0, leaderId=2, fetcherId=0] Error in response for fetch request (type=FetchRequest, replicaId=0, maxWait=500, minBytes=1) (kafka.server.ReplicaFetcherThread)" ;;
			7) echo "stdout|[kafka] INFO [GroupCoordinator 0]: Preparing to rebalance group orders-consumers in state PreparingRebalance with old generation $i (kafka.coordinator.group.GroupCoordinator)" ;;
			9) echo "stderr|[kafka] ERROR [Controller id=0] Error completing reassignment of partition orders-$((i % 6)) (kafka.controller.KafkaController)" ;;
			*) echo "stdout|[kafka] INFO [Log partition=orders-$((i % 6)), dir=/var/lib/kafka/data] Rolled new log segment at offset $((i * 48211)) in 3 ms. (kafka.log.Log)" ;;
			esac
		done
		echo "stdout|[kafka] DEBUG [SocketServer listenerType=ZK_BROKER, nodeId=0] Accepted connection from /127.1.0.9:52110 (kafka.network.Processor)"
		echo "stdout|[kafka] INFO [KafkaApi-0] Auto creation of topic audit with 6 partitions and replication factor 3 is successful (kafka.server.DefaultAutoTopicCreationManager)"
	} | sim_log "$1" 11
}

sim_zookeeper_log() {
	local i
	{
		echo "stdout|[myid:1] - INFO  [main:o.a.z.s.q.QuorumPeerConfig@177] - Reading configuration from: /conf/zoo.cfg"
		echo "stdout|[myid:1] - INFO  [main:o.a.z.s.q.QuorumPeerMain@152] - Starting quorum peer"
		echo "stdout|[myid:1] - INFO  [QuorumPeer[myid=1](plain=0.0.0.0:2181)(secure=disabled):o.a.z.s.q.Leader@584] - LEADING - LEADER ELECTION TOOK - 211 MS"
		for ((i = 1; i <= 20; i++)); do
			case $((i % 8)) in
			5) echo "stdout|[myid:1] - WARN  [NIOWorkerThread-2:o.a.z.s.NIOServerCnxn@373] - Close of session 0x1000$i cnxn 127.1.0.$i:41$i due to java.io.IOException: ZooKeeperServer not running" ;;
			*) echo "stdout|[myid:1] - INFO  [SyncThread:1:o.a.z.s.p.FileTxnLog@284] - Creating new log file: log.$((i * 4096))" ;;
			esac
		done
	} | sim_log "$1" 17
}

# memcached: verbose connection lines; its exporter sidecar logs JSON.
sim_memcached_log() {
	local i
	{
		echo "stdout|slab class   1: chunk size        96 perslab   10922"
		echo "stdout|slab class   2: chunk size       120 perslab    8738"
		echo "stdout|<26 server listening (auto-negotiate)"
		for ((i = 1; i <= 25; i++)); do
			case $((i % 9)) in
			4) echo "stderr|Too many open connections" ;;
			*) echo "stdout|<$((27 + i)) new auto-negotiating client connection" ;;
			esac
		done
	} | sim_log "$1" 13
}

sim_exporter_log() {
	{
		echo 'stdout|{"level":"info","ts":"startup","caller":"main.go:74","msg":"Starting memcached_exporter","version":"0.14.4"}'
		echo 'stdout|{"level":"info","caller":"main.go:156","msg":"Listening on address","address":":9150"}'
		echo 'stdout|{"level":"info","caller":"tls_config.go:313","msg":"TLS is disabled.","http2":false}'
		echo 'stdout|{"level":"error","caller":"main.go:112","msg":"Failed to collect stats from memcached","err":"read tcp 127.0.0.1:11211: i/o timeout"}'
		echo 'stdout|{"level":"warn","caller":"main.go:118","msg":"Scrape took longer than expected","duration_seconds":1.73}'
	} | sim_log "$1" 29
}

# Any other container: a few generic lines with levels and one JSON line.
sim_default_log() {
	local i lvl
	{
		for ((i = 1; i <= 40; i++)); do
			case $((i % 7)) in 0) lvl=WARN ;; 3) lvl=DEBUG ;; *) lvl=INFO ;; esac
			echo "stdout|$lvl sandbox container line $i"
		done
		echo 'stdout|{"level":"error","msg":"simulated error line","component":"sandbox"}'
		echo "stderr|WARN simulated line on stderr"
	} | sim_log "$1" 5
}

sim_previous_log() {
	{
		echo "stdout|INFO previous container started"
		echo "stderr|ERROR previous container exited: simulated crash (exit code 1)"
	} | sim_log "$1" 3
}

# ------------------------------------------------------------------ tests
# Files that tests/cluster_logs.rs reads through containers named logtest,
# logesc and logbulk (kwok.sh).

# sim_cri_line STREAM TEXT: one CRI record stamped now (tests append the same way).
sim_cri_line() {
	printf '%s %s F %s\n' "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" "$1" "$2"
}

# logtest: tests append lines to it and watch them arrive; kept across
# restarts (a rewrite would confuse the streams that follow it).
sim_logtest_log() {
	[ -f "$1" ] || sim_cri_line stdout "logtest started" >"$1"
	chmod 0644 "$1"
}

# Control characters and escape sequences a hostile container could print:
# colours, a window title, a cursor move, a bell, a backspace, a tab, DEL.
sim_escape_log() {
	{
		printf 'stdout|%s\n' 'plain line before escapes' \
			"$(printf 'ESCAPE-TEST \033[31mred\033[0m title\033]0;pwned\007 home\033[H bell\007 back\010space tab\there del\177')"
	} | sim_log "$1" 2
}

# A big file for measuring throughput: $2 lines over $2/1000 seconds, in
# time order, ending a few minutes ago (one day: no midnight inside).
sim_bulk_log() {
	local file=$1 n=$2 now base day sod
	now=$(printf '%(%s)T' -1)
	base=$((now - n / 1000 - 120))
	sod=$((base % 86400))
	if ((sod + n / 1000 + 1 >= 86400)); then
		# It would cross midnight: end just before it instead.
		base=$((base - sod + 86400 - n / 1000 - 2))
		sod=$((base % 86400))
	fi
	day=$(TZ=UTC printf '%(%Y-%m-%d)T' "$base")
	awk -v n="$n" -v day="$day" -v sod="$sod" 'BEGIN {
		for (i = 0; i < n; i++) {
			t = sod + int(i / 1000)
			printf "%sT%02d:%02d:%02d.%03d000000Z stdout F bulk line %d of %d: INFO [worker-%d] processed request id=%08x in %d ms\n",
				day, int(t / 3600), int(t / 60) % 60, t % 60, i % 1000, i + 1, n, i % 8, i * 2654435761 % 4294967296, i % 97
		}
	}' >"$file"
}

# LogConfig files (examples/kafka/config/*-logs.yaml): the samples point
# their paths into $1 (exec runs on this machine, where /opt/kafka is not),
# so these are what `kubectl exec` finds. gc.out and controller.log are
# covered by the directory entry; server.log.1 (rotated) is not.
sim_logconfig_files() {
	local root=$1 kafka=$1/opt/kafka/logs zk=$1/opt/zookeeper/logs t
	mkdir -p "$kafka" "$zk"
	t=$(date -u '+%Y-%m-%d %H:%M:%S')
	cat >"$kafka/server.log" <<LOG
[$t,101] INFO Registered kafka:type=kafka.Log4jController MBean (kafka.utils.Log4jControllerRegistration\$)
[$t,380] INFO starting (kafka.server.KafkaServer)
[$t,512] INFO [KafkaServer id=0] started (kafka.server.KafkaServer)
[$t,904] WARN [ReplicaFetcher replicaId=0, leaderId=2, fetcherId=0] Error in response for fetch request (kafka.server.ReplicaFetcherThread)
LOG
	cat >"$kafka/controller.log" <<LOG
[$t,230] INFO [Controller id=0] 0 successfully elected as the controller (kafka.controller.KafkaController)
[$t,611] INFO [Controller id=0] Partitions undergoing preferred replica election:  (kafka.controller.KafkaController)
LOG
	cat >"$kafka/gc.out" <<LOG
[0.012s][info][gc] Using G1
[3.481s][info][gc] GC(0) Pause Young (Normal) (G1 Evacuation Pause) 23M->4M(256M) 6.120ms
LOG
	cat >"$kafka/server.log.1" <<LOG
[$t,001] INFO rotated log segment (kafka.log.LogManager)
LOG
	cat >"$zk/zookeeper.log" <<LOG
$t,044 [myid:1] - INFO  [main:o.a.z.s.q.QuorumPeerMain@152] - Starting quorum peer
$t,310 [myid:1] - INFO  [QuorumPeer[myid=1]:o.a.z.s.q.Leader@584] - LEADING - LEADER ELECTION TOOK - 211 MS
LOG
	# exec runs as nobody.
	chmod -R a+rX "$root"
}
