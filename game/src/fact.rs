//! Facts for leaderboards: what a player achieved, as the world records it when it happens
//! (a victory, a new deepest floor, a kill, a new best item, a death). The host keeps them in
//! an outbox beside the tick's journal entry and a central leaderboard may collect them; facts
//! are never read back by the world.

use serde::{Deserialize, Serialize};

use crate::class::Class;
use crate::ids::PlayerId;
use crate::monster::MonsterKind;
use crate::world::StateHash;

/// One achievement of one player.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fact {
    pub player: PlayerId,
    /// The display name when it happened.
    pub name: String,
    /// The character's class (every fact today has a character).
    pub class: Class,
    pub kind: FactKind,
}

/// What was achieved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FactKind {
    /// The Heart carried out of the dungeon; `run_ticks` since the character was made.
    Victory { pure: bool, run_ticks: u64 },
    /// A floor deeper than any this player reached before.
    Deepest { floor: u8 },
    /// A monster slain.
    Kill { monster: MonsterKind },
    /// An item better than any this player crafted before.
    BestCrafted { item: String, quality: u16 },
    /// A character died for good on `floor`, `run_ticks` after it was made.
    Death { floor: u8, run_ticks: u64 },
    /// The world's state hash right after the tick of this player's victory; it follows the
    /// `Victory` fact of the same tick. A replay that reaches this hash at that tick proves
    /// the victory (`brogue leaderboard --verify`). The host adds it: only it sees a tick end.
    Proof { state: StateHash },
}

impl FactKind {
    /// A short stable name, for databases and logs.
    pub fn name(&self) -> &'static str {
        match self {
            FactKind::Victory { pure: true, .. } => "pure_victory",
            FactKind::Victory { .. } => "victory",
            FactKind::Deepest { .. } => "deepest",
            FactKind::Kill { .. } => "kill",
            FactKind::BestCrafted { .. } => "best_crafted",
            FactKind::Death { .. } => "death",
            FactKind::Proof { .. } => "proof",
        }
    }
}
