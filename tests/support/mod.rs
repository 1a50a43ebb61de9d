//! What the rendering tests share: keys typed through `update`, and a
//! console connected to a fake cluster at a given size and a fixed time.

// Each test file uses part of this module.
#![allow(dead_code)]

use osctui::action::{ClusterInfo, Connection, Msg};
use osctui::keymap::{KeyPress, Keymap};
use osctui::state::State;
use osctui::update::update;

/// 2026-03-14 13:45:00 UTC.
pub const NOW: i64 = 1_773_495_900;

/// A key press in keymap-file spelling (`j`, `ctrl+d`, `Enter`).
pub fn key(text: &str) -> Msg {
    Msg::Key(KeyPress::parse(text).unwrap_or_else(|e| panic!("{e}")))
}

/// Presses each key in turn.
pub fn keys(state: &mut State, list: &[&str]) {
    for k in list {
        update(state, key(k));
    }
}

/// Types text one character at a time.
pub fn typed(state: &mut State, text: &str) {
    for c in text.chars() {
        update(state, Msg::Key(KeyPress::char(c)));
    }
}

/// A console of this size at [`NOW`], connected to `osc-sandbox`, with no
/// data yet.
pub fn connected(width: u16, height: u16) -> State {
    let mut state = State::new(Keymap::default());
    update(&mut state, Msg::Resize { width, height });
    update(&mut state, Msg::Tick(NOW));
    update(
        &mut state,
        Msg::Cluster(ClusterInfo {
            context: Some("osc-sandbox".into()),
            server: "https://127.0.0.1:6443".into(),
            user: Some("admin".into()),
        }),
    );
    update(&mut state, Msg::Connection(Connection::Connected));
    state
}
