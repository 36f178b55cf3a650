//! Parties: players who share sight, map memory and news. Every player of a world is in exactly
//! one party; alone is a party of one. A world made "together" puts each newcomer into its
//! first party (friends playing one game); otherwise newcomers start alone and form parties by
//! invitation (a community world of strangers).

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::event::{EventKind, Notice, PartyNews, PartyProblem, Scope};
use crate::ids::{PartyId, PlayerId};
use crate::text::sanitize;
use crate::world::{MAX_NAME_CHARS, World};

/// One party of a world.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Party {
    /// Never empty: a party without members is gone.
    pub members: BTreeSet<PlayerId>,
    /// Players asked to join who have not answered.
    pub invited: BTreeSet<PlayerId>,
}

/// What a player does about parties. Players are named as they are shown (names are unique
/// within a world); the world looks the name up when the command is applied.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartyCmd {
    /// Ask this player to join the asker's party.
    Invite(String),
    /// Join the party of this player, who asked.
    Accept(String),
    /// Turn down this player's invitation.
    Decline(String),
    /// Leave the party and be a party of one.
    Leave,
}

impl World {
    /// The party `player` is in.
    pub fn party_of(&self, player: &PlayerId) -> Option<PartyId> {
        self.party_index.get(player).copied()
    }

    pub fn party(&self, id: PartyId) -> Option<&Party> {
        self.core.parties.get(&id)
    }

    pub fn parties(&self) -> impl Iterator<Item = (PartyId, &Party)> {
        self.core.parties.iter().map(|(id, p)| (*id, p))
    }

    /// Whether `party`'s memory took in another's during the last tick (then a tracker
    /// compares the whole floor, not only the cells the vision phase changed).
    pub fn memory_merged(&self, party: PartyId) -> bool {
        self.memory_merged.contains(&party)
    }

    /// Whether newcomers join the world's first party (else they start alone).
    pub fn together(&self) -> bool {
        self.core.together
    }

    /// The player called `name` (names are unique within a world, see `unique_name`).
    pub fn player_named(&self, name: &str) -> Option<PlayerId> {
        let key = crate::text::name_key(name);
        self.core
            .players
            .iter()
            .find(|(_, p)| crate::text::name_key(&p.name) == key)
            .map(|(id, _)| *id)
    }

    /// Where events for `player`'s party go (the player alone if it has none).
    pub(crate) fn party_scope(&self, player: PlayerId) -> Scope {
        self.party_of(&player)
            .map_or(Scope::Player(player), Scope::Party)
    }

    /// Rebuilds the player → party index from the parties (on load; changes keep it current).
    pub(crate) fn reindex_parties(&mut self) {
        self.party_index = self
            .core
            .parties
            .iter()
            .flat_map(|(id, p)| p.members.iter().map(move |m| (*m, *id)))
            .collect();
    }

    /// A newcomer's first party: the world's first one when it is together, else its own.
    pub(crate) fn place_newcomer(&mut self, player: PlayerId) {
        let first = self
            .core
            .parties
            .keys()
            .next()
            .copied()
            .filter(|_| self.core.together);
        let id = first.unwrap_or_else(|| self.new_party());
        self.core
            .parties
            .entry(id)
            .or_default()
            .members
            .insert(player);
        self.party_index.insert(player, id);
    }

    fn new_party(&mut self) -> PartyId {
        let id = PartyId(self.core.next_party);
        self.core.next_party += 1;
        self.core.parties.insert(id, Party::default());
        id
    }

    /// Takes `player` out of its party; a party left empty is gone, and so is its memory.
    pub(crate) fn leave_party(&mut self, player: PlayerId) {
        let Some(old) = self.party_index.remove(&player) else {
            return;
        };
        let party = self.core.parties.get_mut(&old).expect("indexed");
        party.members.remove(&player);
        if party.members.is_empty() {
            self.core.parties.remove(&old);
            for floor in self.floors.values_mut() {
                floor.forget_party(old);
            }
        }
        for party in self.core.parties.values_mut() {
            party.invited.remove(&player);
        }
    }

    /// Moves `player` from its party into `into`, bringing what it remembers.
    fn move_to(&mut self, player: PlayerId, into: PartyId) {
        if let Some(old) = self.party_of(&player) {
            for floor in self.floors.values_mut() {
                floor.share_memory(old, into);
            }
            self.memory_merged.insert(into);
        }
        self.leave_party(player);
        let party = self.core.parties.entry(into).or_default();
        party.members.insert(player);
        party.invited.remove(&player);
        self.party_index.insert(player, into);
        self.pool_knowledge(player);
    }

    /// Phase 1: a party command.
    pub(crate) fn handle_party(&mut self, player: PlayerId, cmd: &PartyCmd) {
        let connected = self.core.players.get(&player).is_some_and(|p| p.connected);
        let (Some(mine), true) = (self.party_of(&player), connected) else {
            return;
        };
        let name_of = |w: &World, id: &PlayerId| w.core.players.get(id).map(|p| p.name.clone());
        let me = name_of(self, &player).expect("connected");
        let problem = |w: &mut World, p: PartyProblem| w.tell(player, Notice::Party(p));
        // Who is meant, as the world names them.
        let named = |w: &World, name: &str| {
            let id = w.player_named(name)?;
            Some((id, name_of(w, &id)?))
        };
        let unknown = |name: &str| PartyProblem::NoSuchPlayer(sanitize(name, MAX_NAME_CHARS));
        match cmd {
            PartyCmd::Invite(whom) => {
                let Some((whom, whom_name)) = named(self, whom) else {
                    return problem(self, unknown(whom));
                };
                if self.party_of(&whom) == Some(mine) {
                    return problem(self, PartyProblem::AlreadyWithYou(whom_name));
                }
                let party = self.core.parties.get_mut(&mine).expect("indexed");
                party.invited.insert(whom);
                let news = PartyNews::Invited {
                    by: me,
                    whom: whom_name,
                };
                self.emit(Scope::Party(mine), EventKind::Party(news.clone()));
                self.emit(Scope::Player(whom), EventKind::Party(news));
            }
            PartyCmd::Accept(inviter) | PartyCmd::Decline(inviter) => {
                let Some((inviter, inviter_name)) = named(self, inviter) else {
                    return problem(self, unknown(inviter));
                };
                let theirs = self
                    .party_of(&inviter)
                    .filter(|p| self.core.parties[p].invited.contains(&player));
                let Some(theirs) = theirs else {
                    return problem(self, PartyProblem::NotInvited(inviter_name));
                };
                if matches!(cmd, PartyCmd::Decline(_)) {
                    let party = self.core.parties.get_mut(&theirs).expect("indexed");
                    party.invited.remove(&player);
                    let news = PartyNews::Declined { name: me };
                    self.emit(Scope::Party(theirs), EventKind::Party(news));
                    return;
                }
                self.move_to(player, theirs);
                if self.core.parties.contains_key(&mine) {
                    let news = PartyNews::Left { name: me.clone() };
                    self.emit(Scope::Party(mine), EventKind::Party(news));
                }
                let news = PartyNews::Joined { name: me };
                self.emit(Scope::Party(theirs), EventKind::Party(news));
            }
            PartyCmd::Leave => {
                if self.core.parties[&mine].members.len() == 1 {
                    return problem(self, PartyProblem::Alone);
                }
                let alone = self.new_party();
                self.move_to(player, alone);
                let news = PartyNews::Left { name: me };
                self.emit(Scope::Party(mine), EventKind::Party(news.clone()));
                self.emit(Scope::Player(player), EventKind::Party(news));
            }
        }
    }
}
