//! Strict JSON parsing: duplicate member names are an error at every depth, and nesting is bounded.
//!
//! serde_json keeps the last of two equal member names without a word; two parties reading the same
//! token could then see different claims. RFC 8725 §3.2 and RFC 9901 §7 expect a verifier to
//! refuse such input, so every JSON text from outside goes through [`parse`].
//!
//! Two parsers, one behaviour. A hand-written RFC 8259 parser builds the `serde_json::Value`
//! directly: UTF-8 is checked once for the whole text, strings without escapes are copied in one
//! piece, each container is allocated once at its final size, and each member name is hashed once
//! (the insert that finds a repeat is the insert that builds the object). It accepts exactly what
//! the reference accepts (serde_json's grammar, paired surrogates only, its reading of numbers,
//! its nesting limit) and yields the same values in the same order; the differential tests below
//! hold it to that. Whatever it refuses goes to [`reference`], serde_json's own deserializer with
//! a strict visitor, which names the error: the first violation in document order, with
//! serde_json's message, exactly as before the fast parser existed.

mod reference;

use std::cell::RefCell;

use serde_json::{Map, Value};

use crate::VcError;

/// serde_json's own nesting limit: 127 arrays and objects one inside the other parse, the 128th
/// is refused. The fast parser stops there too, so that it never accepts what serde_json refuses
/// (and its recursion stays bounded whatever the budget).
const SERDE_JSON_MAX_NESTING: usize = 127;

/// Entries of the shared stacks kept between two parses: enough for any token of ours, so that a
/// verification allocates them once per thread; a larger document's are given back after it.
const STACK_ENTRIES_KEPT: usize = 256;

/// Parses `bytes` as JSON, refusing duplicate member names and nesting deeper than `max_depth`.
pub(crate) fn parse(bytes: &[u8], max_depth: usize, part: &'static str) -> Result<Value, VcError> {
    match accept(bytes, max_depth) {
        Some(value) => Ok(value),
        // Refused (or not decided) here: the reference decides and names the error.
        None => reference::parse(bytes, max_depth, part),
    }
}

/// Like [`parse`], and the value must be an object.
pub(crate) fn parse_object(
    bytes: &[u8],
    max_depth: usize,
    part: &'static str,
) -> Result<Map<String, Value>, VcError> {
    match parse(bytes, max_depth, part)? {
        Value::Object(m) => Ok(m),
        _ => Err(VcError::MalformedJson {
            part,
            reason: "expected a JSON object".into(),
        }),
    }
}

/// The members and elements of the containers still open, shared by every parse on a thread:
/// each container is moved out of them at its final size when it closes.
#[derive(Default)]
struct Stacks {
    elements: Vec<Value>,
    members: Vec<(String, Value)>,
}

thread_local! {
    static STACKS: RefCell<Stacks> = const {
        RefCell::new(Stacks {
            elements: Vec::new(),
            members: Vec::new(),
        })
    };
}

/// The fast parser: the value if `bytes` is strict JSON within `max_depth`, `None` otherwise.
fn accept(bytes: &[u8], max_depth: usize) -> Option<Value> {
    with_parser(bytes, |parser| {
        parser.skip_whitespace();
        let value = parser.value(max_depth.min(SERDE_JSON_MAX_NESTING))?;
        parser.end().then_some(value)
    })
}

/// A Disclosure's array as [`disclosure_parts`] reads it.
pub(crate) struct DisclosureParts {
    /// Bytes of the salt appended to the text.
    pub(crate) salt_len: usize,
    /// Bytes of the claim name appended after it (an object property), or `None` (an array
    /// element).
    pub(crate) name_len: Option<usize>,
    /// The claim value.
    pub(crate) value: Value,
}

