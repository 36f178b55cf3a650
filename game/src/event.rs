//! What happened during a tick, as data, addressed to whoever may know it.
//!
//! Events carry who, what, where and how much; no rule reads them back, and nothing here is
//! English. The client renders them (`ui::log`), the way rust-analyzer keeps diagnostics as
//! data and renders them late. Names in events are display names as the world knew them when
//! it happened (already sanitised by the world).

use serde::{Deserialize, Serialize};

use crate::class::Class;
use crate::consumable::Consumable;
use crate::craft::Recipe;
use crate::geom::Pos;
use crate::ids::{PartyId, PlayerId};
use crate::monster::MonsterKind;
use crate::ore::OreClass;
use crate::special::{Blow, Broken, Special};
use crate::world::Departure;

/// Who may learn of an event. The host filters per player, so an event is never a map hack.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Scope {
    /// The whole party (joins, deaths, descents).
    Everyone,
    /// One player only ("there are no stairs here").
    Player(PlayerId),
    /// Whoever's party currently sees cell `pos` on floor `depth` (combat).
    Seen { depth: u8, pos: Pos },
    /// The members of one party (downs, revives, stairs, party news).
    Party(PartyId),
}

/// One event of a tick.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub scope: Scope,
    pub kind: EventKind,
}

/// Units of one ore spawn, named as it was when the event happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    pub units: u32,
    pub spawn: String,
    pub class: OreClass,
}

/// Ore and items that moved, for a message.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lots {
    pub ore: Vec<Lot>,
    /// Item names.
    pub items: Vec<String>,
}

/// How a character's blow or spell landed on a monster.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Strike {
    /// Melee.
    Hits,
    /// Cleave.
    Cleaves,
    /// Firebolt.
    Burns,
    /// Aimed Shot.
    Shoots,
    /// Frost Nova.
    Chills,
    /// A Potion of Fire.
    Flames,
}

impl Strike {
    /// What it is made of, for the monsters that resist some harms.
    pub fn harm(self) -> crate::monster::Harm {
        use crate::monster::Harm;
        match self {
            Strike::Hits | Strike::Cleaves => Harm::Blade,
            Strike::Shoots => Harm::Shot,
            Strike::Burns | Strike::Flames => Harm::Fire,
            Strike::Chills => Harm::Frost,
        }
    }
}

/// An ability seen used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AbilityUse {
    ShieldWall,
    Taunt { foes: u16 },
    FrostNova,
    Blink,
    Mark { monster: MonsterKind },
    Snare,
    Ward { ally: String, points: u16 },
}

/// Why an open trade ended without a swap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TradeEnd {
    /// This player cancelled it.
    Cancelled(String),
    /// This player disconnected.
    Left(String),
    Downed(String),
    Died(String),
    /// This player took the stairs.
    LeftFloor(String),
}

/// A feature of the cell a character steps onto.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Feature {
    StairsDown,
    StairsUp,
    /// The up staircase of floor 1: the way out.
    Entrance,
    Shrine,
}

/// What an ability needed and did not find.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Wanted {
    Enemy,
    Ally,
    /// A free cell in sight and range (Blink, Snare).
    Place,
    DownedAlly,
    /// Cleave and Frost Nova: something adjacent.
    Adjacent,
}

/// Why stacks cannot make a recipe.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CraftProblem {
    /// A recipe takes an exact number of units.
    Units {
        recipe: Recipe,
        need: u32,
        chose: u32,
    },
    UnknownOre,
    TooSoft {
        class: OreClass,
        recipe: Recipe,
    },
    NotCarried {
        units: u32,
        spawn: String,
    },
}

