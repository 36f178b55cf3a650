//! The control socket of a running `brogue serve`: `admin.sock` in the data dir (a Unix socket,
//! readable and writable by its owner only: whoever may read the save may run the server).
//! One request per connection, one JSON line each way:
//!
//! ```text
//! → {"world":"halls","command":{"kick":"Mallory"}}
//! ← {"ok":true,"said":["kicked Mallory from halls"]}
//! ← {"ok":false,"error":"no player called \"Malory\" in halls …"}
//! ```
//!
//! Commands for one world go through [`Doors::admin`] to that world's driver (the core does the
//! work); `worlds` and `leaderboard` read the store through the saver thread, which owns it.
//! `brogue admin …` is the client; `brogue worlds` and `brogue leaderboard` use it when a
//! server holds the save.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use color_eyre::eyre;
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio_util::sync::CancellationToken;

use tokio::sync::{mpsc, oneshot};

use crate::driver::{AdminAnswer, AdminCommand, Doors};
use crate::saver::Reader;
use crate::serve::WorldRequest;

/// The socket's file name in the data dir.
pub const SOCKET: &str = "admin.sock";
const REOPENING: &str = "the server is reopening its save: try again in a moment";
/// The longest request read.
const MAX_REQUEST: usize = 8192;

/// What the admin asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Command {
    /// Who is in each world (or the one named).
    Players,
    Kick(String),
    Ban(String),
    Unban(String),
    /// Revoke a world's codes and issue a new one.
    Invite,
    /// To one world, or every world.
    Announce(String),
    StopWorld,
    /// Start a world of the save that is not running (one stopped by the admin).
    StartWorld,
    /// Make a world and start it (`brogue world new` while a server runs).
    NewWorld {
        seed: Option<u64>,
        tick_rate: u8,
        /// Newcomers start alone (see `brogue world new --parties`).
        #[serde(default)]
        parties: bool,
    },
    /// `brogue worlds --json`, from the running server.
    Worlds,
    /// `brogue leaderboard --json`, from the running server.
    Leaderboard,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Request {
    pub world: Option<String>,
    pub command: Command,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    pub ok: bool,
    /// Lines for people.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub said: Vec<String>,
    /// Data for tools (players, worlds, leaderboards).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Reply {
    fn error(e: impl Into<String>) -> Reply {
        Reply {
            ok: false,
            said: Vec::new(),
            json: None,
            error: Some(e.into()),
        }
    }
}

/// Where the control socket of `data_dir` is.
pub fn socket(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET)
}

/// Answers requests on `data_dir`'s socket until `stop`; removes the socket file when done.
#[cfg(unix)]
pub async fn listen(
    data_dir: &Path,
    doors: Doors,
    reader: Reader,
    server: mpsc::Sender<WorldRequest>,
    stop: CancellationToken,
) -> eyre::Result<tokio::task::JoinHandle<()>> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = socket(data_dir);
    // A socket file left by a server that was killed: nobody answers on it.
    if path.exists() && tokio::net::UnixStream::connect(&path).await.is_err() {
        std::fs::remove_file(&path)?;
    }
    let listener = tokio::net::UnixListener::bind(&path).map_err(|e| {
        eyre::eyre!(
            "cannot open the control socket {}: {e} (is another brogue serving this data \
             dir?)",
            path.display()
        )
    })?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
    let doors = Arc::new(doors);
    Ok(tokio::spawn(async move {
        loop {
            let stream = tokio::select! {
                () = stop.cancelled() => break,
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        tracing::warn!("control socket: {e}");
                        continue;
                    }
                },
            };
            let (doors, reader, server) = (doors.clone(), reader.clone(), server.clone());
            tokio::spawn(async move {
                let work = answer(stream, &doors, &reader, &server);
                if tokio::time::timeout(Duration::from_secs(30), work)
                    .await
                    .is_err()
                {
                    tracing::warn!("control socket: a request took over 30 s");
                }
            });
        }
        let _ = std::fs::remove_file(&path);
    }))
}

