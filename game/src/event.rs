//! What happened during a tick, addressed to whoever may know it.

use serde::{Deserialize, Serialize};

use crate::geom::Pos;
use crate::ids::PlayerId;

/// Who may learn of an event. The host filters per player, so an event is never a map hack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// The whole party (joins, deaths, descents).
    Everyone,
    /// One player only ("there are no stairs here").
    Player(PlayerId),
    /// Whoever's party currently sees cell `pos` on floor `depth` (combat).
    Seen { depth: u8, pos: Pos },
}

/// How the message log colours a line.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Tone {
    Info,
    Good,
    Bad,
    Combat,
    /// A player's chat line.
    Chat,
}

/// One line for message logs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub scope: Scope,
    pub tone: Tone,
    pub text: String,
}
