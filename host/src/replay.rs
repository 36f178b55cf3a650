//! Replay files: a checkpoint and the journal after it, so a span of a world plays again
//! exactly, on any machine and in any build of the same rules.
//!
//! A file is [`MAGIC`], the format number ([`FORMAT`], 4 bytes little-endian), then a
//! deflate-compressed postcard [`Replay`]. Besides the inputs it carries the state hash once a
//! second of ticks and at its end, as the exporting machine computed them; a machine that
//! plays it again and gets another hash knows where it diverged ([`Replay::check`]).

use game::{Input, StateHash, Tick, World, WorldSave};
use serde::{Deserialize, Serialize};

use crate::journal::{Checkpoint, RecoverError, recover};

/// The first bytes of every replay file.
pub const MAGIC: &[u8] = b"brogue-replay\n";
/// The replay format this build writes and reads. It changes whenever the rules do: a replay
/// plays the same only under the rules that made it, so an older format is refused with a
/// message saying which brogue plays it.
/// 2: worlds with parties (protocol 12, save schema 4).
/// 3: experience, combat time, armour by share (protocol 13, save schema 5).
/// 4: potions and scrolls (protocol 14, save schema 6).
/// 5: telegraphed specials, repopulation (protocol 15, save schema 7).
/// 6: talents, the withdrawn taint (protocol 16, save schema 8).
/// 7: rules only — monsters hit harder deeper, crafted gear gives 1.75 times as much,
///    experience is divided, a floor holds a third of its monsters per character, Firebolt
///    8–13 (BALANCE change 14).
/// 8: some monsters resist a harm; the deep climbs after the Heart (protocol 17, BALANCE
///    change 16); a worn lantern lights the dark; a new Heart forms 30 minutes after a
///    victory.
/// 9: lodes on floors 2–11, guarded by a sleeping band from deeper (protocol 18, BALANCE
///    change 19).
/// 10: a new character goes unnoticed for 5 s (protocol 19, BALANCE change 20).
/// 11: rules only — a floor holds no more monsters for a bigger party; the deep is tougher
///    for a party and against missiles instead, Aimed Shot every 1.4 s (BALANCE change 22);
///    a Mark puts the ranger in combat (it ends a newcomer's grace).
/// 12: rules only — the Heart's carrier walks at half speed, Aimed Shot every 1.6 s (BALANCE
///     change 23).
/// 13: rules only — floors of 152×64 with their content in proportion, experience per
///     level in proportion, Magic Mapping reaches 30 cells (BALANCE change 24).
pub const FORMAT: u32 = 13;
/// Ticks between two state hashes in a file.
pub const MARK_EVERY: u64 = 20;
/// The most bytes a file may unpack to (a busy day of a world is far less): a hostile file
/// cannot exhaust memory.
const MAX_UNPACKED: usize = 1 << 30;
/// The longest span a file may hold (about 58 days at 20 Hz): a forged end tick cannot keep a
/// check playing empty ticks for years.
pub const MAX_SPAN: u64 = 100_000_000;

/// A span of a world: where it starts, and every input after.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replay {
    /// The brogue version that wrote it (for messages).
    pub written_by: String,
    /// The world before tick `start` (a checkpoint).
    pub start: u64,
    pub save: WorldSave,
    /// Where watching begins (at or after `start`).
    pub from: u64,
    /// The span ends before tick `to`.
    pub to: u64,
    /// The inputs of each tick in `start..to` that had any, in tick order.
    pub journal: Vec<(u64, Vec<Input>)>,
    /// The state hash before tick `t`, for every `t` in `start..=to` that is a multiple of
    /// [`MARK_EVERY`], and at `to`.
    pub marks: Vec<(u64, StateHash)>,
}

