//! Look mode (`;`): what is at a cell, in words, for the cursor the player moves over the map.

use game::monster::Role;
use game::protocol::{EntityKind, PileKind, effect};
use game::view::ClientView;
use game::{Pos, Tile};

/// One line about `p`: the creature there, what lies there, and the ground.
pub fn describe(view: &ClientView, p: Pos) -> String {
    let Some(tile) = view.tile(p) else {
        return "You have not seen this place.".into();
    };
    let seen = view.in_sight(p);
    let mut parts = Vec::new();
    if seen && let Some(e) = view.entity_at(p) {
        parts.push(creature(view, e));
    }
    if seen && let Some(pile) = view.pile_at(p) {
        parts.push(
            match pile {
                PileKind::Ore => "ore lies here (g picks it up)",
                PileKind::Item => "an item lies here (g picks it up)",
                PileKind::Heart => "the Heart of the Deep lies here!",
                PileKind::Snare => "your party's snare is set here",
                PileKind::Potion => "a potion lies here (g picks it up)",
                PileKind::Scroll => "a scroll lies here (g picks it up)",
                PileKind::Key => "a key lies here: it opens a locked door (g picks it up)",
            }
            .to_owned(),
        );
    }
    let ground = match tile {
        Tile::Wall => "a wall",
        Tile::Floor => "floor",
        Tile::DoorClosed => "a closed door (walk into it to open)",
        Tile::DoorOpen => "an open door",
        Tile::StairsDown => "stairs down (>)",
        Tile::StairsUp => "stairs up (<)",
        Tile::Vein => "an ore vein (walk into it to mine)",
        Tile::Shrine => "a Vault Shrine (v banks ore here)",
        Tile::ShallowWater => "shallow water",
        Tile::DeepWater => "deep water (every step takes twice as long)",
        Tile::Lava => "lava (nobody can walk in it)",
        Tile::Chasm => "a chasm (walk in to drop to the floor below, and get hurt)",
        Tile::Bridge => "a bridge",
        Tile::TrapAlarm => "an alarm trap (it calls the monsters around; it springs once)",
        Tile::TrapDart => "a dart trap (it hurts; it springs once)",
        Tile::TrapNet => "a net trap (it holds you a moment; it springs once)",
        Tile::DoorLocked => "a locked door (a key opens it: walk into it carrying one)",
        Tile::Brazier => "a brazier (it lights the dark around it)",
        Tile::Lode => {
            let class = view
                .depth
                .map_or("rich", |d| game::mapgen::lode_class(d).name());
            &format!("a lode of {class}, richer than this floor's veins (walk into it to mine)")
        }
    };
    parts.push(ground.to_owned());
    let mut line = parts.join("; ");
    if let Some(first) = line.get(..1) {
        line = first.to_uppercase() + &line[1..];
    }
    if !seen {
        line.push_str(" (remembered)");
    }
    line.push('.');
    line
}

/// How much of a strike lands on a monster here, when the deep makes it tough: "takes 57% of
/// blades, 40% of arrows and spells", for the characters the host counts on your floor.
fn toughness(me: &game::protocol::SelfView) -> Option<String> {
    use game::monster::{Harm, after_toughness, toughness};
    let here = usize::from(me.characters_here);
    let share = |harm| after_toughness(1000, toughness(me.depth, here, harm)) / 10;
    let (blades, missiles) = (share(Harm::Blade), share(Harm::Shot));
    match (blades, missiles) {
        (100, 100) => None,
        (100, m) => Some(format!("takes {m}% of arrows and spells")),
        (b, m) => Some(format!("takes {b}% of blades, {m}% of arrows and spells")),
    }
}

fn creature(view: &ClientView, e: &game::protocol::EntityView) -> String {
    let mut effects = Vec::new();
    if e.effects & effect::FROZEN != 0 {
        effects.push("frozen");
    }
    if e.effects & effect::ASLEEP != 0 {
        effects.push("asleep: a hit does double");
    }
    let state = |extra: &[&str]| {
        let all: Vec<&str> = effects
            .iter()
            .copied()
            .chain(extra.iter().copied())
            .collect();
        if all.is_empty() {
            String::new()
        } else {
            format!(", {}", all.join(", "))
        }
    };
    match e.kind {
        EntityKind::Monster(kind) => {
            let s = kind.stats();
            let does = match s.role {
                Role::Melee => "fights up close".to_owned(),
                Role::Ranged { range } => format!("shoots from up to {range} cells"),
                Role::Healer => "heals monsters near it".to_owned(),
                Role::Summoner => "raises skeletons".to_owned(),
                Role::Guardian => "guards its place".to_owned(),
            };
            let special = kind.special();
            let does = match special {
                Some(d) => format!("{does}, warns before its {}", d.noun),
                None => does,
            };
            let resists: Vec<&str> = kind.resists().iter().map(|h| h.noun()).collect();
            let does = match resists.as_slice() {
                [] => does,
                [one] => format!("{does}, shrugs off half the {one}"),
                [first @ .., last] => {
                    format!(
                        "{does}, shrugs off half the {} and {last}",
                        first.join(", ")
                    )
                }
            };
            let winding = special
                .filter(|_| e.aim.is_some())
                .map(|d| format!("about to let its {} go", d.noun));
            // What it hits for here: the same kind hits harder deeper.
            let depth = view.me.as_ref().map_or(1, |me| me.depth);
            let does = match view.me.as_ref().and_then(toughness) {
                Some(tough) => format!("{does}, {tough}"),
                None => does,
            };
            format!(
                "{} (health {}%{}): hits for {}–{}, {does}",
                crate::log::with_article(s.name),
                e.hp_pct,
                state(&winding.as_deref().into_iter().collect::<Vec<_>>()),
                game::monster::deepen(s.damage.0, depth),
                game::monster::deepen(s.damage.1, depth)
            )
        }
        EntityKind::Character {
            class,
            downed,
            away,
            ..
        } => {
            let member = view.member_for(e.id);
            let name = match member {
                Some(m) if m.is_you => format!("you, {}", m.name),
                Some(m) => m.name.clone(),
                None => "someone".to_owned(),
            };
            let mut extra = Vec::new();
            if member.is_some_and(|m| m.heart) {
                extra.push("carries the Heart of the Deep: guard them up the stairs");
            }
            if downed {
                extra.push("down: stand next to them to revive");
            }
            if away {
                extra.push("away");
            }
            format!(
                "{name} the {} (health {}%{})",
                class.name(),
                e.hp_pct,
                state(&extra)
            )
        }
    }
}
