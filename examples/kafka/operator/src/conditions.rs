//! `metav1.Condition` lists: one condition per type, whose
//! `lastTransitionTime` changes only when its status does.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use k8s_openapi::jiff::Timestamp;

/// Longest message written into a condition (the CRDs allow 32768).
const MAX_MESSAGE: usize = 4096;

/// A condition as the operator wants it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Wanted {
    /// `type`, e.g. `Ready`.
    pub type_: &'static str,
    /// `status`: `True` or `False`.
    pub status: bool,
    /// `reason`, CamelCase.
    pub reason: &'static str,
    /// `message`, for people.
    pub message: String,
}

impl Wanted {
    /// A condition of `type_` with the given status, reason and message.
    pub fn new(
        type_: &'static str,
        status: bool,
        reason: &'static str,
        message: impl Into<String>,
    ) -> Self {
        Self {
            type_,
            status,
            reason,
            message: message.into(),
        }
    }
}

/// The conditions to write: `wanted`, each with the `lastTransitionTime` of
/// the previous condition of its type when the status is unchanged, else
/// `now`.
pub fn merge(
    previous: &[Condition],
    wanted: Vec<Wanted>,
    generation: Option<i64>,
    now: Timestamp,
) -> Vec<Condition> {
    wanted
        .into_iter()
        .map(|w| {
            let status = if w.status { "True" } else { "False" };
            let last_transition_time = previous
                .iter()
                .find(|c| c.type_ == w.type_ && c.status == status)
                .map_or(Time(now), |c| c.last_transition_time.clone());
            Condition {
                type_: w.type_.to_owned(),
                status: status.to_owned(),
                reason: w.reason.to_owned(),
                message: truncate(&w.message, MAX_MESSAGE),
                last_transition_time,
                observed_generation: generation,
            }
        })
        .collect()
}

/// The condition of `type_`, if any.
pub fn find<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

/// Whether the condition of `type_` has status `True`.
pub fn is_true(conditions: &[Condition], type_: &str) -> bool {
    find(conditions, type_).is_some_and(|c| c.status == "True")
}

/// At most `max` bytes of `text`, cut at a character boundary.
pub fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    #[test]
    fn transition_time_changes_only_with_the_status() {
        let first = merge(
            &[],
            vec![
                Wanted::new("Ready", false, "BrokersNotReady", "1 of 3 brokers ready"),
                Wanted::new("Failed", false, "NoFailure", ""),
            ],
            Some(1),
            at(100),
        );
        assert_eq!(first[0].last_transition_time, Time(at(100)));

        // Same status, new reason and message: the time stays.
        let second = merge(
            &first,
            vec![
                Wanted::new("Ready", false, "RollingUpdate", "2 of 3 brokers ready"),
                Wanted::new("Failed", false, "NoFailure", ""),
            ],
            Some(2),
            at(200),
        );
        assert_eq!(second[0].last_transition_time, Time(at(100)));
        assert_eq!(second[0].reason, "RollingUpdate");
        assert_eq!(second[0].observed_generation, Some(2));

        // New status: the time moves.
        let third = merge(
            &second,
            vec![
                Wanted::new("Ready", true, "AllBrokersReady", "3 of 3 brokers ready"),
                Wanted::new("Failed", false, "NoFailure", ""),
            ],
            Some(2),
            at(300),
        );
        assert_eq!(third[0].last_transition_time, Time(at(300)));
        assert_eq!(third[1].last_transition_time, Time(at(100)));
        assert!(is_true(&third, "Ready"));
        assert!(!is_true(&third, "Failed"));
        assert!(!is_true(&third, "Missing"));
    }

    #[test]
    fn long_messages_are_cut_at_a_character_boundary() {
        let text = "é".repeat(10);
        let cut = truncate(&text, 5);
        assert!(cut.starts_with("éé"), "{cut}");
        assert!(cut.ends_with('…'), "{cut}");
        assert_eq!(truncate("short", 10), "short");
    }
}