/// Something told to one player: a refusal, a hint, a result only they care about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Notice {
    CrawlOnly,
    TooWeakToFight,
    /// The character stands on a feature.
    Here(Feature),
    /// Something lies on the cell stepped onto.
    SomethingHere,
    NoStairs {
        down: bool,
    },
    /// Climbing out of floor 1 without the Heart.
    ExitSealed,
    /// Climbing out of floor 1 with the Heart, by a character that already won once: a
    /// character's first victory is its only one (protocol 10).
    AlreadyWon,
    NotWhileDowned,
    /// Ability `slot` of `class` is cooling down for `secs` more seconds.
    NotReady {
        class: Class,
        slot: u8,
        secs: u64,
    },
    NoMana {
        class: Class,
        slot: u8,
    },
    NoTarget(Wanted),
    NothingToPickUp,
    NothingToDrop,
    NeedShrine,
    NotEnoughCarried,
    NotEnoughInVault,
    HeartNotWorn,
    NotCarried,
    VeinExhausted,
    Mining {
        class: OreClass,
    },
    CraftStarted {
        recipe: Recipe,
    },
    CannotCraft(CraftProblem),
    /// The goods changed while crafting (`None`: the economy refused the entry).
    CraftFailed(Option<CraftProblem>),
    Interrupted,
    PickedUp(Lots),
    Dropped(Lots),
    Banked(Lots),
    Withdrew {
        goods: Lots,
        now_impure: bool,
    },
    Mined {
        lot: Lot,
        exhausted: bool,
    },
    NobodyToTrade,
    TradeOtherFloor,
    CannotTradeNow,
    AlreadyTrading,
    OfferNotCarried,
    /// Someone opened a trade with this player.
    TradeOffered {
        by: String,
    },
    TradeOpened {
        with: String,
    },
    TradeDone {
        a: String,
        a_gives: Lots,
        b: String,
        b_gives: Lots,
    },
    /// Both accepted, but the goods were gone.
    TradeFailed,
    TradeCancelled(TradeEnd),
    /// A party command that could not be done.
    Party(PartyProblem),
    /// Only potions and scrolls are used.
    NotUsable,
    /// Potions and scrolls are not worn.
    NotWorn,
    /// A Potion of Descent on the deepest floor: the rock below is solid.
    NothingBelow,
    /// A step into lava was refused.
    Lava,
    /// The character took ore withdrawn from a Legacy Vault (or gear made from it) from the
    /// ground or a trade: it is impure now.
    Tainted,
    /// A locked door, and no key in the pack.
    Locked,
    /// A talent that cannot be chosen (yet).
    NoTalent(crate::talent::NotLearned),
}

/// Why a party command did nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartyProblem {
    /// No player of this world goes by that name.
    NoSuchPlayer(String),
    AlreadyWithYou(String),
    /// Accepting an invitation nobody sent.
    NotInvited(String),
    /// Leaving a party of one.
    Alone,
}

