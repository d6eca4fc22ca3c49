//! Masking of personal names.

/// Masks a personal name for display to people who need to recognise, not identify, someone.
///
/// - Chinese names of 2–3 characters keep the first (the surname): `张三` → `张*`,
///   `王小明` → `王**`.
/// - 4 or more characters keep the first two (usually a compound surname):
///   `欧阳娜娜` → `欧阳**`.
/// - A single character becomes `*`.
/// - Names made of several words (`John Smith`, `阿依古丽·买买提`) keep the first character of
///   the first word; every other letter becomes `*` and separators are kept:
///   `John Smith` → `J*** *****`.
///
/// Surrounding whitespace is trimmed; the number of stars equals the number of hidden
/// characters.
pub fn mask_name(name: &str) -> String {
    let name = name.trim();
    let is_sep = |c: char| c.is_whitespace() || matches!(c, '·' | '•' | '・' | '.' | '-');
    if name.contains(is_sep) {
        let mut out = String::with_capacity(name.len());
        let mut kept = false;
        for c in name.chars() {
            if is_sep(c) {
                out.push(c);
            } else if !kept {
                out.push(c);
                kept = true;
            } else {
                out.push('*');
            }
        }
        return out;
    }
    let n = name.chars().count();
    let keep = match n {
        0 | 1 => 0,
        2 | 3 => 1,
        _ => 2,
    };
    // Non-CJK single words (e.g. "Alice") keep only the first letter.
    let keep = if name.is_ascii() { keep.min(1) } else { keep };
    name.chars()
        .enumerate()
        .map(|(i, c)| if i < keep { c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::mask_name;

    #[test]
    fn chinese_names() {
        assert_eq!(mask_name("张三"), "张*");
        assert_eq!(mask_name("王小明"), "王**");
        assert_eq!(mask_name("欧阳娜娜"), "欧阳**");
        assert_eq!(mask_name("司马相如"), "司马**");
        assert_eq!(mask_name(" 李 "), "*");
        assert_eq!(mask_name(""), "");
        assert_eq!(mask_name("阿依古丽·买买提"), "阿***·***");
    }

    #[test]
    fn ascii_names() {
        assert_eq!(mask_name("John Smith"), "J*** *****");
        assert_eq!(mask_name("Alice"), "A****");
        assert_eq!(mask_name("Al"), "A*");
    }
}
