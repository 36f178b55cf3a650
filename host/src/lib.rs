//! Brogue's host core: one world and every session on it, as a state machine without I/O, in
//! quinn-proto's grammar.
//!
//! ```text
//! handle_arrival / handle_message / handle_departure     what the network brings
//! handle_tick(now)                                       the timer (see poll_timeout)
//! handle_durable / handle_store_error                    what the store reports
//! poll_transmit → (conn, message)                        what to send
//! poll_persist  → Journal | Checkpoint | Secrets         what to write, in order
//! poll_event    → InviteIssued | Players                 what the driver may want to know
//! ```
//!
//! The core owns the [`World`](game::World) outright, takes time as an argument, draws
//! entropy only from a seed the driver passes, and neither reads clocks nor touches sockets,
//! disks or threads (`host/clippy.toml` and a dependency test keep it so). The driver in the
//! binary (`src/host.rs`) accepts connections, decodes frames, drives the timer, sends what
//! [`Host::poll_transmit`] returns and hands [`Host::poll_persist`] to the store. Tests drive
//! the core in-process under a virtual clock.
//!
//! **Architecture invariant:** an update showing tick `T` leaves [`Host::poll_transmit`] only
//! after [`Host::handle_durable`] says tick `T`'s journal entry is committed. What a player was
//! shown is never lost to a crash. The world runs at most [`Host::max_unsaved_ticks`] ahead of
//! its journal and stops there (a failing disk pauses the game; it never lies).

pub mod admission;
mod core;
pub mod journal;
pub mod replay;
#[cfg(any(test, feature = "rig"))]
pub mod rig;
pub mod session;

pub use crate::admission::IssuedSecret;
pub use crate::core::{
    Arrival, BANNED, CLOSING, CloseReason, Config, Host, HostEvent, KICKED, Now, Outgoing, Persist,
    Rejected, RosterRow, Transmit, next_followed,
};
pub use crate::journal::{Checkpoint, JournalEntry, RecoverError};
pub use crate::session::ConnId;

#[cfg(test)]
mod core_tests;
#[cfg(any(test, feature = "rig"))]
pub mod fuzz;
