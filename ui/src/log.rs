//! The message log in English: events arrive as data ([`EventKind`]) and are worded here, at
//! the edge, with the tone that colours them. No rule anywhere reads these words.

use game::class::Class;
use game::event::{
    AbilityUse, CraftProblem, EventKind, Feature, Lot, Lots, Notice, PartyNews, PartyProblem,
    Strike, TradeEnd, Wanted,
};
use game::monster::MonsterKind;
use game::protocol::ChannelView;
use game::special::{Blow, Broken, Special};
use game::talent::NotLearned;
use game::tile::Tile;
use game::world::Departure;

/// How the message log colours a line.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Bad,
    Combat,
    /// A player's chat line.
    Chat,
}

/// Log lines as shown: words and tone, with a run of identical lines folded into one and
/// counted ("You hit the rat. (×3)").
pub fn folded<'a>(
    log: impl IntoIterator<Item = &'a game::protocol::LogLine>,
) -> Vec<(String, Tone)> {
    let mut out: Vec<(String, Tone, usize)> = Vec::new();
    for line in log {
        let text = describe(&line.event);
        match out.last_mut() {
            Some((last, _, n)) if *last == text => *n += 1,
            _ => out.push((text, tone(&line.event), 1)),
        }
    }
    out.into_iter()
        .map(|(text, tone, n)| match n {
            1 => (text, tone),
            n => (format!("{text} (×{n})"), tone),
        })
        .collect()
}

/// The tone of an event.
pub fn tone(event: &EventKind) -> Tone {
    use EventKind as E;
    match event {
        E::Chat { .. } => Tone::Chat,
        E::Joined { .. }
        | E::EnteredDungeon { .. }
        | E::BackOnFeet { .. }
        | E::Revived { .. }
        | E::Healed { .. }
        | E::Snared { .. }
        | E::TookHeart { .. }
        | E::LevelUp { .. }
        | E::Learned { .. }
        | E::Unlocked { .. }
        | E::Used { newly: true, .. }
        | E::Crafted { .. }
        | E::Victory { .. }
        | E::Struck { killed: true, .. } => Tone::Good,
        E::Downed { .. }
        | E::Died { .. }
        | E::Summoned { .. }
        | E::MonsterHit { .. }
        | E::WindsUp { .. }
        | E::Unleashed { .. }
        | E::Follows { .. }
        | E::Hunted { .. } => Tone::Bad,
        E::SpecialBroken { .. } => Tone::Good,
        E::Struck { .. }
        | E::Missed { .. }
        | E::MonsterMissed { .. }
        | E::Ability { .. }
        | E::MonsterHealed { .. } => Tone::Combat,
        E::Left { .. }
        | E::NewSpawn { .. }
        | E::Stairs { .. }
        | E::HeartReturned { .. }
        | E::HeartFormed
        | E::Used { .. }
        | E::Sank { .. } => Tone::Info,
        E::Fell { .. } | E::TrapSprung { .. } => Tone::Bad,
        E::Found { .. } | E::LodeSeen { .. } => Tone::Good,
        E::Woke { by: Some(_), .. } => Tone::Good,
        E::Woke { .. } => Tone::Bad,
        E::Party(PartyNews::Joined { .. }) => Tone::Good,
        E::Party(_) => Tone::Info,
        E::Notice(n) => match n {
            Notice::Interrupted | Notice::TradeFailed => Tone::Bad,
            Notice::TradeDone { .. } => Tone::Good,
            _ => Tone::Info,
        },
    }
}

/// "a rat", "an ogre", "the Deep Warden", "Grisk the Goblin King".
pub(crate) fn with_article(name: &str) -> String {
    if name.contains(" the ") {
        return name.to_owned();
    }
    let article = if name.starts_with(char::is_uppercase) {
        "the"
    } else if name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {name}")
}

fn monster(kind: MonsterKind) -> &'static str {
    kind.stats().name
}

fn ability(class: Class, slot: u8) -> &'static str {
    class
        .abilities()
        .get(usize::from(slot))
        .map_or("That ability", |a| a.name)
}

/// "3 Kalomite (Iron)".
fn lot(l: &Lot) -> String {
    format!("{} {} ({})", l.units, l.spawn, l.class.name())
}

