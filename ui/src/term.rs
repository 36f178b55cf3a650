//! The real terminal: raw mode, alternate screen, bracketed paste, and a thread that reads
//! input so the runtime can `select!` over keys and network alike.

use std::io;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event, KeyboardEnhancementFlags, PopKeyboardEnhancementFlags, PushKeyboardEnhancementFlags,
};
use crossterm::execute;
use ratatui::DefaultTerminal;

/// Whether [`init`] captured the mouse (so [`restore`] lets it go).
static MOUSE: AtomicBool = AtomicBool::new(false);

/// Whether [`init`] turned the kitty keyboard protocol on (so [`restore`] turns it off).
static ENHANCED: AtomicBool = AtomicBool::new(false);

/// The terminal the game draws on.
pub type Terminal = DefaultTerminal;

/// Takes over the terminal. Installs ratatui's panic hook, which restores the terminal before
/// any other panic hook runs (call this after installing error-report hooks).
pub fn init(mouse: bool) -> io::Result<DefaultTerminal> {
    let terminal = ratatui::try_init()?;
    execute!(io::stdout(), EnableBracketedPaste)?;
    if mouse {
        execute!(io::stdout(), EnableMouseCapture)?;
        MOUSE.store(true, Ordering::Relaxed);
    }
    // Where the terminal speaks the kitty keyboard protocol, keys say whether they came from
    // the number pad (its digits then move).
    if crossterm::terminal::supports_keyboard_enhancement().unwrap_or(false) {
        let flags = KeyboardEnhancementFlags::DISAMBIGUATE_ESCAPE_CODES;
        if execute!(io::stdout(), PushKeyboardEnhancementFlags(flags)).is_ok() {
            ENHANCED.store(true, Ordering::Relaxed);
        }
    }
    Ok(terminal)
}

/// Gives the terminal back.
pub fn restore() {
    if MOUSE.swap(false, Ordering::Relaxed) {
        let _ = execute!(io::stdout(), DisableMouseCapture);
    }
    // Not asked again: the input thread may be reading the answer.
    if ENHANCED.swap(false, Ordering::Relaxed) {
        let _ = execute!(io::stdout(), PopKeyboardEnhancementFlags);
    }
    let _ = execute!(io::stdout(), DisableBracketedPaste);
    ratatui::restore();
}

/// The next terminal event, waiting at most `timeout` (for a loop that also keeps time on
/// one thread, such as the replay viewer).
pub fn next_event(timeout: Duration) -> io::Result<Option<Event>> {
    if event::poll(timeout)? {
        event::read().map(Some)
    } else {
        Ok(None)
    }
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
