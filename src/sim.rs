//! `brogue sim`: scripted parties play the real [`World`] as fast as the CPU allows (no clock,
//! no network, no host), and the runs are summed up for balance work (docs/BALANCE.md).
//!
//! Each run is one world (seed `first_seed + i`) with one player per class in the party. Every
//! tick, each character that is ready and has nothing queued gets an action from a small script:
//! choose a talent when one is due ([`talent_pick`]), answer a telegraphed special it sees coming
//! ([`answer`]), help a downed or hurt ally (pulling a downed one back when a monster stands over
//! it), use an ability whose target it sees itself and has in reach, hit what is adjacent, alone
//! and with nothing in sight rest until HP and mana are full, close on what the party sees within
//! 12 steps (a sleeper only within 3 cells), and otherwise follow the strategy — `dive` (find the
//! stairs and go down), `clear` (explore the whole floor and kill what it finds first) or `craft`
//! (`clear`, and mine the veins it finds, craft the class's weapon, armour and a shield, and craft
//! a piece again when the pack's ore makes it 100 quality better). Potions, scrolls and keys:
//! everyone picks up what it steps on and the leader fetches those within 12 steps on cells the
//! party has seen, and opens the vaults it knows with a key; a character drinks a known Healing
//! when downed or low in a fight (an unknown potion if it has none), a known Fire or Frost against
//! two at once, and reads unknown scrolls (and a known Magic Mapping on an unexplored floor) when
//! nothing is in sight. The party moves as one: the first living member leads and takes the stairs
//! only once everyone is near; the others follow its floor. On floor 12 the party takes the Heart
//! and carries it back out.
//!
//! A run is won by the first victory, and lost when the whole party is dead (a wipe) or at the
//! time limit. With `--second` it plays on until a member who has not won carries the next
//! Heart out (whoever has not won leads, and one who has won leaves the Heart where it lies).
//! With `--remake` a character that dies is made again at the entrance (a player
//! would) and walks down to the party, so only the time limit ends a run. What the script does
//! is in the open here so a tuning change can be judged by the numbers it moves, not by how
//! the script plays.

use std::collections::BTreeMap;

use game::ability::{Aim, Target};
use game::consumable::Consumable;
use game::economy::{Holder, ItemKind, Place};
use game::event::{EventKind, Scope};
use game::floor::{DEEPEST_FLOOR, Floor};
use game::special::Special;
use game::{Action, Class, Dir, Input, PlayerId, Pos, Stack, Tick, TickRate, Tile, World};
use serde::Serialize;

/// How the scripted party plays.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// Find the stairs down and take them.
    Dive,
    /// Mine and craft gear, clearing each floor.
    Craft,
    /// Explore each floor whole and kill what is found before going down.
    Clear,
}

/// What one run came to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Run {
    pub seed: u64,
    pub won: bool,
    /// Game time at the victory, the wipe, or the time limit.
    pub minutes: f64,
    /// The deepest floor a character reached.
    pub deepest: u8,
    /// The highest level a character reached.
    pub top_level: u8,
    /// Downs and deaths on each floor (index 0 = floor 1).
    pub downs: Vec<u32>,
    pub deaths: Vec<u32>,
    /// The game minute a character first stood on each floor (index 0 = floor 1; `None`:
    /// never reached).
    pub reached: Vec<Option<f64>>,
    /// With [`Setup::second`]: game minutes from the first victory to the second (`None`:
    /// there was none within the limit).
    pub second: Option<f64>,
    /// Damage to monsters and healing done, by class.
    pub damage: BTreeMap<Class, u64>,
    pub healing: BTreeMap<Class, u64>,
    /// Monsters' damage that landed on each class (what a shield or ward absorbed counts: the
    /// blow was aimed at it), and each class's downs.
    pub taken: BTreeMap<Class, u64>,
    pub downed: BTreeMap<Class, u32>,
}

/// What `brogue sim --json` prints.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub party: Vec<Class>,
    pub strategy: Strategy,
    pub runs: usize,
    pub wins: usize,
    pub win_rate: f64,
    /// Median game minutes of the won runs (`null` without a win).
    pub median_minutes: Option<f64>,
    /// With `--second`: runs with a second victory, and the median minutes from the first to
    /// it (`null` without one).
    pub second_wins: usize,
    pub median_second_minutes: Option<f64>,
    /// Character deaths over all runs.
    pub deaths: u32,
    /// Over all runs, per floor (index 0 = floor 1).
    pub downs_per_floor: Vec<u32>,
    pub deaths_per_floor: Vec<u32>,
    /// Median deepest floor reached.
    pub median_deepest: f64,
    /// Median of the highest level a character of the run reached.
    pub median_level: f64,
    /// Each class's share of the damage dealt, and of the healing done (0 when none was).
    pub damage_share: BTreeMap<String, f64>,
    pub healing_share: BTreeMap<String, f64>,
    /// Each class's share of the monsters' blows that landed (the protection a front line
    /// gives is the share it takes), and its downs over all runs.
    pub taken_share: BTreeMap<String, f64>,
    pub downs_by_class: BTreeMap<String, u32>,
    pub seeds: Vec<u64>,
    pub limit_minutes: u32,
    /// Whether the dead were made again.
    pub remake: bool,
}

/// What every run of one simulation shares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setup {
    pub party: Vec<Class>,
    pub strategy: Strategy,
    /// A run that has not won after this much game time is lost.
    pub limit_minutes: u32,
    /// A character that dies is made again at the entrance (as a player would); without it
    /// the dead stay out and the run is lost when nobody is left.
    pub remake: bool,
    /// The script answers telegraphed specials ([`answer`]).
    pub answers: bool,
    /// After the first victory, play on until a member who has not won carries the next Heart
    /// out (a character wins once).
    pub second: bool,
}

/// Plays `seeds` runs (`first_seed..`) on up to `threads` threads and sums them up.
pub fn run(setup: &Setup, first_seed: u64, seeds: u64, threads: usize) -> (Summary, Vec<Run>) {
    let all: Vec<u64> = (first_seed..first_seed + seeds).collect();
    let chunks: Vec<&[u64]> = all
        .chunks(all.len().div_ceil(threads.max(1)).max(1))
        .collect();
    let mut runs: Vec<Run> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|seed| play(setup, *seed))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a run panicked"))
            .collect()
    });
    runs.sort_by_key(|r| r.seed);
    (summarize(setup, &runs), runs)
}

