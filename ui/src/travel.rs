//! Walking for the player: auto-explore (`x`), travel to the known stairs (`>`/`<` away from
//! them), rest (`Z`). One step at a time, over what the party knows of the floor (a Dijkstra
//! map from `game::path`), each step sent only after the host has started the previous one
//! (the app's one action in flight); all
//! stop at once when a monster comes into view, on damage, or when something new lies in sight.
//! Any key stops them too.

use std::collections::BTreeSet;

use game::path::DistanceMap;
use game::protocol::EntityKind;
use game::view::ClientView;
use game::{Action, Dir, Pos, Tile};

/// Where the walking goes.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Goal {
    Explore,
    Stairs {
        down: bool,
    },
    /// A cell chosen in look mode (next to it, when it cannot be stood on).
    Cell(Pos),
    /// Shift+direction: straight on until something is in the way.
    Run(Dir),
    Rest,
}

/// Walking in progress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Travel {
    pub goal: Goal,
    hp: u16,
    monsters: BTreeSet<u64>,
    piles: BTreeSet<Pos>,
    depth: u8,
}

/// What to do now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Send this action.
    Act(Action),
    /// The last step is still under way.
    Wait,
    /// Finished (or stopped); say this.
    Stop(String),
}

impl Travel {
    /// Starts walking toward `goal`, or says why not.
    pub fn start(goal: Goal, view: &ClientView) -> Result<Travel, String> {
        let me = view.me.as_ref().ok_or("You have no character.")?;
        if me.downed.is_some() {
            return Err("You are down: you cannot walk.".into());
        }
        if let Some(name) = monsters_in_view(view).next().map(|(_, name)| name) {
            return Err(format!("Not with a {name} in view."));
        }
        Ok(Travel {
            goal,
            hp: me.hp,
            monsters: BTreeSet::new(),
            piles: view.piles.iter().map(|(p, _)| *p).collect(),
            depth: me.depth,
        })
    }

    /// The next action, given the newest view; `ready` says the last action sent has started
    /// (the app keeps one in flight at a time).
    pub fn next(&mut self, view: &ClientView, ready: bool) -> Next {
        let Some(me) = view.me.as_ref() else {
            return Next::Stop("Stopped.".into());
        };
        if me.downed.is_some() {
            return Next::Stop("You are down!".into());
        }
        if me.hp < self.hp {
            return Next::Stop("You are hurt: stopped.".into());
        }
        self.hp = me.hp;
        if me.depth != self.depth {
            return Next::Stop("A new floor.".into());
        }
        if let Some((id, name)) = monsters_in_view(view).find(|(id, _)| !self.monsters.contains(id))
        {
            self.monsters.insert(id);
            return Next::Stop(format!("A {name} comes into view."));
        }
        let new_pile = view
            .piles
            .iter()
            .map(|(p, _)| *p)
            .find(|p| !self.piles.contains(p) && view.in_sight(*p));
        if let Some(p) = new_pile {
            self.piles.insert(p);
            return Next::Stop("You see something lying ahead.".into());
        }
        let action = match self.goal {
            Goal::Rest => {
                if me.hp >= me.max_hp && me.mana >= me.max_mana {
                    return Next::Stop("You are rested.".into());
                }
                Action::Wait
            }
            Goal::Explore => match step(view, me.pos, unexplored_next_to) {
                Some(dir) => Action::Move(dir),
                None => {
                    return Next::Stop(
                        "Explored all you can reach here (> travels to the stairs down).".into(),
                    );
                }
            },
            Goal::Run(dir) => {
                let next = me.pos.step(dir);
                let open = matches!(view.tile(next), Some(t) if t.is_walkable());
                if !open || view.entity_at(next).is_some() {
                    return Next::Stop(String::new());
                }
                Action::Move(dir)
            }
            Goal::Cell(target) => {
                let near = |p: Pos| {
                    if passable(view, target) {
                        p == target
                    } else {
                        p.is_adjacent(target)
                    }
                };
                if near(me.pos) {
                    return Next::Stop("You are there.".into());
                }
                match step(view, me.pos, |_, p| near(p)) {
                    Some(dir) => Action::Move(dir),
                    None => return Next::Stop("You know no way there.".into()),
                }
            }
            Goal::Stairs { down } => {
                let stairs = if down {
                    Tile::StairsDown
                } else {
                    Tile::StairsUp
                };
                if view.tile(me.pos) == Some(stairs) {
                    return Next::Stop(format!(
                        "You are on the stairs: press {} again to take them.",
                        if down { '>' } else { '<' }
                    ));
                }
                match step(view, me.pos, |v, p| v.tile(p) == Some(stairs)) {
                    Some(dir) => Action::Move(dir),
                    None => {
                        return Next::Stop(format!(
                            "You know no way to the stairs {} yet (x explores).",
                            if down { "down" } else { "up" }
                        ));
                    }
                }
            }
        };
        // Arrived, rested or stuck is said at once; a step waits for the last to start.
        if !ready || me.ready & game::protocol::ready::ACT == 0 {
            return Next::Wait;
        }
        Next::Act(action)
    }
}

/// Monsters the party sees now, with their names.
fn monsters_in_view(view: &ClientView) -> impl Iterator<Item = (u64, &'static str)> + '_ {
    view.entities.iter().filter_map(|e| match e.kind {
        EntityKind::Monster(kind) if view.in_sight(e.pos) => Some((e.id, kind.stats().name)),
        _ => None,
    })
}

/// A known cell one can stand on next to a cell never seen.
fn unexplored_next_to(view: &ClientView, p: Pos) -> bool {
    Dir::ALL.iter().any(|d| view.tile(p.step(*d)).is_none())
}

/// Cells the walk may use: known, walkable or a closed door (bumping opens it).
fn passable(view: &ClientView, p: Pos) -> bool {
    matches!(view.tile(p), Some(t) if t.is_walkable() || t == Tile::DoorClosed)
}

/// The first step toward the nearest known cell where `goal` holds, around other creatures.
fn step(view: &ClientView, from: Pos, goal: impl Fn(&ClientView, Pos) -> bool) -> Option<Dir> {
    let cells =
        (0..view.height as i16).flat_map(|y| (0..view.width as i16).map(move |x| Pos { x, y }));
    let goals = cells.filter(|p| *p != from && passable(view, *p) && goal(view, *p));
    let map = DistanceMap::new(view.width, view.height, goals, |p| passable(view, p));
    map.downhill(from, |p| view.entity_at(p).is_none())
}
