//! The command line. Tools and tests outside the project rely on these exact names.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use game::Class;

/// A real-time co-op roguelike for the terminal: play alone, host friends, or join them.
#[derive(Debug, Parser)]
#[command(name = "brogue", version, about, long_about = None)]
pub struct Cli {
    /// Where identity, saves and logs live [default: the platform's data dir]
    #[arg(long, global = true, env = "BROGUE_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,

    /// Use only this network interface for LAN discovery (repeatable) [default: all]
    #[arg(long = "lan-iface", global = true, value_name = "NAME")]
    pub lan_iface: Vec<String>,

    /// Colours: default, red-green or blue-yellow (colour-blind safe), high-contrast, or mono
    /// (bold/dim/underline/reverse only; the default when NO_COLOR is set)
    #[arg(long, global = true, env = "BROGUE_THEME", value_name = "THEME")]
    pub theme: Option<ui::appearance::Theme>,

    /// Glyphs: unicode, or ascii for terminals and fonts without symbols and box drawing
    #[arg(long, global = true, env = "BROGUE_GLYPHS", value_name = "SET")]
    pub glyphs: Option<ui::appearance::Glyphs>,

    /// Leave the mouse to the terminal (its own text selection) instead of hovering and
    /// clicking in the game
    #[arg(long, global = true)]
    pub no_mouse: bool,