/// `brogue sim`.
pub fn main(args: &crate::cli::SimArgs) -> color_eyre::eyre::Result<()> {
    use color_eyre::eyre::ensure;
    ensure!(
        (1..=8).contains(&args.party.len()),
        "--party names 1 to 8 classes, e.g. --party warrior,mage,ranger,healer"
    );
    ensure!(
        (1..=100_000).contains(&args.seeds),
        "--seeds must be between 1 and 100000"
    );
    ensure!(
        (1..=24 * 60).contains(&args.minutes),
        "--minutes must be between 1 and 1440"
    );
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    let started = std::time::Instant::now();
    let setup = Setup {
        party: args.party.clone(),
        strategy: args.strategy,
        limit_minutes: args.minutes,
        remake: args.remake,
        answers: !args.no_answers,
        second: args.second,
    };
    let (summary, runs) = run(&setup, args.first_seed, args.seeds, threads);
    if args.json {
        let mut json = serde_json::to_value(&summary)?;
        if args.runs {
            json["each"] = serde_json::to_value(&runs)?;
        }
        println!("{json}");
        return Ok(());
    }
    print(&summary);
    println!(
        "({} runs in {:.1} s on {threads} threads)",
        summary.runs,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The summary as text.
pub fn print(s: &Summary) {
    let party: Vec<&str> = s.party.iter().map(|c| c.name()).collect();
    println!(
        "party {} · strategy {:?}{} · seeds {}..={} · limit {} min",
        party.join(","),
        s.strategy,
        if s.remake {
            " · the dead are remade"
        } else {
            ""
        },
        s.seeds.first().unwrap_or(&0),
        s.seeds.last().unwrap_or(&0),
        s.limit_minutes
    );
    let median = s
        .median_minutes
        .map_or("-".to_owned(), |m| format!("{m:.1} min"));
    println!(
        "won {}/{} ({:.0} %), median game time of a win {median}, median deepest floor {:.1}, \
         median top level {:.1}",
        s.wins,
        s.runs,
        s.win_rate * 100.0,
        s.median_deepest,
        s.median_level
    );
    if s.second_wins > 0 {
        let second = s
            .median_second_minutes
            .map_or("-".to_owned(), |m| format!("{m:.1} min"));
        println!(
            "second victory in {}/{} runs, median {second} after the first",
            s.second_wins, s.runs
        );
    }
    println!(
        "floor   {}",
        (1..=12).map(|f| format!("{f:>5}")).collect::<String>()
    );
    let row = |v: &[u32]| v.iter().map(|n| format!("{n:>5}")).collect::<String>();
    println!("downs   {}", row(&s.downs_per_floor));
    println!("deaths  {}", row(&s.deaths_per_floor));
    for (class, damage) in &s.damage_share {
        let healing = s.healing_share.get(class).copied().unwrap_or(0.0);
        let taken = s.taken_share.get(class).copied().unwrap_or(0.0);
        let downs = s.downs_by_class.get(class).copied().unwrap_or(0);
        println!(
            "{class:<8} damage {:>5.1} %  healing {:>5.1} %  taken {:>5.1} %  downs {downs:>4}",
            damage * 100.0,
            healing * 100.0,
            taken * 100.0
        );
    }
}

fn median(mut values: Vec<f64>) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(values[n / 2]),
        _ => Some((values[n / 2 - 1] + values[n / 2]) / 2.0),
    }
}

fn shares(totals: &BTreeMap<Class, u64>, party: &[Class]) -> BTreeMap<String, f64> {
    let sum: u64 = totals.values().sum();
    party
        .iter()
        .map(|c| {
            let mine = totals.get(c).copied().unwrap_or(0);
            let share = if sum == 0 {
                0.0
            } else {
                mine as f64 / sum as f64
            };
            (c.name().to_lowercase(), (share * 1000.0).round() / 1000.0)
        })
        .collect()
}

/// Sums up runs.
pub fn summarize(setup: &Setup, runs: &[Run]) -> Summary {
    let party = &setup.party;
    let floors = usize::from(DEEPEST_FLOOR);
    let mut downs = vec![0; floors];
    let mut deaths = vec![0; floors];
    let mut damage = BTreeMap::new();
    let mut healing = BTreeMap::new();
    let mut taken = BTreeMap::new();
    let mut downed: BTreeMap<String, u32> =
        party.iter().map(|c| (c.name().to_lowercase(), 0)).collect();
    for r in runs {
        for f in 0..floors {
            downs[f] += r.downs[f];
            deaths[f] += r.deaths[f];
        }
        for (c, d) in &r.damage {
            *damage.entry(*c).or_insert(0) += d;
        }
        for (c, h) in &r.healing {
            *healing.entry(*c).or_insert(0) += h;
        }
        for (c, t) in &r.taken {
            *taken.entry(*c).or_insert(0) += t;
        }
        for (c, d) in &r.downed {
            *downed.entry(c.name().to_lowercase()).or_insert(0) += d;
        }
    }
    let wins = runs.iter().filter(|r| r.won).count();
    let won_minutes = runs.iter().filter(|r| r.won).map(|r| r.minutes).collect();
    let seconds: Vec<f64> = runs.iter().filter_map(|r| r.second).collect();
    Summary {
        party: party.clone(),
        strategy: setup.strategy,
        remake: setup.remake,
        runs: runs.len(),
        wins,
        win_rate: if runs.is_empty() {
            0.0
        } else {
            wins as f64 / runs.len() as f64
        },
        median_minutes: median(won_minutes).map(|m| (m * 10.0).round() / 10.0),
        second_wins: seconds.len(),
        median_second_minutes: median(seconds).map(|m| (m * 10.0).round() / 10.0),
        deaths: deaths.iter().sum(),
        downs_per_floor: downs,
        deaths_per_floor: deaths,
        median_deepest: median(runs.iter().map(|r| f64::from(r.deepest)).collect()).unwrap_or(0.0),
        median_level: median(runs.iter().map(|r| f64::from(r.top_level)).collect()).unwrap_or(0.0),
        damage_share: shares(&damage, party),
        healing_share: shares(&healing, party),
        taken_share: shares(&taken, party),
        downs_by_class: downed,
        seeds: runs.iter().map(|r| r.seed).collect(),
        limit_minutes: setup.limit_minutes,
    }
}

/// One member of the scripted party.
#[derive(Clone)]
struct Member {
    id: PlayerId,
    class: Class,
    name: String,
    seq: u32,
    /// Actions that just failed (a notice came back), not tried again before the tick.
    banned: Vec<(Action, Tick)>,
    last: Option<Action>,
    /// A character was made for this member.
    made: bool,
}

