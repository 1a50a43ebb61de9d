//! The detail of one instance, watched while it is on screen.
//!
//! [`spawn`] starts one task per detail. It resolves what to watch (the
//! CSD and CRD of an operator instance, or the Secrets of a Helm release),
//! starts the watches (instance, owned objects by label, Events,
//! dependencies), and after each burst of changes rebuilds the
//! [`InstanceDetail`] and sends it when it differs from the last one sent.

mod deps;
mod events;
mod helm;
mod objects;
mod operator;
mod overview;
mod release;
mod values;
mod watch;
pub(crate) mod yaml;

use std::time::Duration;

use tokio::sync::mpsc::{Receiver, Sender};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::action::Msg;
use crate::state::detail::{InstanceDetail, InstanceRef};
use crate::state::rows::ServiceKind;
use watch::{Source, Stores, Update, Watches};

/// How long changes are gathered before a snapshot is built: bursts (a
/// rollout touching pods, the StatefulSet, events) become one snapshot.
const COALESCE: Duration = Duration::from_millis(100);

/// How long the first snapshot waits for every watch's initial list, so
/// that the screen does not fill in piece by piece.
const FIRST_WAIT: Duration = Duration::from_secs(1);

/// Watches one instance while its detail is on screen and sends
/// [`Msg::DetailUpdated`] whenever what is shown changes (at most every
/// ~100 ms, identical snapshots not resent), or [`Msg::DetailFailed`] when
/// it cannot be loaded at all (no CSD, no CRD, no such instance). Abort
/// the handle when the user leaves the detail: the watches stop with it.
pub fn spawn(client: kube::Client, target: InstanceRef, tx: Sender<Msg>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let uid = target.uid.clone();
        let result = match target.kind {
            ServiceKind::Operator => operator::run(client, target, &tx).await,
            ServiceKind::Helm => release::run(client, target, &tx).await,
        };
        if let Err(error) = result {
            let _ = tx.send(Msg::DetailFailed { uid, error }).await;
        }
    })
}

/// What a rebuild produced.
enum Outcome {
    /// A snapshot to show.
    Show(Box<InstanceDetail>),
    /// Not enough known yet.
    Wait,
    /// The instance cannot be shown at all.
    Fail(String),
}

/// One kind of detail (operator instance, Helm release).
trait View {
    /// Called with every update before it is stored; false drops it.
    fn accept(&self, _update: &Update) -> bool {
        true
    }
    /// Called after every stored update: adjusts the watches (a dependency
    /// now named differently).
    fn after(&mut self, _source: Source, _stores: &mut Stores, _watches: &mut Watches) {}
    /// Every initial list has completed (or failed).
    fn ready(&self, stores: &Stores) -> bool;
    /// The snapshot of what is known now.
    fn build(&mut self, stores: &Stores) -> Outcome;
}

/// The detail loop: applies updates as they come and, [`COALESCE`] after
/// the first of a burst, sends a new snapshot if it differs from the last.
/// Returns `Err` when the instance cannot be shown; `Ok` when nobody
/// listens any more.
async fn drive(
    view: &mut impl View,
    mut watches: Watches,
    mut rx: Receiver<Update>,
    tx: &Sender<Msg>,
) -> Result<(), String> {
    let start = Instant::now();
    let mut stores = Stores::default();
    let mut last: Option<Box<InstanceDetail>> = None;
    let mut due: Option<Instant> = None;
    loop {
        tokio::select! {
            update = rx.recv() => {
                // The watches hold the sender: this ends only with them.
                let Some(update) = update else { return Ok(()) };
                if !view.accept(&update) {
                    continue;
                }
                let source = update.source;
                stores.apply(update);
                view.after(source, &mut stores, &mut watches);
                due.get_or_insert_with(|| Instant::now() + COALESCE);
            }
            () = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                due = None;
                if last.is_none() && !view.ready(&stores) && start.elapsed() < FIRST_WAIT {
                    due = Some(Instant::now() + COALESCE);
                    continue;
                }
                match view.build(&stores) {
                    Outcome::Wait => {}
                    Outcome::Fail(error) => return Err(error),
                    Outcome::Show(snapshot) => {
                        if last.as_ref() != Some(&snapshot) {
                            let msg = Msg::DetailUpdated(snapshot.clone());
                            if tx.send(msg).await.is_err() {
                                return Ok(());
                            }
                            last = Some(snapshot);
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::health::Health;
    use serde_json::json;

    /// Shows the number of objects of the instance watch; fails when one
    /// is named "gone".
    struct Counting;

    impl View for Counting {
        fn ready(&self, stores: &Stores) -> bool {
            stores.get(Source::Instance).settled()
        }

        fn build(&mut self, stores: &Stores) -> Outcome {
            let store = stores.get(Source::Instance);
            if store.objects().any(|o| o["gone"] == true) {
                return Outcome::Fail("gone".to_owned());
            }
            Outcome::Show(Box::new(InstanceDetail {
                target: InstanceRef {
                    uid: "u".into(),
                    name: "n".into(),
                    namespace: "ns".into(),
                    service: "s".into(),
                    kind: ServiceKind::Operator,
                },
                health: Health::Unknown,
                overview: Vec::new(),
                conditions: Vec::new(),
                spec_masked: store.items.len().to_string(),
                spec_revealed: String::new(),
                resources: Vec::new(),
                events: Vec::new(),
                dependencies: Vec::new(),
                helm: None,
                problems: Vec::new(),
                generation: None,
                observed_generation: None,
            }))
        }
    }

    async fn next(out: &mut Receiver<Msg>, wait: u64) -> Option<Msg> {
        tokio::time::timeout(Duration::from_millis(wait), out.recv())
            .await
            .ok()
            .flatten()
    }

    fn shown(msg: Option<Msg>) -> String {
        match msg {
            Some(Msg::DetailUpdated(detail)) => detail.spec_masked,
            other => panic!("expected a snapshot, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn bursts_coalesce_and_repeats_are_not_resent() {
        // Never contacted: no watch is started.
        let config = kube::Config::new("http://127.0.0.1:9".parse().unwrap_or_default());
        let Ok(client) = kube::Client::try_from(config) else {
            panic!("client");
        };
        let (watches, rx) = Watches::new(client);
        let feed = watches.sender();
        let (tx, mut out) = tokio::sync::mpsc::channel(16);
        let task = tokio::spawn(async move { drive(&mut Counting, watches, rx, &tx).await });

        let _ = feed.send(Update::listed_empty(Source::Instance)).await;
        for i in 0..20 {
            let _ = feed
                .send(Update::applied(
                    Source::Instance,
                    &format!("k{i}"),
                    json!({}),
                ))
                .await;
        }
        let started = Instant::now();
        assert_eq!(shown(next(&mut out, 1000).await), "20");
        assert!(started.elapsed() < Duration::from_millis(500));
        // The burst made one snapshot.
        assert!(next(&mut out, 300).await.is_none());

        // The same object again: nothing new to show.
        let _ = feed
            .send(Update::applied(Source::Instance, "k0", json!({})))
            .await;
        assert!(next(&mut out, 300).await.is_none());

        let _ = feed
            .send(Update::applied(Source::Instance, "k20", json!({})))
            .await;
        assert_eq!(shown(next(&mut out, 1000).await), "21");

        let _ = feed
            .send(Update::applied(
                Source::Instance,
                "x",
                json!({"gone": true}),
            ))
            .await;
        let result = tokio::time::timeout(Duration::from_secs(1), task).await;
        assert!(matches!(result, Ok(Ok(Err(e))) if e == "gone"));
    }
}
