//! Whole screens as text, for tests here and in other crates: draw an [`App`] on ratatui's
//! `TestBackend` and compare it with a file (run with `BROGUE_BLESS=1` to write the files
//! after a deliberate change, then read the diff).

use std::path::Path;

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::App;

/// `app` drawn at `width` × `height`, one line per row with trailing blanks trimmed.
pub fn text(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).expect("a test backend");
    let mut app = app.clone();
    app.cols = width;
    app.rows = height;
    terminal
        .draw(|f| crate::draw(f, &app))
        .expect("drawing on a test backend");
    let buf = terminal.backend().buffer();
    (0..height)
        .map(|y| {
            let line: String = (0..width).map(|x| buf[(x, y)].symbol()).collect();
            line.trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

/// Where `glyph` first appears on a screen from [`text`] (column, row), reading row by row.
pub fn find(screen: &str, glyph: char) -> Option<(u16, u16)> {
    screen.lines().enumerate().find_map(|(y, l)| {
        l.chars()
            .position(|c| c == glyph)
            .map(|x| (x as u16, y as u16))
    })
}

/// Panics unless `screen` is what `dir/name.txt` holds (writes it first under
/// `BROGUE_BLESS`).
pub fn check(dir: &Path, name: &str, screen: &str) {
    let path = dir.join(format!("{name}.txt"));
    if std::env::var_os("BROGUE_BLESS").is_some() {
        std::fs::create_dir_all(dir).expect("create the screens dir");
        std::fs::write(&path, screen).expect("write a screen");
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing: run with BROGUE_BLESS=1 to write it",
            path.display()
        )
    });
    assert_eq!(screen, expected, "{name} differs from {}", path.display());
}
