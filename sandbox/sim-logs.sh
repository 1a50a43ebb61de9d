# Writes the log files that simulated containers return (sourced by up).
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
