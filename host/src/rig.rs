//! A host core with clients and a store that exist only in memory, under a virtual clock: what
//! quinn-proto's `Pair` is to its tests. For tests (here and in `store`), behind the `rig`
//! feature; nothing in it reads a clock or touches a disk.

use std::collections::BTreeMap;
use std::time::Duration;

use game::protocol::{
    ClientDatagram, ClientMsg, Hello, HostMsg, PROTOCOL_VERSION, Refusal, Welcome,
};
use game::view::ClientView;
use game::{Class, PlayerId, World};

use crate::{Arrival, Config, ConnId, Host, HostEvent, Now, Outgoing, Persist, Rejected, Transmit};

/// Where the rig's clock starts (unix seconds): 2033, far from any expiry.
pub const START_UNIX: u64 = 2_000_000_000;

/// A client as the host sees it from outside: what it was sent, whether it was closed.
#[derive(Debug, Default)]
pub struct Client {
    pub view: ClientView,
    /// Every message, in order.
    pub inbox: Vec<HostMsg>,
    /// Set when the host closed the connection: why.
    pub closed: Option<String>,
    seq: u32,
}

/// What the rig's store does with the next write.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Disk {
    /// Commits at once.
    Ok,
    /// Refuses every write (a full disk).
    Full,
    /// Accepts writes but commits nothing until set back to `Ok` (a slow disk).
    Stalled,
}

/// A host, its clients and an in-memory store, driven by hand.
#[derive(Debug)]
pub struct Rig {
    pub host: Host,
    pub now: Now,
    pub clients: BTreeMap<ConnId, Client>,
    /// Everything written, in order.
    pub written: Vec<Persist>,
    /// Written but not yet committed (while the disk stalls or refuses).
    pub pending: Vec<Persist>,
    pub disk: Disk,
    /// Commits that held journal entries (a real store makes one transaction of each).
    pub commits: usize,
    pub events: Vec<HostEvent>,
    /// When set, the driver reports every update as not delivered (a client that lags).
    pub full_queues: Vec<ConnId>,
    next_conn: ConnId,
    /// How far the wall clock was moved ahead of the monotonic one.
    wall_offset: u64,
}

impl Rig {
    /// A host for `world` whose own player is `host_player`.
    pub fn new(world: World, config: Config) -> Rig {
        let now = Now::new(Duration::ZERO, START_UNIX);
        let host = Host::new(world, config, Vec::new(), [7; 32], now);
        let mut rig = Rig {
            host,
            now,
            clients: BTreeMap::new(),
            written: Vec::new(),
            pending: Vec::new(),
            disk: Disk::Ok,
            commits: 0,
            events: Vec::new(),
            full_queues: Vec::new(),
            next_conn: 1,
            wall_offset: 0,
        };
        rig.pump();
        rig
    }

    /// A hello from a client called `name` presenting `secret`.
    pub fn hello(name: &str, secret: Option<[u8; 16]>) -> Hello {
        Hello {
            protocol: PROTOCOL_VERSION,
            game_version: "test".into(),
            name: name.into(),
            invite_secret: secret,
            watch: false,
            world: None,
        }
    }

    /// The newest invite secret.
    pub fn secret(&self) -> Option<[u8; 16]> {
        self.host.secrets().last().map(|s| s.secret)
    }

    /// A connection for `player` arrives with `hello`.
    pub fn arrive(&mut self, player: PlayerId, hello: Hello) -> Result<(ConnId, Welcome), Refusal> {
        let conn = self.next_conn;
        self.next_conn += 1;
        let welcome = self
            .host
            .handle_arrival(conn, Arrival { player, hello }, self.now)?;
        self.clients.insert(conn, Client::default());
        self.pump();
        Ok((conn, welcome))
    }

    /// `player` joins (with the current invite secret) and makes a character of `class`.
    pub fn join(&mut self, player: PlayerId, name: &str, class: Class) -> ConnId {
        let secret = self.secret();
        let (conn, _) = self
            .arrive(player, Rig::hello(name, secret))
            .expect("admitted");
        self.send(conn, ClientMsg::CreateCharacter { class })
            .expect("taken");
        self.run_for(Duration::from_millis(200));
        conn
    }

