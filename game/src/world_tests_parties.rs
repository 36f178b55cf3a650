//! Parties: strangers share nothing until they form one; a party shares sight, memory, news
//! and its list; leaving keeps what one saw; parties see each other when in sight.

use super::*;
use crate::event::{PartyNews, PartyProblem};
use crate::party::PartyCmd;

/// Two rooms behind a closed door; the entrance is in the left one.
const ROOMS: [&str; 4] = ["###########", "#<...#....#", "#....+....#", "###########"];

struct Two {
    world: World,
    trackers: [Tracker; 2],
    views: [ClientView; 2],
}

impl Two {
    /// Ada and Bo make characters at the entrance; Bo then stands in the right room.
    fn new(together: bool) -> Two {
        let floor = Floor::from_ascii(1, &ROOMS);
        let mut world = World::with_first_floor("parties", 1, RATE, floor);
        if !together {
            world = world.with_parties();
        }
        for (n, name) in [(0, "Ada"), (1, "Bo")] {
            world.handle_tick(&[
                Input::Connect {
                    player: pid(n),
                    name: name.into(),
                },
                Input::CreateCharacter {
                    player: pid(n),
                    class: Class::Warrior,
                },
            ]);
        }
        let mut two = Two {
            world,
            trackers: [Tracker::new(), Tracker::new()],
            views: [ClientView::new(), ClientView::new()],
        };
        two.place(1, Pos::new(8, 1));
        two
    }

    fn place(&mut self, n: usize, pos: Pos) {
        let p = self.world.core.players.get_mut(&pid(n)).unwrap();
        p.character.as_mut().unwrap().pos = pos;
        self.tick(&[]);
    }

    /// One tick, and both clients brought up to date.
    fn tick(&mut self, inputs: &[Input]) {
        self.world.handle_tick(inputs);
        let rtt = BTreeMap::new();
        for n in 0..2 {
            crate::view::sync(
                &mut self.trackers[n],
                &mut self.views[n],
                &self.world,
                pid(n),
                &rtt,
            )
            .unwrap();
        }
    }

    fn party(&mut self, n: usize, cmd: PartyCmd) {
        self.tick(&[Input::Party {
            player: pid(n),
            cmd,
        }]);
    }

    fn party_of(&self, n: usize) -> PartyId {
        self.world.party_of(&pid(n)).unwrap()
    }

    fn remembers(&self, n: usize, p: Pos) -> bool {
        let floor = self.world.floor(1).unwrap();
        let memory = floor.memory(self.party_of(n));
        memory.is_some_and(|m| m.get(p).copied().flatten().is_some())
    }

    fn names_listed(&self, n: usize) -> Vec<&str> {
        self.views[n]
            .party
            .iter()
            .map(|m| m.name.as_str())
            .collect()
    }

    fn logged(&self, n: usize, news: &PartyNews) -> bool {
        let kind = EventKind::Party(news.clone());
        self.views[n].log.iter().any(|l| l.event == kind)
    }
}

