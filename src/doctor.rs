//! `brogue doctor`: the reachability diagnosis a host would print, without hosting. It asks the
//! router for a mapping exactly as a host does, then removes it.

use std::net::{Ipv4Addr, UdpSocket};

use color_eyre::eyre;
use net::discovery::Interfaces;
use net::portmap::{self, Reachability};
use serde_json::json;

use crate::cli::DoctorArgs;

/// Runs the checks and prints the report (or JSON).
pub async fn run(args: &DoctorArgs, lan: &Interfaces) -> eyre::Result<()> {
    let interfaces: Vec<serde_json::Value> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|i| {
            let discovery = !i.is_loopback()
                && match lan {
                    Interfaces::All => true,
                    Interfaces::Named(names) => names.contains(&i.name),
                };
            json!({
                "name": i.name,
                "address": i.ip().to_string(),
                "lan_discovery": discovery,
            })
        })
        .collect();
    // A running host holds the port (and its mapping): test with a free port instead, so its
    // mapping is left alone.
    let port_free = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, args.port)).is_ok();
    let probe_port = if port_free {
        args.port
    } else {
        UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))?
            .local_addr()?
            .port()
    };
    let (survey, mapping) = portmap::map(probe_port).await;
    let mut reach = Reachability::from_survey(&survey, mapping.as_ref(), args.port);
    let mapped = mapping
        .as_ref()
        .map(|m| (m.protocol.key(), m.external.to_string()));
    // Renewing is what a host does at half the lease: try it now, so the test covers it.
    let mut renewed = None;
    let mut removed = None;
    if let Some(mut m) = mapping {
        renewed = Some(m.renew().await);
        removed = Some(m.remove().await);
    }
    if probe_port != args.port
        && let Reachability::Internet { at, .. } = &mut reach
    {
        at.set_port(args.port);
    }
    let answers = json!({
        "upnp": survey.upnp.to_string(),
        "natpmp": survey.natpmp.to_string(),
        "pcp": survey.pcp.to_string(),
    });
    if args.json {
        let out = json!({
            "verdict": reach.verdict(),
            "detail": reach.to_string(),
            "mapping": {
                "protocol": mapped.as_ref().map(|m| m.0),
                "external": mapped.as_ref().map(|m| m.1.clone()),
            },
            "interfaces": interfaces,
            "gateway": survey.gateway.map(|g| g.to_string()),
            "local": survey.local.map(|l| l.to_string()),
            "outside": survey.outside.map(|o| o.to_string()),
            "outside_public": survey.outside.map(|o| !portmap::is_not_public(o)),
            "answers": answers,
            "port": args.port,
            "renewed": renewed.as_ref().map(Result::is_ok),
            "removed": removed.as_ref().map(Result::is_ok),
            "port_free": port_free,
            "tested_port": probe_port,
        });
        println!("{out}");
        return Ok(());
    }
    println!("interfaces:");
    for i in &interfaces {
        println!(
            "  {:<12} {:<40} {}",
            i["name"].as_str().unwrap_or(""),
            i["address"].as_str().unwrap_or(""),
            if i["lan_discovery"] == true {
                "LAN discovery"
            } else {
                ""
            }
        );
    }
    match (survey.gateway, survey.local) {
        (Some(g), Some(l)) => println!("router: {g} (this machine is {l} toward it)"),
        (Some(g), None) => println!("router: {g}"),
        _ => println!("router: no default route"),
    }
    println!("UPnP: {}", survey.upnp);
    println!("NAT-PMP: {}", survey.natpmp);
    println!("PCP: {}", survey.pcp);
    match survey.outside {
        Some(o) if portmap::is_not_public(o) => println!(
            "router's outside address: {o} (private or shared: another NAT is in front of it)"
        ),
        Some(o) => println!("router's outside address: {o} (public)"),
        None => println!("router's outside address: unknown"),
    }
    match (&renewed, &removed) {
        (Some(Ok(())), Some(Ok(()))) => println!("test mapping: made, renewed and removed again"),
        (Some(Err(e)), _) => println!("test mapping: made, but renewing it failed: {e}"),
        (_, Some(Err(e))) => println!("test mapping: made, but removing it failed: {e}"),
        _ => {}
    }
    if port_free {
        println!(
            "port {}/udp: free here; if this machine runs a firewall (ufw, firewalld, Windows \
             Defender), allow UDP {} for brogue",
            args.port, args.port
        );
    } else {
        println!(
            "port {}/udp: in use on this machine (a brogue host?); the test used UDP {probe_port}",
            args.port
        );
    }
    println!("reachability: {} {reach}", reach.verdict());
    Ok(())
}
