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
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !ada
        .statuses
        .iter()
        .any(|s| matches!(s, HostStatus::CannotSave { reason } if reason.contains("No space")))
    {
        assert!(
            tokio::time::Instant::now() < deadline,
            "Ada was never told the host cannot save"
        );
        ada.drain(Duration::from_millis(200)).await;
    }
    ada.drain(Duration::from_secs(1)).await;
    let paused_at = ada.view.tick;
    ada.drain(Duration::from_secs(2)).await;
    assert_eq!(
        ada.view.tick, paused_at,
        "nothing is shown that is not saved"
    );

    std::fs::remove_file(filler).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !ada.statuses.contains(&HostStatus::Saving) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "saving never resumed after space returned"
        );
        ada.drain(Duration::from_millis(200)).await;
    }
    let seq = ada.act(Action::Move(Dir::E)).await;
    ada.until(move |v| v.ack >= seq, "the game to go on").await;
    let shown = ada.view.tick;

    let (saved, exit) = host.stop();
    assert!(exit.success(), "{saved}");
    let report = support::check_json(&disk.path());
    assert_eq!(report["ok"], true, "{report}");
    assert!(report["tick"].as_u64().unwrap() >= shown);
}