/// Why bytes are not a replay this build can play.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayFileError {
    #[error("this is not a brogue replay file")]
    NotAReplay,
    #[error(
        "this replay is in format {theirs}, made by a newer brogue; this brogue reads format \
         {FORMAT} (update brogue to play it)"
    )]
    Format { theirs: u32 },
    #[error(
        "this replay is in format {theirs}, made by an older brogue whose rules differ from this \
         one's (format {FORMAT}): it plays the same only under its own rules, so play it with the \
         brogue version that wrote it"
    )]
    Older { theirs: u32 },
    #[error("the replay file is damaged: {0}")]
    Damaged(String),
}

/// Where a replay played here parts from the one recorded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Divergence {
    #[error("the replay's start does not load: {0}")]
    Start(RecoverError),
    #[error(
        "diverged between tick {agreed} and tick {tick}: the file says state {expected}, this \
         build reaches {got}"
    )]
    Hash {
        /// The last tick both agree on.
        agreed: u64,
        tick: u64,
        expected: StateHash,
        got: StateHash,
    },
}

impl Replay {
    /// Records the span of a world from `checkpoint` to tick `to` (exclusive) with `journal`
    /// (its entries in `checkpoint.tick..to`), watched from `from`, playing it once to take the
    /// hashes.
    pub fn record(
        checkpoint: Checkpoint,
        journal: Vec<(Tick, Vec<Input>)>,
        from: u64,
        to: u64,
        written_by: &str,
    ) -> Result<Replay, RecoverError> {
        let mut replay = Replay {
            written_by: written_by.to_owned(),
            start: checkpoint.tick.0,
            save: checkpoint.save,
            from: from.clamp(checkpoint.tick.0, to.max(checkpoint.tick.0)),
            to: to.max(checkpoint.tick.0),
            journal: journal
                .into_iter()
                .filter(|(t, _)| t.0 >= checkpoint.tick.0 && t.0 < to)
                .map(|(t, inputs)| (t.0, inputs))
                .collect(),
            marks: Vec::new(),
        };
        let mut play = Playback::new(&replay)?;
        let mut marks = vec![(play.tick(), play.world().state_hash())];
        while play.step() {
            if play.tick().is_multiple_of(MARK_EVERY) || play.tick() == replay.to {
                marks.push((play.tick(), play.world().state_hash()));
            }
        }
        replay.marks = marks;
        Ok(replay)
    }

    /// The state hash at the end.
    pub fn end_hash(&self) -> Option<StateHash> {
        self.marks
            .last()
            .filter(|(t, _)| *t == self.to)
            .map(|(_, h)| *h)
    }

    /// Plays the whole span, comparing every recorded hash; the end tick and hash when all agree.
    pub fn check(&self) -> Result<(u64, StateHash), Divergence> {
        let mut play = Playback::new(self).map_err(Divergence::Start)?;
        let mut agreed = self.start;
        let mut last = play.world().state_hash();
        for (tick, expected) in &self.marks {
            play.seek(*tick);
            let got = play.world().state_hash();
            if got != *expected || play.tick() != *tick {
                return Err(Divergence::Hash {
                    agreed,
                    tick: *tick,
                    expected: *expected,
                    got,
                });
            }
            agreed = *tick;
            last = got;
        }
        Ok((play.tick(), last))
    }