    #[command(flatten)]
    pub log: LogArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The log (in the data dir's `logs/`, and on stderr without a terminal interface).
#[derive(Debug, Args)]
pub struct LogArgs {
    /// Write the log as JSON lines (one object per event; files end in .jsonl), for log
    /// collectors
    #[arg(long, global = true, env = "BROGUE_LOG_JSON")]
    pub log_json: bool,
    /// Log files kept (one a day)
    #[arg(long, global = true, env = "BROGUE_LOG_DAYS", default_value_t = crate::paths::LOG_DAYS, value_parser = clap::value_parser!(u16).range(1..=3650), value_name = "N")]
    pub log_days: u16,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Play alone: the game hosts itself on this machine and announces nothing
    Solo(SoloArgs),
    /// Host a world for friends (and play in it, unless --headless); prints an invite code
    Host(HostArgs),
    /// Host every world of the data dir behind one UDP port, headless (a community server):
    /// prints `invite: CODE world: NAME` for each; SIGINT/SIGTERM saves every world and exits 0
    Serve(ServeArgs),
    /// Make or manage the worlds of the data dir: new, delete, rename, backup, restore, export,
    /// import
    World {
        #[command(subcommand)]
        what: WorldCommand,
    },
    /// List the worlds of the data dir: name, players, when last played, size in the save
    Worlds(WorldsArgs),
    /// Talk to the `brogue serve` running on this data dir (its control socket): players,
    /// kick, ban, unban, invite (revoke codes, issue a new one), announce, stop-world
    Admin(AdminArgs),
    /// Join a friend's game with the invite code they gave you
    Join(JoinArgs),
    /// Watch a friend's game with its invite code: no character, no player slot; follow any
    /// player (Tab) and see what they see
    Watch(WatchArgs),
    /// List the games announced on the local network
    Lan(LanArgs),
    /// Run headless bot players against a host (load test); prints what they measured
    Bots(BotsArgs),
    /// Run the link emulator: a local relay to a host that delays, jitters and drops packets,
    /// printing an invite code that goes through it (for trying a bad link by hand; Ctrl-C stops)
    Link(LinkArgs),
    /// Show the leaderboards of the worlds hosted from this data dir
    Leaderboard(LeaderboardArgs),
    /// Verify the save offline: replay each world's journal onto its checkpoint, check the state
    /// hash and that no ore was lost or made (read-only; refused while a host holds the save)
    Check(CheckArgs),
    /// Replays: `replay export` writes a span of a world to a file; `replay FILE` watches one
    /// (following any player, with pause, speed and seek); `replay FILE --check` plays it
    /// headless and says whether it ends in the state it recorded
    Replay(ReplayArgs),
    /// Balance simulator: scripted parties play whole games on the real rules as fast as the
    /// CPU allows (no network, no clock); prints win rate, game time, downs and deaths per
    /// floor, and each class's share of damage and healing
    Sim(SimArgs),
    /// Say whether friends on the internet could reach a host here, without hosting: network
    /// interfaces, which router protocols answer (a test mapping is made and removed), the
    /// router's outside address, and what to do
    Doctor(DoctorArgs),
    /// Print a shell completion script (e.g. `brogue completions bash > ~/.local/share/bash-completion/completions/brogue`)
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) on stdout (e.g. `brogue man | man -l -`)
    Man,
    /// The config file (theme, glyphs, name, class): `brogue config path` prints where it is
    Config {
        #[command(subcommand)]
        what: ConfigCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum WorldCommand {
    /// Make a new world (a new dungeon from a seed) for `brogue serve` or `brogue host` to host
    New {
        /// Its name: what invite codes and `--world` name
        name: String,
        /// The dungeon's seed [default: a random one]
        #[arg(long, value_name = "N")]
        seed: Option<u64>,
        /// Simulation ticks per second
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u8).range(10..=60), value_name = "HZ")]
        tick_rate: u8,
        /// Each newcomer starts alone and players form parties in game (/invite, /accept):
        /// for a world of strangers. Without it everyone shares one party, as friends do
        #[arg(long)]
        parties: bool,
    },
    /// Delete a world and everything of it (its journal, replays, leaderboard) for good
    Delete {
        name: String,
        /// Yes, delete it (without this nothing is deleted)
        #[arg(long)]
        yes: bool,
    },
    /// Give a world another name (its players' invite codes name the old one: hand out new)
    Rename { name: String, new_name: String },
    /// Copy a world, everything of it, into FILE (a save of one world) to restore later
    Backup { name: String, file: PathBuf },
    /// Put a world back from a backup FILE
    Restore {
        file: PathBuf,
        /// Under this name instead of its own
        #[arg(long = "as", value_name = "NAME")]
        as_name: Option<String>,
    },
    /// Copy a world into FILE to move it to another server: without this server's invite
    /// codes, bans and unsent leaderboard facts
    Export { name: String, file: PathBuf },
    /// Add a world from an exported FILE
    Import {
        file: PathBuf,
        /// Under this name instead of its own
        #[arg(long = "as", value_name = "NAME")]
        as_name: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(subcommand)]
    pub what: AdminCommand,
    /// The world [default: the server's only world; `players` and `announce`: every world]
    #[arg(long, global = true, value_name = "NAME")]
    pub world: Option<String>,
    /// Print the server's answer as JSON
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Who is in the world: name, key, playing or away, banned
    Players,
    /// Disconnect a player (by name or key); they may come back
    Kick { who: String },
    /// Refuse a player's key from now on (by name or key; a whole key bans one not yet seen)
    /// and disconnect them
    Ban { who: String },
    /// Let a banned key in again
    Unban { who: String },
    /// Revoke every invite code of the world and print a new one (players who joined before
    /// need none)
    Invite,
    /// Show a message to everyone in the world (or every world)
    Announce {
        #[arg(required = true, num_args = 1..)]
        text: Vec<String>,
    },
    /// Stop one world: its players are told, it is saved; the others play on
    StopWorld { name: String },
    /// Start a world of the save that is not running (one stopped with stop-world, or made
    /// with `brogue world new` while the server was down)
    StartWorld { name: String },
}