/// "3 Kalomite (Iron), a Kalomite Sword", or "nothing".
fn lots(goods: &Lots) -> String {
    let parts: Vec<String> = goods
        .ore
        .iter()
        .map(lot)
        .chain(goods.items.iter().cloned())
        .collect();
    if parts.is_empty() {
        "nothing".into()
    } else {
        parts.join(", ")
    }
}

/// What a long action is called in the status line.
pub fn channel(what: &ChannelView) -> String {
    match what {
        ChannelView::Mining => "mining".into(),
        ChannelView::Crafting(recipe) => format!("crafting a {}", recipe.def().name),
    }
}

/// One log line, in English.
pub fn describe(event: &EventKind) -> String {
    use EventKind as E;
    match event {
        E::Joined {
            name,
            returning: true,
        } => format!("{name} is back."),
        E::Joined { name, .. } => format!("{name} joins the game."),
        E::Left {
            name,
            lingering: true,
            ..
        } => format!("{name} left in the middle of a fight: their character stays 10 s."),
        E::Left {
            name,
            why: Departure::Left,
            ..
        } => format!("{name} leaves; their character waits here, safe."),
        E::Left { name, .. } => format!("{name} lost connection; their character waits, safe."),
        E::LevelUp { name, level } => format!("{name} reaches level {level}!"),
        E::Unlocked { name } => format!("{name} unlocks the door with a key."),
        E::Learned {
            name,
            class,
            tier,
            pick,
        } => match class.talent(*tier, *pick) {
            Some(t) => format!("{name} learns {}: {}.", t.name, t.what),
            None => format!("{name} learns a talent."),
        },
        E::Follows {
            monster: m,
            name,
            down,
        } => {
            let way = if *down { "down" } else { "up" };
            format!("The {} follows {name} {way} the stairs!", monster(*m))
        }
        E::Hunted { monster: m, depth } => format!(
            "The Heart calls to the deep: {} climbs onto floor {depth} after it!",
            with_article(monster(*m))
        ),
        E::LodeSeen { class, depth } => format!(
            "A lode of {} glints on floor {depth}; something from deeper sleeps by it.",
            class.name()
        ),
        E::HeartFormed => {
            "A new Heart of the Deep has formed on floor 12, and a Deep Warden guards it.".into()
        }
        E::HeartReturned { name } => {
            format!("{name} was away too long: the Heart of the Deep returns to floor 12.")
        }
        E::Used {
            name,
            kind,
            looks,
            newly,
        } => {
            let verb = if kind.is_potion() { "drinks" } else { "reads" };
            if *newly {
                format!("{name} {verb} the {looks}: it is a {}!", kind.name())
            } else {
                format!("{name} {verb} a {}.", kind.name())
            }
        }
        E::Woke {
            monster: m,
            by: Some(name),
        } => format!("{name} catches the {} asleep!", monster(*m)),
        E::Woke { monster: m, .. } => format!("The {} wakes up!", monster(*m)),
        E::WindsUp {
            monster: m,
            special,
            name,
        } => format!(
            "The {} gets ready to {} {name}! ({})",
            monster(*m),
            m.special().map_or("strike", |d| d.verb),
            dodge(*special)
        ),
        E::Unleashed {
            monster: m,
            special: Special::Charge,
        } => format!("The {} charges!", monster(*m)),
        E::Unleashed { monster: m, .. } => {
            format!("The {} lets its {} go!", monster(*m), special_noun(*m))
        }
        E::SpecialBroken {
            monster: m, why, ..
        } => match why {
            Broken::Frozen => format!(
                "The frost breaks the {}'s {}.",
                monster(*m),
                special_noun(*m)
            ),
            Broken::Rooted => format!(
                "The snare holds the {}: its charge comes to nothing.",
                monster(*m)
            ),
            Broken::LostSight => format!(
                "The {}'s {} finds no target.",
                monster(*m),
                special_noun(*m)
            ),
            Broken::Nobody => format!("The {} charges into nothing and stumbles.", monster(*m)),
        },
        E::Sank { name, depth } => format!("{name} sinks through the floor to floor {depth}."),
        E::Fell {
            name,
            depth,
            damage,
        } => format!("{name} falls into the chasm and lands on floor {depth} ({damage})."),
        E::Found {
            name,
            tile: Tile::DoorClosed,
        } => format!("{name} finds a secret door!"),
        E::Found { name, tile } => format!("{name} spots {}.", trap_name(*tile)),
        E::TrapSprung {
            name,
            trap: Tile::TrapAlarm,
            ..
        } => format!("{name} steps on an alarm trap: a bell rings out, and things stir!"),
        E::TrapSprung {
            name,
            trap: Tile::TrapDart,
            damage,
        } => format!("{name} steps on a dart trap ({damage})."),
        E::TrapSprung { name, .. } => {
            format!("{name} steps on a net trap and is caught for a moment.")
        }
        E::EnteredDungeon { name, class } => {
            format!("{name} enters the dungeon as a {}.", class.name())
        }
        E::Chat { name, text } => format!("{name}: {text}"),
        E::Party(news) => match news {
            PartyNews::Invited { by, whom } => {
                format!("{by} invites {whom} to the party ({whom}: /accept {by} or /decline {by}).")
            }
            PartyNews::Joined { name } => format!("{name} is in the party now."),
            PartyNews::Left { name } => format!("{name} leaves the party."),
            PartyNews::Declined { name } => format!("{name} declines to join the party."),
        },
        E::NewSpawn { class, spawn } => {
            format!("A new {} spawn is in the veins: {spawn}.", class.name())
        }
        E::Stairs { name, down, depth } => {
            let verb = if *down { "descends" } else { "climbs" };
            format!("{name} {verb} to floor {depth}.")
        }
        E::Struck {
            name,
            how,
            monster: m,
            damage,
            killed,
            shattered,
        } => {
            let verb = match how {
                Strike::Hits => "hits",
                Strike::Cleaves => "cleaves",
                Strike::Burns => "burns",
                Strike::Shoots => "shoots",
                Strike::Chills => "chills",
                Strike::Flames => "scorches",
            };
            let kills = if *killed { " and kills it!" } else { "." };
            let shatter = if *shattered { " It shatters!" } else { "" };
            let harm = how.harm();
            let resists = if !*killed && m.resists().contains(&harm) {
                format!(" It shrugs off half the {}.", harm.noun())
            } else {
                String::new()
            };
            format!(
                "{name} {verb} the {} ({damage}){kills}{resists}{shatter}",
                monster(*m)
            )
        }
        E::Missed { name, monster: m } => format!("{name} misses the {}.", monster(*m)),
        E::MonsterMissed {
            monster: m,
            name,
            ranged: true,
        } => format!("The {} shoots at {name} and misses.", monster(*m)),
        E::MonsterMissed {
            monster: m, name, ..
        } => format!("The {} misses {name}.", monster(*m)),
        E::MonsterHit {
            monster: m,
            blow,
            name,
            damage,
            absorbed,
            shield_wall,
            fallen,
        } => {
            let source = source(*m, *blow);
            let mut text = if *fallen {
                format!("The {source} strikes the fallen {name} ({damage}).")
            } else {
                format!("The {source} hits {name} ({damage}).")
            };
            if *absorbed > 0 {
                text.push_str(&format!(" The ward absorbs {absorbed}."));
            }
            if *shield_wall {
                text.push_str(" (shield wall)");
            }
            text
        }
        E::Downed {
            name,
            monster: m,
            blow,
        } => format!(
            "{name} is downed by the {}! Stand next to them for 3 s to revive them.",
            source(*m, *blow)
        ),
        E::Died { name, class, depth } => format!(
            "{name} the {} has died on floor {depth}. What they carried lies there; their vault \
             remains; a new hero may begin.",
            class.name()
        ),
        E::BackOnFeet { name } => format!("{name} is back on their feet!"),
        E::Revived { name } => format!("{name} is revived!"),
        E::Ability { name, used } => {
            let what = match used {
                AbilityUse::ShieldWall => "raises a shield wall".to_owned(),
                AbilityUse::Taunt { foes } => format!("taunts {foes} foes"),
                AbilityUse::FrostNova => "releases a frost nova".to_owned(),
                AbilityUse::Blink => "blinks".to_owned(),
                AbilityUse::Mark { monster: m } => format!("marks the {}", monster(*m)),
                AbilityUse::Snare => "sets a snare".to_owned(),
                AbilityUse::Ward { ally, points } => format!("wards {ally} ({points})"),
            };
            format!("{name} {what}.")
        }
        E::Healed {
            healer,
            ally,
            amount,
        } => format!("{healer} heals {ally} ({amount})."),
        E::MonsterHealed { healer, patient } => {
            format!("The {} heals the {}.", monster(*healer), monster(*patient))
        }
        E::Summoned { by } => format!("The {} raises a skeleton!", monster(*by)),
        E::Snared { monster: m } => format!("The {} is caught in a snare!", monster(*m)),
        E::TookHeart { name } => format!(
            "{name} has taken the Heart of the Deep! Carry it up the stairs of floor 1 for Victory \
             (it is heavy: its carrier walks at half speed)."
        ),
        E::Crafted {
            maker,
            item,
            recipe,
            quality,
        } => format!(
            "{maker} crafts a {item} (quality {quality}: {}).",
            recipe.stats(*quality).describe()
        ),
        E::Victory { name, pure } => {
            let kind = if *pure { "a PURE VICTORY" } else { "VICTORY" };
            format!(
                "{name} carries the Heart of the Deep out of the dungeon: {kind}! The Heart \
                 returns to the depths."
            )
        }
        E::Notice(notice) => describe_notice(notice),
    }
}

