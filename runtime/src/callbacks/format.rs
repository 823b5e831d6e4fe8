//! Python's `str.format` for checkpoint file names, as Keras fills them:
//! `"{epoch:02d}-{val_loss:.2f}.h5"` with the epoch (counting from 1) and the logged values.
//!
//! Every part of Python's format specification is supported
//! (`[[fill]align][sign][z][#][0][width][,|_][.precision][type]`) for the two kinds of values a
//! file name is made of: integers (`epoch`, `batch`) and floats (every logged value). The
//! answers are those of Python 3.11; `tools/keras_callbacks.py` prints the reference cases.
//!
//! ```
//! use densely::callbacks::format::{format, Value};
//!
//! let name = format("{epoch:02d}-{val_loss:.2f}.h5", |key| match key {
//!     "epoch" => Some(Value::Int(3)),
//!     "val_loss" => Some(Value::Float(0.3456)),
//!     _ => None,
//! })?;
//! assert_eq!(name, "03-0.35.h5");
//! # Ok::<(), densely::callbacks::format::FormatError>(())
//! ```

use std::fmt;

/// A value to put in a formatted string: Python's `int` or `float`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// An integer, such as the epoch.
    Int(i64),
    /// A float, such as a logged loss.
    Float(f64),
}

/// Why a pattern could not be formatted, in Python's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormatError {
    /// `{name}` names no value (Python's `KeyError`).
    MissingKey(String),
    /// A specification that doesn't fit its value, or a malformed pattern (Python's
    /// `ValueError`).
    Invalid(String),
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::MissingKey(key) => write!(f, "no value named `{key}`"),
            FormatError::Invalid(reason) => f.write_str(reason),
        }
    }
}

impl std::error::Error for FormatError {}

/// Formats `pattern` as Python's `pattern.format(**values)` does, asking `lookup` for the
/// value of each `{name}`; `{{` and `}}` stand for braces.
pub fn format(
    pattern: &str,
    lookup: impl Fn(&str) -> Option<Value>,
) -> Result<String, FormatError> {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|&(_, c)| c) == Some('{') => {
                chars.next();
                out.push('{');
            }
            '{' => {
                let end = pattern[start..]
                    .find('}')
                    .map(|i| start + i)
                    .ok_or_else(|| invalid("Single '{' encountered in format string"))?;
                let field = &pattern[start + 1..end];
                while chars.peek().is_some_and(|&(i, _)| i <= end) {
                    chars.next();
                }
                let (name, spec) = field.split_once(':').unwrap_or((field, ""));
                if name.is_empty() {
                    return Err(invalid(
                        "a file name pattern needs named fields, such as {epoch}",
                    ));
                }
                if name.contains(['.', '[', '!', '{']) {
                    return Err(invalid(&format!(
                        "unsupported field `{{{field}}}`: only {{name}} and {{name:spec}}"
                    )));
                }
                let value = lookup(name).ok_or_else(|| FormatError::MissingKey(name.into()))?;
                out.push_str(&format_value(value, spec)?);
            }
            '}' if chars.peek().map(|&(_, c)| c) == Some('}') => {
                chars.next();
                out.push('}');
            }
            '}' => return Err(invalid("Single '}' encountered in format string")),
            c => out.push(c),
        }
    }
    Ok(out)
}