#[derive(Debug, Args)]
pub struct WorldsArgs {
    /// Print one JSON array: `[{"name":..,"players":..,"last_played":..,"bytes":..}]`
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; 0.0.0.0 listens everywhere and invites name the real addresses
    #[arg(long, default_value = "0.0.0.0", value_name = "ADDR")]
    pub bind: IpAddr,
    /// UDP port every world is reached on (0 picks a free one)
    #[arg(long, default_value_t = DEFAULT_PORT, value_name = "P")]
    pub port: u16,
    /// Most players connected at once, per world (up to 256)
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u16).range(1..=256), value_name = "N")]
    pub max_players: u16,
    /// New players one invite code may admit; then the world gets a fresh code
    #[arg(long, default_value_t = crate::hosting::MAX_NEW_PER_CODE, value_parser = clap::value_parser!(u32).range(1..=10_000), value_name = "N")]
    pub max_new_per_code: u32,
    #[command(flatten)]
    pub reach: ReachArgs,
    /// Let anyone who reaches the server join any world without an invite code (a public
    /// server; each player still proves their own key, and bans still hold)
    #[arg(long)]
    pub open: bool,
    /// Serve Prometheus metrics (`/metrics`) and a health check (`/healthz`) over HTTP at this
    /// address, e.g. 127.0.0.1:9470 [default: none]
    #[arg(long, value_name = "ADDR")]
    pub metrics: Option<std::net::SocketAddr>,
    /// Most people watching each world at once
    #[arg(long, default_value_t = crate::hosting::MAX_SPECTATORS, value_parser = clap::value_parser!(u16).range(0..=256), value_name = "N")]
    pub max_spectators: u16,
    #[command(flatten)]
    pub central: CentralArgs,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the config file's path (BROGUE_CONFIG, or config.toml in the platform's config dir)
    Path,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// The UDP port a host would use (a free one is tried instead if a host holds it)
    #[arg(long, default_value_t = DEFAULT_PORT, value_name = "P")]
    pub port: u16,
    /// Print one JSON object instead of a report
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SimArgs {
    /// The party: one character per class named, e.g. warrior,mage,ranger,healer
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "warrior,mage,ranger,healer"
    )]
    pub party: Vec<game::Class>,
    /// How the party plays: dive (find the stairs, go down), clear (explore and kill each
    /// floor first), craft (clear, mine veins and wear crafted gear)
    #[arg(long, value_enum, default_value = "craft")]
    pub strategy: crate::sim::Strategy,
    /// How many runs (worlds); seeds FIRST_SEED..FIRST_SEED+N
    #[arg(long, default_value_t = 20)]
    pub seeds: u64,
    #[arg(long, default_value_t = 1)]
    pub first_seed: u64,
    /// A run that has not won after this much game time is lost
    #[arg(long, value_name = "MINUTES", default_value_t = 180)]
    pub minutes: u32,
    /// Make a character that dies again at the entrance (as players would); by default the dead
    /// stay out and a run is lost when the whole party is dead
    #[arg(long)]
    pub remake: bool,
    /// The party ignores telegraphed specials (no dodging, no class answers): how much the
    /// answers are worth
    #[arg(long)]
    pub no_answers: bool,
    /// After the first victory, play on until a member who has not won carries the next Heart
    /// out (a character wins once), and report the time between the two
    #[arg(long)]
    pub second: bool,
    /// Threads to run on [default: the machine's cores]
    #[arg(long)]
    pub threads: Option<usize>,
    /// Print the summary as JSON
    #[arg(long)]
    pub json: bool,
    /// With --json, include every run
    #[arg(long, requires = "json")]
    pub runs: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Only this world [default: every world in the data dir]
    #[arg(long, value_name = "NAME")]
    pub world: Option<String>,
    /// Print one JSON object per world instead of a summary
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ReplayArgs {
    #[command(subcommand)]
    pub command: Option<ReplayCommand>,
    /// The replay file to watch or check
    #[arg(required = true, value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Play it headless as fast as the CPU allows and compare every state hash it recorded:
    /// prints `replay: ok tick T state HASH`, or where it diverged (exit status 1)
    #[arg(long)]
    pub check: bool,
    /// Follow this player first [default: the first with a character]
    #[arg(long, value_name = "NAME", conflicts_with = "check")]
    pub follow: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ReplayCommand {
    /// Write a span of a world hosted from this data dir to FILE: the saved world at or before
    /// --from and every input after it, compressed (read-only; refused while a host holds the
    /// save)
    Export(ReplayExportArgs),
}

#[derive(Debug, Args)]
pub struct ReplayExportArgs {
    /// The world
    #[arg(long, default_value = DEFAULT_WORLD, value_name = "NAME")]
    pub world: String,
    /// The first tick to watch [default: the oldest the save keeps]
    #[arg(long, value_name = "T")]
    pub from: Option<u64>,
    /// The tick to end before [default: the last tick played]
    #[arg(long, value_name = "T")]
    pub to: Option<u64>,
    /// Where to write the replay
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct LeaderboardArgs {
    /// Only this world [default: every world in the data dir]
    #[arg(long, value_name = "NAME")]
    pub world: Option<String>,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    /// The central board (every host that syncs to --leaderboard-url) instead of this data dir's
    #[arg(long)]
    pub global: bool,
    /// Play this replay (`brogue replay export`) and confirm each victory in it against the
    /// proof this data dir's leaderboard (with --global: any host's board on the central
    /// leaderboard) recorded when it was won, or refuse it (exit 1)
    #[arg(long, value_name = "FILE", conflicts_with = "json")]
    pub verify: Option<std::path::PathBuf>,
    #[command(flatten)]
    pub central: CentralArgs,
}

/// How friends on the internet reach a host.
#[derive(Debug, Args)]
pub struct ReachArgs {
    /// An address friends on the internet reach this host at (a port you forwarded by hand,
    /// a rented server); repeatable; a name is resolved when the code is made
    #[arg(long = "public-addr", value_name = "HOST:PORT")]
    pub public_addr: Vec<String>,
    /// Never ask the router to forward the port (UPnP, NAT-PMP, PCP)
    #[arg(long)]
    pub no_port_mapping: bool,
}

impl ReachArgs {
    pub fn options(self) -> crate::reach::ReachOptions {
        crate::reach::ReachOptions {
            port_mapping: !self.no_port_mapping,
            public: self.public_addr,
        }
    }
}

/// Where the central leaderboard database is.
#[derive(Debug, Args)]
pub struct CentralArgs {
    /// PostgreSQL database that keeps the central leaderboard, e.g.
    /// postgres://user:password@host/brogue?sslmode=require [default: none: nothing leaves
    /// this machine]
    #[arg(
        long,
        env = "BROGUE_LEADERBOARD_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub leaderboard_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct Character {
    /// Your display name [default: your user name]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Class for a new character; without it the game asks
    #[arg(long, value_parser = parse_class, value_name = "warrior|mage|ranger|healer")]
    pub class: Option<Class>,
}

#[derive(Debug, Args)]
pub struct SoloArgs {
    /// The world to play; created if new
    #[arg(long, default_value = DEFAULT_WORLD, value_name = "NAME")]
    pub world: String,
    /// Seed for a new world (an existing world keeps its own)
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub character: Character,
}

#[derive(Debug, Args)]
pub struct HostArgs {
    /// The world to host; created if new
    #[arg(long, default_value = DEFAULT_WORLD, value_name = "NAME")]
    pub world: String,
    /// Seed for a new world (an existing world keeps its own)
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Address to listen on; 0.0.0.0 listens everywhere and invites name your real addresses
    #[arg(long, default_value = "0.0.0.0", value_name = "ADDR")]
    pub bind: IpAddr,
    /// UDP port to listen on (0 picks a free one)
    #[arg(long, default_value_t = DEFAULT_PORT, value_name = "P")]
    pub port: u16,
    /// Simulation ticks per second
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u8).range(10..=60), value_name = "HZ")]
    pub tick_rate: u8,
    /// Most players connected at once (the host's own player included; up to 256)
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256), value_name = "N")]
    pub max_players: u16,
    /// New players one invite code may admit; then the host gets a fresh code to share
    #[arg(long, default_value_t = crate::hosting::MAX_NEW_PER_CODE, value_parser = clap::value_parser!(u32).range(1..=10_000), value_name = "N")]
    pub max_new_per_code: u32,
    /// Run without a terminal interface until SIGINT/SIGTERM (for a box that stays on)
    #[arg(long)]
    pub headless: bool,
    /// Announce the game on the local network (mDNS); players there still need the code
    #[arg(long)]
    pub lan: bool,
    /// Announce on the LAN and let anyone who can reach this host join without a code (they
    /// still prove their own key; they see yours to compare). Implies --lan
    #[arg(long)]
    pub lan_open: bool,
    #[command(flatten)]
    pub reach: ReachArgs,
    /// Most people watching at once (`brogue watch`); they take no player slot
    #[arg(long, default_value_t = crate::hosting::MAX_SPECTATORS, value_parser = clap::value_parser!(u16).range(0..=256), value_name = "N")]
    pub max_spectators: u16,
    /// Let nobody watch
    #[arg(long, conflicts_with = "max_spectators")]
    pub no_spectators: bool,
    /// Let spectators chat (their lines read "NAME (watching)")
    #[arg(long, conflicts_with = "no_spectators")]
    pub spectators_chat: bool,
    /// When the world is new: each newcomer starts alone and players form parties in game
    /// (/invite NAME, /accept NAME, /leave). Without it everyone shares one party
    #[arg(long)]
    pub parties: bool,
    #[command(flatten)]
    pub central: CentralArgs,
    #[command(flatten)]
    pub character: Character,
}

