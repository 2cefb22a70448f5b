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