/// Reads a Disclosure's JSON, `[salt, name, value]` or `[salt, value]` (RFC 9901 §4.2.1,
/// §4.2.2), in one pass: the salt and the name are appended to `text`, unescaped, and the value
/// is parsed within `max_depth` (the array is one level), exactly as [`parse`] would read it.
/// `None` for anything else, including every invalid input: the caller then takes the general
/// path, [`parse`] and its own checks, which names the error.
pub(crate) fn disclosure_parts(
    bytes: &[u8],
    max_depth: usize,
    text: &mut String,
) -> Option<DisclosureParts> {
    let at = text.len();
    let parts = with_parser(bytes, |parser| {
        let inner = max_depth.min(SERDE_JSON_MAX_NESTING).checked_sub(1)?;
        parser.skip_whitespace();
        parser.eat(b'[')?;
        parser.skip_whitespace();
        parser.eat(b'"')?;
        let salt_start = text.len();
        parser.string_into(text)?;
        let salt_len = text.len() - salt_start;
        parser.skip_whitespace();
        parser.eat(b',')?;
        parser.skip_whitespace();
        let (name_len, value) = if parser.peek()? == b'"' {
            // The claim name, or a string value of an array element.
            parser.pos += 1;
            let second = text.len();
            parser.string_into(text)?;
            parser.skip_whitespace();
            match parser.peek()? {
                b',' => {
                    parser.pos += 1;
                    parser.skip_whitespace();
                    (Some(text.len() - second), parser.value(inner)?)
                }
                b']' => (None, Value::String(text.split_off(second))),
                _ => return None,
            }
        } else {
            (None, parser.value(inner)?)
        };
        parser.skip_whitespace();
        parser.eat(b']')?;
        parser.end().then_some(DisclosureParts {
            salt_len,
            name_len,
            value,
        })
    });
    if parts.is_none() {
        text.truncate(at);
    }
    parts
}

/// The member `name` of `object`. An object of a few members (a JWT header, the claims of a
/// KB-JWT or of a credential, a JWK, a `status` reference) is searched by comparing names: that
/// costs less than hashing the one looked for. A larger one is searched by its hash table.
pub(crate) fn member<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    /// Up to this many members, comparing names costs less than hashing the name (SipHash).
    const SEARCHED_IN_ORDER: usize = 16;
    if object.len() <= SEARCHED_IN_ORDER {
        object
            .iter()
            .find_map(|(k, v)| (k.as_str() == name).then_some(v))
    } else {
        object.get(name)
    }
}

/// Runs `read` over `bytes` as UTF-8 text, with the thread's shared stacks; afterwards the stacks
/// are emptied (whatever a refused document left open) and an oversized one is given back.
fn with_parser<T>(bytes: &[u8], read: impl FnOnce(&mut Parser<'_, '_>) -> Option<T>) -> Option<T> {
    // Outside strings every byte must be ASCII, so this is exactly serde_json's check of each
    // string, done once.
    let text = std::str::from_utf8(bytes).ok()?;
    let run = |stacks: &mut Stacks| {
        let result = read(&mut Parser {
            text,
            bytes,
            pos: 0,
            stacks: &mut *stacks,
        });
        stacks.elements.clear();
        stacks.members.clear();
        stacks.elements.shrink_to(STACK_ENTRIES_KEPT);
        stacks.members.shrink_to(STACK_ENTRIES_KEPT);
        result
    };
    STACKS.with(|cell| match cell.try_borrow_mut() {
        Ok(mut stacks) => run(&mut stacks),
        Err(_) => run(&mut Stacks::default()),
    })
}

struct Parser<'t, 's> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    stacks: &'s mut Stacks,
}

