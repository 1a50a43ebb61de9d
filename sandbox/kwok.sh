# KWOK's configuration and start (sourced by up and kwok-restart, after lib.sh).
# shellcheck shell=bash
# shellcheck source=sandbox/sim-logs.sh
source "$SANDBOX_DIR/sim-logs.sh"

# The configuration KWOK reads: its options, the lifecycle stages shipped in
# its module, and what it simulates (logs, exec, resource usage, metrics).
write_kwok_config() {
	local sim=$RUN_DIR/sim
	mkdir -p "$sim/exec"
	# What simulated containers log, chosen by container name (sim-logs.sh).
	sim_kafka_log "$sim/kafka.log"
	sim_zookeeper_log "$sim/zookeeper.log"
	sim_memcached_log "$sim/memcached.log"
	sim_exporter_log "$sim/exporter.log"
	sim_default_log "$sim/current.log"
	sim_previous_log "$sim/previous.log"
	# For tests/cluster_logs.rs, and the files the samples' LogConfigs name.
	sim_logtest_log "$sim/logtest.log"
	sim_escape_log "$sim/escape.log"
	sim_bulk_log "$sim/bulk.log" 500000
	# bench/logs appends to it while it measures a live stream.
	[ -f "$sim/stream.log" ] || : >"$sim/stream.log"
	chmod 0644 "$sim/stream.log"
	sim_logconfig_files "$sim/files"

	local f
	{
		cat <<EOF
apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  cidr: 127.1.0.0/16
  nodeIP: 127.0.0.1
  nodeLeaseDurationSeconds: 40
  # A configuration file replaces kwok's defaults wholesale; restate them.
  podPlayStageParallelism: 4
  nodePlayStageParallelism: 4
  nodeLeaseParallelism: 4
  podsOnNodeSyncParallelism: 1
  enablePodsOnNodeSyncListPager: true
  enablePodsOnNodeSyncStreamWatch: false
  enableDebuggingHandlers: true
  enableContentionProfiling: false
  enableProfilingHandler: false
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterLogs
metadata:
  name: sandbox-logs
spec:
  logs:
  - containers: [kafka]
    logsFile: $sim/kafka.log
    previousLogsFile: $sim/previous.log
    follow: true
  - containers: [zookeeper]
    logsFile: $sim/zookeeper.log
    previousLogsFile: $sim/previous.log
    follow: true
  - containers: [memcached]
    logsFile: $sim/memcached.log
    previousLogsFile: $sim/previous.log
    follow: true
  - containers: [metrics]
    logsFile: $sim/exporter.log
    previousLogsFile: $sim/previous.log
    follow: true
  # Test-controlled containers (tests/cluster_logs.rs): logtest follows a
  # file the tests append to, logesc prints escape sequences, logbulk has
  # 500,000 lines for measuring throughput.
  - containers: [logtest]
    logsFile: $sim/logtest.log
    previousLogsFile: $sim/previous.log
    follow: true
  - containers: [logesc, edge-proxy]
    logsFile: $sim/escape.log
    previousLogsFile: $sim/previous.log
    follow: true
  - containers: [logbulk]
    logsFile: $sim/bulk.log
    previousLogsFile: $sim/previous.log
    follow: true
  - containers: [logstream]
    logsFile: $sim/stream.log
    previousLogsFile: $sim/previous.log
    follow: true
  - logsFile: $sim/current.log
    previousLogsFile: $sim/previous.log
    follow: true
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterExec
metadata:
  name: sandbox-default-exec
spec:
  execs:
  - local:
      workDir: $sim/exec
      securityContext:
        runAsUser: 65534
        runAsGroup: 65534
---
# The Kafka brokers' metrics exporter on port 9308 (sim-exporter), for the
# sample namespaces only: a pod elsewhere has no exporter, as when a real
# exporter is down. kwok takes the first ClusterPortForward that matches a
# pod, so the first one names the brokers that are the active controller.
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterPortForward
metadata:
  name: sandbox-exporter-controller
spec:
  selector:
    matchNamespaces: [team-a, team-b]
    matchNames: [orders-0, payments-0, audit-log-0, clickstream-0, legacy-events-0]
  forwards:
  - ports: [9308]
    command: [bash, $SANDBOX_DIR/sim-exporter, controller]
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterPortForward
metadata:
  name: sandbox-exporter
spec:
  selector:
    matchNamespaces: [team-a, team-b]
  forwards:
  - ports: [9308]
    command: [bash, $SANDBOX_DIR/sim-exporter, broker]
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: ClusterResourceUsage
metadata:
  name: usage-from-annotation
spec:
  usages:
  - usage:
      cpu:
        expression: |
          "kwok.x-k8s.io/usage-cpu" in pod.metadata.annotations
          ? Quantity(pod.metadata.annotations["kwok.x-k8s.io/usage-cpu"])
          : Quantity("5m")
      memory:
        expression: |
          "kwok.x-k8s.io/usage-memory" in pod.metadata.annotations
          ? Quantity(pod.metadata.annotations["kwok.x-k8s.io/usage-memory"])
          : Quantity("16Mi")
EOF
		printf -- '---\n'
		cat "$SANDBOX_DIR/kwok/faults.yaml"
		for f in "$(kwok_dir)"/stage/*.yaml; do
			printf -- '---\n'
			# Two changes to kwok's kubelet metrics: a container's start time
			# is its creation time (kwok gives its age; metrics-server needs a
			# stable time), and a node uses 100m CPU and 512Mi for the system
			# on top of its pods, as real nodes do (metrics-server ignores a
			# node that reports zero, so an idle node would have no metrics).
			# A pod with a simulated fault (kwok/faults.yaml: by annotation,
			# or an image ending in /kafka:3.8.0) must not be started
			# normally by the stock pod-ready stage.
			sed -e "s/value: 'pod.SinceSecond()'/value: 'UnixSecond(pod.metadata.creationTimestamp)'/" \
				-e "/^  name: pod-ready$/,/matchExpressions:/s/^    matchExpressions:$/    matchExpressions:\n    - key: '.metadata.annotations[\"sandbox.osctui.dev\/fault\"]'\n      operator: 'DoesNotExist'\n    - key: '[.spec.containers[].image | endswith(\"\/kafka:3.8.0\")] | any'\n      operator: 'NotIn'\n      values: ['true']/" \
				-e "s/value: 'node.CumulativeUsage(\"cpu\")'/value: 'node.CumulativeUsage(\"cpu\") + node.SinceSecond() * 0.1'/" \
				-e "s/value: 'node.Usage(\"memory\")'/value: 'node.Usage(\"memory\") + 536870912.0'/" "$f"
		done
	} >"$RUN_DIR/kwok.yaml"
}

# start_kwok: run kwok on $KWOK_PORT with the configuration written above.
start_kwok() {
	start kwok "$(bin_kwok)" \
		--kubeconfig="$RUN_DIR/kwok.kubeconfig" \
		--config="$RUN_DIR/kwok.yaml" \
		--manage-all-nodes=true \
		--node-ip=127.0.0.1 --node-name=localhost --node-port="$KWOK_PORT" \
		--server-address="127.0.0.1:$KWOK_PORT" \
		--tls-cert-file="$PKI_DIR/kwok-serving.crt" --tls-private-key-file="$PKI_DIR/kwok-serving.key"
}