#[cfg(unix)]
async fn answer(
    stream: tokio::net::UnixStream,
    doors: &Doors,
    reader: &Reader,
    server: &mpsc::Sender<WorldRequest>,
) {
    let (read, mut write) = stream.into_split();
    let mut line = String::new();
    let mut limited = BufReader::new(tokio::io::AsyncReadExt::take(read, MAX_REQUEST as u64));
    let reply = match limited.read_line(&mut line).await {
        Ok(_) => match serde_json::from_str::<Request>(&line) {
            Ok(request) => carry_out(request, doors, reader, server).await,
            Err(e) => Reply::error(format!("not a request this brogue understands: {e}")),
        },
        Err(e) => Reply::error(format!("cannot read the request: {e}")),
    };
    let mut text = serde_json::to_string(&reply).expect("a reply encodes");
    text.push('\n');
    let _ = write.write_all(text.as_bytes()).await;
    let _ = write.shutdown().await;
}

/// Does what `request` asks.
async fn carry_out(
    request: Request,
    doors: &Doors,
    reader: &Reader,
    server: &mpsc::Sender<WorldRequest>,
) -> Reply {
    let running = doors.worlds();
    let one_world = || -> Result<String, String> {
        match (&request.world, &running[..]) {
            (Some(w), _) => Ok(w.clone()),
            (None, [only]) => Ok(only.clone()),
            (None, _) => Err(format!(
                "this server runs several worlds: say which with --world ({})",
                running.join(", ")
            )),
        }
    };
    let command = match &request.command {
        Command::NewWorld {
            seed,
            tick_rate,
            parties,
        } => {
            let Some(name) = request.world.clone() else {
                return Reply::error("a new world needs a name");
            };
            let Some(tick_rate) = game::TickRate::new(*tick_rate) else {
                return Reply::error("the tick rate is 10 to 60 Hz");
            };
            let (reply, answer) = oneshot::channel();
            let (seed, parties) = (*seed, *parties);
            return ask_server(
                server,
                WorldRequest::New {
                    name,
                    seed,
                    tick_rate,
                    parties,
                    reply,
                },
                answer,
            )
            .await;
        }
        Command::StartWorld => {
            let Some(name) = request.world.clone() else {
                return Reply::error("say which world to start");
            };
            let (reply, answer) = oneshot::channel();
            return ask_server(server, WorldRequest::Start { name, reply }, answer).await;
        }
        Command::Worlds => {
            return read(reader, |s| {
                s.worlds()
                    .map(|w| crate::worlds::to_json(&w))
                    .map_err(|e| e.to_string())
            })
            .await;
        }
        Command::Leaderboard => {
            let world = request.world.clone();
            let boards = reader
                .read(move |s| {
                    crate::leaderboard::boards(s, world.as_deref()).map_err(|e| format!("{e:#}"))
                })
                .await;
            return match boards {
                Some(Ok(boards)) => Reply {
                    ok: true,
                    said: crate::leaderboard::lines(&boards, false),
                    json: Some(crate::leaderboard::to_json(&boards)),
                    error: None,
                },
                Some(Err(e)) => Reply::error(e),
                None => Reply::error(REOPENING),
            };
        }
        Command::Players => AdminCommand::Roster,
        Command::Kick(who) => AdminCommand::Kick(who.clone()),
        Command::Ban(who) => AdminCommand::Ban(who.clone()),
        Command::Unban(who) => AdminCommand::Unban(who.clone()),
        Command::Invite => AdminCommand::Invite,
        Command::Announce(text) => AdminCommand::Announce(text.clone()),
        Command::StopWorld => AdminCommand::Stop,
    };
    // Listing and announcing may span every world; the rest need one.
    let worlds = match (&request.world, &command) {
        (None, AdminCommand::Roster | AdminCommand::Announce(_)) => running.clone(),
        _ => match one_world() {
            Ok(w) => vec![w],
            Err(e) => return Reply::error(e),
        },
    };
    let mut said = Vec::new();
    let mut players = Vec::new();
    for world in worlds {
        match doors.admin(&world, command.clone()).await {
            Ok(AdminAnswer::Said(line)) => said.push(line),
            Ok(AdminAnswer::Roster(rows)) => {
                for row in rows {
                    said.push(format!(
                        "{world}: {} {} {}{}{}",
                        if row.name.is_empty() { "-" } else { &row.name },
                        row.player.short(),
                        if row.connected { "playing" } else { "away" },
                        row.party
                            .map(|p| format!(" party {}", p.0))
                            .unwrap_or_default(),
                        if row.banned { " banned" } else { "" }
                    ));
                    players.push(serde_json::json!({
                        "world": world,
                        "name": row.name,
                        "key": row.player.to_string(),
                        "connected": row.connected,
                        "banned": row.banned,
                        "party": row.party.map(|p| p.0),
                    }));
                }
            }
            Err(e) => return Reply::error(e),
        }
    }
    Reply {
        ok: true,
        said,
        json: matches!(command, AdminCommand::Roster).then(|| players.into()),
        error: None,
    }
}