/// Plays one run of `party` on world seed `seed` for at most `limit_minutes` of game time.
pub fn play(setup: &Setup, seed: u64) -> Run {
    let party = &setup.party;
    let rate = TickRate::DEFAULT;
    let mut world = World::new(&format!("sim-{seed}"), seed, rate);
    let mut members: Vec<Member> = party
        .iter()
        .enumerate()
        .map(|(i, class)| Member {
            id: PlayerId([i as u8 + 1; 32]),
            class: *class,
            name: format!("{}{}", class.name(), i + 1),
            seq: 0,
            banned: Vec::new(),
            last: None,
            made: false,
        })
        .collect();
    let mut inputs: Vec<Input> = members
        .iter()
        .map(|m| Input::Connect {
            player: m.id,
            name: m.name.clone(),
        })
        .collect();
    let floors = usize::from(DEEPEST_FLOOR);
    let mut run = Run {
        seed,
        won: false,
        minutes: 0.0,
        deepest: 1,
        top_level: 1,
        downs: vec![0; floors],
        deaths: vec![0; floors],
        reached: vec![None; floors],
        second: None,
        damage: BTreeMap::new(),
        healing: BTreeMap::new(),
        taken: BTreeMap::new(),
        downed: BTreeMap::new(),
    };
    let class_of: BTreeMap<String, Class> =
        members.iter().map(|m| (m.name.clone(), m.class)).collect();
    let limit = rate.ticks(setup.limit_minutes.saturating_mul(60_000));
    let minute = |t: Tick| t.0 as f64 / f64::from(rate.hz()) / 60.0;
    let mut victories: Vec<f64> = Vec::new();
    while world.tick().0 < limit {
        let now = world.tick();
        let mut standing = 0;
        for m in members.iter_mut() {
            if world.player(&m.id).is_some_and(|p| p.character.is_some()) {
                standing += 1;
            } else if !m.made || setup.remake {
                m.made = true;
                standing += 1;
                inputs.push(Input::CreateCharacter {
                    player: m.id,
                    class: m.class,
                });
            }
        }
        if standing == 0 {
            break;
        }
        let leader = leader(&world, &members);
        for i in 0..members.len() {
            let Some(action) = decide(&world, &members, i, leader, setup) else {
                continue;
            };
            let m = &mut members[i];
            m.banned.retain(|(_, until)| *until > now);
            if m.banned.iter().any(|(a, _)| *a == action) {
                continue;
            }
            if let Ok(checked) = world.check_action(m.id, action.clone()) {
                m.seq += 1;
                m.last = Some(action);
                inputs.push(Input::Act {
                    player: m.id,
                    seq: m.seq,
                    action: checked,
                });
            }
        }
        world.handle_tick(&inputs);
        inputs.clear();
        let _ = (world.take_facts(), world.take_trades());
        for e in world.events() {
            match &e.kind {
                EventKind::Struck { name, damage, .. } => {
                    if let Some(c) = class_of.get(name) {
                        *run.damage.entry(*c).or_insert(0) += u64::from(*damage);
                    }
                }
                EventKind::Healed { healer, amount, .. } => {
                    if let Some(c) = class_of.get(healer) {
                        *run.healing.entry(*c).or_insert(0) += u64::from(*amount);
                    }
                }
                EventKind::MonsterHit {
                    name,
                    damage,
                    absorbed,
                    ..
                } => {
                    if let Some(c) = class_of.get(name) {
                        *run.taken.entry(*c).or_insert(0) +=
                            u64::from(*damage) + u64::from(*absorbed);
                    }
                }
                EventKind::Downed { name, .. } => {
                    let depth = depth_of(&world, &members, name).unwrap_or(1);
                    run.downs[usize::from(depth - 1)] += 1;
                    if let Some(c) = class_of.get(name) {
                        *run.downed.entry(*c).or_insert(0) += 1;
                    }
                }
                EventKind::Died { depth, .. } => {
                    run.deaths[usize::from(depth.clamp(&1, &DEEPEST_FLOOR) - 1)] += 1;
                }
                EventKind::Victory { .. } => victories.push(minute(now)),
                EventKind::Notice(_) => {
                    // The action just tried did not go: do not try it again for a second.
                    if let Scope::Player(p) = e.scope
                        && let Some(m) = members.iter_mut().find(|m| m.id == p)
                        && let Some(last) = m.last.take()
                    {
                        m.banned.push((last, now + rate.ticks(1_000)));
                    }
                }
                _ => {}
            }
        }
        for m in &members {
            if let Some(c) = character(&world, m.id) {
                run.deepest = run.deepest.max(c.depth);
                let first = &mut run.reached[usize::from(c.depth.clamp(1, DEEPEST_FLOOR) - 1)];
                if first.is_none() {
                    *first = Some(minute(now));
                }
                run.top_level = run.top_level.max(c.level());
            }
        }
        if victories.len() >= if setup.second { 2 } else { 1 } {
            break;
        }
    }
    run.won = !victories.is_empty();
    run.minutes = victories.first().copied().unwrap_or(minute(world.tick()));
    run.second = victories.get(1).map(|t| t - victories[0]);
    run
}

fn character(world: &World, id: PlayerId) -> Option<&game::world::Character> {
    world.player(&id)?.character.as_ref()
}

fn depth_of(world: &World, members: &[Member], name: &str) -> Option<u8> {
    let m = members.iter().find(|m| m.name == name)?;
    Some(character(world, m.id)?.depth)
}

/// The member the party follows: whoever carries the Heart, else the deepest standing member
/// (the first of them).
fn leader(world: &World, members: &[Member]) -> Option<usize> {
    let carrier = match world.economy().heart() {
        Some((Holder::Carried(p), _)) => members.iter().position(|m| m.id == p),
        _ => None,
    };
    // Whoever has not won goes first (a character wins once, so only they can carry the next
    // Heart out).
    carrier.or_else(|| {
        members
            .iter()
            .enumerate()
            .filter_map(|(i, m)| Some((i, character(world, m.id)?, m.id)))
            .filter(|(_, c, _)| !c.is_downed())
            .max_by_key(|(i, c, id)| (!has_won(world, *id), c.depth, std::cmp::Reverse(*i)))
            .map(|(i, _, _)| i)
    })
}

/// Whether `id`'s character has won (it cannot win again).
fn has_won(world: &World, id: PlayerId) -> bool {
    let Some(c) = character(world, id) else {
        return false;
    };
    world
        .economy()
        .victories()
        .iter()
        .any(|v| v.player == id && v.tick >= c.born)
}

