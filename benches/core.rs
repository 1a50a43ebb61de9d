//! In-process timings of the console's hot paths on 10,000 instances: a
//! filter keystroke through `update`, a cursor move, and drawing a frame on
//! ratatui's TestBackend. No terminal and no cluster: this isolates the
//! console's own cost from the pty and the network (bench/console measures
//! the whole thing). Run with `cargo bench --bench core`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use osctui::action::Msg;
use osctui::keymap::{KeyPress, Keymap};
use osctui::state::State;
use osctui::state::rows::{Health, InstanceRow, ServiceKind};
use osctui::theme::Theme;
use osctui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const ROWS: usize = 10_000;

fn rows() -> Vec<InstanceRow> {
    (0..ROWS)
        .map(|i| InstanceRow {
            uid: format!("uid-{i}"),
            name: format!("bench-{i:05}"),
            namespace: format!("team-{}", i % 20),
            service: ["kafka", "redis", "zookeeper", "memcached"][i % 4].to_owned(),
            kind: if i % 4 == 3 {
                ServiceKind::Helm
            } else {
                ServiceKind::Operator
            },
            version: Some(format!("3.{}.{}", i % 8, i % 3)),
            health: Health::ALL[i % Health::ALL.len()],
            ready: ((i % 4) as u32, 3),
            created: 1_700_000_000 - (i as i64) * 37,
            latest_event: Some(format!("Reconciled: instance bench-{i:05} is up to date")),
        })
        .collect()
}

fn percentile(samples: &mut [Duration], p: usize) -> Duration {
    samples.sort();
    samples[(samples.len() * p / 100).min(samples.len() - 1)]
}

fn report(what: &str, samples: &mut [Duration]) {
    let p50 = percentile(samples, 50);
    let p99 = percentile(samples, 99);
    let max = samples[samples.len() - 1];
    println!(
        "{what:<44} p50 {:>8.3} ms  p99 {:>8.3} ms  max {:>8.3} ms  ({} samples)",
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
        max.as_secs_f64() * 1e3,
        samples.len()
    );
}

fn main() {
    let mut state = State::new(Keymap::default());
    update(
        &mut state,
        Msg::Resize {
            width: 160,
            height: 48,
        },
    );
    update(&mut state, Msg::Synced);
    update(&mut state, Msg::Tick(1_700_000_000));
    let started = Instant::now();
    update(&mut state, Msg::InstancesRelisted(rows()));
    println!(
        "load {ROWS} rows (store + sort): {:.3} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    update(&mut state, Msg::Key(KeyPress::char('2')));

    let theme = Theme::default();
    let mut terminal = match Terminal::new(TestBackend::new(160, 48)) {
        Ok(t) => t,
        Err(err) => panic!("test backend: {err}"),
    };

    // Filter keystrokes: type a query, then erase it, many times.
    let mut filter = Vec::new();
    let mut fuzzy = Vec::new();
    for round in 0..20 {
        update(&mut state, Msg::Key(KeyPress::char('/')));
        let query = if round % 2 == 0 {
            "bench-0999"
        } else {
            "~bnch99"
        };
        for c in query.chars() {
            let t = Instant::now();
            update(&mut state, Msg::Key(KeyPress::char(c)));
            let spent = t.elapsed();
            if query.starts_with('~') {
                fuzzy.push(spent)
            } else {
                filter.push(spent)
            }
        }
        for _ in 0..query.len() {
            let t = Instant::now();
            update(
                &mut state,
                Msg::Key(KeyPress::new(osctui::keymap::KeyCode::Backspace)),
            );
            filter.push(t.elapsed());
        }
        update(
            &mut state,
            Msg::Key(KeyPress::new(osctui::keymap::KeyCode::Esc)),
        );
    }
    report("filter keystroke (substring), 10k rows", &mut filter);
    report("filter keystroke (fuzzy ~), 10k rows", &mut fuzzy);

    let mut moves = Vec::new();
    let mut frames = Vec::new();
    for i in 0..2_000 {
        let key = if (i / 500) % 2 == 0 { 'j' } else { 'k' };
        let t = Instant::now();
        update(&mut state, Msg::Key(KeyPress::char(key)));
        moves.push(t.elapsed());
        let t = Instant::now();
        let drawn = terminal.draw(|frame| osctui::ui::draw(frame, &state, &theme));
        black_box(&drawn);
        frames.push(t.elapsed());
    }
    report("cursor move (update), 10k rows", &mut moves);
    report("draw a 160x48 frame, 10k rows", &mut frames);

    let mut upserts = Vec::new();
    for i in 0..1_000 {
        let mut row = rows().swap_remove(i * 7 % ROWS);
        row.latest_event = Some(format!("changed {i}"));
        let t = Instant::now();
        update(&mut state, Msg::InstancesUpserted(vec![row]));
        upserts.push(t.elapsed());
    }
    report("one row changed by a watch event, 10k rows", &mut upserts);
}