/// "orc", or "goblin archer's arrow".
fn source(m: MonsterKind, blow: Blow) -> String {
    match blow {
        Blow::Melee => monster(m).to_owned(),
        Blow::Ranged => format!("{}'s arrow", monster(m)),
        Blow::Special(_) => format!("{}'s {}", monster(m), special_noun(m)),
    }
}

fn trap_name(tile: Tile) -> &'static str {
    match tile {
        Tile::TrapAlarm => "an alarm trap",
        Tile::TrapDart => "a dart trap",
        Tile::TrapNet => "a net trap",
        _ => "something hidden",
    }
}

fn special_noun(m: MonsterKind) -> &'static str {
    m.special().map_or("attack", |d| d.noun)
}

/// What a player can do about a special, said when it winds up.
fn dodge(special: Special) -> &'static str {
    match special {
        Special::Charge => "step off its line",
        Special::Breath => "get out of the cone",
        Special::Curse => "break its line of sight",
    }
}

fn describe_notice(notice: &Notice) -> String {
    use Notice as N;
    match notice {
        N::CrawlOnly => "You can only crawl while downed.".into(),
        N::TooWeakToFight => "You are too weak to fight: crawl away or wait for help.".into(),
        N::Here(Feature::StairsDown) => "A staircase leads down here (press >).".into(),
        N::Here(Feature::StairsUp) => "A staircase leads up here (press <).".into(),
        N::Here(Feature::Entrance) => "The dungeon's entrance (press < to leave).".into(),
        N::Here(Feature::Shrine) => "A Vault Shrine: press v to use your Legacy Vault.".into(),
        N::SomethingHere => "Something lies here (press g to pick it up).".into(),
        N::NoStairs { down: true } => "There are no stairs down here.".into(),
        N::NoStairs { down: false } => "There are no stairs up here.".into(),
        N::ExitSealed => "The way out is sealed: you do not hold the Heart of the Deep.".into(),
        N::AlreadyWon => "This character has already won once, and a character wins only once: \
                          hand the Heart to a friend, or win again with a new character."
            .into(),
        N::NotWhileDowned => "You cannot do that while downed.".into(),
        N::NotReady { class, slot, secs } => {
            format!("{} is not ready ({secs} s).", ability(*class, *slot))
        }
        N::NoMana { class, slot } => format!("Not enough mana for {}.", ability(*class, *slot)),
        N::NoTarget(Wanted::Enemy) => "No enemy in sight and range.".into(),
        N::NoTarget(Wanted::Ally) => "No ally in sight and range for that.".into(),
        N::NoTarget(Wanted::Place) => "No place in sight and range for that.".into(),
        N::NoTarget(Wanted::DownedAlly) => "No downed ally next to you.".into(),
        N::NoTarget(Wanted::Adjacent) => "Nothing next to you for that.".into(),
        N::NothingToPickUp => "There is nothing here to pick up.".into(),
        N::NothingToDrop => "You do not have that to drop.".into(),
        N::NeedShrine => "You need to stand at a Vault Shrine (Ω) to use your vault.".into(),
        N::NotEnoughCarried => "You do not carry that much.".into(),
        N::NotEnoughInVault => "Your vault does not hold that much.".into(),
        N::HeartNotWorn => "The Heart is carried, not worn.".into(),
        N::NotWorn => "Potions and scrolls are used (e), not worn.".into(),
        N::NotUsable => "Only potions and scrolls can be used.".into(),
        N::Lava => "That is lava: nobody walks into it.".into(),
        N::NoTalent(NotLearned::TooLow { level }) => {
            format!("That talent opens at level {level}.")
        }
        N::NoTalent(NotLearned::Chosen) => {
            "You chose a talent of that tier already: a choice is for good.".into()
        }
        N::NothingBelow => {
            "You sink a little, but the rock below is solid: no floor is deeper.".into()
        }
        N::NotCarried => "You do not carry that.".into(),
        N::VeinExhausted => "This vein is exhausted.".into(),
        N::Mining { class } => format!("You mine the {} vein…", class.name()),
        N::CraftStarted { recipe } => format!("You start crafting a {}…", recipe.def().name),
        N::CannotCraft(problem) => craft_problem(problem),
        N::CraftFailed(Some(problem)) => {
            format!("The crafting fails: {}", craft_problem(problem))
        }
        N::CraftFailed(None) => "The crafting fails.".into(),
        N::Interrupted => "You are interrupted!".into(),
        N::PickedUp(goods) => format!("You pick up {}.", lots(goods)),
        N::Dropped(goods) => format!("You drop {}.", lots(goods)),
        N::Banked(goods) => format!("You bank {} in your Legacy Vault.", lots(goods)),
        N::Withdrew { goods, now_impure } => {
            let note = if *now_impure {
                " This character can no longer win a Pure Victory."
            } else {
                ""
            };
            format!("You withdraw {}.{note}", lots(goods))
        }
        N::Locked => "The door is locked: a key opens it (a floor with a vault hides one).".into(),
        N::Tainted => "That came out of a Legacy Vault: this character can no longer win a \
                       Pure Victory."
            .into(),
        N::Mined { lot: l, exhausted } => {
            let end = if *exhausted {
                " The vein is exhausted."
            } else {
                ""
            };
            format!("You mine {}.{end}", lot(l))
        }
        N::NobodyToTrade => "There is nobody like that to trade with.".into(),
        N::TradeOtherFloor => "You can only trade with someone on your floor.".into(),
        N::CannotTradeNow => "They cannot trade right now.".into(),
        N::AlreadyTrading => "One of you is already trading.".into(),
        N::OfferNotCarried => "You can only offer what you carry.".into(),
        N::Party(problem) => match problem {
            PartyProblem::NoSuchPlayer(name) => format!("Nobody here is called {name}."),
            PartyProblem::AlreadyWithYou(name) => format!("{name} is in your party already."),
            PartyProblem::NotInvited(name) => format!("{name} has not invited you."),
            PartyProblem::Alone => "You are a party of one already.".into(),
        },
        N::TradeOffered { by } => format!("{by} opens a trade with you (press t to see it)."),
        N::TradeOpened { with } => format!("You open a trade with {with}."),
        N::TradeDone {
            a,
            a_gives,
            b,
            b_gives,
        } => format!(
            "Trade done: {a} gives {}; {b} gives {}.",
            lots(a_gives),
            lots(b_gives)
        ),
        N::TradeFailed => "The trade fails: the offered goods are no longer there.".into(),
        N::TradeCancelled(end) => {
            let why = match end {
                TradeEnd::Cancelled(n) => format!("{n} cancelled the trade"),
                TradeEnd::Left(n) => format!("{n} left"),
                TradeEnd::Downed(n) => format!("{n} is down"),
                TradeEnd::Died(n) => format!("{n} died"),
                TradeEnd::LeftFloor(n) => format!("{n} left the floor"),
            };
            format!("Trade cancelled: {why}.")
        }
    }
}