impl Parser<'_, '_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    /// Moves past `byte`, which must be next.
    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.pos += 1)
    }

    /// Whether only whitespace is left.
    fn end(&mut self) -> bool {
        self.skip_whitespace();
        self.pos == self.bytes.len()
    }

    /// JSON whitespace: space, tab, line feed, carriage return (RFC 8259 §2).
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// A value whose containers may nest `depth_left` deep.
    fn value(&mut self, depth_left: usize) -> Option<Value> {
        match self.peek()? {
            b'"' => {
                self.pos += 1;
                self.string().map(Value::String)
            }
            b'{' => self.object(depth_left.checked_sub(1)?),
            b'[' => self.array(depth_left.checked_sub(1)?),
            b't' => self.literal(b"true", Value::Bool(true)),
            b'f' => self.literal(b"false", Value::Bool(false)),
            b'n' => self.literal(b"null", Value::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    fn literal(&mut self, word: &[u8], value: Value) -> Option<Value> {
        if self.bytes.get(self.pos..self.pos + word.len())? == word {
            self.pos += word.len();
            Some(value)
        } else {
            None
        }
    }

    /// At `[`; the elements may nest `inner` deep.
    fn array(&mut self, inner: usize) -> Option<Value> {
        self.pos += 1;
        self.skip_whitespace();
        if self.peek()? == b']' {
            self.pos += 1;
            return Some(Value::Array(Vec::new()));
        }
        let start = self.stacks.elements.len();
        loop {
            let element = self.value(inner)?;
            self.stacks.elements.push(element);
            self.skip_whitespace();
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    self.skip_whitespace();
                }
                b']' => {
                    self.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
        Some(Value::Array(self.stacks.elements.drain(start..).collect()))
    }

    /// At `{`; the member values may nest `inner` deep.
    fn object(&mut self, inner: usize) -> Option<Value> {
        self.pos += 1;
        self.skip_whitespace();
        if self.peek()? == b'}' {
            self.pos += 1;
            return Some(Value::Object(Map::new()));
        }
        let start = self.stacks.members.len();
        loop {
            if self.peek()? != b'"' {
                return None;
            }
            self.pos += 1;
            let name = self.string()?;
            self.skip_whitespace();
            if self.peek()? != b':' {
                return None;
            }
            self.pos += 1;
            self.skip_whitespace();
            let value = self.value(inner)?;
            self.stacks.members.push((name, value));
            self.skip_whitespace();
            match self.peek()? {
                b',' => {
                    self.pos += 1;
                    self.skip_whitespace();
                }
                b'}' => {
                    self.pos += 1;
                    break;
                }
                _ => return None,
            }
        }
        let mut object = Map::with_capacity(self.stacks.members.len() - start);
        for (name, value) in self.stacks.members.drain(start..) {
            // A repeated member name (compared after unescaping, as serde_json reads them).
            if object.insert(name, value).is_some() {
                return None;
            }
        }
        Some(Value::Object(object))
    }

    /// After the opening `"`: the string, unescaped.
    fn string(&mut self) -> Option<String> {
        let start = self.pos;
        self.skip_plain();
        if self.peek()? == b'"' {
            // No escape: one copy of the exact size.
            let s = self.text.get(start..self.pos)?.to_owned();
            self.pos += 1;
            return Some(s);
        }
        let plain = self.pos - start;
        self.pos = start;
        let mut out = String::with_capacity(plain + 16);
        self.string_into(&mut out)?;
        Some(out)
    }

    /// After the opening `"`: appends the string, unescaped, to `out`.
    fn string_into(&mut self, out: &mut String) -> Option<()> {
        loop {
            let from = self.pos;
            self.skip_plain();
            out.push_str(self.text.get(from..self.pos)?);
            match self.peek()? {
                b'"' => {
                    self.pos += 1;
                    return Some(());
                }
                b'\\' => {
                    let escape = *self.bytes.get(self.pos + 1)?;
                    self.pos += 2;
                    out.push(match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return None,
                    });
                }
                // A control character (U+0000 to U+001F) must be escaped.
                _ => return None,
            }
        }
    }

    /// After `\u`: a code point, from a surrogate pair if need be. A lone surrogate is refused,
    /// as serde_json refuses it in a string.
    fn unicode_escape(&mut self) -> Option<char> {
        let n = self.hex4()?;
        match n {
            0xD800..=0xDBFF => {
                if self.bytes.get(self.pos..self.pos + 2)? != b"\\u" {
                    return None;
                }
                self.pos += 2;
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return None;
                }
                let high = u32::from(n - 0xD800) << 10;
                char::from_u32((high | u32::from(low - 0xDC00)) + 0x1_0000)
            }
            0xDC00..=0xDFFF => None,
            _ => char::from_u32(u32::from(n)),
        }
    }

    fn hex4(&mut self) -> Option<u16> {
        let digits = self.bytes.get(self.pos..self.pos + 4)?;
        let mut n: u16 = 0;
        for &d in digits {
            // 0-9, a-f, A-F, as serde_json.
            let digit = char::from(d).to_digit(16)?;
            n = n * 16 + u16::try_from(digit).ok()?;
        }
        self.pos += 4;
        Some(n)
    }

    /// Moves past string bytes that need no attention: everything but `"`, `\` and control
    /// characters, eight bytes at a time, up to the first that does.
    fn skip_plain(&mut self) {
        while let Some(chunk) = self.bytes.get(self.pos..self.pos + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let marks = attention(u64::from_le_bytes(word));
            if marks != 0 {
                // The lowest mark is the first byte that needs attention (the word is read
                // little-endian): 0 to 7 bytes on.
                self.pos += (marks.trailing_zeros() / 8) as usize;
                return;
            }
            self.pos += 8;
        }
        while let Some(b) = self.peek() {
            if b == b'"' || b == b'\\' || b < 0x20 {
                break;
            }
            self.pos += 1;
        }
    }

    /// At `-` or a digit. Integers that fit 64 bits are read here; anything else (fractions,
    /// exponents, `-0`, longer integers, malformed numbers) is handed to serde_json itself, so
    /// that every number reads exactly as it always has.
    fn number(&mut self) -> Option<Value> {
        let start = self.pos;
        let mut end = start + 1;
        while let Some(b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-') = self.bytes.get(end) {
            end += 1;
        }
        let span = self.bytes.get(start..end)?;
        self.pos = end;
        match span.split_first() {
            Some((b'-', digits)) => negative_integer(digits),
            _ => positive_integer(span),
        }
        .or_else(|| serde_json::from_slice::<Value>(span).ok())
    }
}

/// The high bit of each byte of `word` that is `"`, `\` or below 0x20, at least: a byte above
/// a marked one may be marked too (a borrow carries into it), but the lowest mark is exact.
fn attention(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
    let quote = zero_byte(word ^ (ONES * u64::from(b'"')));
    let backslash = zero_byte(word ^ (ONES * u64::from(b'\\')));
    let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
    quote | backslash | control
}

/// Digits without a leading zero, at most 19 of them (below 10^19: no overflow), as a `u64`.
fn plain_digits(digits: &[u8]) -> Option<u64> {
    match digits {
        [] | [b'0', _, ..] => return None,
        _ if digits.len() > 19 => return None,
        _ => {}
    }
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(d - b'0');
    }
    Some(n)
}

