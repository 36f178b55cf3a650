//! Helpers for end-to-end tests: a real `brogue` host process and in-process clients that
//! speak the real protocol over real QUIC on 127.0.0.1.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use brogue::session::{FromHost, Joined};
use game::protocol::ClientMsg;
use game::view::ClientView;
use game::{Action, Class};
use net::{Identity, Invite, Target};

pub const BIN: &str = env!("CARGO_BIN_EXE_brogue");

/// A `brogue host --headless` process on 127.0.0.1 with an ephemeral port.
pub struct HostProcess {
    child: Child,
    lines: mpsc::Receiver<String>,
    /// stderr (the log, and the error a failed exit prints last).
    errors: mpsc::Receiver<String>,
    /// Lines skipped while looking for others (`repaired: …` among them).
    pub skipped: Vec<String>,
    pub invite: String,
    pub world_line: String,
    pub state: String,
}

impl HostProcess {
    pub fn start(data_dir: &Path, world: &str, extra: &[&str]) -> HostProcess {
        let mut cmd = Command::new(BIN);
        cmd.args([
            "host",
            "--headless",
            "--bind",
            "127.0.0.1",
            "--port",
            "0",
            "--world",
            world,
        ])
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra);
        HostProcess::spawn(cmd)
    }

    /// Runs a prepared host command (e.g. inside a network namespace) and reads its first lines.
    pub fn spawn(cmd: Command) -> HostProcess {
        let mut host = HostProcess::launch(cmd);
        host.invite = host.expect_line("invite: ");
        host.world_line = host.expect_line("world: ");
        host.state = host.expect_line("state: ");
        host
    }

    /// `brogue serve` on 127.0.0.1 with an ephemeral port, with `env` set; returns it and the
    /// `(world, code)` of each `invite: CODE world: NAME` line printed before it listened.
    pub fn serve(
        data_dir: &Path,
        env: &[(&str, &str)],
        extra: &[&str],
    ) -> (HostProcess, Vec<(String, String)>) {
        let mut cmd = serve_command(data_dir);
        cmd.args(extra).envs(env.iter().copied());
        let mut server = HostProcess::launch(cmd);
        let mut codes = Vec::new();
        loop {
            let line = server.expect_line("");
            if line.starts_with("listening: ") {
                break;
            }
            if let Some(rest) = line.strip_prefix("invite: ") {
                let (code, world) = rest
                    .split_once(" world: ")
                    .expect("invite: CODE world: NAME");
                codes.push((world.to_owned(), code.to_owned()));
            } else {
                server.skipped.push(line);
            }
        }
        (server, codes)
    }

    /// Starts `cmd` with its output piped, reading nothing yet.
    fn launch(mut cmd: Command) -> HostProcess {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start brogue");
        let lines = read_lines(child.stdout.take().expect("piped stdout"));
        let errors = read_lines(child.stderr.take().expect("piped stderr"));
        HostProcess {
            child,
            lines,
            errors,
            skipped: Vec::new(),
            invite: String::new(),
            world_line: String::new(),
            state: String::new(),
        }
    }

    /// Sends SIGTERM now (read what follows with [`HostProcess::expect_line`], then
    /// [`HostProcess::wait`]).
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// The exit status, waiting at most `patience`.
    pub fn wait(mut self, patience: Duration) -> std::process::ExitStatus {
        let deadline = Instant::now() + patience;
        loop {
            if let Some(exit) = self.child.try_wait().expect("wait for the host") {
                return exit;
            }
            assert!(
                Instant::now() < deadline,
                "the host did not exit within {patience:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The rest of the next stdout line starting with `prefix` (waits up to 10 s).
    pub fn expect_line(&mut self, prefix: &str) -> String {
        self.expect_line_within(prefix, Duration::from_secs(10))
    }

    /// [`HostProcess::expect_line`], waiting up to `patience`.
    pub fn expect_line_within(&mut self, prefix: &str, patience: Duration) -> String {
        let deadline = Instant::now() + patience;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(rest) = line.strip_prefix(prefix) {
                        return rest.to_owned();
                    }
                    self.skipped.push(line);
                }
                Err(_) => panic!("the host never printed a line starting with {prefix:?}"),
            }
        }
    }

    pub fn parsed_invite(&self) -> Invite {
        Invite::parse(&self.invite).expect("the host prints a valid invite")
    }

    /// The process is killed at once (SIGKILL), as a crash or a power cut would stop it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then the exit status and everything the host wrote to stderr, waiting at most
    /// `patience`.
    pub fn stop_and_wait(mut self, patience: Duration) -> (std::process::ExitStatus, Vec<String>) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        let deadline = Instant::now() + patience;
        let exit = loop {
            if let Some(exit) = self.child.try_wait().expect("wait for the host") {
                break exit;
            }
            assert!(
                Instant::now() < deadline,
                "the host did not exit within {patience:?} of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        std::thread::sleep(Duration::from_millis(100));
        (exit, self.errors.try_iter().collect())
    }

    /// SIGTERM, then the `saved:` line and the exit status.
    pub fn stop(mut self) -> (String, std::process::ExitStatus) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success());
        // A loaded machine (CI beside other work) can take a while to save a debug build's
        // world: the line is awaited longer than others, and returned as soon as it comes.
        let saved = self.expect_line_within("saved: ", Duration::from_secs(30));
        let exit = self.child.wait().expect("wait for the host");
        (saved, exit)
    }
}

