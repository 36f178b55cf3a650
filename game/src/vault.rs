//! Vaults: on rooms floors from floor 2, a room reached through one door only is locked
//! ([`crate::mapgen::Vault`]). Its potions and scrolls wait inside; a key lies elsewhere on the
//! floor. Walking into a locked door with a key opens it and uses the key up; any key opens any
//! locked door. Monsters never open one.

use crate::economy::{Entry, Holder, Item, ItemKind};
use crate::event::{EventKind, Notice, Scope};
use crate::geom::Pos;
use crate::ids::PlayerId;
use crate::mapgen::Vault;
use crate::rng::{Rng, Stream};
use crate::tile::Tile;
use crate::world::{MOVE_MS, World};

/// How many potions and scrolls a vault on floor `depth` holds.
pub const fn vault_loot(depth: u8) -> usize {
    2 + depth as usize / 2
}

/// A key lies at least this far (cells) from the stairs up.
pub const KEY_AWAY: i32 = 5;

impl World {
    /// Stocks a new floor's vault: its loot inside, its key on open floor outside (from a
    /// stream of their own).
    pub(crate) fn stock_vault(&mut self, depth: u8, vault: &Vault) {
        let mut rng = Rng::for_stream(self.core.seed, Stream::VaultLoot { depth });
        let Some(floor) = self.floor(depth) else {
            return;
        };
        let up = floor.stairs_up;
        let inside: Vec<Pos> = vault
            .inside
            .iter()
            .copied()
            .filter(|p| floor.tile(*p) == Tile::Floor && !floor.hidden.contains_key(p))
            .collect();
        let outside: Vec<Pos> = floor
            .tiles()
            .positions()
            .filter(|p| floor.tile(*p) == Tile::Floor && p.chebyshev(up) >= KEY_AWAY)
            .filter(|p| !vault.inside.contains(p) && !floor.hidden.contains_key(p))
            .collect();
        if let Some(&pos) = rng.pick(&outside) {
            let item = self.new_key();
            self.record(Entry::Found { item, depth, pos });
        }
        for _ in 0..vault_loot(depth) {
            let Some(&pos) = rng.pick(&inside) else {
                return;
            };
            let item = self.new_consumable(crate::consumable::Consumable::draw(&mut rng));
            self.record(Entry::Found { item, depth, pos });
        }
    }

    /// A new key (not yet anywhere).
    pub(crate) fn new_key(&mut self) -> Item {
        Item {
            id: self.new_item_id(),
            kind: ItemKind::Key,
            quality: 0,
            name: "Key".into(),
            maker: String::new(),
        }
    }

    /// `id` walks into the locked door at `door` on floor `depth`: with a key it opens (the
    /// key is used up); without one the player is told.
    pub(crate) fn unlock(&mut self, id: PlayerId, depth: u8, door: Pos) {
        let key = self
            .economy()
            .items_at(Holder::Carried(id))
            .iter()
            .find(|i| i.kind == ItemKind::Key)
            .map(|i| i.id);
        let Some(key) = key else {
            return self.tell(id, Notice::Locked);
        };
        if !self.record(Entry::Used {
            player: id,
            item: key,
        }) {
            return;
        }
        if let Some(floor) = self.floor_mut(depth) {
            floor.set_tile(door, Tile::DoorOpen);
        }
        self.busy(id, MOVE_MS);
        let name = self.player(&id).map(|p| p.name.clone()).unwrap_or_default();
        self.emit(
            Scope::Seen { depth, pos: door },
            EventKind::Unlocked { name },
        );
    }
}