    /// The file's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let body = postcard::to_stdvec(self).expect("in-memory encoding cannot fail");
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&FORMAT.to_le_bytes());
        out.extend(miniz_oxide::deflate::compress_to_vec(&body, 6));
        out
    }

    /// Reads a file's bytes.
    pub fn decode(bytes: &[u8]) -> Result<Replay, ReplayFileError> {
        let rest = bytes
            .strip_prefix(MAGIC)
            .ok_or(ReplayFileError::NotAReplay)?;
        let (format, body) = rest
            .split_first_chunk::<4>()
            .ok_or(ReplayFileError::Damaged("it ends in its header".into()))?;
        let format = u32::from_le_bytes(*format);
        if format < FORMAT {
            return Err(ReplayFileError::Older { theirs: format });
        }
        if format > FORMAT {
            return Err(ReplayFileError::Format { theirs: format });
        }
        let body = miniz_oxide::inflate::decompress_to_vec_with_limit(body, MAX_UNPACKED)
            .map_err(|e| ReplayFileError::Damaged(format!("it does not unpack ({e})")))?;
        Replay::decode_body(&body)
    }

    /// Reads the unpacked body of a file (after the header and deflate).
    pub fn decode_body(body: &[u8]) -> Result<Replay, ReplayFileError> {
        let replay: Replay = postcard::from_bytes(body)
            .map_err(|e| ReplayFileError::Damaged(format!("it does not decode ({e})")))?;
        replay.checked()
    }

    /// The replay, if its span and journal order make sense.
    fn checked(self) -> Result<Replay, ReplayFileError> {
        let replay = self;
        if replay.from < replay.start
            || replay.to < replay.from
            || replay.to - replay.start > MAX_SPAN
        {
            return Err(ReplayFileError::Damaged(format!(
                "its span makes no sense (start {}, from {}, to {})",
                replay.start, replay.from, replay.to
            )));
        }
        let mut last = None;
        for (tick, _) in &replay.journal {
            if last.is_some_and(|l| l >= *tick) || *tick < replay.start || *tick >= replay.to {
                return Err(ReplayFileError::Damaged(format!(
                    "its inputs of tick {tick} are out of order or outside ticks {}..{}",
                    replay.start, replay.to
                )));
            }
            last = Some(*tick);
        }
        Ok(replay)
    }
}

/// A victory a replay shows, with the state hash right after the tick that won it (what the
/// host recorded as its proof).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Won {
    pub victory: game::economy::Victory,
    pub state: StateHash,
}

impl Replay {
    /// Whether the replay starts where its world began (tick 0, exactly the world its name,
    /// seed and rate make): then nothing before it is taken on trust.
    pub fn from_birth(&self) -> bool {
        let core = &self.save.core;
        self.start == 0
            && World::new(&core.name, core.seed, core.tick_rate).state_hash()
                == self.save.state_hash()
    }

    /// Every victory won within the span, after checking that the whole span replays as
    /// recorded.
    pub fn victories(&self) -> Result<Vec<Won>, Divergence> {
        self.check()?;
        let mut play = Playback::new(self).map_err(Divergence::Start)?;
        let mut seen = play.world().economy().victories().len();
        let mut won = Vec::new();
        while play.step() {
            let all = play.world().economy().victories();
            for victory in &all[seen.min(all.len())..] {
                won.push(Won {
                    victory: victory.clone(),
                    state: play.world().state_hash(),
                });
            }
            seen = all.len();
        }
        Ok(won)
    }
}

/// A replay being played: the world at some tick of the span, stepped or sought.
pub struct Playback<'a> {
    replay: &'a Replay,
    world: World,
    /// The next journal entry to apply.
    next: usize,
}