/// What happened to a party.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum PartyNews {
    /// `by` asked `whom` to join (told to both sides).
    Invited { by: String, whom: String },
    /// `name` joined (told to the party, the newcomer included).
    Joined { name: String },
    /// `name` left (told to the party left and to the one leaving).
    Left { name: String },
    /// `name` turned an invitation down (told to the party).
    Declined { name: String },
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    Joined {
        name: String,
        returning: bool,
    },
    Left {
        name: String,
        why: Departure,
        /// It left in combat: its character stays in the world a while
        /// ([`crate::progress::LINGER_MS`]).
        lingering: bool,
    },
    EnteredDungeon {
        name: String,
        class: Class,
    },
    Chat {
        name: String,
        text: String,
    },
    /// A new spawn of `class` is in the veins.
    NewSpawn {
        class: OreClass,
        spawn: String,
    },
    Stairs {
        name: String,
        down: bool,
        depth: u8,
    },
    /// A character hurt a monster.
    Struck {
        name: String,
        how: Strike,
        monster: MonsterKind,
        damage: u16,
        killed: bool,
        shattered: bool,
    },
    /// A character's blow missed.
    Missed {
        name: String,
        monster: MonsterKind,
    },
    MonsterMissed {
        monster: MonsterKind,
        name: String,
        ranged: bool,
    },
    /// A monster hurt a character (`fallen`: it was already downed).
    MonsterHit {
        monster: MonsterKind,
        blow: Blow,
        name: String,
        damage: u16,
        absorbed: u16,
        shield_wall: bool,
        fallen: bool,
    },
    Downed {
        name: String,
        monster: MonsterKind,
        blow: Blow,
    },
    Died {
        name: String,
        class: Class,
        depth: u8,
    },
    /// Revived by standing allies.
    BackOnFeet {
        name: String,
    },
    /// Revived by a Healer.
    Revived {
        name: String,
    },
    Ability {
        name: String,
        used: AbilityUse,
    },
    Healed {
        healer: String,
        ally: String,
        amount: u16,
    },
    MonsterHealed {
        healer: MonsterKind,
        patient: MonsterKind,
    },
    Summoned {
        by: MonsterKind,
    },
    Snared {
        monster: MonsterKind,
    },
    TookHeart {
        name: String,
    },
    Crafted {
        maker: String,
        item: String,
        recipe: Recipe,
        quality: u16,
    },
    Victory {
        name: String,
        pure: bool,
    },
    Notice(Notice),
    Party(PartyNews),
    /// A character reached a new level.
    LevelUp {
        name: String,
        level: u8,
    },
    /// The Heart went back to the deepest floor: its carrier was away too long.
    HeartReturned {
        name: String,
    },
    /// A monster hunting a character took the stairs after it.
    Follows {
        monster: MonsterKind,
        name: String,
        down: bool,
    },
    /// A character drank or read `kind`, which looked like `looks` (`newly`: the party did not
    /// know it before; it does now).
    Used {
        name: String,
        kind: Consumable,
        looks: String,
        newly: bool,
    },
    /// A monster woke: caught asleep by `by`'s blow (a sneak attack), or on its own.
    Woke {
        monster: MonsterKind,
        by: Option<String>,
    },
    /// A character sank through the floor to `depth` (a Potion of Descent).
    Sank {
        name: String,
        depth: u8,
    },
    /// A character found a secret door or a trap (`tile`: what it turned out to be).
    Found {
        name: String,
        tile: crate::tile::Tile,
    },
    /// A character stepped on a trap (`damage`: what a dart did).
    TrapSprung {
        name: String,
        trap: crate::tile::Tile,
        damage: u16,
    },
    /// A character walked into a chasm and fell to `depth`, hurt by `damage`.
    Fell {
        name: String,
        depth: u8,
        damage: u16,
    },
    /// A monster began a telegraphed special at `name`'s character, or (taunted) turned it on
    /// them.
    WindsUp {
        monster: MonsterKind,
        special: Special,
        name: String,
    },
    /// A special let go (the hits it made follow as [`EventKind::MonsterHit`]s).
    Unleashed {
        monster: MonsterKind,
        special: Special,
    },
    /// A wind-up came to nothing.
    SpecialBroken {
        monster: MonsterKind,
        special: Special,
        why: Broken,
    },
    /// A character opened a locked door with a key.
    Unlocked {
        name: String,
    },
    /// A character chose talent `pick` of `tier` ([`Class::talent`]).
    Learned {
        name: String,
        class: Class,
        tier: u8,
        pick: u8,
    },
    /// The deep sent a `monster` (with its kin) after the Heart, onto floor `depth`
    /// ([`crate::heart`]).
    Hunted {
        monster: MonsterKind,
        depth: u8,
    },
    /// A new Heart of the Deep formed on floor 12, [`crate::heart::REGROW_MS`] after the last
    /// victory.
    HeartFormed,
    /// The party saw floor `depth`'s lode for the first time ([`crate::mapgen::Lode`]).
    LodeSeen {
        class: OreClass,
        depth: u8,
    },
}
