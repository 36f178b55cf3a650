//! Brogue's simulation core: a pure, deterministic, tick-driven [`World`] plus the protocol and
//! view types that carry what each player may know over the wire.
//!
//! Nothing in this crate performs I/O, reads a clock or draws entropy. Time enters as a
//! [`Tick`], randomness comes from ChaCha8 streams seeded by the world seed and saved with it,
//! and no iterated collection is a hash map. `game/clippy.toml` turns the forbidden APIs into
//! lint errors, and a test checks that no I/O crate is a dependency.

pub mod ability;
mod act;
mod ai;
pub mod class;
mod combat;
pub mod command;
pub mod consumable;
pub mod craft;
pub mod economy;
pub mod event;
pub mod fact;
pub mod floor;
pub mod fov;
pub mod geom;
mod heart;
pub mod ids;
mod items;
mod life;
pub mod light;
pub mod mapgen;
pub mod monster;
pub mod ore;
pub mod party;
pub mod path;
pub mod progress;
pub mod protocol;
pub mod replay;
pub mod rng;
mod secrets;
pub mod special;
pub mod talent;
pub mod text;
pub mod tick;
pub mod tile;
pub mod trade;
mod vault;
pub mod view;
pub mod world;

pub use ability::Target;
pub use class::Class;
pub use command::{Checked, Invalid};
pub use economy::{Entry, Goods, ItemId, Stack};
pub use geom::{Dir, Pos};
pub use ids::{EntityId, PartyId, PlayerId};
pub use tick::{Tick, TickRate};
pub use tile::Tile;
pub use world::{Action, Departure, Input, StateHash, TradeInput, World, WorldSave};
