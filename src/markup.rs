//! Escaping for the XML and HTML delimit writes (QML styles, QGIS projects,
//! SVG maps and reports). Every string that comes from data goes through
//! [`escape`]: a feature named `<script>` is text, never markup.

/// Escape `&`, `<`, `>`, `"` and `'` for XML or HTML text and attribute values.
///
/// ```
/// use delimit::markup::escape;
/// assert_eq!(escape("<script>alert('x')</script>"), "&lt;script&gt;alert(&apos;x&apos;)&lt;/script&gt;");
/// assert_eq!(escape("A & B \"quoted\""), "A &amp; B &quot;quoted&quot;");
/// assert_eq!(escape("Ոսկեպար"), "Ոսկեպար");
/// ```
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 forbids most control characters even escaped; they
            // carry nothing a reader needs, so they become spaces.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Whether `c` is a control character (C0, C1, DEL) or a Unicode
/// bidirectional control: characters a terminal obeys rather than shows.
/// Party codes may not hold them, and terminal text escapes them.
///
/// ```
/// use delimit::markup::is_control_or_bidi;
/// assert!(is_control_or_bidi('\u{1b}') && is_control_or_bidi('\u{202e}') && is_control_or_bidi('\u{9b}'));
/// assert!(!is_control_or_bidi('Ə') && !is_control_or_bidi('Ջ'));
/// ```
pub fn is_control_or_bidi(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{061c}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Escape text for Markdown (CommonMark and GitHub's tables), so that a
/// value from a file stays text: HTML (`<script>`), links and images
/// (`[x](javascript:…)`), emphasis, code spans and table cells (`|`, a
/// trailing `\`) lose their meaning. Newlines and other control
/// characters become spaces, so a value cannot end a table row.
///
/// ```
/// use delimit::markup::escape_markdown;
/// assert_eq!(escape_markdown("ARM"), "ARM");
/// assert_eq!(escape_markdown("a|b\\"), "a\\|b\\\\");
/// assert_eq!(escape_markdown("[x](javascript:alert(1))"), "\\[x\\](javascript:alert(1))");
/// assert_eq!(escape_markdown("<b>&amp;"), "\\<b\\>\\&amp;");
/// assert_eq!(escape_markdown("held_by_owner"), "held_by_owner");
/// assert_eq!(escape_markdown("_x_"), "\\_x\\_");
/// ```
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        // An underscore inside a word (`held_by_owner`) is never emphasis.
        let intraword =
            |i: usize| i > 0 && chars[i - 1].is_alphanumeric() && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
        match c {
            '_' if intraword(i) => out.push(c),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn control_characters_do_not_reach_the_xml() {
        assert_eq!(escape("a\u{1}b\u{1f}c\td"), "a b c\td");
    }

    #[test]
    fn escaped_text_has_no_markup_characters() {
        let hostile = "<script>\"'&</script>";
        let e = escape(hostile);
        assert!(!e.contains('<') && !e.contains('>') && !e.contains('"') && !e.contains('\''));
        // And nothing is double-escaped: every & starts an entity we wrote.
        assert_eq!(e.matches('&').count(), hostile.chars().filter(|c| "<>\"'&".contains(*c)).count());
    }
}