    pub fn send(&mut self, conn: ConnId, msg: ClientMsg) -> Result<(), Rejected> {
        let result = self.host.handle_message(conn, msg, self.now);
        self.pump();
        result
    }

    /// Sends an action with the next sequence number; returns the number.
    pub fn act(&mut self, conn: ConnId, action: game::Action) -> Result<u32, Rejected> {
        let client = self.clients.get_mut(&conn).expect("a client");
        client.seq += 1;
        let seq = client.seq;
        self.send(conn, ClientMsg::Act { seq, action })?;
        Ok(seq)
    }

    pub fn depart(&mut self, conn: ConnId) {
        self.host.handle_departure(conn, self.now);
        if let Some(c) = self.clients.get_mut(&conn) {
            c.closed.get_or_insert_with(|| "connection lost".into());
        }
        self.pump();
    }

    /// Advances the clock by `d`, running every tick that falls due on the way.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now.mono + d;
        loop {
            let next = self.host.poll_timeout().max(self.now.mono);
            if next > end || next == Duration::MAX {
                break;
            }
            self.set_time(next);
            self.host.handle_tick(self.now);
            self.pump();
        }
        self.set_time(end);
    }

    /// Runs `n` ticks' worth of time.
    pub fn run_ticks(&mut self, n: u32) {
        let hz = u32::from(self.host.world().tick_rate().hz());
        self.run_for(Duration::from_secs(1) / hz * n);
    }

    fn set_time(&mut self, mono: Duration) {
        let unix = START_UNIX + self.wall_offset + mono.as_secs();
        self.now = Now::new(mono, unix);
    }

    /// Moves the wall clock alone (invite expiry), as a host left running for days would.
    pub fn jump_wall_clock(&mut self, secs: u64) {
        self.wall_offset += secs;
        self.now.unix += secs;
    }

    /// Does what a driver does between events: writes what the host asks (as the disk
    /// allows), delivers what it sends, collects its events.
    pub fn pump(&mut self) {
        while let Some(job) = self.host.poll_persist() {
            self.pending.push(job);
        }
        self.commit();
        while let Some(event) = self.host.poll_event() {
            self.events.push(event);
        }
        while let Some(Transmit { conn, what }) = self.host.poll_transmit() {
            self.deliver(conn, what);
        }
    }

    /// Commits pending writes if the disk allows, and tells the host.
    fn commit(&mut self) {
        match self.disk {
            Disk::Ok => {
                let mut newest = None;
                for job in self.pending.drain(..) {
                    if let Persist::Journal(entry) = &job {
                        newest = Some(entry.tick);
                    }
                    self.written.push(job);
                }
                if let Some(tick) = newest {
                    self.commits += 1;
                    self.host.handle_durable(tick);
                }
            }
            Disk::Full if !self.pending.is_empty() => {
                self.host
                    .handle_store_error("No space left on device (os error 28)".into());
            }
            Disk::Full | Disk::Stalled => {}
        }
    }

    fn deliver(&mut self, conn: ConnId, what: Outgoing) {
        let lagging = self.full_queues.contains(&conn);
        let Some(client) = self.clients.get_mut(&conn) else {
            return;
        };
        if client.closed.is_some() {
            return;
        }
        match what {
            Outgoing::Msg(msg) => {
                if lagging {
                    self.host.handle_delivery(conn, false, self.now);
                    return;
                }
                if let HostMsg::Update(u) = &msg {
                    client
                        .view
                        .apply(u.as_ref().clone())
                        .expect("the host sends valid updates");
                }
                client.inbox.push(msg);
                self.host.handle_delivery(conn, true, self.now);
            }
            Outgoing::Snapshot(snapshot) => {
                // A datagram: a lagging client's stream is full, its datagrams are just lost.
                if lagging {
                    return;
                }
                let applied = client
                    .view
                    .apply_snapshot(snapshot.as_ref().clone())
                    .expect("the host sends valid snapshots");
                client.inbox.push(HostMsg::Snapshot(snapshot));
                if applied {
                    let ack = ClientDatagram {
                        snapshot: client.view.snapshot(),
                        acts: Vec::new(),
                    };
                    let _ = self.host.handle_datagram(conn, ack, self.now);
                }
            }
            Outgoing::Close { msg, reason, .. } => {
                if let Some(msg) = msg {
                    client.inbox.push(msg);
                }
                client.closed = Some(reason);
            }
        }
    }

    pub fn client(&self, conn: ConnId) -> &Client {
        &self.clients[&conn]
    }

    /// The journal written so far, as (tick, inputs).
    pub fn journal(&self) -> Vec<(game::Tick, Vec<game::Input>)> {
        self.entries()
            .into_iter()
            .map(|e| (e.tick, e.inputs))
            .collect()
    }

    /// The journal entries written so far.
    pub fn entries(&self) -> Vec<crate::JournalEntry> {
        self.written
            .iter()
            .filter_map(|p| match p {
                Persist::Journal(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }
}

/// A short won game: on a one-room floor Ada, a warrior handed the Heart, climbs out at once.
/// Returns the world before she arrives (whose journal starts there) and the journal entries
/// of the host that ran it; the winning entry's facts hold her victory and its proof.
pub fn victory_run() -> (crate::Checkpoint, Vec<crate::JournalEntry>) {
    use game::{Action, Input, TickRate};
    let ada = PlayerId([2; 32]);
    let rows = ["#####", "#.<.#", "#####"];
    let floor = game::floor::Floor::from_ascii(1, &rows);
    let mut w = World::with_first_floor("won", 3, TickRate::DEFAULT, floor);
    w.handle_tick(&[
        Input::Connect {
            player: ada,
            name: "Ada".into(),
        },
        Input::CreateCharacter {
            player: ada,
            class: Class::Warrior,
        },
    ]);
    assert!(w.give_heart(ada));
    let start = crate::Checkpoint::of(&w);
    let mut rig = Rig::new(w, Config::new(PlayerId([1; 32])));
    let (conn, _) = rig.arrive(ada, Rig::hello("Ada", None)).unwrap();
    rig.run_ticks(2);
    rig.act(conn, Action::Ascend).unwrap();
    rig.run_ticks(4);
    assert_eq!(rig.host.world().economy().victories().len(), 1, "Ada won");
    (start, rig.entries())
}

/// A four-player session on world `seed`, every player acting at random for `ticks` ticks
/// (moves, waits, abilities on whatever is near, picking up), then its replay. The same
/// arguments make the same bytes in any build: the replay test compares a debug and a release
/// build of this (`examples/replay_twin.rs`).
pub fn scripted_session(seed: u64, ticks: u32) -> crate::replay::Replay {
    use game::ability::Target;
    use game::geom::Dir;
    use game::{Action, TickRate};
    use rand_chacha::ChaCha20Rng;
    use rand_core::{RngCore, SeedableRng};

    let world = World::new("twin", seed, TickRate::DEFAULT);
    let start = crate::Checkpoint::of(&world);
    let mut rig = Rig::new(world, Config::new(PlayerId([1; 32])));
    let party = [
        ("Ada", Class::Warrior),
        ("Bo", Class::Mage),
        ("Cy", Class::Ranger),
        ("Di", Class::Healer),
    ];
    let conns: Vec<ConnId> = (0u8..)
        .zip(party)
        .map(|(i, (name, class))| rig.join(PlayerId([10 + i; 32]), name, class))
        .collect();
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    for _ in 0..ticks {
        for &conn in &conns {
            let action = match rng.next_u32() % 16 {
                0..=9 => Action::Move(Dir::ALL[rng.next_u32() as usize % 8]),
                10 => Action::Wait,
                11 => Action::PickUp,
                12..=14 => Action::Ability {
                    slot: (rng.next_u32() % 3) as u8,
                    target: Target::Auto,
                },
                _ => continue,
            };
            // Refusals (busy, no mana, nothing to pick up) are part of the game.
            let _ = rig.act(conn, action);
        }
        rig.run_ticks(1);
    }
    let (from, to) = (start.tick.0, rig.host.world().tick().0);
    let journal = rig
        .entries()
        .into_iter()
        .map(|e| (e.tick, e.inputs))
        .collect();
    crate::replay::Replay::record(start, journal, from, to, "twin")
        .expect("a fresh world's own journal replays")
}