impl Drop for HostProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Lines of a child's output, read on a thread.
pub fn read_lines(out: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    lines
}

/// A player in the test process.
pub struct Client {
    pub joined: Joined,
    pub view: ClientView,
    pub identity: Identity,
    /// What the host said about its own health, in order.
    pub statuses: Vec<game::protocol::HostStatus>,
    seq: u32,
}

impl Client {
    pub async fn join(identity: Identity, invite: &Invite, name: &str) -> Client {
        let joined = brogue::session::join(
            &identity,
            &Target::from_invite(invite),
            name,
            Some(invite.secret.0),
            false,
        )
        .await
        .expect("join the host");
        Client {
            joined,
            view: ClientView::new(),
            identity,
            statuses: Vec::new(),
            seq: 0,
        }
    }

    pub async fn send(&mut self, msg: ClientMsg) {
        self.joined
            .outbox
            .send(msg)
            .await
            .expect("the session is up");
    }

    pub async fn create(&mut self, class: Class) {
        self.send(ClientMsg::CreateCharacter { class }).await;
        self.until(|v| v.me.is_some(), "my character to appear")
            .await;
    }

    pub async fn act(&mut self, action: Action) -> u32 {
        self.seq += 1;
        let seq = self.seq;
        self.send(ClientMsg::Act { seq, action }).await;
        seq
    }

    /// Takes one message from the host into the view (acknowledging snapshots, following a
    /// reconnect); `Err` with the reason when the session closed.
    pub fn receive(&mut self, msg: FromHost) -> Result<(), String> {
        match msg {
            FromHost::Update(u) => self.view.apply(*u).expect("a valid update"),
            FromHost::Snapshot(s) => {
                if self.view.apply_snapshot(*s).expect("a valid snapshot") {
                    self.joined.applied(self.view.snapshot(), self.view.ack);
                }
            }
            FromHost::Status(status) => self.statuses.push(status),
            FromHost::Reconnecting { .. } => {}
            FromHost::Resumed(_) => {
                self.joined.resumed();
                self.view.resync();
            }
            FromHost::Closed(reason) => return Err(reason),
        }
        Ok(())
    }