/// The farthest (steps by the known way) the script goes for loot, or to close on a monster.
const LOOT_STEPS: u16 = 12;

/// How much better (quality, 1..=1000) a piece must come out for the script to re-forge it.
const REFORGE_GAIN: u16 = 100;

/// The talent the script chooses at `tier`: the one that strengthens what it uses most (it
/// never aims Blink).
fn talent_pick(class: Class, tier: u8) -> u8 {
    let plan: [u8; 3] = match class {
        // Brutal Cleave, Battle Rhythm, Stalwart.
        Class::Warrior => [0, 1, 1],
        // Pyromancy, Glacier, Quickcast.
        Class::Mage => [0, 1, 0],
        // Sniper, Rapid Fire, Keen Eye.
        Class::Ranger => [0, 0, 0],
        // Mending, Quick Ward, Lifeline.
        Class::Healer => [0, 1, 0],
    };
    plan[usize::from(tier)]
}

/// What member `i` does now, if anything.
fn decide(
    world: &World,
    members: &[Member],
    i: usize,
    leader: Option<usize>,
    setup: &Setup,
) -> Option<Action> {
    let strategy = setup.strategy;
    let me = members[i].id;
    let player = world.player(&me)?;
    let c = player.character.as_ref()?;
    let now = world.tick();
    if c.ready_at > now || player.queued.is_some() || c.channel.is_some() {
        return None;
    }
    if let Some(tier) = c.talent_due() {
        let pick = talent_pick(c.class, tier);
        return Some(Action::Learn { tier, pick });
    }
    if c.is_downed() {
        // A potion of healing stands it up; an unknown potion might be one.
        return potion(world, me, true);
    }
    let floor = world.floor(c.depth)?;
    let sight = world
        .party_of(&me)
        .and_then(|party| world.party_sight(party, c.depth));
    let seen = |p: Pos| sight.and_then(|s| s.get(p)).copied().unwrap_or(false);
    let foes: Vec<(Pos, i32)> = floor
        .monsters
        .values()
        .filter(|m| seen(m.pos))
        .map(|m| (m.pos, m.pos.chebyshev(c.pos)))
        .collect();
    let allies: Vec<&game::world::Character> = members
        .iter()
        .filter(|m| m.id != me)
        .filter_map(|m| character(world, m.id))
        .filter(|a| a.depth == c.depth)
        .collect();
    if setup.answers
        && let Some(action) = answer(world, floor, me, c, &allies, &seen)
    {
        return Some(action);
    }
    // Abilities aim at what the caster itself sees (the world refuses the rest): a foe only
    // the party sees would have it cast, be refused and cast again, and never move.
    let own_sight = world.sight_of(&me);
    let in_own_sight: Vec<(Pos, i32)> = foes
        .iter()
        .copied()
        .filter(|(p, _)| own_sight.and_then(|s| s.get(*p)).copied().unwrap_or(false))
        .collect();
    if let Some(action) = ability(c, &in_own_sight, &allies, now) {
        return Some(action);
    }
    let adjacent = foes.iter().filter(|(_, d)| *d == 1).count();
    if adjacent > 0
        && c.hp * 10 < c.max_hp() * 3
        && let Some(action) = potion(world, me, true)
    {
        return Some(action);
    }
    if adjacent >= 2
        && let Some(action) = potion(world, me, false)
    {
        return Some(action);
    }
    if foes.is_empty()
        && let Some(action) = scroll(world, me, floor, c)
    {
        return Some(action);
    }
    // Hit what is adjacent.
    if let Some((pos, _)) = foes.iter().find(|(_, d)| *d == 1) {
        return Dir::toward(c.pos, *pos).map(Action::Move);
    }
    // A downed ally: stand next to it (standing allies revive) — or, if a monster stands over
    // it, step into its place (pulling it back) and face the monster.
    if let Some(a) = allies.iter().find(|a| a.is_downed()) {
        if a.pos.chebyshev(c.pos) > 1 {
            return walk(floor, c.pos, |p| p.is_adjacent(a.pos));
        }
        if foes.iter().any(|(f, _)| f.is_adjacent(a.pos)) {
            return Dir::toward(c.pos, a.pos).map(Action::Move);
        }
        return None;
    }
    // Alone, rest to full before going on, as a careful player would: nobody covers a lone
    // character, and out of combat HP and mana come back within seconds.
    if members.len() == 1 && foes.is_empty() && (c.hp < c.max_hp() || c.mana < c.max_mana()) {
        return Some(Action::Wait);
    }
    // Close on what the party sees: awake monsters, and sleepers only once near (one seen
    // from a single cell far off would have the leader step toward it, lose sight of it, turn
    // back to what it was doing and see it again, for ever).
    let asleep = |p: Pos| floor.monsters.values().any(|m| m.pos == p && m.asleep);
    if let Some((pos, _)) = foes
        .iter()
        .filter(|(p, d)| *d <= 8 && (*d <= 3 || !asleep(*p)))
        .min_by_key(|(_, d)| *d)
        && let Some(step) = walk_within(floor, c.pos, |p| p == *pos, LOOT_STEPS)
    {
        return Some(step);
    }
    // Follow the leader's floor.
    let lead = leader.and_then(|l| character(world, members[l].id));
    if let Some(lead) = lead
        && leader != Some(i)
    {
        // Where the way is not known (read away by a scroll, sunk by a potion), explore.
        if lead.depth > c.depth {
            return stairs(floor, c.pos, true).or_else(|| frontier_step(floor, c.pos));
        }
        if lead.depth < c.depth {
            return stairs(floor, c.pos, false).or_else(|| frontier_step(floor, c.pos));
        }
        // Each follower keeps its own distance (the first 2 cells, the next 3, …), so in a
        // corridor they queue up instead of swapping places forever.
        let rank = i32::try_from(i).unwrap_or(0) + 1 - i32::from(leader.is_some_and(|l| l < i));
        let near = rank + 1;
        if lead.pos.chebyshev(c.pos) > near {
            return walk(floor, c.pos, |p| p.chebyshev(lead.pos) <= near)
                .or_else(|| frontier_step(floor, c.pos));
        }
        // Near the leader: do what the strategy does on the side (mine, craft, pick up).
        // Standing idle (not Wait: an ally mid-action cannot be swapped past).
        return side_work(world, me, c, floor, strategy, false);
    }
    // The leader (or alone).
    if let Some(action) = side_work(world, me, c, floor, strategy, true) {
        return Some(action);
    }
    match world.economy().heart() {
        Some((Holder::Carried(p), _)) if p == me => {
            return stairs(floor, c.pos, false).or_else(|| frontier_step(floor, c.pos));
        }
        Some((Holder::Ground { depth, pos }, _)) if depth == c.depth && !has_won(world, me) => {
            if pos == c.pos {
                return Some(Action::PickUp);
            }
            if let Some(step) = walk(floor, c.pos, |p| p == pos) {
                return Some(step);
            }
        }
        _ => {}
    }
    let spread = i32::try_from(members.len()).unwrap_or(8) + 1;
    // (`allies` are those on this floor: the others follow by the stairs.)
    let together = allies.iter().all(|a| a.pos.chebyshev(c.pos) <= spread);
    let frontier = frontier_step(floor, c.pos);
    let go_down = match strategy {
        Strategy::Dive => remembered(floor, floor.stairs_down),
        Strategy::Clear | Strategy::Craft => frontier.is_none(),
    };
    if go_down && c.depth < DEEPEST_FLOOR {
        if !together {
            return None;
        }
        // Stairs seen across a chasm or lava: the way round is still to be found.
        return stairs(floor, c.pos, true).or(frontier);
    }
    frontier
}