#[derive(Debug, Args)]
pub struct JoinArgs {
    /// The invite code (BRG-…), or the address of a host you joined before (HOST:PORT)
    #[arg(required_unless_present = "lan")]
    pub code: Option<String>,
    /// Join the game announced on the LAN for this world instead
    #[arg(long, value_name = "WORLD", conflicts_with = "code")]
    pub lan: Option<String>,
    #[command(flatten)]
    pub character: Character,
    /// Play through the link emulator, e.g. `delay=40ms,jitter=5ms,loss=2%` (see `brogue link`)
    #[arg(long, value_name = "SPEC")]
    pub link: Option<crate::link::LinkSpec>,
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// The invite code (BRG-…), or the address of a host you joined before (HOST:PORT)
    #[arg(required_unless_present = "lan")]
    pub code: Option<String>,
    /// Watch the game announced on the LAN for this world instead
    #[arg(long, value_name = "WORLD", conflicts_with = "code")]
    pub lan: Option<String>,
    /// Follow this player first [default: the first with a character]
    #[arg(long, value_name = "NAME")]
    pub follow: Option<String>,
    /// Your name, as the host lists who is watching [default: your user name]
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Watch through the link emulator (see `brogue link`)
    #[arg(long, value_name = "SPEC")]
    pub link: Option<crate::link::LinkSpec>,
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    /// What the link does to each packet, each way: any of delay=40ms, jitter=5ms, loss=2%,
    /// outage=10s@5s (drops everything for 10 s, 5 s after the start), rebind@3s (moves every
    /// player to a new source port, as changing networks does)
    pub spec: crate::link::LinkSpec,
    /// The host's invite code; a code that reaches the host through the emulator is printed
    pub code: String,
}