impl<'a> Playback<'a> {
    /// The world at the replay's start.
    pub fn new(replay: &'a Replay) -> Result<Playback<'a>, RecoverError> {
        let checkpoint = Checkpoint {
            tick: Tick(replay.start),
            save: replay.save.clone(),
        };
        Ok(Playback {
            replay,
            world: recover(checkpoint, [], Tick(replay.start))?,
            next: 0,
        })
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    /// The next tick to play (the world has played every tick before it).
    pub fn tick(&self) -> u64 {
        self.world.tick().0
    }

    /// Plays one tick; `false` (and nothing happens) at the end of the span.
    pub fn step(&mut self) -> bool {
        let tick = self.tick();
        if tick >= self.replay.to {
            return false;
        }
        let inputs = match self.replay.journal.get(self.next) {
            Some((t, inputs)) if *t == tick => {
                self.next += 1;
                inputs.as_slice()
            }
            _ => &[],
        };
        self.world.handle_tick(inputs);
        let _ = (self.world.take_trades(), self.world.take_facts());
        true
    }

    /// Goes to tick `tick` (clamped to the span): forward by playing, back by starting over.
    pub fn seek(&mut self, tick: u64) {
        let tick = tick.clamp(self.replay.start, self.replay.to);
        if tick < self.tick()
            && let Ok(again) = Playback::new(self.replay)
        {
            *self = again;
        }
        while self.tick() < tick && self.step() {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use game::{Class, TickRate};

    fn recorded() -> Replay {
        let mut world = World::new("Film", 11, TickRate::DEFAULT);
        let start = Checkpoint::of(&world);
        let player = game::PlayerId([3; 32]);
        let mut journal = vec![(
            Tick(0),
            vec![
                Input::Connect {
                    player,
                    name: "Ada".into(),
                },
                Input::CreateCharacter {
                    player,
                    class: Class::Ranger,
                },
            ],
        )];
        world.handle_tick(&journal[0].1);
        for t in 1..200u64 {
            let mut inputs = Vec::new();
            if t % 5 == 0 {
                let dir = game::geom::Dir::ALL[(t / 5 % 8) as usize];
                if let Ok(action) = world.check_action(player, game::Action::Move(dir)) {
                    inputs.push(Input::Act {
                        player,
                        seq: t as u32,
                        action,
                    });
                }
            }
            world.handle_tick(&inputs);
            if !inputs.is_empty() {
                journal.push((Tick(t), inputs));
            }
        }
        Replay::record(start, journal, 50, 200, "test").unwrap()
    }

    #[test]
    fn a_replay_round_trips_checks_and_seeks_to_the_same_state_as_playing_through() {
        let replay = recorded();
        assert!(replay.from_birth(), "recorded from World::new at tick 0");
        let mut reseeded = replay.clone();
        reseeded.save.core.seed += 1;
        assert!(!reseeded.from_birth());
        assert_eq!(replay.victories(), Ok(Vec::new()));
        assert_eq!(replay.marks.len(), 11, "ticks 0, 20, … 200");
        let again = Replay::decode(&replay.encode()).unwrap();
        assert_eq!(again, replay);
        let (tick, hash) = again.check().unwrap();
        assert_eq!((tick, Some(hash)), (200, replay.end_hash()));

        let mut through = Playback::new(&replay).unwrap();
        while through.tick() < 137 {
            assert!(through.step());
        }
        let mut sought = Playback::new(&replay).unwrap();
        sought.seek(190);
        sought.seek(137);
        assert_eq!(sought.world().state_hash(), through.world().state_hash());
        sought.seek(10_000);
        assert_eq!(sought.tick(), 200);
        assert!(!sought.step());
    }

    #[test]
    fn a_changed_input_is_found_between_two_marks() {
        let mut replay = recorded();
        // Ada leaves at tick 70 in this copy.
        let at = replay.journal.partition_point(|(t, _)| *t < 70);
        let leave = Input::Disconnect {
            player: game::PlayerId([3; 32]),
            why: game::Departure::Left,
        };
        match replay.journal.get_mut(at) {
            Some((70, inputs)) => inputs.push(leave),
            _ => replay.journal.insert(at, (70, vec![leave])),
        }
        let err = replay.check().unwrap_err();
        assert!(
            matches!(
                err,
                Divergence::Hash {
                    agreed: 60,
                    tick: 80,
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        assert_eq!(Replay::decode(b"hello"), Err(ReplayFileError::NotAReplay));
        let mut bytes = recorded().encode();
        bytes[MAGIC.len()] = 99;
        assert_eq!(
            Replay::decode(&bytes),
            Err(ReplayFileError::Format { theirs: 99 })
        );
        let bytes = recorded().encode();
        let cut = &bytes[..bytes.len() / 2];
        assert!(matches!(
            Replay::decode(cut),
            Err(ReplayFileError::Damaged(_))
        ));
        let mut twice = recorded();
        let first = twice.journal[1].clone();
        twice.journal.insert(1, first);
        let err = Replay::decode(&twice.encode()).unwrap_err();
        assert!(err.to_string().contains("out of order"), "{err}");
        let mut endless = recorded();
        endless.to = u64::MAX;
        let err = Replay::decode(&endless.encode()).unwrap_err();
        assert!(err.to_string().contains("its span makes no sense"), "{err}");
    }
}