/// An answer to a telegraphed special the party sees coming, by class first: the mage
/// freezes a monster winding up next to her, the warrior taunts one aimed at someone else
/// and raises Shield Wall in a breath's cone, the ranger snares a charger's line, the healer
/// wards whoever a breath or a curse is aimed at; and anyone in the threatened cells of a
/// charge or a breath steps out of them.
fn answer(
    world: &World,
    floor: &Floor,
    me: PlayerId,
    c: &game::world::Character,
    allies: &[&game::world::Character],
    seen: &dyn Fn(Pos) -> bool,
) -> Option<Action> {
    let now = world.tick();
    let ready = |slot: usize| {
        let mana = c.class.abilities()[slot].mana;
        c.cooldowns[slot] <= now && c.mana >= mana
    };
    let cast = |slot: u8, target: Target| Some(Action::Ability { slot, target });
    for m in floor.monsters.values().filter(|m| seen(m.pos)) {
        let Some(w) = m.windup.as_ref() else {
            continue;
        };
        let cells = world.special_cells(c.depth, m, w);
        let aimed = character(world, w.target);
        match c.class {
            Class::Mage if m.pos.is_adjacent(c.pos) && ready(1) => {
                return cast(1, Target::Auto);
            }
            Class::Warrior
                if w.target != me
                    && ready(0)
                    && m.pos.chebyshev(c.pos) <= game::ability::TAUNT_RADIUS =>
            {
                return cast(0, Target::Auto);
            }
            Class::Warrior
                if w.special == Special::Breath && cells.contains(&c.pos) && ready(2) =>
            {
                return cast(2, Target::Auto);
            }
            Class::Ranger if w.special == Special::Charge && ready(2) => {
                let snare = cells
                    .iter()
                    .take_while(|p| **p != c.pos && !allies.iter().any(|a| a.pos == **p))
                    .find(|p| p.chebyshev(c.pos) <= 5 && seen(**p));
                if let Some(p) = snare {
                    return cast(2, Target::Cell(*p));
                }
            }
            Class::Healer if w.special != Special::Charge && ready(1) => {
                if let Some(a) = aimed.filter(|a| a.pos.chebyshev(c.pos) <= 8 && a.ward == 0) {
                    return cast(1, Target::Entity(a.id));
                }
            }
            _ => {}
        }
        if w.special != Special::Curse && cells.contains(&c.pos) {
            let taken = |p: Pos| floor.monster_at(p).is_some() || allies.iter().any(|a| a.pos == p);
            let out = Dir::ALL.into_iter().find(|d| {
                let p = c.pos.step(*d);
                floor.tile(p).is_walkable() && !taken(p) && !cells.contains(&p)
            });
            if let Some(d) = out {
                return Some(Action::Move(d));
            }
        }
    }
    None
}

/// A potion to drink now: for `healing`, a known Potion of Healing or else an unknown potion
/// (it might be one); otherwise a known Potion of Fire or Frost, for a crowd.
fn potion(world: &World, me: PlayerId, healing: bool) -> Option<Action> {
    let items = world.economy().items_at(Holder::Carried(me));
    let kind = |i: &&game::economy::Item| match i.kind {
        ItemKind::Consumable(k) if k.is_potion() => Some(k),
        _ => None,
    };
    let known = |k: Consumable| world.knows(me, k);
    let pick = |want: &dyn Fn(Consumable) -> bool| {
        items
            .iter()
            .find(|i| kind(i).is_some_and(want))
            .map(|i| Action::Use(i.id))
    };
    if healing {
        pick(&|k| k == Consumable::Healing && known(k)).or_else(|| pick(&|k| !known(k)))
    } else {
        pick(&|k| matches!(k, Consumable::Fire | Consumable::Frost) && known(k))
    }
}

/// A scroll to read while no monster is in sight: an unknown one (to learn it), or a known
/// Scroll of Magic Mapping on a floor not yet explored.
fn scroll(
    world: &World,
    me: PlayerId,
    floor: &Floor,
    c: &game::world::Character,
) -> Option<Action> {
    let items = world.economy().items_at(Holder::Carried(me));
    // (Whether the floor is unexplored takes a search: asked only with a mapping in hand.)
    items.iter().find_map(|i| match i.kind {
        ItemKind::Consumable(k) if !k.is_potion() => {
            let worth = !world.knows(me, k)
                || (k == Consumable::MagicMapping && frontier_step(floor, c.pos).is_some());
            worth.then_some(Action::Use(i.id))
        }
        _ => None,
    })
}

/// An ability worth using now, by the class's priorities.
fn ability(
    c: &game::world::Character,
    foes: &[(Pos, i32)],
    allies: &[&game::world::Character],
    now: Tick,
) -> Option<Action> {
    let defs: Vec<_> = (0..3).filter_map(|slot| c.ability(slot)).collect();
    let hurt = |a: &game::world::Character| a.hp * 10 < a.max_hp() * 6;
    let adjacent = foes.iter().filter(|(_, d)| *d == 1).count();
    for (slot, def) in defs.iter().enumerate() {
        if c.cooldowns[slot] > now || c.mana < def.mana {
            continue;
        }
        let want = match (c.class, def.aim) {
            (_, Aim::Enemy { range }) => foes.iter().any(|(_, d)| *d <= i32::from(range)),
            (_, Aim::Ally { range }) => {
                hurt(c)
                    || allies.iter().any(|a| {
                        !a.is_downed() && hurt(a) && a.pos.chebyshev(c.pos) <= i32::from(range)
                    })
            }
            (_, Aim::DownedAlly) => allies
                .iter()
                .any(|a| a.is_downed() && a.pos.is_adjacent(c.pos)),
            (Class::Warrior, Aim::Around) if def.name == "Taunt" => {
                // Pull monsters off a hurt friend.
                foes.iter().any(|(_, d)| *d <= 5) && allies.iter().any(|a| hurt(a))
            }
            (_, Aim::Around) => adjacent > 0,
            (_, Aim::Myself) => adjacent > 0 && hurt(c),
            // Blink and Snare need a place: the script does not aim at cells.
            (_, Aim::Cell { .. }) => false,
        };
        if want {
            return Some(Action::Ability {
                slot: slot as u8,
                target: Target::Auto,
            });
        }
    }
    None
}

