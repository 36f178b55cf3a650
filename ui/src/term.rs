//! The real terminal: raw mode, alternate screen, bracketed paste, and a thread that reads
//! input so the runtime can `select!` over keys and network alike.

use std::io;
use std::time::Duration;

use crossterm::event::{self, DisableBracketedPaste, EnableBracketedPaste, Event};
use crossterm::execute;
use ratatui::DefaultTerminal;

/// The terminal the game draws on.
pub type Terminal = DefaultTerminal;

/// Takes over the terminal. Installs ratatui's panic hook, which restores the terminal before
/// any other panic hook runs (call this after installing error-report hooks).
pub fn init() -> io::Result<DefaultTerminal> {
    let terminal = ratatui::try_init()?;
    execute!(io::stdout(), EnableBracketedPaste)?;
    Ok(terminal)
}

/// Gives the terminal back.
pub fn restore() {
    let _ = execute!(io::stdout(), DisableBracketedPaste);
    ratatui::restore();
}

/// Reads terminal events on a thread and hands each to `deliver` until it returns false.
pub fn spawn_input(mut deliver: impl FnMut(Event) -> bool + Send + 'static) {
    std::thread::Builder::new()
        .name("brogue-input".into())
        .spawn(move || {
            loop {
                match event::poll(Duration::from_millis(250)) {
                    Ok(true) => match event::read() {
                        Ok(ev) => {
                            if !deliver(ev) {
                                return;
                            }
                        }
                        Err(_) => return,
                    },
                    Ok(false) => {}
                    Err(_) => return,
                }
            }
        })
        .expect("spawn the input thread");
}
