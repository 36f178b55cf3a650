//! Where friends dial a host, and whether they can: the addresses invite codes carry (the
//! router's public address and port first, then `--public-addr`, then the LAN), kept current
//! by a task that asks the router for a port mapping ([`net::portmap`]), renews it at half its
//! lease and removes it when hosting stops.

use std::net::SocketAddr;
use std::time::Duration;

use color_eyre::eyre;
use net::portmap::{self, How, LanOnly, Mapping, Reachability};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long hosting waits for the router before printing the first code (a mapping that lands
/// later refreshes the code).
pub const FIRST_ANSWER: Duration = Duration::from_millis(2500);
/// How long a host with no mapping waits before asking the router again: 10 s at first (the
/// host may just have switched UPnP on in the router, as the message suggests), doubling up to
/// 5 minutes.
const ASK_AGAIN: Duration = Duration::from_secs(10);
const ASK_AGAIN_MAX: Duration = Duration::from_secs(300);
/// How long removing the mapping may delay quitting.
const REMOVE_PATIENCE: Duration = Duration::from_secs(2);

/// How to make the host reachable.
#[derive(Clone, Debug, Default)]
pub struct ReachOptions {
    /// Ask the router for a port mapping.
    pub port_mapping: bool,
    /// `HOST:PORT`s from `--public-addr`, resolved when the code is made.
    pub public: Vec<String>,
}

/// Where codes point and what that means, kept current.
#[derive(Debug)]
pub struct Reach {
    pub addresses: watch::Receiver<Vec<SocketAddr>>,
    pub reachability: watch::Receiver<Reachability>,
    task: Option<JoinHandle<()>>,
}

impl Reach {
    /// Decides the first addresses and verdict for a host bound to `bound` whose LAN addresses
    /// are `lan`, waiting at most [`FIRST_ANSWER`] for the router; the mapping keeps being
    /// looked after until `stop` fires.
    pub async fn start(
        bound: SocketAddr,
        lan: Vec<SocketAddr>,
        options: &ReachOptions,
        stop: CancellationToken,
    ) -> eyre::Result<Reach> {
        let manual = resolve(&options.public).await?;
        let port = bound.port();
        let first = if bound.ip().is_loopback() {
            Reachability::Loopback
        } else if let Some(at) = manual.first() {
            Reachability::Internet {
                at: *at,
                how: How::Manual,
            }
        } else if options.port_mapping {
            Reachability::LanOnly {
                port,
                why: LanOnly::Asking,
            }
        } else {
            Reachability::LanOnly {
                port,
                why: LanOnly::MappingOff,
            }
        };
        let addrs: Vec<SocketAddr> = manual.iter().chain(&lan).copied().collect();
        let (addrs_tx, addresses) = watch::channel(addrs);
        let (reach_tx, mut reachability) = watch::channel(first);
        let task = (options.port_mapping && !bound.ip().is_loopback()).then(|| {
            let keeper = Keeper {
                port,
                manual,
                lan,
                addrs: addrs_tx,
                reach: reach_tx,
            };
            tokio::spawn(keeper.run(stop))
        });
        if task.is_some() {
            reachability.borrow_and_update();
            let _ = tokio::time::timeout(FIRST_ANSWER, reachability.changed()).await;
        }
        Ok(Reach {
            addresses,
            reachability,
            task,
        })
    }

    /// Waits (briefly) for the mapping to be removed after `stop` fired.
    pub async fn finish(self) {
        if let Some(task) = self.task {
            let _ = tokio::time::timeout(REMOVE_PATIENCE * 2, task).await;
        }
    }
}

/// Resolves `--public-addr` values; a name is looked up now.
pub async fn resolve(public: &[String]) -> eyre::Result<Vec<SocketAddr>> {
    let mut out = Vec::new();
    for given in public {
        let found = tokio::net::lookup_host(given.as_str())
            .await
            .map_err(|e| {
                eyre::eyre!(
                    "--public-addr {given}: {e}. Give HOST:PORT, e.g. 203.0.113.7:4470 or \
                     game.example.org:4470"
                )
            })?
            .next()
            .ok_or_else(|| eyre::eyre!("--public-addr {given}: the name has no address"))?;
        if !out.contains(&found) {
            out.push(found);
        }
    }
    Ok(out)
}

struct Keeper {
    port: u16,
    manual: Vec<SocketAddr>,
    lan: Vec<SocketAddr>,
    addrs: watch::Sender<Vec<SocketAddr>>,
    reach: watch::Sender<Reachability>,
}

impl Keeper {
    async fn run(self, stop: CancellationToken) {
        let mut pause = ASK_AGAIN;
        loop {
            let (survey, mapping) = tokio::select! {
                () = stop.cancelled() => return,
                found = portmap::map(self.port) => found,
            };
            tracing::info!(
                "port mapping: gateway {:?}, UPnP {}, NAT-PMP {}, PCP {}, outside address {:?}",
                survey.gateway,
                survey.upnp,
                survey.natpmp,
                survey.pcp,
                survey.outside
            );
            let reach = Reachability::from_survey(&survey, mapping.as_ref(), self.port);
            self.publish(reach);
            match mapping {
                Some(mapping) => {
                    if self.keep(mapping, &stop).await {
                        return;
                    }
                    pause = ASK_AGAIN;
                }
                None => {
                    tokio::select! {
                        () = stop.cancelled() => return,
                        () = tokio::time::sleep(pause) => {}
                    }
                    pause = (pause * 2).min(ASK_AGAIN_MAX);
                }
            }
        }
    }

    /// Renews `mapping` until hosting stops (then removes it: true) or renewing fails (false:
    /// ask again).
    async fn keep(&self, mut mapping: Mapping, stop: &CancellationToken) -> bool {
        loop {
            tokio::select! {
                () = stop.cancelled() => {
                    let external = mapping.external;
                    match tokio::time::timeout(REMOVE_PATIENCE, mapping.remove()).await {
                        Ok(Ok(())) => tracing::info!("port mapping {external} removed"),
                        Ok(Err(e)) => tracing::warn!("port mapping {external} not removed: {e}"),
                        Err(_) => tracing::warn!(
                            "port mapping {external} not removed: the router did not answer"
                        ),
                    }
                    return true;
                }
                () = tokio::time::sleep(mapping.renew_in()) => {
                    if let Err(e) = mapping.renew().await {
                        tracing::warn!("the router would not renew the port mapping: {e}");
                        return false;
                    }
                    let reach = Reachability::Internet {
                        at: mapping.external,
                        how: How::Mapped(mapping.protocol),
                    };
                    self.publish(reach);
                }
            }
        }
    }

    /// Says the verdict (when it changed) and points codes at what it found.
    fn publish(&self, found: Reachability) {
        // A host that said where it is reachable (--public-addr) stays so unless the router
        // gave a better answer.
        let reach = match (&found, self.manual.first()) {
            (Reachability::Internet { .. }, _) | (_, None) => found,
            (_, Some(at)) => Reachability::Internet {
                at: *at,
                how: How::Manual,
            },
        };
        let mapped = match &reach {
            Reachability::Internet {
                at,
                how: How::Mapped(_),
            } => Some(*at),
            _ => None,
        };
        let mut addrs: Vec<SocketAddr> = mapped.into_iter().collect();
        for a in self.manual.iter().chain(&self.lan) {
            if !addrs.contains(a) {
                addrs.push(*a);
            }
        }
        self.addrs.send_if_modified(|old| {
            let changed = *old != addrs;
            *old = addrs;
            changed
        });
        self.reach.send_if_modified(|old| {
            let changed = *old != reach;
            if changed {
                tracing::info!("reachability: {} {reach}", reach.verdict());
            }
            *old = reach;
            changed
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn public_addresses_are_resolved_and_bad_ones_say_what_to_give() {
        let found = resolve(&["203.0.113.7:4470".into(), "localhost:5000".into()])
            .await
            .unwrap();
        assert_eq!(found[0], "203.0.113.7:4470".parse().unwrap());
        assert_eq!(found[1].port(), 5000);
        assert!(found[1].ip().is_loopback());
        let err = resolve(&["203.0.113.7".into()])
            .await
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("--public-addr 203.0.113.7: "), "{err}");
        assert!(err.contains("Give HOST:PORT"), "{err}");
    }
}