/// Mining, crafting and wearing for `craft`; picking up what lies here for every strategy.
fn side_work(
    world: &World,
    me: PlayerId,
    c: &game::world::Character,
    floor: &Floor,
    strategy: Strategy,
    leads: bool,
) -> Option<Action> {
    let here = world.economy().stacks(Place::Ground {
        depth: c.depth,
        pos: c.pos,
    });
    let items_here = world.economy().items_at(Holder::Ground {
        depth: c.depth,
        pos: c.pos,
    });
    // One who has won leaves the Heart for one who has not.
    let leave = items_here.iter().any(|i| i.kind == ItemKind::Heart) && has_won(world, me);
    if (!here.is_empty() || !items_here.is_empty()) && !leave {
        return Some(Action::PickUp);
    }
    // Potions and scrolls on cells the party has seen nearby are worth the walk, for the leader
    // (followers chasing loot around it would block its way; they pick up what they step on).
    // Seen once, not in sight now: a goal that comes and goes with sight makes it walk to and
    // fro.
    let loot: Vec<Pos> = world
        .economy()
        .piles(c.depth)
        .into_iter()
        .filter(|p| known_walkable(floor, *p))
        .filter(|p| {
            let held = world.economy().items_at(Holder::Ground {
                depth: c.depth,
                pos: *p,
            });
            held.iter()
                .any(|i| matches!(i.kind, ItemKind::Consumable(_) | ItemKind::Key))
        })
        .collect();
    if leads
        && !loot.is_empty()
        && let Some(step) = walk_within(floor, c.pos, |p| loot.contains(&p), LOOT_STEPS)
    {
        return Some(step);
    }
    // With a key, the leader opens the vaults it knows of (their loot is then in reach).
    let has_key = world
        .economy()
        .items_at(Holder::Carried(me))
        .iter()
        .any(|i| i.kind == ItemKind::Key);
    if leads && has_key {
        let grid = memory(floor);
        let locked: Vec<Pos> = grid
            .positions()
            .filter(|p| grid.get(*p).copied().flatten() == Some(Tile::DoorLocked))
            .collect();
        let beside = |p: Pos, d: Pos| p.chebyshev(d) == 1 && (p.x == d.x || p.y == d.y);
        if let Some(door) = locked.iter().find(|d| beside(c.pos, **d)) {
            return Dir::toward(c.pos, *door).map(Action::Move);
        }
        if let Some(step) = walk(floor, c.pos, |p| locked.iter().any(|d| beside(p, *d))) {
            return Some(step);
        }
    }
    if strategy != Strategy::Craft {
        return None;
    }
    // Wear the best of what is carried, slot by slot.
    let items = world.economy().items_at(Holder::Carried(me));
    for item in &items {
        let ItemKind::Gear(recipe) = item.kind else {
            continue;
        };
        let def = recipe.def();
        if def.for_class.is_some_and(|k| k != c.class) {
            continue;
        }
        let worn = c
            .equipped
            .get(&def.slot)
            .and_then(|id| items.iter().find(|i| i.id == *id));
        if worn.is_none_or(|w| w.quality < item.quality && w.id != item.id) {
            return Some(Action::Equip(item.id));
        }
    }
    // The kit: the class's weapon, armour, a shield. Craft a piece that is missing, or one
    // clearly better than the one carried (re-forged from harder ore found deeper), from the
    // stack that makes it best; mine known veins while a piece is missing or falls short of
    // what this floor's ore would make.
    let pack = world.economy().stacks(Place::Pack(me));
    let kit: Vec<game::craft::Recipe> = game::craft::Recipe::ALL
        .into_iter()
        .filter(|r| {
            let def = r.def();
            match def.slot {
                game::craft::Slot::Weapon => def.for_class == Some(c.class),
                game::craft::Slot::Armour | game::craft::Slot::Shield => true,
                game::craft::Slot::Lantern => false,
            }
        })
        .collect();
    let carried_quality = |r: game::craft::Recipe| {
        items
            .iter()
            .filter(|i| i.kind == ItemKind::Gear(r))
            .map(|i| i.quality)
            .max()
    };
    for recipe in &kit {
        let def = recipe.def();
        let units = def.units;
        let best = pack
            .iter()
            .filter(|s| s.units >= units)
            .filter_map(|s| {
                let spawn = world.economy().spawns.get(s.spawn)?;
                let q = game::craft::quality(*recipe, &[(spawn.attrs, units)])?;
                (spawn.class.tier() >= def.min_tier).then_some((q, s.spawn))
            })
            .max();
        let now = carried_quality(*recipe);
        if let Some((q, spawn)) = best
            && now.is_none_or(|n| q >= n + REFORGE_GAIN)
        {
            return Some(Action::Craft {
                recipe: *recipe,
                stacks: vec![Stack { spawn, units }],
            });
        }
    }
    // What this floor's veins would make (they yield their classes' current spawns), a lode
    // the party has seen included.
    let grid = memory(floor);
    let lode_known = grid
        .positions()
        .any(|p| grid.get(p).copied().flatten() == Some(Tile::Lode));
    let classes = ore_classes(c.depth, lode_known);
    let from_veins = |r: game::craft::Recipe| {
        classes
            .iter()
            .copied()
            .filter(|class| class.tier() >= r.def().min_tier)
            .filter_map(|class| world.economy().spawns.current(class))
            .filter_map(|spawn| game::craft::quality(r, &[(spawn.attrs, r.def().units)]))
            .max()
    };
    let missing = kit.iter().any(|r| carried_quality(*r).is_none());
    let upgrade = kit.iter().any(|r| {
        carried_quality(*r).is_some_and(|q| from_veins(*r).is_some_and(|v| v >= q + REFORGE_GAIN))
    });
    if let Some(reach) = mining_reach(leads, missing, upgrade)
        && fresh_units(world, me, &classes) < 40
    {
        // The lode first (its band in the way is fought on the walk there), then the rest.
        let mine = |tile: Tile| {
            let vein = |p: Pos| grid.get(p).copied().flatten() == Some(tile);
            if let Some(dir) = Dir::ALL.into_iter().find(|d| vein(c.pos.step(*d))) {
                return Some(Action::Move(dir));
            }
            walk_within(
                floor,
                c.pos,
                |p| Dir::ALL.into_iter().any(|d| vein(p.step(d))),
                reach,
            )
        };
        return lode_known
            .then(|| mine(Tile::Lode))
            .flatten()
            .or_else(|| mine(Tile::Vein));
    }
    None
}

