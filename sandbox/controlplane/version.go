package main

import "go.etcd.io/etcd/api/v3/version"

var etcdVersion = version.Version
