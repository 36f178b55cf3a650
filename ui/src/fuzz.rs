//! Fuzz harness for what a hostile host can send a player: arbitrary [`HostMsg`]s (updates and
//! snapshots, as either road carries them) into the
//! client's [`App`] (and its `ClientView`), with key presses and terminal sizes between them,
//! every screen drawn. Shared by the cargo-fuzz target (`fuzz/fuzz_targets/view.rs`) and by the
//! test that replays its corpus (`tests/fuzz.rs` at the workspace root).
//!
//! Invariants: nothing panics; an update the view rejects leaves it exactly as it was; no
//! character a terminal would act on (escape, bidi override, tag…) ever reaches the screen.

use std::collections::BTreeMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use game::protocol::HostMsg;
use game::view::Tracker;
use game::{Class, Input, PlayerId, TickRate, World};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::{App, Screen, Session};

/// Keys a player might press between messages: panels, targeting, moving, chat, overlays.
const KEYS: &[KeyCode] = &[
    KeyCode::Char('i'),
    KeyCode::Char('c'),
    KeyCode::Char('v'),
    KeyCode::Char('t'),
    KeyCode::Char('?'),
    KeyCode::Char('I'),
    KeyCode::Char('1'),
    KeyCode::Char('l'),
    KeyCode::Char('x'),
    KeyCode::Tab,
    KeyCode::Enter,
    KeyCode::Esc,
    KeyCode::Down,
    KeyCode::Up,
    KeyCode::Backspace,
];

/// Terminal sizes to draw at, the smallest supported and below it included.
const SIZES: &[(u16, u16)] = &[(80, 24), (100, 30), (40, 12), (132, 43), (1, 1)];

fn session() -> Session {
    Session {
        world: "fuzz".into(),
        invite: None,
        hosting: false,
        tick_rate: 20,
        fingerprint: None,
        reach: None,
        spectators: Vec::new(),
    }
}