fn craft_problem(problem: &CraftProblem) -> String {
    match problem {
        CraftProblem::Units {
            recipe,
            need,
            chose,
        } => format!(
            "A {} takes exactly {need} units of ore (you chose {chose}).",
            recipe.def().name
        ),
        CraftProblem::UnknownOre => "Unknown ore.".into(),
        CraftProblem::TooSoft { class, recipe } => {
            format!("{} is too soft for a {}.", class.name(), recipe.def().name)
        }
        CraftProblem::NotCarried { units, spawn } => {
            format!("You do not carry {units} units of {spawn}.")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use game::craft::Recipe;
    use game::ore::OreClass;

    #[test]
    fn monsters_are_named_with_the_right_article() {
        assert_eq!(with_article("rat"), "a rat");
        assert_eq!(with_article("orc"), "an orc");
        assert_eq!(with_article("Deep Warden"), "the Deep Warden");
        assert_eq!(
            with_article("Grisk the Goblin King"),
            "Grisk the Goblin King"
        );
    }

    #[test]
    fn a_resisted_strike_and_the_heart_s_hunters_are_told() {
        let shot = |monster, killed| EventKind::Struck {
            name: "Ada".into(),
            how: Strike::Shoots,
            monster,
            damage: 4,
            killed,
            shattered: false,
        };
        assert_eq!(
            describe(&shot(MonsterKind::Golem, false)),
            "Ada shoots the golem (4). It shrugs off half the arrows."
        );
        assert_eq!(
            describe(&shot(MonsterKind::Golem, true)),
            "Ada shoots the golem (4) and kills it!"
        );
        assert_eq!(
            describe(&shot(MonsterKind::Orc, false)),
            "Ada shoots the orc (4)."
        );
        let hunted = |monster| EventKind::Hunted { monster, depth: 3 };
        assert_eq!(
            describe(&hunted(MonsterKind::Ogre)),
            "The Heart calls to the deep: an ogre climbs onto floor 3 after it!"
        );
        assert_eq!(
            describe(&hunted(MonsterKind::Troll)),
            "The Heart calls to the deep: a troll climbs onto floor 3 after it!"
        );
        assert_eq!(tone(&hunted(MonsterKind::Troll)), Tone::Bad);
        let lode = EventKind::LodeSeen {
            class: game::ore::OreClass::Cobalt,
            depth: 4,
        };
        assert_eq!(
            describe(&lode),
            "A lode of Cobalt glints on floor 4; something from deeper sleeps by it."
        );
        assert_eq!(tone(&lode), Tone::Good);
    }

    #[test]
    fn events_read_as_sentences_with_their_numbers() {
        let struck = EventKind::Struck {
            name: "Ada".into(),
            how: Strike::Hits,
            monster: MonsterKind::Orc,
            damage: 10,
            killed: true,
            shattered: true,
        };
        assert_eq!(
            describe(&struck),
            "Ada hits the orc (10) and kills it! It shatters!"
        );
        assert_eq!(tone(&struck), Tone::Good);
        let hit = EventKind::MonsterHit {
            monster: MonsterKind::GoblinArcher,
            blow: game::special::Blow::Ranged,
            name: "Bo".into(),
            damage: 3,
            absorbed: 2,
            shield_wall: true,
            fallen: false,
        };
        assert_eq!(
            describe(&hit),
            "The goblin archer's arrow hits Bo (3). The ward absorbs 2. (shield wall)"
        );
        let traded = EventKind::Notice(Notice::TradeDone {
            a: "Ada".into(),
            a_gives: Lots {
                ore: vec![Lot {
                    units: 3,
                    spawn: "Kalomite".into(),
                    class: OreClass::Iron,
                }],
                items: vec!["Vorine Sword".into()],
            },
            b: "Bo".into(),
            b_gives: Lots::default(),
        });
        assert_eq!(
            describe(&traded),
            "Trade done: Ada gives 3 Kalomite (Iron), Vorine Sword; Bo gives nothing."
        );
        let units = EventKind::Notice(Notice::CannotCraft(CraftProblem::Units {
            recipe: Recipe::Dagger,
            need: 4,
            chose: 3,
        }));
        assert_eq!(
            describe(&units),
            "A Dagger takes exactly 4 units of ore (you chose 3)."
        );
        let not_ready = Notice::NotReady {
            class: Class::Mage,
            slot: 0,
            secs: 2,
        };
        assert_eq!(
            describe(&EventKind::Notice(not_ready)),
            "Firebolt is not ready (2 s)."
        );
    }
}
