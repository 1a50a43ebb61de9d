//! Helm writes through the `helm` binary: upgrade (values file in a private
//! temporary directory) and rollback, each first with `--dry-run=server`;
//! the release's revision checked before the write (conflict).