/// Runs one input: `[op][…]…` where op 0 is a message (`[len: u16 LE][postcard HostMsg]`),
/// 1 a key (`[index]`), 2 a resize (`[index]`). Panics on a broken invariant.
pub fn host_messages(data: &[u8]) {
    let mut app = App::connecting("fuzz");
    app.joined(session());
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).expect("a test terminal");
    let mut rest = data;
    while let Some((&op, tail)) = rest.split_first() {
        rest = tail;
        match op % 3 {
            0 => {
                let Some((len, tail)) = rest.split_first_chunk::<2>() else {
                    break;
                };
                let len = usize::from(u16::from_le_bytes(*len)).min(tail.len());
                let (body, tail) = tail.split_at(len);
                rest = tail;
                if let Ok(msg) = postcard::from_bytes::<HostMsg>(body) {
                    receive(&mut app, msg);
                }
            }
            1 => {
                let Some((&i, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                let key = KEYS[usize::from(i) % KEYS.len()];
                let _ = app.handle_key(KeyEvent::new(key, KeyModifiers::NONE));
            }
            _ => {
                let Some((&i, tail)) = rest.split_first() else {
                    break;
                };
                rest = tail;
                let (w, h) = SIZES[usize::from(i) % SIZES.len()];
                terminal.backend_mut().resize(w, h);
            }
        }
        terminal
            .draw(|f| crate::draw(f, &app))
            .expect("drawing on a test terminal");
        let buffer = terminal.backend().buffer();
        for cell in &buffer.content {
            let symbol = cell.symbol();
            assert!(
                symbol.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
                    || !symbol.chars().any(game::text::is_unsafe),
                "a terminal-acting character reached the screen: {:?}",
                cell.symbol()
            );
        }
    }
}

/// What the client does with one message from its host (see the binary's `session` and `play`):
/// an update is applied or ends the session, a status is shown, anything else ends it. A
/// session that ended is joined again, so one input can exercise many.
fn receive(app: &mut App, msg: HostMsg) {
    match msg {
        HostMsg::Update(update) => {
            let before = app.view.clone();
            if let Err(e) = app.apply_update(*update) {
                assert!(before == app.view, "a rejected update changed the view");
                app.ended(format!("The host sent a bad update ({e}); disconnected."));
            }
        }
        HostMsg::Snapshot(snapshot) => {
            let before = app.view.clone();
            if let Err(e) = app.apply_snapshot(*snapshot) {
                assert!(before == app.view, "a rejected snapshot changed the view");
                app.ended(format!("The host sent a bad snapshot ({e}); disconnected."));
            }
        }
        HostMsg::Status(status) => app.host_status(status),
        HostMsg::Closing { reason } => app.ended(format!("Disconnected: {reason}")),
        other => app.ended(format!("the host sent an unexpected {other:?}")),
    }
    if matches!(app.screen, Screen::Ended { .. }) {
        app.joined(session());
    }
}

/// Encodes messages as [`host_messages`] reads them.
pub fn encode(msgs: &[HostMsg]) -> Vec<u8> {
    let mut out = Vec::new();
    for msg in msgs {
        let body = postcard::to_stdvec(msg).expect("encodes");
        out.push(0);
        out.extend_from_slice(&u16::try_from(body.len()).unwrap_or(u16::MAX).to_le_bytes());
        out.extend_from_slice(&body);
    }
    out
}

/// Seeds: real updates from a real world (a character entering floor 1, a second player
/// arriving and chatting, a few ticks), then the same with keys and resizes between them.
pub fn seeds() -> Vec<(&'static str, Vec<u8>)> {
    let me = PlayerId([1; 32]);
    let friend = PlayerId([2; 32]);
    let mut world = World::new("Deepwood", 5, TickRate::DEFAULT);
    let mut tracker = Tracker::new();
    let mut msgs = Vec::new();
    let mut tick = |world: &mut World, inputs: &[Input], msgs: &mut Vec<HostMsg>| {
        world.handle_tick(inputs);
        let out = tracker.poll(world, me, &BTreeMap::new());
        if let Some(update) = out.update {
            msgs.push(HostMsg::Update(Box::new(update)));
        }
        if let Some(snapshot) = out.snapshot {
            // Acknowledged at once, so later seeds are deltas.
            tracker.acked(snapshot.seq);
            msgs.push(HostMsg::Snapshot(Box::new(snapshot)));
        }
    };
    let connect = |player, name: &str| Input::Connect {
        player,
        name: name.into(),
    };
    tick(&mut world, &[connect(me, "Ada")], &mut msgs);
    tick(
        &mut world,
        &[Input::CreateCharacter {
            player: me,
            class: Class::Mage,
        }],
        &mut msgs,
    );
    tick(&mut world, &[connect(friend, "Bo")], &mut msgs);
    tick(
        &mut world,
        &[
            Input::CreateCharacter {
                player: friend,
                class: Class::Warrior,
            },
            Input::Chat {
                player: friend,
                text: "hi!".into(),
            },
        ],
        &mut msgs,
    );
    for _ in 0..5 {
        tick(&mut world, &[], &mut msgs);
    }
    let play = encode(&msgs);
    let mut with_keys = Vec::new();
    for (i, msg) in msgs.iter().enumerate() {
        with_keys.extend(encode(std::slice::from_ref(msg)));
        with_keys.extend_from_slice(&[1, i as u8, 2, i as u8]);
    }
    let mut ending = msgs.clone();
    ending.push(HostMsg::Status(game::protocol::HostStatus::CannotSave {
        reason: "disk full".into(),
    }));
    ending.push(HostMsg::Closing {
        reason: "the host is shutting down".into(),
    });
    vec![
        ("play", play),
        ("play-with-keys-and-resizes", with_keys),
        ("cannot-save-then-closing", encode(&ending)),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_play_seed_reaches_the_game_screen_with_the_friend_in_the_party() {
        let (_, bytes) = seeds().into_iter().next().expect("a seed");
        let mut app = App::connecting("fuzz");
        app.joined(session());
        let mut rest = bytes.as_slice();
        while let Some((_, tail)) = rest.split_first() {
            let (len, tail) = tail.split_first_chunk::<2>().expect("a length");
            let (body, tail) = tail.split_at(usize::from(u16::from_le_bytes(*len)));
            receive(
                &mut app,
                postcard::from_bytes(body).expect("a host message"),
            );
            rest = tail;
        }
        assert!(matches!(app.screen, Screen::Game));
        assert_eq!(app.view.party.len(), 2);
        assert!(
            app.view
                .log
                .iter()
                .any(|l| format!("{l:?}").contains("hi!"))
        );
    }
}