#[derive(Debug, Args)]
pub struct LanArgs {
    /// How long to listen, in seconds
    #[arg(long, default_value_t = 3.0, value_name = "SECS")]
    pub timeout: f64,
    /// Print one JSON array instead of a table
    #[arg(long)]
    pub json: bool,
    /// Print each game as it appears or disappears, one JSON object per line, until the timeout
    #[arg(long, conflicts_with = "json")]
    pub watch: bool,
}

#[derive(Debug, Args)]
pub struct BotsArgs {
    /// The host's invite code
    #[arg(required_unless_present = "lan")]
    pub code: Option<String>,
    /// Join the game announced on the LAN for this world instead (it must be --lan-open, or
    /// the bots must have joined it before)
    #[arg(long, value_name = "WORLD", conflicts_with = "code")]
    pub lan: Option<String>,
    /// How many bots
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub count: u16,
    /// How long they play, in seconds
    #[arg(long, default_value_t = 30.0, value_name = "SECS")]
    pub duration: f64,
    /// What they do: explore and fight, or mine, craft, bank at shrines and trade
    #[arg(long, value_enum, default_value_t = crate::bots::Mode::Explore)]
    pub mode: crate::bots::Mode,
    /// Print one JSON object instead of a summary
    #[arg(long)]
    pub json: bool,
    /// Play through the link emulator, e.g. `delay=40ms,jitter=5ms,loss=2%` (see `brogue link`)
    #[arg(long, value_name = "SPEC")]
    pub link: Option<crate::link::LinkSpec>,
}

/// The world `solo` and `host` use unless told otherwise: the same one, so a solo game can later
/// be hosted for friends.
pub const DEFAULT_WORLD: &str = "default";
/// The default UDP port of a host.
pub const DEFAULT_PORT: u16 = 4470;

