//! Test fixtures in the `World` API: a hand-drawn first floor, monsters and ore placed at will.
//! Compiled only for tests and for crates that enable the `fixtures` feature in their
//! dev-dependencies, so no production path can call them.

use crate::economy::{Entry, Vein};
use crate::floor::Floor;
use crate::geom::Pos;
use crate::ids::{EntityId, PlayerId};
use crate::monster::{Monster, MonsterKind};
use crate::ore::{OreClass, SpawnId};
use crate::tick::TickRate;
use crate::world::World;

impl World {
    /// A world whose first floor is `floor` instead of a generated one: for fixtures and tools.
    /// Deeper floors are still generated from the seed.
    pub fn with_first_floor(name: &str, seed: u64, tick_rate: TickRate, floor: Floor) -> World {
        let mut world = World::new(name, seed, tick_rate);
        world.core.next_entity = 1;
        world.floors.clear();
        // The generated floor's potions and scrolls go with it.
        world.core.economy.forget_ground_items(1);
        world.core.next_item = 1;
        let mut floor = floor;
        floor.depth = 1;
        world.floors.insert(1, floor);
        world
    }

    /// Places a monster of `kind` at `pos` on floor `depth` (fixtures and tools).
    pub fn spawn_monster(&mut self, depth: u8, kind: MonsterKind, pos: Pos) -> Option<EntityId> {
        self.ensure_floor(depth);
        let id = self.new_entity();
        let next = self.core.tick;
        self.floor_mut(depth)?
            .monsters
            .insert(id, Monster::new(id, kind, pos, next));
        Some(id)
    }

    /// Puts the Heart of the dungeon in `player`'s pack, generating the deepest floor where it
    /// lies (fixtures and tools: a victory without the descent). `false` if it is not on the
    /// ground there.
    pub fn give_heart(&mut self, player: PlayerId) -> bool {
        self.ensure_floor(crate::floor::DEEPEST_FLOOR);
        let Some((crate::economy::Holder::Ground { depth, pos }, heart)) =
            self.economy().heart().map(|(h, i)| (h, i.id))
        else {
            return false;
        };
        self.record(Entry::Moved {
            from: crate::economy::Place::Ground { depth, pos },
            to: crate::economy::Place::Pack(player),
            stacks: vec![],
            items: vec![heart],
        })
    }

    /// Puts a potion or scroll of `kind` in `player`'s pack (fixtures and tools): found at the
    /// character's feet and picked up, as two economy entries. Its id, or `None` without a
    /// character.
    pub fn give_consumable(
        &mut self,
        player: PlayerId,
        kind: crate::consumable::Consumable,
    ) -> Option<crate::economy::ItemId> {
        let (depth, pos) = self.place_of(player)?;
        let item = crate::economy::Item {
            id: self.new_item_id(),
            kind: crate::economy::ItemKind::Consumable(kind),
            quality: 0,
            name: kind.name().to_owned(),
            maker: String::new(),
        };
        let id = item.id;
        let found = self.record(Entry::Found { item, depth, pos });
        let moved = self.record(Entry::Moved {
            from: crate::economy::Place::Ground { depth, pos },
            to: crate::economy::Place::Pack(player),
            stacks: vec![],
            items: vec![id],
        });
        (found && moved).then_some(id)
    }

    /// Puts a key on the ground at `pos` of floor `depth` (fixtures and tools).
    pub fn place_key(&mut self, depth: u8, pos: Pos) -> Option<crate::economy::ItemId> {
        let item = self.new_key();
        let id = item.id;
        self.record(Entry::Found { item, depth, pos }).then_some(id)
    }

    /// Adds experience to `player`'s character as kills would (levels, growth, the party told).
    /// For fixtures and tools.
    pub fn give_xp(&mut self, player: PlayerId, xp: u32) {
        self.gain_xp(player, xp);
    }

    /// Records an economy entry for fixtures and tools (e.g. ore in a pack). `false` if invalid.
    pub fn grant(&mut self, entry: Entry) -> bool {
        self.record(entry)
    }

    /// Puts `units` of the current spawn of `class` in `player`'s pack, the way mining would:
    /// a vein found off the map of floor 1 (x < 0), then mined out. Both are economy entries.
    /// For fixtures and tools; `None` if `class` has no current spawn or `units` is 0 or too big
    /// for one vein.
    pub fn give_ore(&mut self, player: PlayerId, class: OreClass, units: u32) -> Option<SpawnId> {
        let spawn = self.economy().spawns.current(class)?.id;
        let vein = Vein {
            class,
            units: u16::try_from(units).ok().filter(|&u| u > 0)?,
        };
        let pos = (1..=i16::MAX)
            .map(|x| Pos::new(-x, -1))
            .find(|&p| self.economy().vein(1, p).is_none())?;
        let found = self.record(Entry::VeinsFound {
            depth: 1,
            veins: vec![(pos, vein)],
        });
        let mined = found
            && self.record(Entry::Mined {
                depth: 1,
                pos,
                player,
                spawn,
                units,
            });
        mined.then_some(spawn)
    }
}
