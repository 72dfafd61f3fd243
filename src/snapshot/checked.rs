//! Deserializers that validate a scalar *inside* serde's visitor.
//!
//! serde_yaml gives an error the line and column of the scalar being visited only when
//! the error is raised while visiting it; an error raised after `T::deserialize` returns
//! is placed at the enclosing mapping instead. Every checked scalar (a bounded number, a
//! vocabulary word, a date, a stakeholder reference) therefore validates here.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};

/// Deserializes a string and checks it with `check`.
pub fn text<'de, D, T>(
    deserializer: D,
    expecting: &'static str,
    check: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct TextVisitor<F, T>(F, &'static str, PhantomData<T>);
    impl<'de, F: FnOnce(&str) -> Result<T, String>, T> Visitor<'de> for TextVisitor<F, T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.1)
        }
        fn visit_str<E: de::Error>(self, value: &str) -> Result<T, E> {
            (self.0)(value).map_err(E::custom)
        }
    }
    deserializer.deserialize_str(TextVisitor(check, expecting, PhantomData))
}

/// Deserializes a whole number and checks it with `check`.
pub fn integer<'de, D, T>(
    deserializer: D,
    expecting: &'static str,
    check: impl FnOnce(i64) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct IntegerVisitor<F, T>(F, &'static str, PhantomData<T>);
    impl<'de, F: FnOnce(i64) -> Result<T, String>, T> Visitor<'de> for IntegerVisitor<F, T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.1)
        }
        fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
            (self.0)(value).map_err(E::custom)
        }
        fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
            let value =
                i64::try_from(value).map_err(|_| E::custom(format!("{value} is too large")))?;
            (self.0)(value).map_err(E::custom)
        }
    }
    deserializer.deserialize_i64(IntegerVisitor(check, expecting, PhantomData))
}

/// Deserializes a number (whole or not) and checks it with `check`.
pub fn number<'de, D, T>(
    deserializer: D,
    expecting: &'static str,
    check: impl FnOnce(f64) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct NumberVisitor<F, T>(F, &'static str, PhantomData<T>);
    impl<'de, F: FnOnce(f64) -> Result<T, String>, T> Visitor<'de> for NumberVisitor<F, T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str(self.1)
        }
        fn visit_f64<E: de::Error>(self, value: f64) -> Result<T, E> {
            if !value.is_finite() {
                return Err(E::custom(format!("{value} is not a usable number")));
            }
            (self.0)(value).map_err(E::custom)
        }
        fn visit_i64<E: de::Error>(self, value: i64) -> Result<T, E> {
            (self.0)(value as f64).map_err(E::custom)
        }
        fn visit_u64<E: de::Error>(self, value: u64) -> Result<T, E> {
            (self.0)(value as f64).map_err(E::custom)
        }
    }
    deserializer.deserialize_f64(NumberVisitor(check, expecting, PhantomData))
}

/// Deserializes `true`/`false` and checks it with `check`.
pub fn boolean<'de, D, T>(
    deserializer: D,
    check: impl FnOnce(bool) -> Result<T, String>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    struct BoolVisitor<F, T>(F, PhantomData<T>);
    impl<'de, F: FnOnce(bool) -> Result<T, String>, T> Visitor<'de> for BoolVisitor<F, T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("true or false")
        }
        fn visit_bool<E: de::Error>(self, value: bool) -> Result<T, E> {
            (self.0)(value).map_err(E::custom)
        }
    }
    deserializer.deserialize_bool(BoolVisitor(check, PhantomData))
}