#[test]
fn strangers_start_alone_and_share_nothing_until_they_form_a_party() {
    let mut t = Two::new(false);
    let right = Pos::new(8, 2);
    assert_ne!(t.party_of(0), t.party_of(1));
    assert!(!t.remembers(0, right), "Ada never looked behind the door");
    assert!(t.remembers(1, right));
    assert_eq!(t.views[0].tile(right), None, "nor did her screen");
    assert_eq!(t.names_listed(0), ["Ada"]);
    // Bo goes down the stairs... there are none; his downs and revives are his party's news.
    assert_eq!(t.world.party_scope(pid(1)), Scope::Party(t.party_of(1)));

    // Accepting before being asked does nothing but say so.
    t.party(1, PartyCmd::Accept("ada".into()));
    assert!(t.views[1].log.iter().any(
        |l| l.event == EventKind::Notice(Notice::Party(PartyProblem::NotInvited("Ada".into())))
    ));
    t.party(0, PartyCmd::Invite("Nobody".into()));
    assert!(t.views[0].log.iter().any(|l| l.event
        == EventKind::Notice(Notice::Party(PartyProblem::NoSuchPlayer("Nobody".into())))));

    // Ada asks, Bo hears it, Bo accepts: one party, one memory, one list.
    t.party(0, PartyCmd::Invite("bo".into()));
    let invited = PartyNews::Invited {
        by: "Ada".into(),
        whom: "Bo".into(),
    };
    assert!(t.logged(0, &invited) && t.logged(1, &invited));
    t.party(1, PartyCmd::Accept("Ada".into()));
    assert_eq!(t.party_of(0), t.party_of(1));
    assert!(t.remembers(0, right), "Bo brought what he saw");
    assert_eq!(
        t.views[0].tile(right),
        Some(Tile::Floor),
        "and Ada's screen shows it"
    );
    assert_eq!(t.names_listed(0), ["Ada", "Bo"]);
    assert!(t.logged(0, &PartyNews::Joined { name: "Bo".into() }));
    assert_eq!(
        t.world.parties().count(),
        1,
        "Bo's old party is gone with its memory"
    );

    // Bo leaves: alone again, remembering what the party knew; Ada keeps it too.
    t.party(1, PartyCmd::Leave);
    assert_ne!(t.party_of(0), t.party_of(1));
    assert!(t.remembers(1, Pos::new(2, 2)) && t.remembers(0, right));
    assert_eq!(t.names_listed(0), ["Ada"]);
    assert!(t.logged(0, &PartyNews::Left { name: "Bo".into() }));
    t.party(1, PartyCmd::Leave);
    assert!(
        t.views[1]
            .log
            .iter()
            .any(|l| l.event == EventKind::Notice(Notice::Party(PartyProblem::Alone)))
    );
}

#[test]
fn parties_see_each_other_when_in_sight_and_hear_only_their_own_news() {
    let mut t = Two::new(false);
    let bo = t
        .world
        .player(&pid(1))
        .unwrap()
        .character
        .as_ref()
        .unwrap()
        .id;
    let sees_bo = |t: &Two| t.views[0].entities.iter().any(|e| e.id == bo.0);
    assert!(!sees_bo(&t), "behind the door");
    t.place(1, Pos::new(3, 2));
    assert!(sees_bo(&t), "in the same room: another party, seen");
    assert_eq!(t.names_listed(0), ["Ada"], "but not in Ada's party list");
    // Bo invites somebody else's... Ada; she declines: Bo's party hears it, she is not asked
    // again by what she declined.
    t.party(1, PartyCmd::Invite("Ada".into()));
    t.party(0, PartyCmd::Decline("Bo".into()));
    assert!(t.logged(1, &PartyNews::Declined { name: "Ada".into() }));
    t.party(0, PartyCmd::Accept("Bo".into()));
    assert_ne!(t.party_of(0), t.party_of(1));
    // News of Bo's party reaches Ada only once she is in it.
    let before = t.views[0].log.len();
    t.tick(&[Input::Party {
        player: pid(1),
        cmd: PartyCmd::Invite("Ada".into()),
    }]);
    assert_eq!(t.views[0].log.len(), before + 1, "only her own invitation");
}

#[test]
fn a_together_world_puts_every_newcomer_in_its_first_party() {
    let mut t = Two::new(true);
    assert_eq!(t.party_of(0), t.party_of(1));
    assert!(t.world.together());
    assert!(t.remembers(0, Pos::new(8, 2)), "one memory for all");
    t.tick(&[]);
    assert_eq!(t.names_listed(0), ["Ada", "Bo"]);
    // A save holds the parties and loads them as they were.
    let again = World::from_save(t.world.full_save()).unwrap();
    assert_eq!(again.state_hash(), t.world.state_hash());
    assert_eq!(again.party_of(&pid(1)), Some(t.party_of(1)));
    // A save whose parties do not add up is refused.
    let mut bad = t.world.full_save();
    bad.core.parties.clear();
    assert!(matches!(
        World::from_save(bad),
        Err(LoadError::Malformed(_))
    ));
}
