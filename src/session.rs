//! A player's connection to a host, as two channels: messages out, updates in. The TUI and
//! the bots both play through this.

use game::protocol::{ClientMsg, Hello, HostMsg, HostStatus, PROTOCOL_VERSION, Update, Welcome};
use net::client::SessionHandle;
use net::{Identity, JoinError, Target};
use tokio::sync::mpsc;

/// What arrives from the host.
#[derive(Debug)]
pub enum FromHost {
    Update(Box<Update>),
    /// The host's own health (it cannot save, or saves again).
    Status(HostStatus),
    /// The session is over; the text says why.
    Closed(String),
}

/// A joined session.
#[derive(Debug)]
pub struct Joined {
    pub welcome: Welcome,
    pub outbox: mpsc::Sender<ClientMsg>,
    pub inbox: mpsc::Receiver<FromHost>,
    pub handle: SessionHandle,
}

impl Joined {
    /// Leaves on purpose: the host hears `Leave` (the character waits, safe), then we close.
    pub async fn leave(self) {
        let _ = self.outbox.send(ClientMsg::Leave).await;
        // Let the writer flush the Leave before closing.
        drop(self.outbox);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        self.handle.close("left").await;
    }
}

/// Joins the host at `target` as `name`, presenting `secret` if this is a first join.
pub async fn join(
    identity: &Identity,
    target: &Target,
    name: &str,
    secret: Option<[u8; 16]>,
) -> Result<Joined, JoinError> {
    let hello = Hello {
        protocol: PROTOCOL_VERSION,
        game_version: env!("CARGO_PKG_VERSION").to_owned(),
        name: name.to_owned(),
        invite_secret: secret,
    };
    let session = net::client::join(identity, target, hello).await?;
    let welcome = session.welcome.clone();
    let (mut tx, mut rx, handle) = session.split();
    let (outbox, mut out_rx) = mpsc::channel::<ClientMsg>(64);
    let (in_tx, inbox) = mpsc::channel::<FromHost>(256);
    tokio::spawn(async move {
        while let Some(msg) = out_rx.recv().await {
            if tx.send(&msg).await.is_err() {
                return;
            }
        }
    });
    tokio::spawn(async move {
        loop {
            let item = match rx.recv().await {
                Ok(HostMsg::Update(update)) => FromHost::Update(update),
                Ok(HostMsg::Status(status)) => FromHost::Status(status),
                Ok(HostMsg::Closing { reason }) => FromHost::Closed(reason),
                Ok(other) => FromHost::Closed(format!("the host sent an unexpected {other:?}")),
                Err(e) => FromHost::Closed(e.to_string()),
            };
            let last = matches!(item, FromHost::Closed(_));
            if in_tx.send(item).await.is_err() || last {
                return;
            }
        }
    });
    Ok(Joined {
        welcome,
        outbox,
        inbox,
        handle,
    })
}
