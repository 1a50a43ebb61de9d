//! Every fuzz target for a fixed number of executions: a regression that
//! makes a parser panic or hang on the mutations of the seed corpus fails
//! CI. Deterministic (fixed seed), so a failure reproduces.

use osctui_fuzz::{Budget, run, targets};

/// Enough for every mutation kind to be tried on every target; the YAML
/// targets run ~100 calls a second in a debug build, so more would not
/// keep CI under half a minute (longer runs: the `osctui-fuzz` binary).
const EXECUTIONS: u64 = 150;

#[test]
fn no_target_panics_or_hangs() {
    let mut failures = Vec::new();
    for target in targets::all() {
        let report = run(&target, Budget::Executions(EXECUTIONS), 0x05c7_u64, None);
        assert_eq!(report.executions, EXECUTIONS, "{}", report.target);
        assert!(
            report.corpus > report.seeds,
            "{}: no input reached a new behaviour ({} classes)",
            report.target,
            report.classes
        );
        for f in &report.findings {
            failures.push(format!(
                "{} {:?}: {} (input {:?})",
                report.target,
                f.kind,
                f.message,
                String::from_utf8_lossy(&f.input[..f.input.len().min(300)])
            ));
        }
        if report.panics + report.hangs > 0 && report.findings.is_empty() {
            failures.push(format!(
                "{}: {} panics, {} hangs",
                report.target, report.panics, report.hangs
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
