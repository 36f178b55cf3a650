//! Brogue's terminal interface. [`App`] is a pure state machine (keys in, [`Intent`]s out),
//! [`draw`] renders it, [`term`] owns the real terminal. Only this crate imports ratatui and
//! crossterm.

pub mod app;
pub mod appearance;
pub mod death;
pub mod draw;
mod draw_panels;
#[doc(hidden)]
pub mod fuzz;
pub mod keymap;
pub mod log;
pub mod look;
pub mod panels;
#[doc(hidden)]
pub mod screens;
pub mod term;
pub mod theme;
pub mod travel;

pub use app::{App, Board, BoardRow, Intent, LanEntry, LanStatus, Overlay, Reach, Screen, Session};
pub use draw::{MIN_HEIGHT, MIN_WIDTH, draw};
pub use panels::Panel;

/// Re-exported so the runtime can name terminal events without importing crossterm itself.
pub use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
