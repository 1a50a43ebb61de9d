# Shared by sandbox/up, sandbox/down, sandbox/status and sandbox/build.
# shellcheck shell=bash

SANDBOX_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Versions. Changing one changes its cache key, so the next `up` rebuilds it.
K8S_VERSION=v1.36.3
KWOK_VERSION=v0.8.0
METRICS_SERVER_VERSION=v0.8.0
HELM_VERSION=v3.22.0
GO_MIN_MINOR=26 # Go 1.26 or newer: what k8s.io/kubernetes v1.36 and kwok v0.8 declare

# Built binaries live outside git, keyed by version, shared by every clone.
CACHE_DIR=${OSCTUI_SANDBOX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/osctui-sandbox}
# The running sandbox of this checkout: certificates, data, pids, logs, kubeconfig.
RUN_DIR=${OSCTUI_SANDBOX_RUN:-$SANDBOX_DIR/.run}
PID_DIR=$RUN_DIR/pids
LOG_DIR=$RUN_DIR/logs
PKI_DIR=$RUN_DIR/pki
KUBECONFIG_FILE=$RUN_DIR/kubeconfig

# The order processes start in; `down` stops them in reverse.
COMPONENTS=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok metrics-server)
# Started by sandbox/samples on top of a running sandbox; stopped first.
SAMPLE_COMPONENTS=(kafka-operator)

# What each simulated node offers (sandbox/up; bench/seed raises a running
# older sandbox's nodes to it). Far more than the sample workloads need, so
# that pods bound directly to the nodes for benchmarks (bench/seed: 10,000
# and more, 1m CPU each) never leave the scheduler without room for others.
NODE_CAPACITY='{"cpu": "64", "memory": "256Gi", "pods": "100000", "ephemeral-storage": "200Gi"}'

say() { printf 'sandbox: %s\n' "$*" >&2; }
die() {
	printf 'sandbox: error: %s\n' "$*" >&2
	exit 1
}

# ---------------------------------------------------------------- cache keys