    /// Applies updates until `done` holds (or panics after 10 s, naming `what`).
    pub async fn until(&mut self, done: impl Fn(&ClientView) -> bool, what: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !done(&self.view) {
            match tokio::time::timeout_at(deadline, self.joined.inbox.recv()).await {
                Ok(Some(msg)) => {
                    if let Err(reason) = self.receive(msg) {
                        panic!("closed while waiting for {what}: {reason}")
                    }
                }
                Ok(None) => panic!("session ended while waiting for {what}"),
                Err(_) => panic!("timed out waiting for {what}"),
            }
        }
    }

    /// Acts and waits until the host reports the action started (the view then shows its effect).
    pub async fn act_and_wait(&mut self, action: Action) {
        let seq = self.act(action).await;
        self.until(move |v| v.ack >= seq, "the action to start")
            .await;
    }

    /// Applies every update that arrives within `window`.
    pub async fn drain(&mut self, window: Duration) {
        let deadline = tokio::time::Instant::now() + window;
        while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, self.joined.inbox.recv()).await
        {
            if let Err(reason) = self.receive(msg) {
                panic!("closed: {reason}");
            }
        }
    }

    /// Units of ore carried, over all stacks.
    pub fn carried(&self) -> u32 {
        self.view.pack.stacks.iter().map(|s| s.units).sum()
    }

    /// The entity of the party member called `name`.
    pub fn entity_of(&self, name: &str) -> game::EntityId {
        let member = self
            .view
            .party
            .iter()
            .find(|m| m.name == name)
            .expect("in the party");
        game::EntityId(member.entity.expect("has a character"))
    }

    /// Waits for the session to end and returns why.
    pub async fn closed(&mut self) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            match tokio::time::timeout_at(deadline, self.joined.inbox.recv()).await {
                Ok(Some(msg)) => {
                    if let Err(reason) = self.receive(msg) {
                        return reason;
                    }
                }
                Ok(None) => return String::new(),
                Err(_) => panic!("the session did not end"),
            }
        }
    }
}

/// `Ok` when running as root, else why `what` cannot run (tests then print `SKIPPED`).
pub fn root_for(what: &str) -> Result<(), String> {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map_err(|e| e.to_string())?;
    if String::from_utf8_lossy(&uid.stdout).trim() == "0" {
        Ok(())
    } else {
        Err(format!("{what} needs root"))
    }
}

/// A headless host on a new world and one player, Ada, with a character of `class`.
pub async fn host_and_ada(
    data_dir: &Path,
    world: &str,
    extra: &[&str],
    class: game::Class,
) -> (HostProcess, Client) {
    let host = HostProcess::start(data_dir, world, extra);
    let mut ada = Client::join(Identity::ephemeral(), &host.parsed_invite(), "Ada").await;
    ada.create(class).await;
    (host, ada)
}

/// `brogue check --json` on `data_dir`: its one world's report.
pub fn check_json(data_dir: &Path) -> serde_json::Value {
    let out = Command::new(BIN)
        .args(["check", "--json", "--data-dir"])
        .arg(data_dir)
        .output()
        .expect("run brogue check");
    json_of(&out)
}

/// The one JSON value a command that succeeded printed (panics with its output otherwise).
pub fn json_of(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "the command failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON value on stdout")
}

/// Runs `brogue bots` against `invite` with `args` (after the code) and `--json`, from
/// `data_dir`; the report it prints.
/// `brogue serve` on 127.0.0.1, an ephemeral port, no port mapping, from `data_dir`.
pub fn serve_command(data_dir: &Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "serve",
        "--bind",
        "127.0.0.1",
        "--port",
        "0",
        "--no-port-mapping",
    ])
    .arg("--data-dir")
    .arg(data_dir);
    cmd
}

/// `brogue ARGS… --data-dir DATA_DIR`, run to its end.
pub fn brogue(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .expect("run brogue")
}

pub fn bots_report(invite: &str, data_dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = Command::new(BIN)
        .args(["bots", invite])
        .args(args)
        .arg("--json")
        .arg("--data-dir")
        .arg(data_dir)
        .output()
        .unwrap();
    json_of(&out)
}
