//! Events of the instance and of the objects it owns.

use std::collections::HashSet;

use serde_json::Value;

use super::overview::parse_time;
use crate::domain::text::clean;
use crate::state::detail::EventRow;

/// Most events kept in a snapshot; older ones add nothing on screen.
pub(crate) const MAX_EVENTS: usize = 500;

/// What is kept of one Event: the row shown, and what it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EventRecord {
    /// involvedObject.uid (may be empty).
    pub uid: String,
    /// involvedObject.kind.
    pub kind: String,
    /// involvedObject.name.
    pub name: String,
    /// The row shown.
    pub row: EventRow,
}

/// Reads a core/v1 Event.
pub(crate) fn event_record(event: &Value) -> EventRecord {
    let involved = &event["involvedObject"];
    let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
    let kind = text(&involved["kind"]);
    let name = text(&involved["name"]);
    // Newer reporters fill eventTime/series instead of the legacy timestamps.
    let time = [
        &event["series"]["lastObservedTime"],
        &event["lastTimestamp"],
        &event["eventTime"],
        &event["firstTimestamp"],
        &event["metadata"]["creationTimestamp"],
    ]
    .into_iter()
    .filter_map(|v| v.as_str().and_then(parse_time))
    .next()
    .unwrap_or(0);
    let count = event["series"]["count"]
        .as_u64()
        .or_else(|| event["count"].as_u64())
        .unwrap_or(1);
    EventRecord {
        uid: text(&involved["uid"]),
        row: EventRow {
            time,
            warning: event["type"] == "Warning",
            reason: clean(event["reason"].as_str().unwrap_or("")),
            object: clean(&format!("{kind}/{name}")),
            message: clean(event["message"].as_str().unwrap_or("").trim_end()),
            count: u32::try_from(count).unwrap_or(u32::MAX),
        },
        kind,
        name,
    }
}

/// The rows of events about one of `uids` or one of the (kind, name)
/// objects, newest first. Kind/name also catches events of an earlier
/// object of the same name (a pod recreated by its StatefulSet).
pub(crate) fn select_events<'a>(
    records: impl Iterator<Item = &'a EventRecord>,
    uids: &HashSet<String>,
    objects: &HashSet<(String, String)>,
) -> Vec<EventRow> {
    let mut rows: Vec<EventRow> = records
        .filter(|r| {
            (!r.uid.is_empty() && uids.contains(&r.uid))
                || objects.contains(&(r.kind.clone(), r.name.clone()))
        })
        .map(|r| r.row.clone())
        .collect();
    rows.sort_by(|a, b| {
        b.time
            .cmp(&a.time)
            .then_with(|| a.object.cmp(&b.object))
            .then_with(|| a.reason.cmp(&b.reason))
            .then_with(|| a.message.cmp(&b.message))
    });
    rows.truncate(MAX_EVENTS);
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selects_and_orders_events() {
        let events = [
            json!({"involvedObject": {"kind": "Pod", "name": "orders-0", "uid": "p0"},
                "reason": "Started", "message": "ok\u{1b}[31m", "type": "Normal",
                "lastTimestamp": "2026-01-01T00:00:10Z", "count": 2}),
            json!({"involvedObject": {"kind": "Pod", "name": "orders-1", "uid": "old"},
                "reason": "BackOff", "type": "Warning",
                "eventTime": "2026-01-01T00:00:20.123456Z", "series": {"count": 7}}),
            json!({"involvedObject": {"kind": "Pod", "name": "payments-0", "uid": "x"},
                "reason": "Other", "lastTimestamp": "2026-01-01T00:00:30Z"}),
        ];
        let records: Vec<EventRecord> = events.iter().map(event_record).collect();
        let uids: HashSet<String> = ["p0".to_owned()].into();
        let objects: HashSet<(String, String)> = [("Pod".to_owned(), "orders-1".to_owned())].into();
        let rows = select_events(records.iter(), &uids, &objects);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].reason, "BackOff");
        assert!(rows[0].warning);
        assert_eq!(rows[0].count, 7);
        assert_eq!(rows[1].object, "Pod/orders-0");
        assert_eq!(rows[1].message, "ok^[[31m");
        assert_eq!(rows[1].count, 2);
        assert!(rows[0].time > rows[1].time);
    }
}