fn positive_integer(digits: &[u8]) -> Option<Value> {
    plain_digits(digits).map(Value::from)
}

/// A negative integer as serde_json reads it: an `i64`, except `-0` (a float, left to it).
fn negative_integer(digits: &[u8]) -> Option<Value> {
    let n = i64::try_from(plain_digits(digits)?).ok()?;
    (n != 0).then(|| Value::from(-n))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `member` finds what `get` finds, in objects searched in order and by hash alike.
    #[test]
    fn member_is_get() {
        for size in [0usize, 1, 3, 16, 17, 40] {
            let object: Map<String, Value> = (0..size)
                .map(|i| (format!("m{i}"), Value::from(i)))
                .collect();
            for name in (0..size + 2)
                .map(|i| format!("m{i}"))
                .chain(["".into(), "m".into()])
            {
                assert_eq!(member(&object, &name), object.get(&name), "{size} {name}");
            }
        }
    }

    #[test]
    fn duplicate_keys_rejected_at_every_depth() {
        for text in [
            r#"{"a":1,"a":2}"#,
            r#"{"x":{"a":1,"b":{"c":1,"c":1}}}"#,
            r#"[1,{"k":[{"z":0,"z":0}]}]"#,
        ] {
            assert!(
                matches!(
                    parse(text.as_bytes(), 32, "t"),
                    Err(VcError::DuplicateJsonKey { .. })
                ),
                "{text}"
            );
        }
        assert!(parse(br#"{"a":{"a":1},"b":{"a":1}}"#, 32, "t").is_ok());
    }

    #[test]
    fn depth_budget_is_enforced() {
        let deep = format!("{}{}", "[".repeat(5), "]".repeat(5));
        assert!(parse(deep.as_bytes(), 5, "t").is_ok());
        assert!(matches!(
            parse(deep.as_bytes(), 4, "t"),
            Err(VcError::LimitExceeded {
                limit: "json_depth",
                ..
            })
        ));
        let objs = r#"{"a":{"b":{"c":{}}}}"#;
        assert!(parse(objs.as_bytes(), 4, "t").is_ok());
        assert!(parse(objs.as_bytes(), 3, "t").is_err());
    }

    #[test]
    fn trailing_garbage_and_invalid_json_rejected() {
        assert!(matches!(
            parse(b"{} x", 8, "t"),
            Err(VcError::MalformedJson { .. })
        ));
        assert!(matches!(
            parse(b"{\"a\":}", 8, "t"),
            Err(VcError::MalformedJson { .. })
        ));
    }

    #[test]
    fn unicode_is_kept_as_received() {
        let v = parse("{\"이름\":\"홍길동\"}".as_bytes(), 8, "t").unwrap();
        assert_eq!(v["이름"], "홍길동");
    }

    // ---- The fast parser against the reference (serde_json with the strict visitor). ----

    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
    use base64::Engine as _;
    use rand::{Rng as _, SeedableRng as _};
    use rand_chacha::ChaCha20Rng;

    /// Equal values with the members in the same order and numbers of the same kind (`Value`'s
    /// own `==` ignores member order, and `-0.0 == 0.0`).
    fn same(a: &Value, b: &Value) -> bool {
        a == b && serde_json::to_string(a).ok() == serde_json::to_string(b).ok()
    }

    /// Both parsers, on one input and depth: the same acceptance, the same value.
    fn agree(input: &[u8], max_depth: usize) -> Result<(), String> {
        let fast = accept(input, max_depth);
        let reference = reference::parse(input, max_depth, "t");
        match (&fast, &reference) {
            (Some(f), Ok(r)) if same(f, r) => Ok(()),
            (None, Err(_)) => Ok(()),
            _ => Err(format!(
                "depth {max_depth}, input {:?}: fast {fast:?}, reference {reference:?}",
                String::from_utf8_lossy(input)
            )),
        }
    }

    fn check_all(inputs: &[Vec<u8>], depths: &[usize]) {
        let mut failures = Vec::new();
        for input in inputs {
            for &d in depths {
                if let Err(e) = agree(input, d) {
                    failures.push(e);
                }
            }
        }
        assert!(
            failures.is_empty(),
            "{} disagreement(s), first: {}",
            failures.len(),
            failures[0]
        );
    }

    fn edge_cases() -> Vec<Vec<u8>> {
        let mut texts: Vec<String> = [
            // Numbers.
            "0",
            "-0",
            "1",
            "-1",
            "00",
            "-00",
            "01",
            "-01",
            "1.0",
            "-1.0",
            "1.",
            ".5",
            "+1",
            "-",
            "--1",
            "1e5",
            "1E5",
            "1e+5",
            "1e-5",
            "1e",
            "1e+",
            "0e0",
            "-0e0",
            "0.0",
            "-0.0",
            "1e400",
            "-1e400",
            "1e-400",
            "1.7976931348623157e308",
            "2.2250738585072011e-308",
            "4.9e-324",
            "0.1",
            "0.30000000000000004",
            "123456789012345678901234567890",
            "9223372036854775807",
            "9223372036854775808",
            "-9223372036854775807",
            "-9223372036854775808",
            "-9223372036854775809",
            "18446744073709551615",
            "18446744073709551616",
            "-18446744073709551616",
            "9999999999999999999",
            "-9999999999999999999",
            "10000000000000000000",
            "1.5e3",
            "1_000",
            "0x10",
            "1-2",
            "1.2.3",
            "1e5e5",
            "Infinity",
            "-Infinity",
            "NaN",
            "[1,-0,0.5,-1e2,1E-2]",
            // Literals.
            "true",
            "false",
            "null",
            "tru",
            "nul",
            "falsey",
            "True",
            "NULL",
            "truefalse",
            // Strings and escapes.
            r#""""#,
            r#""a""#,
            r#""\"""#,
            r#""\\""#,
            r#""\/""#,
            r#""\b\f\n\r\t""#,
            r#""\a""#,
            r#""\u0061""#,
            r#""\u00e9""#,
            r#""\u00E9""#,
            r#""\uD83D\uDE00""#,
            r#""\ud83d\ude00""#,
            r#""\uD83D""#,
            r#""\uDE00""#,
            r#""\uD83Dx""#,
            r#""\uD83D\n""#,
            r#""\uD83D\u0041""#,
            r#""\uD83D\uD83D\uDE00""#,
            r#""\u12""#,
            r#""\u12g4""#,
            r#""\u""#,
            r#""\"#,
            r#""abc"#,
            r#""\u0000""#,
            r#""\uFFFF""#,
            r#""\uFEFF""#,
            "\"\u{7f}\"",
            "\"홍길동\"",
            "\"a\u{1F600}b\"",
            r#""a\u0022b\\c""#,
            r#""0123456789abcdef\n0123456789abcdef""#,
            r#""0123456\"89abcdef""#,
            r#""01234567\\9abcdef""#,
            r#""\\\\\\\\\\\\\\\\\\""#,
            // Containers and whitespace.
            "{}",
            "[]",
            "{ }",
            "[ ]",
            " \t\r\n{}\n",
            "{}x",
            "{} {}",
            "[1,]",
            "[,1]",
            "[1 2]",
            "{\"a\":1,}",
            "{,}",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\" 1}",
            "{a:1}",
            "{'a':1}",
            "{\"a\":1 \"b\":2}",
            "[1,[2,[3,{\"x\":[]}]]]",
            "{\"\":0}",
            "{\"\":0,\"\":1}",
            "[\"a\",{\"b\":null,\"c\":[true,false]}]",
            "\u{feff}{}",
            "{}\u{0}",
            "[\u{c}]",
            "[\u{a0}]",
            "{\"a\":1}\n\n",
            "[[[[]]]]",
            "[{}]",
            "{\"a\":{}}",
            "",
            " ",
            "\n",
            // Duplicate member names, with and without escapes, at every depth.
            r#"{"a":1,"a":2}"#,
            r#"{"a":1,"\u0061":2}"#,
            r#"{"\u0061":1,"a":2}"#,
            r#"{"é":1,"\u00e9":2}"#,
            r#"{"a":1,"A":2}"#,
            r#"{"a":1,"a ":2}"#,
            r#"{"x":{"a":1,"b":{"c":1,"c":1}}}"#,
            r#"[1,{"k":[{"z":0,"z":0}]}]"#,
            r#"{"a":{"a":1},"b":{"a":1}}"#,
            r#"{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"a":0}"#,
            r#"{"a":1,"a":2,"b":}"#,
            r#"{"a":[1,2,"#,
            r#"{"a":1,"a":2} x"#,
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        // Nesting around the budgets and serde_json's own limit.
        for n in [1, 2, 3, 4, 5, 31, 32, 33, 126, 127, 128, 129, 200] {
            texts.push(format!("{}{}", "[".repeat(n), "]".repeat(n)));
            texts.push(format!("{}1{}", "[".repeat(n), "]".repeat(n)));
            texts.push(format!("{}{{}}{}", "{\"a\":".repeat(n), "}".repeat(n)));
            texts.push(format!("{}{}", "[{\"a\":".repeat(n), "}]".repeat(n)));
        }
        // A large object (several growths of a map) and a large array.
        let members: Vec<String> = (0..300).map(|i| format!("\"k{i}\":{i}")).collect();
        texts.push(format!("{{{}}}", members.join(",")));
        texts.push(format!("{{{},\"k7\":0}}", members.join(",")));
        texts.push(format!(
            "[{}]",
            (0..1000)
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ));
        let mut bytes: Vec<Vec<u8>> = texts.into_iter().map(String::into_bytes).collect();
        // Invalid UTF-8, inside and outside strings.
        for raw in [
            &b"\"\xff\""[..],
            b"\"\xc3\"",
            b"\"\xc3\\u00a9\"",
            b"\"\xed\xa0\x80\"",
            b"\"\xf4\x90\x80\x80\"",
            b"\"\xc0\xaf\"",
            b"[\"a\"]\xff",
            b"\xef\xbb\xbf{}",
            b"{\"\xff\":1}",
            b"\"\xe2\x82\"",
        ] {
            bytes.push(raw.to_vec());
        }
        bytes
    }

    /// Every file under the corpus and the published vectors, and every base64url piece of them
    /// that decodes to JSON (headers, payloads, Disclosures).
    pub(crate) fn corpus_and_vectors() -> Vec<Vec<u8>> {
        let files = crate::test_files::files_under(&["corpus", "vectors"]);
        let mut out = Vec::new();
        for file in files {
            let Ok(bytes) = std::fs::read(&file) else {
                continue;
            };
            for piece in bytes.split(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')) {
                if piece.len() < 4 {
                    continue;
                }
                if let Ok(decoded) = B64.decode(piece) {
                    if matches!(decoded.first(), Some(b'{' | b'[' | b'"')) {
                        out.push(decoded);
                    }
                }
            }
            out.push(bytes);
        }
        out
    }

    /// A random JSON text: nested values, strings with escapes and non-ASCII text, numbers of
    /// every kind, random whitespace, and now and then a repeated member name.
    pub(crate) fn random_json(rng: &mut ChaCha20Rng, depth: usize, out: &mut String) {
        let ws = |rng: &mut ChaCha20Rng, out: &mut String| {
            for _ in 0..rng.gen_range(0..3usize).saturating_sub(1) {
                out.push([' ', '\n', '\t', '\r'][rng.gen_range(0..4)]);
            }
        };
        ws(rng, out);
        let kind = if depth == 0 {
            rng.gen_range(0..6)
        } else {
            rng.gen_range(0..8)
        };
        match kind {
            0 => out.push_str(["true", "false", "null"][rng.gen_range(0..3)]),
            1 | 2 => random_string(rng, out),
            3..=5 => {
                let numbers = [
                    "0",
                    "-0",
                    "7",
                    "-7",
                    "1.5",
                    "-2.25e3",
                    "1e400",
                    "3E-2",
                    "18446744073709551615",
                    "18446744073709551616",
                    "-9223372036854775808",
                    "-9223372036854775809",
                    "123456789",
                    "0.000001",
                    "1e22",
                    "5e-324",
                ];
                if rng.gen_bool(0.5) {
                    out.push_str(numbers[rng.gen_range(0..numbers.len())]);
                } else {
                    let n: i64 = rng.gen();
                    out.push_str(&(n >> rng.gen_range(0..63)).to_string());
                }
            }
            6 => {
                out.push('[');
                let n = rng.gen_range(0..5);
                for i in 0..n {
                    if i > 0 {
                        out.push(',');
                    }
                    random_json(rng, depth - 1, out);
                }
                ws(rng, out);
                out.push(']');
            }
            _ => {
                out.push('{');
                let n = rng.gen_range(0..6);
                let mut names: Vec<String> = Vec::new();
                for i in 0..n {
                    if i > 0 {
                        out.push(',');
                    }
                    ws(rng, out);
                    let start = out.len();
                    if !names.is_empty() && rng.gen_bool(0.05) {
                        let name = names[rng.gen_range(0..names.len())].clone();
                        out.push_str(&name);
                    } else {
                        random_string(rng, out);
                    }
                    names.push(out[start..].to_owned());
                    ws(rng, out);
                    out.push(':');
                    random_json(rng, depth - 1, out);
                }
                ws(rng, out);
                out.push('}');
            }
        }
        ws(rng, out);
    }

    pub(crate) fn random_string(rng: &mut ChaCha20Rng, out: &mut String) {
        const PIECES: &[&str] = &[
            "a",
            "b",
            "name",
            "_sd",
            "...",
            "홍",
            "길동",
            "é",
            "\u{1F600}",
            "\\\"",
            "\\\\",
            "\\/",
            "\\n",
            "\\t",
            "\\u0061",
            "\\u00e9",
            "\\uD83D\\uDE00",
            "\\u0000",
            " ",
            "0123456789",
            "abcdefgh",
            "\u{7f}",
        ];
        out.push('"');
        for _ in 0..rng.gen_range(0..6) {
            out.push_str(PIECES[rng.gen_range(0..PIECES.len())]);
        }
        out.push('"');
    }

    /// Small damage to a text: a byte changed, inserted or removed, or the text cut short.
    pub(crate) fn mutate(rng: &mut ChaCha20Rng, input: &[u8]) -> Vec<u8> {
        const BYTES: &[u8] = b"\"\\,:{}[] \n0-.eE+atfnu\x00\x1f\x7f\xff\xc3\xa9";
        let mut out = input.to_vec();
        if out.is_empty() {
            return out;
        }
        let at = rng.gen_range(0..out.len());
        match rng.gen_range(0..4) {
            0 => out[at] = BYTES[rng.gen_range(0..BYTES.len())],
            1 => out.insert(at, BYTES[rng.gen_range(0..BYTES.len())]),
            2 => {
                out.remove(at);
            }
            _ => out.truncate(at),
        }
        out
    }

    #[test]
    fn fast_parser_agrees_with_the_reference_on_edge_cases() {
        check_all(&edge_cases(), &[0, 1, 2, 3, 5, 32, 126, 127, 128, 500]);
    }

    #[test]
    fn fast_parser_agrees_with_the_reference_on_the_corpus_and_vectors() {
        let inputs = corpus_and_vectors();
        assert!(inputs.len() > 500, "only {} inputs found", inputs.len());
        check_all(&inputs, &[1, 2, 3, 4, 32]);
        let mut rng = ChaCha20Rng::seed_from_u64(8259);
        let mutated: Vec<Vec<u8>> = inputs
            .iter()
            .filter(|i| i.len() < 4096)
            .flat_map(|i| (0..8).map(|_| mutate(&mut rng, i)).collect::<Vec<_>>())
            .collect();
        check_all(&mutated, &[3, 32]);
    }

    #[test]
    fn fast_parser_agrees_with_the_reference_on_random_documents() {
        let mut rng = ChaCha20Rng::seed_from_u64(7159);
        let mut inputs = Vec::new();
        for _ in 0..4000 {
            let mut text = String::new();
            let depth = rng.gen_range(0..6);
            random_json(&mut rng, depth, &mut text);
            let bytes = text.into_bytes();
            for _ in 0..3 {
                inputs.push(mutate(&mut rng, &bytes));
            }
            inputs.push(bytes);
        }
        check_all(&inputs, &[2, 4, 32]);
    }

    #[test]
    fn refused_input_is_reported_by_the_reference() {
        // The error is exactly the reference's: variant, key, and serde_json's message.
        for (text, depth) in [
            (&br#"{"a":1,"a":2}"#[..], 32),
            (br#"{"a":{"b":1,"\u0062":2}}"#, 32),
            (b"[[[]]]", 2),
            (b"{\"a\":}", 32),
            (b"[1,]", 32),
            (b"\"\\uD800\"", 32),
            (b"01", 32),
            (b"1e400", 32),
            (b"{} x", 32),
            (b"\"\xff\"", 32),
        ] {
            assert_eq!(
                parse(text, depth, "t"),
                reference::parse(text, depth, "t"),
                "{}",
                String::from_utf8_lossy(text)
            );
            assert!(parse(text, depth, "t").is_err());
        }
        assert_eq!(
            parse(br#"{"x":{"a":1,"\u0061":2}}"#, 32, "t"),
            Err(VcError::DuplicateJsonKey {
                part: "t",
                key: "a".into()
            })
        );
    }

    #[test]
    fn shared_stacks_are_left_empty_and_small() {
        let big = format!("[{}]", vec!["{\"a\":[1,2,3]}"; 5000].join(","));
        assert!(parse(big.as_bytes(), 32, "t").is_ok());
        assert!(parse(b"[1,2,{\"a\":[3,", 32, "t").is_err());
        STACKS.with_borrow(|s| {
            assert!(s.elements.is_empty() && s.members.is_empty());
            assert!(s.elements.capacity() <= STACK_ENTRIES_KEPT);
            assert!(s.members.capacity() <= STACK_ENTRIES_KEPT);
        });
    }
}