/// How far a follower walks to a vein for a better piece: within this the party stays together.
const UPGRADE_STEPS: u16 = 8;

/// How far (steps by the known way) a member walks to mine: anywhere for a piece it lacks, and
/// the leader anywhere for a better one; a follower only [`UPGRADE_STEPS`] for a better one
/// (BALANCE change 21: before it, followers never mined again once their kit was made); not at
/// all when nothing this floor gives would be better.
fn mining_reach(leads: bool, missing: bool, upgrade: bool) -> Option<u16> {
    match (missing, upgrade) {
        (true, _) => Some(u16::MAX),
        (false, true) if leads => Some(u16::MAX),
        (false, true) => Some(UPGRADE_STEPS),
        (false, false) => None,
    }
}

/// The ore classes the script mines for on floor `depth`: its veins', and its lode's once seen.
fn ore_classes(depth: u8, lode_known: bool) -> Vec<game::ore::OreClass> {
    let lode = lode_known.then(|| game::mapgen::lode_class(depth));
    let mut classes: Vec<_> = game::ore::OreClass::at_depth(depth)
        .into_iter()
        .chain(lode)
        .collect();
    classes.dedup();
    classes
}

/// Units `me` carries of the `fresh` ore classes (what this floor's veins and lode give,
/// [`ore_classes`]): the script mines until it has enough of them to forge a piece or two.
/// Ore of the floors above (kept, not dropped) does not count, or a pack full of copper would
/// stop all mining (BALANCE change 17).
fn fresh_units(world: &World, me: PlayerId, fresh: &[game::ore::OreClass]) -> u32 {
    world
        .economy()
        .stacks(Place::Pack(me))
        .iter()
        .filter(|s| {
            world
                .economy()
                .spawns
                .get(s.spawn)
                .is_some_and(|spawn| fresh.contains(&spawn.class))
        })
        .map(|s| s.units)
        .sum()
}

/// What the party remembers of `floor`. A simulated party is the world's one party (the sim's
/// worlds are together), and it has looked at every floor a member stands on.
fn memory(floor: &Floor) -> &game::floor::Grid<Option<Tile>> {
    floor
        .memories()
        .next()
        .map(|(_, grid)| grid)
        .expect("a member stood here for a tick")
}

fn remembered(floor: &Floor, p: Option<Pos>) -> bool {
    p.is_some_and(|p| memory(floor).get(p).copied().flatten().is_some())
}

/// Cells the party knows it can walk through (closed doors open when walked into).
fn known_walkable(floor: &Floor, p: Pos) -> bool {
    matches!(memory(floor).get(p).copied().flatten(), Some(t) if t.is_walkable() || t == Tile::DoorClosed)
}

/// A step toward the nearest known cell where `goal` holds.
fn walk(floor: &Floor, from: Pos, goal: impl Fn(Pos) -> bool) -> Option<Action> {
    walk_within(floor, from, goal, u16::MAX)
}

/// A step toward the nearest known cell where `goal` holds, if it is at most `steps` away by
/// the known way. (A limit by the way, not as the crow flies: a goal a few cells off through a
/// wall but far round it would draw the walker round and out of range, then back, for ever.)
fn walk_within(floor: &Floor, from: Pos, goal: impl Fn(Pos) -> bool, steps: u16) -> Option<Action> {
    let grid = memory(floor);
    game::path::first_step(
        grid.width(),
        grid.height(),
        from,
        goal,
        |p| known_walkable(floor, p),
        steps,
    )
    .map(Action::Move)
}

/// A step toward the nearest known cell next to the unknown, if any is left.
fn frontier_step(floor: &Floor, from: Pos) -> Option<Action> {
    let grid = memory(floor);
    let unknown = |p: Pos| grid.contains(p) && grid.get(p).copied().flatten().is_none();
    walk(floor, from, |p| {
        Dir::ALL.into_iter().any(|d| unknown(p.step(d)))
    })
}

