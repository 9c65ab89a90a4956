//! Hex decoding for signatures and keys (lower or upper case; no separators).

/// Decodes exactly `N` bytes of hex, or nothing.
pub fn decode_array<const N: usize>(s: &str) -> Option<[u8; N]> {
    let bytes = s.as_bytes();
    if bytes.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (dst, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let (hi, lo) = match pair {
            [hi, lo] => (nibble(*hi)?, nibble(*lo)?),
            _ => return None,
        };
        *dst = (hi << 4) | lo;
    }
    Some(out)
}

/// Decodes hex of any even length, or nothing.
pub fn decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks_exact(2)
        .map(|pair| match pair {
            [hi, lo] => Some((nibble(*hi)? << 4) | nibble(*lo)?),
            _ => None,
        })
        .collect()
}

fn nibble(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Lower-case hex of `bytes`.
pub fn encode(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for n in [b >> 4, b & 15] {
            s.push(char::from_digit(u32::from(n), 16).unwrap_or('0'));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_exact_lengths_only() {
        assert_eq!(decode_array::<2>("0aFf"), Some([0x0a, 0xff]));
        assert_eq!(decode_array::<2>("0aF"), None);
        assert_eq!(decode_array::<2>("0aFf00"), None);
        assert_eq!(decode_array::<2>("zz00"), None);
        assert_eq!(encode(&[0, 0xab, 0x10]), "00ab10");
    }
}