/// Hands `request` to the server's own loop and waits for its answer.
async fn ask_server(
    server: &mpsc::Sender<WorldRequest>,
    request: WorldRequest,
    answer: oneshot::Receiver<Result<String, String>>,
) -> Reply {
    if server.send(request).await.is_err() {
        return Reply::error("the server is stopping");
    }
    match answer.await {
        Ok(Ok(said)) => Reply {
            ok: true,
            said: vec![said],
            json: None,
            error: None,
        },
        Ok(Err(e)) => Reply::error(e),
        Err(_) => Reply::error("the server is stopping"),
    }
}

async fn read(
    reader: &Reader,
    f: impl FnOnce(&store::Store) -> Result<serde_json::Value, String> + Send + 'static,
) -> Reply {
    match reader.read(f).await {
        Some(Ok(json)) => Reply {
            ok: true,
            said: Vec::new(),
            json: Some(json),
            error: None,
        },
        Some(Err(e)) => Reply::error(e),
        None => Reply::error(REOPENING),
    }
}

/// Sends `request` to the server running on `data_dir`.
pub async fn ask(data_dir: &Path, request: &Request) -> eyre::Result<Reply> {
    let path = socket(data_dir);
    #[cfg(unix)]
    {
        let stream = tokio::net::UnixStream::connect(&path).await.map_err(|e| {
            eyre::eyre!(
                "no brogue server is running on {} ({}: {e}); start one with `brogue --data-dir \
                 {} serve`",
                data_dir.display(),
                path.display(),
                data_dir.display()
            )
        })?;
        let (read, mut write) = stream.into_split();
        let mut text = serde_json::to_string(request)?;
        text.push('\n');
        write.write_all(text.as_bytes()).await?;
        write.shutdown().await?;
        let mut line = String::new();
        let mut read = BufReader::new(read);
        let work = read.read_line(&mut line);
        tokio::time::timeout(Duration::from_secs(30), work)
            .await
            .map_err(|_| eyre::eyre!("the server did not answer within 30 s"))??;
        Ok(serde_json::from_str(&line)?)
    }
    #[cfg(not(unix))]
    {
        let _ = request;
        eyre::bail!(
            "the control socket ({}) needs a Unix system",
            path.display()
        )
    }
}

/// Whether a server answers on `data_dir`'s control socket.
pub async fn is_serving(data_dir: &Path) -> bool {
    #[cfg(unix)]
    {
        tokio::net::UnixStream::connect(socket(data_dir))
            .await
            .is_ok()
    }
    #[cfg(not(unix))]
    {
        let _ = data_dir;
        false
    }
}
