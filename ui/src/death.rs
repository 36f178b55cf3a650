//! What a player learns when their character dies: who or what killed it, where, after how
//! long, with how many kills, the best thing it carried and where its pack now lies. Built
//! from what the client saw (the log names who downed whom); the runtime also writes it to a
//! plain-text morgue file.

use game::event::EventKind;
use game::protocol::{PackView, SelfView};
use game::special::Blow;
use game::view::ClientView;

/// A character's death, as the client saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Death {
    pub name: String,
    pub class: &'static str,
    /// "a goblin archer (from afar)", or what the log shows last.
    pub killer: String,
    pub depth: u8,
    pub seconds: u64,
    pub kills: u32,
    /// The best item it had (highest quality), if any.
    pub best: Option<String>,
    /// What fell where it died.
    pub dropped: String,
    /// The world's tick when it died (names the morgue file).
    pub tick: u64,
}

impl Death {
    /// The death of the character whose last self-view was `me` and pack `pack`, given the
    /// view (its log holds the events up to the death) and how many ticks it lived.
    pub fn of(
        me: &SelfView,
        pack: &PackView,
        view: &ClientView,
        lived_ticks: u64,
        hz: u8,
    ) -> Death {
        let name = view
            .you()
            .map(|m| m.name.clone())
            .unwrap_or_else(|| "you".into());
        let killer = view
            .log
            .iter()
            .rev()
            .find_map(|l| match &l.event {
                EventKind::Downed {
                    name: n,
                    monster,
                    blow,
                } if *n == name => Some(format!(
                    "{}{}",
                    crate::log::with_article(monster.stats().name),
                    match blow {
                        Blow::Melee => String::new(),
                        Blow::Ranged => " (from afar)".into(),
                        Blow::Special(_) => monster
                            .special()
                            .map_or(String::new(), |d| format!(" ({})", d.noun)),
                    }
                )),
                EventKind::MonsterHit {
                    name: n, monster, ..
                } if *n == name => Some(crate::log::with_article(monster.stats().name)),
                _ => None,
            })
            .unwrap_or_else(|| "something unseen".into());
        let best = pack
            .items
            .iter()
            .filter(|i| i.recipe.is_some())
            .max_by_key(|i| i.quality)
            .map(|i| format!("{} (quality {})", i.name, i.quality));
        let units: u32 = pack.stacks.iter().map(|s| s.units).sum();
        let mut dropped = Vec::new();
        if units > 0 {
            dropped.push(format!("{units} units of ore"));
        }
        if !pack.items.is_empty() {
            dropped.push(format!("{} item(s)", pack.items.len()));
        }
        let dropped = if dropped.is_empty() {
            "nothing".to_owned()
        } else {
            format!(
                "{} at {},{} on floor {}",
                dropped.join(" and "),
                me.pos.x,
                me.pos.y,
                me.depth
            )
        };
        Death {
            name,
            class: me.class.name(),
            killer,
            depth: me.depth,
            seconds: lived_ticks / u64::from(hz.max(1)),
            kills: me.kills,
            best,
            dropped,
            tick: view.tick,
        }
    }

    /// The lines the death screen and the morgue file show.
    pub fn lines(&self) -> Vec<String> {
        vec![
            format!(
                "{} the {} was killed by {} on floor {}.",
                self.name, self.class, self.killer, self.depth
            ),
            format!(
                "Played {}:{:02}, {} kill{}.",
                self.seconds / 60,
                self.seconds % 60,
                self.kills,
                if self.kills == 1 { "" } else { "s" }
            ),
            format!(
                "Best item: {}.",
                self.best.as_deref().unwrap_or("none crafted")
            ),
            format!("Dropped: {}.", self.dropped),
        ]
    }

    /// The morgue file's text.
    pub fn morgue(&self, world: &str) -> String {
        let mut text = format!("brogue morgue: world {world}, tick {}\n\n", self.tick);
        for line in self.lines() {
            text.push_str(&line);
            text.push('\n');
        }
        text.push_str(
            "\nThe vault keeps what was banked; a new character can fetch what dropped.\n",
        );
        text
    }
}