controlplane_key() {
	# The wrapper module's sources decide what gets built, so they are the key.
	local sum
	sum=$(cat "$SANDBOX_DIR"/controlplane/go.mod "$SANDBOX_DIR"/controlplane/go.sum \
		"$SANDBOX_DIR"/controlplane/*.go | sha256sum | cut -c1-12)
	printf 'controlplane-%s-%s' "$K8S_VERSION" "$sum"
}
controlplane_dir() { printf '%s/%s' "$CACHE_DIR" "$(controlplane_key)"; }
kwok_dir() { printf '%s/kwok-%s' "$CACHE_DIR" "$KWOK_VERSION"; }
metrics_server_dir() { printf '%s/metrics-server-%s' "$CACHE_DIR" "$METRICS_SERVER_VERSION"; }
helm_dir() { printf '%s/helm-%s' "$CACHE_DIR" "$HELM_VERSION"; }

# Paths of the binaries, once built.
bin_k8s() { printf '%s/osctui-k8s' "$(controlplane_dir)"; }
bin_kwok() { printf '%s/kwok' "$(kwok_dir)"; }
bin_metrics_server() { printf '%s/metrics-server' "$(metrics_server_dir)"; }
bin_helm() { printf '%s/helm' "$(helm_dir)"; }

all_built() {
	local d
	for d in "$(controlplane_dir)" "$(kwok_dir)" "$(metrics_server_dir)" "$(helm_dir)"; do
		[ -f "$d/.complete" ] || return 1
	done
}

# -------------------------------------------------------------------- checks

require_go() {
	command -v go >/dev/null 2>&1 ||
		die "Go is not installed; building the sandbox needs Go 1.$GO_MIN_MINOR or newer (https://go.dev/doc/install, or your package manager)."
	local v minor
	v=$(go env GOVERSION 2>/dev/null) || die "'go env GOVERSION' failed; is Go installed correctly?"
	# go1.26.8 -> 26 ; devel versions pass.
	case "$v" in
	go1.*)
		minor=${v#go1.}
		minor=${minor%%.*}
		minor=${minor%%[!0-9]*}
		[ "${minor:-0}" -ge "$GO_MIN_MINOR" ] ||
			die "Go $v is too old; the sandbox needs Go 1.$GO_MIN_MINOR or newer (k8s.io/kubernetes $K8S_VERSION declares go 1.$GO_MIN_MINOR)."
		;;
	esac
}

require_cmd() {
	command -v "$1" >/dev/null 2>&1 || die "'$1' is needed: $2"
}

# ---------------------------------------------------------------- processes

pid_file() { printf '%s/%s.pid' "$PID_DIR" "$1"; }
log_file() { printf '%s/%s.log' "$LOG_DIR" "$1"; }

# pid_of NAME: the pid recorded for NAME if that process is still alive and is
# the one we started (same start time as recorded), else nothing.
pid_of() {
	local f pid start now
	f=$(pid_file "$1")
	[ -f "$f" ] || return 1
	read -r pid start <"$f" || return 1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
	now=$(proc_start "$pid") || return 1
	[ "$now" = "$start" ] || return 1
	printf '%s' "$pid"
}

# Kernel start time of a process (field 22 of /proc/PID/stat), to tell our
# process from an unrelated one that reused its pid.
proc_start() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086
	set -- $stat
	printf '%s' "${20}"
}

# start NAME CMD...: run in the background in a new session (so a terminal
# hang-up does not reach it), log to its file, record its pid.
start() {
	local name=$1
	shift
	local log
	log=$(log_file "$name")
	printf '\n===== %s starting %s\n' "$(date -u +%FT%TZ)" "$name" >>"$log"
	# Close the lock descriptors (8, 9) so a daemon never holds up's lock.
	setsid "$@" >>"$log" 2>&1 </dev/null 8>&- 9>&- &
	local pid=$!
	printf '%s %s\n' "$pid" "$(proc_start "$pid")" >"$(pid_file "$name")"
}

# stop NAME: TERM, wait up to 10 s, then KILL. Only the pid we recorded.
stop() {
	local name=$1 pid i
	if pid=$(pid_of "$name"); then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -0 "$pid" 2>/dev/null; then
			say "$name (pid $pid) did not stop within 10s of TERM; killing it"
			kill -KILL "$pid" 2>/dev/null || true
			# Wait until it is really gone, so its ports are free again.
			for ((i = 0; i < 50; i++)); do
				kill -0 "$pid" 2>/dev/null || break
				sleep 0.1
			done
		fi
		say "stopped $name (pid $pid)"
	elif [ -f "$(pid_file "$name")" ]; then
		say "$name was not running (stale pid file removed)"
	fi
	rm -f "$(pid_file "$name")"
}

# died NAME: the process is gone; show why and fail.
died() {
	local name=$1
	say "$name exited during start-up. Last lines of $(log_file "$name"):"
	tail -n 25 "$(log_file "$name")" >&2
	die "$name failed to start (full log: $(log_file "$name"))"
}

# ------------------------------------------------------------------- PKI
# Here rather than in `up` so that `samples` can make the users' kubeconfigs
# (make_user_kubeconfigs) for a sandbox that `up` started earlier.

# cert NAME CN ORG SANS CA: an ECDSA key and a certificate signed by CA
# (self-signed when CA is "self"). SANS like "IP:127.0.0.1,DNS:localhost".
cert() {
	local name=$1 cn=$2 org=$3 sans=$4 ca=$5 subj ext
	[ -f "$PKI_DIR/$name.crt" ] && return 0
	subj="/CN=$cn"
	[ -n "$org" ] && subj="/O=$org$subj"
	openssl ecparam -name prime256v1 -genkey -noout -out "$PKI_DIR/$name.key" 2>/dev/null
	if [ "$ca" = self ]; then
		openssl req -x509 -new -key "$PKI_DIR/$name.key" -subj "$subj" -days 3650 \
			-addext "basicConstraints=critical,CA:TRUE" \
			-addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" \
			-out "$PKI_DIR/$name.crt" 2>/dev/null
	else
		ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth,clientAuth"
		[ -n "$sans" ] && ext="$ext
subjectAltName=$sans"
		openssl req -new -key "$PKI_DIR/$name.key" -subj "$subj" -out "$PKI_DIR/$name.csr" 2>/dev/null
		openssl x509 -req -in "$PKI_DIR/$name.csr" -CA "$PKI_DIR/$ca.crt" -CAkey "$PKI_DIR/$ca.key" \
			-CAcreateserial -days 3650 -extfile <(printf '%s\n' "$ext") \
			-out "$PKI_DIR/$name.crt" 2>/dev/null
		rm -f "$PKI_DIR/$name.csr"
	fi
}

# kubeconfig FILE USER-CERT: a self-contained kubeconfig for one identity.
kubeconfig() {
	local file=$1 who=$2
	cat >"$file.tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: osctui-sandbox
  cluster:
    server: https://127.0.0.1:$APISERVER_PORT
    certificate-authority-data: $(base64 -w0 <"$PKI_DIR/ca.crt")
users:
- name: $who
  user:
    client-certificate-data: $(base64 -w0 <"$PKI_DIR/$who.crt")
    client-key-data: $(base64 -w0 <"$PKI_DIR/$who.key")
contexts:
- name: osctui-sandbox
  context:
    cluster: osctui-sandbox
    user: $who
current-context: osctui-sandbox
EOF
	chmod 600 "$file.tmp"
	mv "$file.tmp" "$file"
}

# Identities besides the admin, for tests of permissions and of what a
# client writes (sandbox/README.md, "Users"): NAME CN ORG. `viewer` has only
# the RBAC that sandbox/samples grants it; `auditor` (CN readonly-e2e) is in
# system:masters, so everything is allowed and only the audit log shows
# whether a client wrote.
SANDBOX_USERS=("viewer viewer -" "auditor readonly-e2e system:masters")

# make_user_kubeconfigs: a client certificate (kept once made) and a
# kubeconfig $RUN_DIR/kubeconfig-NAME for each of SANDBOX_USERS. Idempotent;
# the kubeconfigs are rewritten, since the API server's port changes with
# each sandbox/up.
make_user_kubeconfigs() {
	if [ -z "${APISERVER_PORT:-}" ]; then
		# shellcheck source=/dev/null
		source "$RUN_DIR/ports.env"
	fi
	local entry name cn org
	for entry in "${SANDBOX_USERS[@]}"; do
		read -r name cn org <<<"$entry"
		[ "$org" = - ] && org=""
		cert "$name" "$cn" "$org" "" ca
		kubeconfig "$RUN_DIR/kubeconfig-$name" "$name"
	done
}

# ------------------------------------------------------------ API server

# start_apiserver: start kube-apiserver on $APISERVER_PORT against the etcd on
# $ETCD_PORT. The one list of its flags, used by sandbox/up and
# sandbox/apiserver (which restarts it with exactly the same ones).
start_apiserver() {
	write_audit_policy
	start kube-apiserver "$(controlplane_dir)/kube-apiserver" \
		--etcd-servers="http://127.0.0.1:$ETCD_PORT" \
		--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$APISERVER_PORT" \
		--tls-cert-file="$PKI_DIR/apiserver.crt" --tls-private-key-file="$PKI_DIR/apiserver.key" \
		--client-ca-file="$PKI_DIR/ca.crt" \
		--service-account-key-file="$PKI_DIR/sa.pub" \
		--service-account-signing-key-file="$PKI_DIR/sa.key" \
		--service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-cluster-ip-range=10.96.0.0/16 \
		--endpoint-reconciler-type=none \
		--authorization-mode=RBAC \
		--allow-privileged=true \
		--kubelet-client-certificate="$PKI_DIR/apiserver-kubelet-client.crt" \
		--kubelet-client-key="$PKI_DIR/apiserver-kubelet-client.key" \
		--kubelet-certificate-authority="$PKI_DIR/ca.crt" \
		--kubelet-preferred-address-types=InternalIP \
		--requestheader-client-ca-file="$PKI_DIR/front-proxy-ca.crt" \
		--requestheader-allowed-names=front-proxy-client \
		--requestheader-username-headers=X-Remote-User \
		--requestheader-group-headers=X-Remote-Group \
		--requestheader-extra-headers-prefix=X-Remote-Extra- \
		--proxy-client-cert-file="$PKI_DIR/front-proxy-client.crt" \
		--proxy-client-key-file="$PKI_DIR/front-proxy-client.key" \
		--audit-policy-file="$RUN_DIR/audit-policy.yaml" \
		--audit-log-path="$AUDIT_LOG" --audit-log-format=json \
		--audit-log-maxsize=200 --audit-log-maxbackup=2 \
		--profiling=false
}

# The API server's audit log: one JSON line per write request (create,
# update, patch, delete, deletecollection; at Metadata level, so without
# bodies), when it completed; nothing for reads. Tests count the writes of a
# user in it (osctui-testkit api_writes_by), e.g. to prove that a read-only
# client sends none. Rotated at 200 MB into apiserver-audit-<time>.log.
AUDIT_LOG=$RUN_DIR/apiserver-audit.log
write_audit_policy() {
	cat >"$RUN_DIR/audit-policy.yaml" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create, update, patch, delete, deletecollection]
- level: None
EOF
}

# start_controller_manager, start_scheduler: the same for the controllers
# (port $CONTROLLER_MANAGER_PORT) and the scheduler ($SCHEDULER_PORT).
start_controller_manager() {
	start kube-controller-manager "$(controlplane_dir)/kube-controller-manager" \
		--kubeconfig="$RUN_DIR/controller-manager.kubeconfig" \
		--authentication-kubeconfig="$RUN_DIR/controller-manager.kubeconfig" \
		--authorization-kubeconfig="$RUN_DIR/controller-manager.kubeconfig" \
		--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics \
		--bind-address=127.0.0.1 --secure-port="$CONTROLLER_MANAGER_PORT" \
		--leader-elect=false \
		--use-service-account-credentials=true \
		--enable-hostpath-provisioner=true \
		--service-account-private-key-file="$PKI_DIR/sa.key" \
		--root-ca-file="$PKI_DIR/ca.crt" \
		--cluster-signing-cert-file="$PKI_DIR/ca.crt" --cluster-signing-key-file="$PKI_DIR/ca.key" \
		--node-monitor-grace-period=60s \
		--kube-api-qps=2000 --kube-api-burst=4000
}

# kube-scheduler exits on purpose when its cache turns out inconsistent, which
# a crash of the API server in the middle of a binding can cause (a kubelet
# would restart it); sandbox/respawn restarts it the same way.
start_scheduler() {
	start kube-scheduler "$SANDBOX_DIR/respawn" "$(controlplane_dir)/kube-scheduler" \
		--kubeconfig="$RUN_DIR/scheduler.kubeconfig" \
		--authentication-kubeconfig="$RUN_DIR/scheduler.kubeconfig" \
		--authorization-kubeconfig="$RUN_DIR/scheduler.kubeconfig" \
		--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics \
		--bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" \
		--leader-elect=false \
		--kube-api-qps=2000 --kube-api-burst=4000
}

# metrics-server scrapes once as soon as it starts, then every resolution:
# started after the probe runs (and kwok's counters are warm), it can serve
# the probe's usage after its second scrape. Uses $METRICS_PORT (sandbox/up
# picks it; sandbox/metrics-server reads it from ports.env).
start_metrics_server() {
	start metrics-server "$(bin_metrics_server)" \
		--kubeconfig="$RUN_DIR/metrics-server.kubeconfig" \
		--authentication-kubeconfig="$RUN_DIR/metrics-server.kubeconfig" \
		--authorization-kubeconfig="$RUN_DIR/metrics-server.kubeconfig" \
		--bind-address=127.0.0.1 --secure-port="$METRICS_PORT" \
		--tls-cert-file="$PKI_DIR/metrics-server-serving.crt" \
		--tls-private-key-file="$PKI_DIR/metrics-server-serving.key" \
		--kubelet-use-node-status-port --kubelet-insecure-tls \
		--kubelet-preferred-address-types=InternalIP \
		--metric-resolution=10s --kubelet-request-timeout=5s
}

# wait_apiserver_ready SECONDS: until /readyz answers ok; fails at once if the
# process dies (showing its log), or after SECONDS.
wait_apiserver_ready() {
	local deadline=$((SECONDS + $1))
	until kc get --raw=/readyz >/dev/null 2>&1; do
		pid_of kube-apiserver >/dev/null || died kube-apiserver
		((SECONDS < deadline)) || die "kube-apiserver not ready after $1s (log: $(log_file kube-apiserver))"
		sleep 0.3
	done
}

# ------------------------------------------------------------------- ports

port_in_use() {
	# A TCP connect to a free loopback port is refused at once.
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

declare -A PORTS_TAKEN=()
# free_port VAR: sets VAR to a free loopback port, never one handed out
# earlier in this run. It assigns instead of printing, because `$(free_port)`
# would run in a subshell and forget PORTS_TAKEN: two components once got the
# same port. Ports are drawn below Linux's ephemeral range (32768-60999), so
# a client's outgoing connection cannot take a component's port while it is
# stopped and started again (sandbox/apiserver).
free_port() {
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 12000))
		[ -n "${PORTS_TAKEN[$p]:-}" ] && continue
		port_in_use "$p" && continue
		PORTS_TAKEN[$p]=1
		printf -v "$1" '%s' "$p"
		return 0
	done
	die "no free TCP port found on 127.0.0.1 after 200 tries"
}

# ------------------------------------------------------------------ kubectl

# The sandbox's own kubectl (same release as the API server).
kubectl_bin() { printf '%s/kubectl' "$(controlplane_dir)"; }
kc() { "$(kubectl_bin)" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

# wait_for SECONDS DESCRIPTION CMD...: retry CMD until it succeeds.
wait_for() {
	local secs=$1 what=$2 deadline
	shift 2
	deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		if ((SECONDS >= deadline)); then
			say "timed out after ${secs}s waiting for: $what"
			return 1
		fi
		sleep 0.5
	done
}