fn parse_class(s: &str) -> Result<Class, String> {
    s.parse::<Class>().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn host_flags_parse_and_tick_rate_is_bounded() {
        let cli = Cli::try_parse_from([
            "brogue",
            "host",
            "--world",
            "w",
            "--seed",
            "7",
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--tick-rate",
            "30",
            "--max-players",
            "4",
            "--headless",
        ])
        .unwrap();
        let Some(Command::Host(h)) = cli.command else {
            panic!("not host")
        };
        assert_eq!(
            (h.world.as_str(), h.seed, h.port, h.tick_rate),
            ("w", Some(7), 0, 30)
        );
        assert!(h.headless);
        assert!(Cli::try_parse_from(["brogue", "host", "--tick-rate", "61"]).is_err());
        assert!(Cli::try_parse_from(["brogue", "solo", "--class", "bard"]).is_err());
    }

    #[test]
    fn lan_flags_parse() {
        let cli = Cli::try_parse_from([
            "brogue",
            "host",
            "--lan-open",
            "--lan-iface",
            "eth1",
            "--lan-iface",
            "wlan0",
        ])
        .unwrap();
        assert_eq!(cli.lan_iface, ["eth1", "wlan0"]);
        let cli = Cli::try_parse_from(["brogue", "lan", "--timeout", "1.5", "--json"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Lan(LanArgs { json: true, .. }))
        ));
        assert!(Cli::try_parse_from(["brogue", "bots", "--lan", "w"]).is_ok());
        assert!(Cli::try_parse_from(["brogue", "bots"]).is_err());
        assert!(Cli::try_parse_from(["brogue", "join", "BRG-X", "--lan", "w"]).is_err());
    }

    #[test]
    fn the_central_leaderboard_url_is_a_flag_or_the_environment() {
        let cli = Cli::try_parse_from([
            "brogue",
            "host",
            "--leaderboard-url",
            "postgres://postgres@127.0.0.1/test",
        ])
        .unwrap();
        let Some(Command::Host(h)) = cli.command else {
            panic!("not host")
        };
        assert_eq!(
            h.central.leaderboard_url.as_deref(),
            Some("postgres://postgres@127.0.0.1/test")
        );
        let cli = Cli::try_parse_from(["brogue", "leaderboard", "--global", "--json"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Leaderboard(LeaderboardArgs {
                global: true,
                json: true,
                ..
            }))
        ));
    }

    #[test]
    fn check_and_economy_bots_parse() {
        let cli = Cli::try_parse_from(["brogue", "check", "--world", "w", "--json"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Check(CheckArgs { json: true, world: Some(ref w) })) if w == "w"
        ));
        let cli = Cli::try_parse_from(["brogue", "bots", "BRG-X", "--mode", "economy", "--json"])
            .unwrap();
        let Some(Command::Bots(b)) = cli.command else {
            panic!("not bots")
        };
        assert_eq!(b.mode, crate::bots::Mode::Economy);
        assert!(Cli::try_parse_from(["brogue", "bots", "BRG-X", "--mode", "nap"]).is_err());
    }

    #[test]
    fn watch_and_the_spectator_limits_parse() {
        let cli = Cli::try_parse_from(["brogue", "watch", "BRG-X", "--follow", "Ada"]).unwrap();
        let Some(Command::Watch(w)) = cli.command else {
            panic!("not watch")
        };
        assert_eq!(
            (w.code.as_deref(), w.follow.as_deref()),
            (Some("BRG-X"), Some("Ada"))
        );
        assert!(Cli::try_parse_from(["brogue", "watch"]).is_err());
        let cli = Cli::try_parse_from(["brogue", "host", "--max-spectators", "3"]).unwrap();
        let Some(Command::Host(h)) = cli.command else {
            panic!("not host")
        };
        assert_eq!((h.max_spectators, h.no_spectators), (3, false));
        assert!(
            Cli::try_parse_from(["brogue", "host", "--no-spectators", "--max-spectators", "3"])
                .is_err()
        );
    }

    #[test]
    fn replay_takes_a_file_or_export() {
        let cli = Cli::try_parse_from(["brogue", "replay", "run.brr", "--check"]).unwrap();
        let Some(Command::Replay(r)) = cli.command else {
            panic!("not replay")
        };
        assert!(r.check && r.command.is_none());
        assert_eq!(r.file, Some(PathBuf::from("run.brr")));
        let cli = Cli::try_parse_from([
            "brogue", "replay", "export", "--world", "w", "--from", "5", "--to", "90", "out.brr",
        ])
        .unwrap();
        let Some(Command::Replay(ReplayArgs {
            command: Some(ReplayCommand::Export(e)),
            file: None,
            ..
        })) = cli.command
        else {
            panic!("not export")
        };
        assert_eq!((e.world.as_str(), e.from, e.to), ("w", Some(5), Some(90)));
        assert!(Cli::try_parse_from(["brogue", "replay"]).is_err());
        let cli = Cli::try_parse_from(["brogue", "leaderboard", "--verify", "won.brr"]).unwrap();
        assert!(matches!(
            cli.command,
            Some(Command::Leaderboard(LeaderboardArgs {
                verify: Some(_),
                ..
            }))
        ));
        assert!(
            Cli::try_parse_from(["brogue", "leaderboard", "--verify", "w.brr", "--json"]).is_err()
        );
        assert!(Cli::try_parse_from(["brogue", "replay", "export"]).is_err());
    }
}
