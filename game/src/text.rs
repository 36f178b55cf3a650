//! Text that came from another player (names, chat, world names) made safe for a terminal cell.

/// Removes control characters (C0, C1, DEL), bidi overrides and isolates, zero-width joiners and
/// other invisible formatting, collapses runs of whitespace to one space, trims, and keeps at most
/// `max_chars` characters.
///
/// Invariant: the result never contains a character that moves the cursor, changes terminal
/// modes or reorders the surrounding text.
pub fn sanitize(input: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(input.len().min(max_chars * 4));
    let mut count = 0;
    let mut pending_space = false;
    for c in input.chars() {
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if is_unsafe(c) {
            continue;
        }
        let needed = 1 + usize::from(pending_space);
        if count + needed > max_chars {
            break;
        }
        if pending_space {
            out.push(' ');
            count += 1;
            pending_space = false;
        }
        out.push(c);
        count += 1;
    }
    out
}

fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{2069}' // word joiner, invisible operators, bidi isolates
            | '\u{061C}' // Arabic letter mark
            | '\u{FEFF}' // BOM / zero-width no-break space
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
        )
}

#[cfg(test)]
mod tests {
    use super::sanitize;

    #[test]
    fn escape_sequences_and_bidi_are_removed() {
        assert_eq!(
            sanitize("\u{1b}[2J\u{1b}]0;pwned\u{7}Bob", 32),
            "[2J]0;pwnedBob"
        );
        assert_eq!(sanitize("evil\u{202E}txt.exe", 32), "eviltxt.exe");
        assert_eq!(sanitize("a\u{2066}b\u{2069}c\u{200B}d", 32), "abcd");
        assert_eq!(sanitize("\u{9b}31mred", 32), "31mred");
    }

    #[test]
    fn whitespace_collapses_and_length_is_capped() {
        assert_eq!(sanitize("  Ada \n\t Lovelace  ", 32), "Ada Lovelace");
        assert_eq!(sanitize("abcdefghij", 4), "abcd");
        assert_eq!(sanitize("ab cd", 3), "ab");
        assert_eq!(sanitize("héllo wörld", 7), "héllo w");
    }
}