/// Python's `repr(x)` (and `str(x)`) of a float: the shortest digits that read back as `x`,
/// in fixed notation from 1e-4 up to 1e16 and in scientific notation (`1e-05`) outside.
///
/// ```
/// use densely::callbacks::format::python_float;
///
/// assert_eq!(python_float(0.1 + 0.2), "0.30000000000000004");
/// assert_eq!(python_float(2.0), "2.0");
/// assert_eq!(python_float(1e-5), "1e-05");
/// assert_eq!(python_float(f64::NAN), "nan");
/// ```
pub fn python_float(x: f64) -> String {
    if let Some(special) = non_finite(x, false) {
        return special.to_string();
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    let (digits, exponent) = shortest_digits(x.abs());
    let body = if (-4..16).contains(&exponent) {
        fixed_from_digits(&digits, exponent)
    } else {
        scientific_from_digits(&digits, exponent)
    };
    format!("{sign}{body}")
}

/// Python's `f"{x:.{precision}f}"`: `nan` and `inf` spelled as Python spells them.
pub fn python_fixed(x: f64, precision: usize) -> String {
    format_value(Value::Float(x), &format!(".{precision}f")).unwrap_or_default()
}

/// The parts of a format specification.
#[derive(Debug, Default)]
struct Spec {
    fill: Option<char>,
    align: Option<char>,
    sign: Option<char>,
    coerce_zero: bool,
    alternate: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    kind: Option<char>,
}

fn invalid(reason: &str) -> FormatError {
    FormatError::Invalid(reason.to_string())
}

fn parse_spec(spec: &str) -> Result<Spec, FormatError> {
    let chars: Vec<char> = spec.chars().collect();
    let mut parsed = Spec::default();
    let mut i = 0;
    let is_align = |c: char| matches!(c, '<' | '>' | '=' | '^');
    if chars.len() >= 2 && is_align(chars[1]) {
        parsed.fill = Some(chars[0]);
        parsed.align = Some(chars[1]);
        i = 2;
    } else if !chars.is_empty() && is_align(chars[0]) {
        parsed.align = Some(chars[0]);
        i = 1;
    }
    if i < chars.len() && matches!(chars[i], '+' | '-' | ' ') {
        parsed.sign = Some(chars[i]);
        i += 1;
    }
    if i < chars.len() && chars[i] == 'z' {
        parsed.coerce_zero = true;
        i += 1;
    }
    if i < chars.len() && chars[i] == '#' {
        parsed.alternate = true;
        i += 1;
    }
    if i < chars.len() && chars[i] == '0' {
        if parsed.fill.is_none() {
            parsed.fill = Some('0');
        }
        if parsed.align.is_none() {
            parsed.align = Some('=');
        }
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while *i < chars.len() && chars[*i].is_ascii_digit() {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    let width = digits(&mut i);
    if !width.is_empty() {
        parsed.width = width
            .parse()
            .map_err(|_| invalid("Too many decimal digits"))?;
    }
    if i < chars.len() && matches!(chars[i], ',' | '_') {
        parsed.grouping = Some(chars[i]);
        i += 1;
    }
    if i < chars.len() && chars[i] == '.' {
        i += 1;
        let precision = digits(&mut i);
        if precision.is_empty() {
            return Err(invalid("Format specifier missing precision"));
        }
        parsed.precision = Some(
            precision
                .parse()
                .map_err(|_| invalid("Too many decimal digits"))?,
        );
    }
    if i < chars.len() {
        parsed.kind = Some(chars[i]);
        i += 1;
    }
    if i < chars.len() {
        return Err(invalid("Invalid format specifier"));
    }
    Ok(parsed)
}

fn format_value(value: Value, spec: &str) -> Result<String, FormatError> {
    let spec = parse_spec(spec)?;
    let (negative, body) = match value {
        Value::Int(n) => match spec.kind {
            None | Some('d' | 'n' | 'b' | 'o' | 'x' | 'X') => {
                if spec.precision.is_some() {
                    return Err(invalid("Precision not allowed in integer format specifier"));
                }
                (n < 0, integer_body(n.unsigned_abs(), &spec))
            }
            Some('e' | 'E' | 'f' | 'F' | 'g' | 'G' | '%') => float_body(n as f64, &spec),
            Some(kind) => {
                return Err(invalid(&format!(
                    "Unknown format code '{kind}' for object of type 'int'"
                )))
            }
        },
        Value::Float(x) => match spec.kind {
            None | Some('e' | 'E' | 'f' | 'F' | 'g' | 'G' | 'n' | '%') => float_body(x, &spec),
            Some(kind) => {
                return Err(invalid(&format!(
                    "Unknown format code '{kind}' for object of type 'float'"
                )))
            }
        },
    };
    let sign = match (negative, spec.sign) {
        (true, _) => "-",
        (false, Some('+')) => "+",
        (false, Some(' ')) => " ",
        _ => "",
    };
    let prefix = match (spec.alternate, value, spec.kind) {
        (true, Value::Int(_), Some('b')) => "0b",
        (true, Value::Int(_), Some('o')) => "0o",
        (true, Value::Int(_), Some('x')) => "0x",
        (true, Value::Int(_), Some('X')) => "0X",
        _ => "",
    };
    Ok(pad(sign, prefix, &body, &spec))
}

/// Pads `sign + prefix + body` to the width: `=` puts the fill between the sign and the
/// digits, as the `0` flag does.
fn pad(sign: &str, prefix: &str, body: &str, spec: &Spec) -> String {
    let len = sign.chars().count() + prefix.chars().count() + body.chars().count();
    let missing = spec.width.saturating_sub(len);
    let fill: String = std::iter::repeat_n(spec.fill.unwrap_or(' '), missing).collect();
    match spec.align.unwrap_or('>') {
        '<' => format!("{sign}{prefix}{body}{fill}"),
        '^' => {
            let (left, right) = fill.split_at(missing / 2 * spec.fill.unwrap_or(' ').len_utf8());
            format!("{left}{sign}{prefix}{body}{right}")
        }
        '=' => format!("{sign}{prefix}{fill}{body}"),
        _ => format!("{fill}{sign}{prefix}{body}"),
    }
}

fn integer_body(n: u64, spec: &Spec) -> String {
    let digits = match spec.kind {
        Some('b') => format!("{n:b}"),
        Some('o') => format!("{n:o}"),
        Some('x') => format!("{n:x}"),
        Some('X') => format!("{n:X}"),
        _ => n.to_string(),
    };
    match spec.grouping {
        Some(separator) => {
            let every = if matches!(spec.kind, Some('b' | 'o' | 'x' | 'X')) {
                4
            } else {
                3
            };
            group(&digits, separator, every)
        }
        None => digits,
    }
}

/// The digits of a float without its sign (which the caller adds), and whether it is
/// negative.
fn float_body(x: f64, spec: &Spec) -> (bool, String) {
    let upper = matches!(spec.kind, Some('E' | 'F' | 'G'));
    let mut negative = x.is_sign_negative() && !x.is_nan();
    if let Some(special) = non_finite(x.abs(), upper) {
        let percent = if spec.kind == Some('%') { "%" } else { "" };
        return (negative, format!("{special}{percent}"));
    }
    let x = x.abs();
    let mut body = match spec.kind {
        Some('f' | 'F') => format!("{x:.*}", spec.precision.unwrap_or(6)),
        Some('%') => format!("{:.*}%", spec.precision.unwrap_or(6), x * 100.0),
        Some('e' | 'E') => scientific(x, spec.precision.unwrap_or(6), upper),
        Some('g' | 'G' | 'n') => general(x, spec.precision.unwrap_or(6), spec.alternate, upper),
        _ => match spec.precision {
            // No type and no precision: Python's `str(x)`.
            None => python_float(x),
            // No type with a precision: like `g`, but fixed notation keeps a decimal.
            Some(precision) => {
                let mut text = general(x, precision, spec.alternate, false);
                if !text.contains(['.', 'e', 'E']) {
                    text.push_str(".0");
                }
                text
            }
        },
    };
    if spec.alternate
        && matches!(spec.kind, Some('f' | 'F' | 'e' | 'E' | '%'))
        && !body.contains('.')
    {
        let at = body.find(['e', 'E', '%']).unwrap_or(body.len());
        body.insert(at, '.');
    }
    if let Some(separator) = spec.grouping {
        let end = body.find(['.', 'e', 'E', '%']).unwrap_or(body.len());
        body = format!("{}{}", group(&body[..end], separator, 3), &body[end..]);
    }
    if spec.coerce_zero && negative && body.chars().all(|c| !c.is_ascii_digit() || c == '0') {
        negative = false;
    }
    (negative, body)
}

fn non_finite(x: f64, upper: bool) -> Option<&'static str> {
    match (x.is_nan(), x.is_infinite(), x < 0.0, upper) {
        (true, _, _, false) => Some("nan"),
        (true, _, _, true) => Some("NAN"),
        (_, true, false, false) => Some("inf"),
        (_, true, false, true) => Some("INF"),
        (_, true, true, false) => Some("-inf"),
        (_, true, true, true) => Some("-INF"),
        _ => None,
    }
}

/// `d.ddde±XX` with `precision` digits after the point and at least two exponent digits.
fn scientific(x: f64, precision: usize, upper: bool) -> String {
    let text = format!("{x:.precision$e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    let e = if upper { 'E' } else { 'e' };
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}{e}{sign}{:02}", exponent.unsigned_abs())
}

/// Python's `g`: `precision` significant digits, scientific when the exponent is below -4 or
/// at least the precision; trailing zeros removed unless `alternate`.
fn general(x: f64, precision: usize, alternate: bool, upper: bool) -> String {
    let precision = precision.max(1);
    let exponent = if x == 0.0 {
        0
    } else {
        let text = format!("{x:.*e}", precision - 1);
        text.split_once('e')
            .and_then(|(_, e)| e.parse::<i32>().ok())
            .unwrap_or(0)
    };
    let mut text = if (-4..precision as i32).contains(&exponent) {
        format!("{x:.*}", (precision as i32 - 1 - exponent) as usize)
    } else {
        scientific(x, precision - 1, upper)
    };
    if !alternate {
        let end = text.find(['e', 'E']).unwrap_or(text.len());
        let (mantissa, rest) = text.split_at(end);
        let mantissa = if mantissa.contains('.') {
            mantissa.trim_end_matches('0').trim_end_matches('.')
        } else {
            mantissa
        };
        text = format!("{mantissa}{rest}");
    } else if !text.contains('.') {
        let at = text.find(['e', 'E']).unwrap_or(text.len());
        text.insert(at, '.');
    }
    text
}

/// The shortest digits that read back as `x` (positive and finite) and the decimal exponent
/// of the first one: 0.0123 is ("123", -2).
fn shortest_digits(x: f64) -> (String, i32) {
    let text = format!("{x:e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    (
        mantissa.replace('.', ""),
        exponent.parse::<i32>().unwrap_or(0),
    )
}

fn fixed_from_digits(digits: &str, exponent: i32) -> String {
    if exponent < 0 {
        let zeros = "0".repeat((-exponent - 1) as usize);
        format!("0.{zeros}{digits}")
    } else {
        let point = exponent as usize + 1;
        if digits.len() <= point {
            format!("{digits}{}.0", "0".repeat(point - digits.len()))
        } else {
            format!("{}.{}", &digits[..point], &digits[point..])
        }
    }
}

fn scientific_from_digits(digits: &str, exponent: i32) -> String {
    let mantissa = if digits.len() > 1 {
        format!("{}.{}", &digits[..1], &digits[1..])
    } else {
        digits.to_string()
    };
    let sign = if exponent < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exponent.unsigned_abs())
}

/// Inserts `separator` every `every` digits from the right.
fn group(digits: &str, separator: char, every: usize) -> String {
    let mut out = String::with_capacity(digits.len() + digits.len() / every);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(every) {
            out.push(separator);
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(pattern: &str, key: &str, value: Value) -> Result<String, FormatError> {
        format(pattern, |k| (k == key).then_some(value))
    }

    /// Python 3.11's answers, printed by `tools/keras_callbacks.py` (`filepath_formats`).
    #[test]
    #[allow(clippy::approx_constant)] // 3.14159265 is the script's value, not a stand-in for PI
    fn formats_as_python_does() {
        let cases: &[(&str, &str, Value, &str)] = &[
            ("{epoch:02d}", "epoch", Value::Int(3), "03"),
            ("{epoch}", "epoch", Value::Int(12), "12"),
            ("{epoch:03}", "epoch", Value::Int(7), "007"),
            ("{epoch:>4d}", "epoch", Value::Int(7), "   7"),
            ("{epoch:<4d}|", "epoch", Value::Int(7), "7   |"),
            ("{epoch:^5d}|", "epoch", Value::Int(7), "  7  |"),
            ("{epoch:x<4}", "epoch", Value::Int(7), "7xxx"),
            ("{epoch:+d}", "epoch", Value::Int(7), "+7"),
            ("{epoch:.2f}", "epoch", Value::Int(7), "7.00"),
            ("{epoch:,d}", "epoch", Value::Int(1234567), "1,234,567"),
            ("{val_loss:.2f}", "val_loss", Value::Float(0.3456), "0.35"),
            ("{val_loss:.2f}", "val_loss", Value::Float(0.125), "0.12"),
            ("{val_loss:.2f}", "val_loss", Value::Float(0.375), "0.38"),
            ("{val_loss:.0f}", "val_loss", Value::Float(2.5), "2"),
            (
                "{val_loss:08.3f}",
                "val_loss",
                Value::Float(-1.23456),
                "-001.235",
            ),
            (
                "{val_loss}",
                "val_loss",
                Value::Float(0.30000000000000004),
                "0.30000000000000004",
            ),
            ("{val_loss}", "val_loss", Value::Float(1e-05), "1e-05"),
            ("{val_loss}", "val_loss", Value::Float(1e+16), "1e+16"),
            ("{val_loss}", "val_loss", Value::Float(2.0), "2.0"),
            ("{val_loss:.3}", "val_loss", Value::Float(2.0), "2.0"),
            (
                "{val_loss:.3}",
                "val_loss",
                Value::Float(0.000123456),
                "0.000123",
            ),
            ("{val_loss:.3g}", "val_loss", Value::Float(2.0), "2"),
            (
                "{val_loss:g}",
                "val_loss",
                Value::Float(123456789.0),
                "1.23457e+08",
            ),
            ("{val_loss:g}", "val_loss", Value::Float(0.0001), "0.0001"),
            ("{val_loss:g}", "val_loss", Value::Float(1e-05), "1e-05"),
            ("{val_loss:#.3g}", "val_loss", Value::Float(2.0), "2.00"),
            (
                "{val_loss:.4e}",
                "val_loss",
                Value::Float(0.000123456),
                "1.2346e-04",
            ),
            (
                "{val_loss:E}",
                "val_loss",
                Value::Float(12345.678),
                "1.234568E+04",
            ),
            ("{val_loss:.1%}", "val_loss", Value::Float(0.8765), "87.6%"),
            (
                "{val_loss:10.4f}|",
                "val_loss",
                Value::Float(3.14159265),
                "    3.1416|",
            ),
            (
                "{val_loss:*^12.2f}",
                "val_loss",
                Value::Float(3.14159265),
                "****3.14****",
            ),
            (
                "{val_loss:=+10.2f}",
                "val_loss",
                Value::Float(3.14159265),
                "+     3.14",
            ),
            (
                "{val_loss: .2f}",
                "val_loss",
                Value::Float(3.14159265),
                " 3.14",
            ),
            ("{val_loss:.2f}", "val_loss", Value::Float(f64::NAN), "nan"),
            (
                "{val_loss:.2f}",
                "val_loss",
                Value::Float(f64::INFINITY),
                "inf",
            ),
            (
                "{val_loss:F}",
                "val_loss",
                Value::Float(f64::INFINITY),
                "INF",
            ),
            (
                "{{literal}}-{epoch:02d}",
                "epoch",
                Value::Int(1),
                "{literal}-01",
            ),
            (
                "{val_loss:,.2f}",
                "val_loss",
                Value::Float(1234567.891),
                "1,234,567.89",
            ),
        ];
        for &(pattern, key, value, expected) in cases {
            assert_eq!(one(pattern, key, value).unwrap(), expected, "{pattern}");
        }
    }

    /// Python's errors: `ValueError: Unknown format code 'd' for object of type 'float'`,
    /// `KeyError: 'missing'`, `ValueError: Unknown format code 's' for object of type 'int'`.
    #[test]
    fn refuses_what_python_refuses() {
        assert_eq!(
            one("{val_loss:02d}", "val_loss", Value::Float(0.5)),
            Err(FormatError::Invalid(
                "Unknown format code 'd' for object of type 'float'".into()
            ))
        );
        assert_eq!(
            one("{missing}", "epoch", Value::Int(1)),
            Err(FormatError::MissingKey("missing".into()))
        );
        assert_eq!(
            one("{epoch:s}", "epoch", Value::Int(1)),
            Err(FormatError::Invalid(
                "Unknown format code 's' for object of type 'int'".into()
            ))
        );
        assert!(one("{epoch", "epoch", Value::Int(1)).is_err());
        assert!(one("epoch}", "epoch", Value::Int(1)).is_err());
        assert!(one("{}", "epoch", Value::Int(1)).is_err());
        assert!(one("{epoch:.2d}", "epoch", Value::Int(1)).is_err());
    }

    #[test]
    fn floats_read_like_python_repr() {
        for (x, expected) in [
            (0.1, "0.1"),
            (1.0, "1.0"),
            (-0.0, "-0.0"),
            (123456.789, "123456.789"),
            (1e15, "1000000000000000.0"),
            (1e16, "1e+16"),
            (0.0001, "0.0001"),
            (1.5e-7, "1.5e-07"),
            (0.10000000149011612, "0.10000000149011612"),
            (9.99999901978299e-05, "9.99999901978299e-05"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(python_float(x), expected);
        }
        assert_eq!(python_fixed(0.79, 5), "0.79000");
        assert_eq!(python_fixed(f64::NAN, 5), "nan");
    }
}
