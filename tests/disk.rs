//! The real binary on a real full disk: a headless host whose data dir is a small tmpfs. When
//! the disk fills, players are told the host cannot save and the world pauses; when space
//! returns, saving resumes, the game goes on and nothing in between is lost. Mounting needs
//! root; without it the test prints `SKIPPED` and does nothing.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use game::protocol::HostStatus;
use game::{Action, Class, Dir};
use support::HostProcess;

/// A tmpfs mounted on a temporary directory, unmounted on drop.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Result<SmallDisk, String> {
        support::root_for("mounting a small tmpfs")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "mount: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(SmallDisk { dir })
    }

    fn path(&self) -> PathBuf {
        self.dir.path().to_owned()
    }

    /// Fills the disk to the last byte with a file; returns its path.
    fn fill(&self) -> PathBuf {
        let filler = self.dir.path().join("filler");
        let status = Command::new("dd")
            .args(["if=/dev/zero", "bs=64k"])
            .arg(format!("of={}", filler.display()))
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run dd");
        assert!(!status.success(), "dd stops when the disk is full");
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Applies what the host sends until it says something `pred` accepts about itself (or fails
/// after 20 s, naming `what`). A disk may take a moment to run out: redb grows its file in steps.
async fn wait_for(ada: &mut support::Client, what: &str, pred: impl Fn(&HostStatus) -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !ada.statuses.iter().any(&pred) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Ada waited in vain {what}"
        );
        ada.drain(Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_disk_pauses_the_game_tells_players_and_saving_resumes_when_space_returns() {
    let disk = match SmallDisk::mount(3) {
        Ok(disk) => disk,
        Err(why) => {
            eprintln!("SKIPPED a_full_disk_pauses_the_game…: {why}");
            return;
        }
    };
    let (host, mut ada) = support::host_and_ada(&disk.path(), "full", &[], Class::Ranger).await;
    ada.act_and_wait(Action::Move(Dir::E)).await;

    let filler = disk.fill();
    // The next ticks cannot be written: Ada is told, and the world stops.
    ada.act(Action::Move(Dir::W)).await;
    wait_for(
        &mut ada,
        "to be told the host cannot save",
        |s| matches!(s, HostStatus::CannotSave { reason } if reason.contains("No space")),
    )
    .await;
    ada.drain(Duration::from_secs(1)).await;
    let paused_at = ada.view.tick;
    ada.drain(Duration::from_secs(2)).await;
    assert_eq!(
        ada.view.tick, paused_at,
        "nothing is shown that is not saved"
    );

    std::fs::remove_file(filler).unwrap();
    wait_for(&mut ada, "saving to resume after space returned", |s| {
        *s == HostStatus::Saving
    })
    .await;
    let seq = ada.act(Action::Move(Dir::E)).await;
    ada.until(move |v| v.ack >= seq, "the game to go on").await;
    let shown = ada.view.tick;

    let (saved, exit) = host.stop();
    assert!(exit.success(), "{saved}");
    let report = support::check_json(&disk.path());
    assert_eq!(report["ok"], true, "{report}");
    assert!(report["tick"].as_u64().unwrap() >= shown);
}

#[tokio::test(flavor = "multi_thread")]
async fn stopping_on_a_full_disk_says_what_was_not_saved_and_loses_nothing_shown() {
    let disk = match SmallDisk::mount(3) {
        Ok(disk) => disk,
        Err(why) => {
            eprintln!("SKIPPED stopping_on_a_full_disk…: {why}");
            return;
        }
    };
    let (host, mut ada) = support::host_and_ada(&disk.path(), "stop", &[], Class::Mage).await;
    ada.act_and_wait(Action::Move(Dir::E)).await;
    ada.drain(Duration::from_millis(300)).await;
    let shown = ada.view.tick;
    let filler = disk.fill();
    ada.act(Action::Move(Dir::W)).await;
    wait_for(&mut ada, "to be told the host cannot save", |s| {
        matches!(s, HostStatus::CannotSave { .. })
    })
    .await;
    // The host gives its writes a few seconds, then says it could not save everything.
    let (exit, stderr) = host.stop_and_wait(Duration::from_secs(30));
    assert_eq!(exit.code(), Some(1), "{stderr:?}");
    let said = stderr.last().cloned().unwrap_or_default();
    assert!(
        said.contains("could not be saved completely") && said.contains("could not be written"),
        "{said}"
    );
    // Space returns: the world resumes where its journal ends, after what Ada saw.
    std::fs::remove_file(filler).unwrap();
    let again = HostProcess::start(&disk.path(), "stop", &[]);
    let resumed: u64 = again
        .world_line
        .rsplit(' ')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        resumed >= shown,
        "resumed at {resumed}, Ada was shown {shown}"
    );
    drop(again);
    assert_eq!(support::check_json(&disk.path())["ok"], true);
}
