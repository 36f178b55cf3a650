//! The `brogue` binary's runtimes: the command line, the host loop that owns the world, the
//! client session, the terminal game, and bots. This is the only crate that picks runtimes,
//! reads the environment or installs hooks.

pub mod admin;
pub mod bots;
pub mod central;
pub mod check;
pub mod cli;
pub mod config;
pub mod doctor;
pub mod driver;
pub mod hosting;
pub mod join;
pub mod leaderboard;
pub mod link;
pub mod metrics;
pub mod paths;
pub mod play;
pub mod reach;
pub mod replay;
pub mod saver;
pub mod serve;
pub mod session;
pub mod sim;
pub mod worlds;