/// Toward the stairs (down or up), and onto them.
fn stairs(floor: &Floor, from: Pos, down: bool) -> Option<Action> {
    let at = if down {
        floor.stairs_down
    } else {
        Some(floor.stairs_up)
    };
    match at {
        Some(p) if p == from => Some(if down {
            Action::Descend
        } else {
            Action::Ascend
        }),
        Some(p) if remembered(floor, Some(p)) => walk(floor, from, |q| q == p),
        _ => frontier_step(floor, from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_is_the_same_every_time_and_its_numbers_add_up() {
        let setup = Setup {
            party: vec![Class::Warrior, Class::Healer],
            strategy: Strategy::Dive,
            limit_minutes: 4,
            remake: true,
            answers: true,
            second: false,
        };
        let a = play(&setup, 3);
        let b = play(&setup, 3);
        assert_eq!(a, b, "the world and the script are deterministic");
        assert!(
            a.deepest >= 2,
            "a diving party gets below floor 1 in 4 minutes: {a:?}"
        );
        assert!(
            a.damage.get(&Class::Warrior).copied().unwrap_or(0) > 0,
            "{a:?}"
        );
        let s = summarize(&setup, &[a.clone(), b]);
        assert_eq!(s.runs, 2);
        assert_eq!(s.deaths, 2 * a.deaths.iter().sum::<u32>());
        let total: f64 = s.damage_share.values().sum();
        assert!((total - 1.0).abs() < 0.01, "{:?}", s.damage_share);
    }

    /// Scripted member `n` (its player id all `n`), its character already made.
    fn member(n: u8, class: Class) -> Member {
        Member {
            id: PlayerId([n; 32]),
            class,
            name: format!("{}{n}", class.name()),
            seq: 0,
            banned: Vec::new(),
            last: None,
            made: true,
        }
    }

    #[test]
    fn a_lone_character_rests_to_full_and_one_in_a_party_goes_on() {
        let setup = Setup {
            party: vec![Class::Mage],
            strategy: Strategy::Dive,
            limit_minutes: 1,
            remake: false,
            answers: true,
            second: false,
        };
        let member = |n: u8| member(n, Class::Mage);
        let mut world = World::new("rest", 1, TickRate::DEFAULT);
        let (me, friend) = (member(1), member(2));
        world.handle_tick(&[
            Input::Connect {
                player: me.id,
                name: me.name.clone(),
            },
            Input::CreateCharacter {
                player: me.id,
                class: Class::Mage,
            },
        ]);
        // A rat in sight: the mage burns it (mana spent), and nothing is left in sight.
        let at = character(&world, me.id).unwrap().pos;
        let sight = world.sight_of(&me.id).unwrap().clone();
        let free = (2..5)
            .flat_map(|d| Dir::ALL.into_iter().map(move |dir| (d, dir)))
            .map(|(d, dir)| (0..d).fold(at, |p, _| p.step(dir)))
            .find(|p| {
                world.floor(1).unwrap().tile(*p) == Tile::Floor && sight.get(*p) == Some(&true)
            })
            .expect("a free cell in sight near the entrance");
        world
            .spawn_monster(1, game::monster::MonsterKind::Rat, free)
            .unwrap();
        let cast = world
            .check_action(
                me.id,
                Action::Ability {
                    slot: 0,
                    target: Target::Auto,
                },
            )
            .unwrap();
        world.handle_tick(&[Input::Act {
            player: me.id,
            seq: 1,
            action: cast,
        }]);
        let burnt = world
            .events()
            .iter()
            .any(|e| matches!(e.kind, EventKind::Struck { killed: true, .. }));
        assert!(burnt, "the rat burnt");
        for _ in 0..10 {
            world.handle_tick(&[]);
        }
        let sight = world.sight_of(&me.id).unwrap();
        let seen = world.floor(1).unwrap().monsters.values();
        assert_eq!(
            seen.filter(|m| sight.get(m.pos) == Some(&true)).count(),
            0,
            "floor 1's own monsters stand far from the stairs"
        );
        let c = character(&world, me.id).unwrap();
        assert!(c.mana < c.max_mana(), "a Firebolt spent mana");
        let alone = [me.clone()];
        assert_eq!(
            decide(&world, &alone, 0, Some(0), &setup),
            Some(Action::Wait)
        );
        // With a friend in the party (its character not made yet), it goes on instead.
        let two = [me, friend];
        assert_ne!(decide(&world, &two, 0, Some(0), &setup), Some(Action::Wait));
    }

    #[test]
    fn after_a_victory_one_who_has_not_won_leads() {
        let rows = ["#####", "#.<.#", "#####"];
        let floor = game::floor::Floor::from_ascii(1, &rows);
        let mut world = World::with_first_floor("second", 3, TickRate::DEFAULT, floor);
        let member = |n: u8| member(n, Class::Warrior);
        let members = [member(1), member(2)];
        for m in &members {
            world.handle_tick(&[
                Input::Connect {
                    player: m.id,
                    name: m.name.clone(),
                },
                Input::CreateCharacter {
                    player: m.id,
                    class: m.class,
                },
            ]);
        }
        // Nobody has won: the first leads.
        assert_eq!(leader(&world, &members), Some(0));
        // The first carries a Heart out.
        let first = members[0].id;
        assert!(world.give_heart(first));
        let up = world.check_action(first, Action::Ascend).unwrap();
        world.handle_tick(&[Input::Act {
            player: first,
            seq: 1,
            action: up,
        }]);
        world.handle_tick(&[]);
        assert!(has_won(&world, first) && !has_won(&world, members[1].id));
        assert_eq!(leader(&world, &members), Some(1), "the one who has not won");
    }

    #[test]
    fn followers_mine_for_a_better_piece_only_near_the_way_the_leader_anywhere() {
        // A piece missing: anyone, anywhere.
        assert_eq!(mining_reach(false, true, false), Some(u16::MAX));
        assert_eq!(mining_reach(true, true, true), Some(u16::MAX));
        // A better piece to be had: the leader anywhere, a follower a few steps.
        assert_eq!(mining_reach(true, false, true), Some(u16::MAX));
        assert_eq!(mining_reach(false, false, true), Some(UPGRADE_STEPS));
        // Nothing better here: nobody mines.
        assert_eq!(mining_reach(true, false, false), None);
        assert_eq!(mining_reach(false, false, false), None);
    }

    #[test]
    fn only_ore_this_floor_gives_counts_against_what_the_script_mines() {
        use game::ore::OreClass;
        let me = PlayerId([1; 32]);
        let mut world = World::new("ore", 1, TickRate::DEFAULT);
        world.handle_tick(&[Input::Connect {
            player: me,
            name: "Ada".into(),
        }]);
        world.give_ore(me, OreClass::Copper, 30).unwrap();
        world.give_ore(me, OreClass::Silver, 20).unwrap();
        // Floor 1's veins give Copper and Iron, floor 3's Iron and Silver, floor 7's neither.
        assert_eq!(OreClass::at_depth(1), [OreClass::Copper, OreClass::Iron]);
        assert_eq!(fresh_units(&world, me, &ore_classes(1, false)), 30);
        assert_eq!(fresh_units(&world, me, &ore_classes(3, false)), 20);
        assert_eq!(fresh_units(&world, me, &ore_classes(7, false)), 0);
        // Floor 2's lode is Silver: once the party has seen it, the silver counts there too.
        assert_eq!(fresh_units(&world, me, &ore_classes(2, false)), 30);
        assert_eq!(fresh_units(&world, me, &ore_classes(2, true)), 50);
    }

    #[test]
    fn without_remaking_a_wiped_party_ends_its_run_and_with_it_plays_on() {
        let mut setup = Setup {
            party: vec![Class::Mage],
            strategy: Strategy::Dive,
            limit_minutes: 40,
            remake: false,
            answers: true,
            second: false,
        };
        let wiped = play(&setup, 1);
        assert!(!wiped.won);
        assert_eq!(wiped.deaths.iter().sum::<u32>(), 1, "{wiped:?}");
        assert!(wiped.minutes < 40.0, "the run went on after the wipe");
        setup.limit_minutes = wiped.minutes.ceil() as u32 + 1;
        setup.remake = true;
        let remade = play(&setup, 1);
        assert!(remade.minutes >= wiped.minutes.ceil(), "{remade:?}");
    }
}
