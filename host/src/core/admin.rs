//! What a server's admin does to a running world (`brogue admin …` through the control
//! socket): list who is in it, kick, ban and unban keys, revoke the invite codes and issue a
//! new one, announce a message. Like everything else in the core: no I/O; the driver carries
//! out the closes and writes the bans it queues.

use std::collections::BTreeSet;

use game::PlayerId;
use game::protocol::HostStatus;

use super::{CloseReason, Host, Now, Persist};
use crate::admission::IssuedSecret;
use crate::session::Session;

/// What a kicked player reads.
pub const KICKED: &str = "the server's admin removed you from this world";
/// What a banned player reads.
pub const BANNED: &str = "the server's admin banned this key from this world";

/// One player of a world, as the admin sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RosterRow {
    pub name: String,
    pub player: PlayerId,
    pub connected: bool,
    pub banned: bool,
    /// The party the player is in (none for a banned key the world does not know).
    pub party: Option<game::PartyId>,
}

impl Host {
    /// Keys this world refuses (loaded from the save at start).
    pub fn set_bans(&mut self, banned: impl IntoIterator<Item = PlayerId>) {
        self.banned = banned.into_iter().collect();
    }

    pub fn bans(&self) -> &BTreeSet<PlayerId> {
        &self.banned
    }

    /// Every player the world knows, and the banned keys it does not.
    pub fn roster(&self) -> Vec<RosterRow> {
        let mut rows: Vec<RosterRow> = self
            .world
            .players()
            .map(|(id, p)| RosterRow {
                name: p.name.clone(),
                player: *id,
                connected: self.sessions.values().any(|s| s.player() == Some(*id)),
                banned: self.banned.contains(id),
                party: self.world.party_of(id),
            })
            .collect();
        for id in &self.banned {
            if self.world.player(id).is_none() {
                rows.push(RosterRow {
                    name: String::new(),
                    player: *id,
                    connected: false,
                    banned: true,
                    party: None,
                });
            }
        }
        rows
    }

    /// The key `who` names: a player's name in this world, a key's hex (at least 8 digits of
    /// its start, naming one player of the world), or a whole key (64 hex digits).
    pub fn resolve(&self, who: &str) -> Result<PlayerId, String> {
        let who = who.trim();
        let by_name: Vec<PlayerId> = self
            .world
            .players()
            .filter(|(_, p)| p.name == who)
            .map(|(id, _)| *id)
            .collect();
        if let [one] = by_name[..] {
            return Ok(one);
        }
        if let Some(key) = parse_key(who) {
            return Ok(key);
        }
        let hex = who.to_ascii_lowercase();
        if hex.len() >= 8 && hex.chars().all(|c| c.is_ascii_hexdigit()) {
            let known: Vec<PlayerId> = self
                .world
                .players()
                .map(|(id, _)| *id)
                .chain(self.banned.iter().copied())
                .filter(|id| id.to_string().starts_with(&hex))
                .collect();
            match known[..] {
                [one] => return Ok(one),
                [] => {}
                _ => {
                    return Err(format!(
                        "{who} starts more than one key here: give more of it"
                    ));
                }
            }
        }
        Err(format!(
            "no player called {who:?} in {} (give a name as `brogue admin players` lists it, or \
             a key)",
            self.world.name()
        ))
    }

    /// Closes every session of `player` (`watching`: its spectator sessions too), telling them
    /// `reason`; how many player sessions there were.
    fn remove(&mut self, player: PlayerId, reason: &str, watching: bool) -> usize {
        if watching {
            let spectators: Vec<_> = self
                .sessions
                .iter()
                .filter(|(_, s)| matches!(s, Session::Spectator(w) if w.key == player))
                .map(|(conn, _)| *conn)
                .collect();
            for conn in spectators {
                self.sessions.remove(&conn);
                self.close(conn, CloseReason::Normal, reason.to_owned(), true);
            }
        }
        let conns: Vec<_> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.player() == Some(player))
            .map(|(conn, _)| *conn)
            .collect();
        for conn in &conns {
            self.sessions.remove(conn);
            self.inputs.push(game::Input::Disconnect {
                player,
                why: game::Departure::Lost,
            });
            self.close(*conn, CloseReason::Normal, reason.to_owned(), true);
        }
        conns.len()
    }

    /// Disconnects `who` (they may come back: a kick is not a ban).
    pub fn kick(&mut self, who: &str) -> Result<String, String> {
        let player = self.resolve(who)?;
        match self.remove(player, KICKED, false) {
            0 => Err(format!("{who} is not connected to {}", self.world.name())),
            _ => Ok(format!("kicked {who} from {}", self.world.name())),
        }
    }

    /// Refuses `who`'s key from now on, and disconnects them.
    pub fn ban(&mut self, who: &str) -> Result<String, String> {
        let player = self.resolve(who)?;
        if player == self.config.host_player {
            return Err("that is the server's own key".into());
        }
        let new = self.banned.insert(player);
        self.remove(player, BANNED, true);
        self.persist
            .push_back(Persist::Bans(self.banned.iter().copied().collect()));
        Ok(if new {
            format!(
                "banned {who} ({}) from {}",
                player.short(),
                self.world.name()
            )
        } else {
            format!("{who} was banned from {} already", self.world.name())
        })
    }

    /// Lets `who`'s key in again.
    pub fn unban(&mut self, who: &str) -> Result<String, String> {
        let player = self.resolve(who)?;
        if !self.banned.remove(&player) {
            return Err(format!("{who} is not banned from {}", self.world.name()));
        }
        self.persist
            .push_back(Persist::Bans(self.banned.iter().copied().collect()));
        Ok(format!("unbanned {who} from {}", self.world.name()))
    }

    /// Every invite code issued so far stops admitting anyone new; a fresh one is issued (and
    /// told as [`super::HostEvent::InviteIssued`]). Players who joined before need no code.
    pub fn revoke_invites(&mut self, now: Now) -> IssuedSecret {
        self.secrets.clear();
        self.new_player_tokens.clear();
        self.renew_invite(now);
        *self.secrets.last().expect("renew_invite issues one")
    }

    /// Shows `text` to everyone in the world.
    pub fn announce(&mut self, text: &str) {
        let text = game::text::sanitize(text, 200);
        self.tell_everyone(HostStatus::Announcement { text });
    }
}

/// A whole key in hex.
fn parse_key(text: &str) -> Option<PlayerId> {
    game::ids::unhex(text).map(PlayerId)
}
