//! Text that came from another player (names, chat, world names) made safe for a terminal cell.

use unicode_normalization::UnicodeNormalization;

/// Normalises to NFC, removes control characters (C0, C1, DEL), bidi overrides and isolates,
/// every invisible format character (zero-width joiners, soft hyphens, tag characters,
/// variation selectors, fillers), collapses runs of whitespace to one space, trims, and keeps at
/// most `max_chars` characters.
///
/// Invariant: the result never contains a character that moves the cursor, changes terminal
/// modes, reorders the surrounding text or shows nothing, and two names that look alike because
/// they compose the same accented letters differently become the same string.
pub fn sanitize(input: &str, max_chars: usize) -> String {
    // Never normalise more than could be kept (a peer's 16 KiB chat line is cut first).
    let bounded: String = input
        .chars()
        .take(max_chars.saturating_mul(4) + 16)
        .collect();
    let mut out = String::with_capacity(bounded.len().min(max_chars * 4));
    let mut count = 0;
    let mut pending_space = false;
    for c in bounded.nfc() {
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

/// Would a terminal act on `c`, or show nothing for it? Controls, and every character of
/// Unicode's Format category (Cf) plus the other characters that render as nothing (variation
/// selectors, fillers, the combining grapheme joiner). Such characters never reach a screen.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00AD}' // soft hyphen
            | '\u{034F}' // combining grapheme joiner
            | '\u{0600}'..='\u{0605}' // Arabic number signs
            | '\u{061C}' // Arabic letter mark
            | '\u{06DD}' | '\u{070F}' | '\u{0890}'..='\u{0891}' | '\u{08E2}'
            | '\u{115F}'..='\u{1160}' // Hangul fillers
            | '\u{17B4}'..='\u{17B5}' // Khmer inherent vowels
            | '\u{180B}'..='\u{180F}' // Mongolian variation selectors and vowel separator
            | '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
            | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
            | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, bidi isolates
            | '\u{3164}' // Hangul filler
            | '\u{FE00}'..='\u{FE0F}' // variation selectors
            | '\u{FEFF}' // BOM / zero-width no-break space
            | '\u{FFA0}' // halfwidth Hangul filler
            | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
            | '\u{110BD}' | '\u{110CD}' // Kaithi number signs
            | '\u{13430}'..='\u{1343F}' // Egyptian hieroglyph format controls
            | '\u{1BCA0}'..='\u{1BCA3}' // shorthand format controls
            | '\u{1D173}'..='\u{1D17A}' // musical symbol format controls
            | '\u{E0000}'..='\u{E007F}' // tag characters
            | '\u{E0100}'..='\u{E01EF}' // variation selectors supplement
        )
}

/// The form of a display name two names are compared in: sanitised, then lower-cased, so
/// "Bob", "BOB" and "bob" are one name in a world.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
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
    fn every_invisible_format_character_is_removed_and_names_are_composed() {
        let invisible = [
            '\u{00AD}',
            '\u{034F}',
            '\u{061C}',
            '\u{115F}',
            '\u{180E}',
            '\u{200D}',
            '\u{2063}',
            '\u{206A}',
            '\u{3164}',
            '\u{FE0F}',
            '\u{FEFF}',
            '\u{FFA0}',
            '\u{1D173}',
            '\u{E0001}',
            '\u{E0041}',
            '\u{E007F}',
            '\u{E0100}',
        ];
        for c in invisible {
            assert_eq!(
                sanitize(&format!("b{c}ob"), 16),
                "bob",
                "U+{:04X}",
                c as u32
            );
        }
        // "é" as one code point or as e + combining acute: one name.
        assert_eq!(sanitize("Ame\u{301}lie", 16), sanitize("Am\u{e9}lie", 16));
        assert_eq!(sanitize("Ame\u{301}lie", 16).chars().count(), 6);
        // A 16 KiB line is cut, not normalised whole.
        assert_eq!(sanitize(&"x".repeat(16 * 1024), 200).len(), 200);
    }

    #[test]
    fn whitespace_collapses_and_length_is_capped() {
        assert_eq!(sanitize("  Ada \n\t Lovelace  ", 32), "Ada Lovelace");
        assert_eq!(sanitize("abcdefghij", 4), "abcd");
        assert_eq!(sanitize("ab cd", 3), "ab");
        assert_eq!(sanitize("héllo wörld", 7), "héllo w");
    }
}
