//! The detector of the built-in playbooks, compiled once at build time.
//!
//! Compiling the phrase data and training the classifier costs more than everything
//! else `next` does at start-up, and for the built-in playbooks its result is known
//! before the program runs. build.rs includes this module (with the rest of `detect`),
//! compiles the built-in `detection:` sections and writes the phrase data and the
//! compiled [`Detector`] as bytes ([`prepare`]); the program embeds them. At start,
//! [`DetectionConfig::compile`] writes the phrase data it was given the same way: when
//! the bytes are the built-in ones it reads the prepared detector instead of compiling
//! (a few hundred microseconds); any other phrase data — a trainer's folder, a built-in
//! file changed — is compiled as before. The bytes are exact (floats by their bits), so
//! the prepared detector is the compiled one, field for field (tested).
//!
//! The format is private to one build: length-prefixed little-endian fields in
//! declaration order, written and read by [`Blob`]. Bytes that do not read back are
//! ignored, and the phrase data compiled.

use indexmap::IndexMap;

use super::{DetectionConfig, Detector};

/// A value written as bytes and read back.
pub(super) trait Blob: Sized {
    fn put(&self, out: &mut Vec<u8>);
    fn take(input: &mut &[u8]) -> Option<Self>;

    /// `length` values one after the other (numbers override it to read them in bulk).
    fn take_many(input: &mut &[u8], length: usize) -> Option<Vec<Self>> {
        // every value takes at least one byte: a corrupt length cannot reserve memory
        if length > input.len() {
            return None;
        }
        let mut items = Vec::with_capacity(length);
        for _ in 0..length {
            items.push(Self::take(input)?);
        }
        Some(items)
    }
}

/// The phrase data (as [`DetectionConfig::compile`] sees it) followed by its compiled
/// detector: what build.rs embeds.
pub fn prepare(config: &DetectionConfig) -> Vec<u8> {
    let mut out = Vec::new();
    let mut phrases = Vec::new();
    config.put(&mut phrases);
    phrases.put(&mut out);
    config.compile_here().put(&mut out);
    out
}

/// The prepared detector of `prepared` if it was prepared from exactly `config`.
pub(super) fn read(prepared: &[u8], config: &DetectionConfig) -> Option<Detector> {
    let mut input = prepared;
    let length = usize::take(&mut input)?;
    let phrases = input.get(..length)?;
    let mut mine = Vec::with_capacity(length);
    config.put(&mut mine);
    if mine != phrases {
        return None;
    }
    input = &input[length..];
    let detector = Detector::take(&mut input)?;
    input.is_empty().then_some(detector)
}

/// `impl Blob` for a struct: its fields in order.
macro_rules! blob_struct {
    ($name:ident { $($field:ident),* $(,)? }) => {
        impl $crate::detect::prepared::Blob for $name {
            fn put(&self, out: &mut Vec<u8>) {
                $( self.$field.put(out); )*
            }
            fn take(input: &mut &[u8]) -> Option<Self> {
                Some($name { $( $field: $crate::detect::prepared::Blob::take(input)?, )* })
            }
        }
    };
}
pub(super) use blob_struct;

fn bytes<const N: usize>(input: &mut &[u8]) -> Option<[u8; N]> {
    let (head, rest) = input.split_first_chunk::<N>()?;
    *input = rest;
    Some(*head)
}

macro_rules! blob_number {
    ($($number:ty),*) => {$(
        impl Blob for $number {
            fn put(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn take(input: &mut &[u8]) -> Option<Self> {
                bytes(input).map(<$number>::from_le_bytes)
            }
            fn take_many(input: &mut &[u8], length: usize) -> Option<Vec<Self>> {
                const SIZE: usize = std::mem::size_of::<$number>();
                let all = input.get(..length.checked_mul(SIZE)?)?;
                *input = &input[all.len()..];
                let (numbers, _) = all.as_chunks::<SIZE>();
                Some(numbers.iter().map(|&number| <$number>::from_le_bytes(number)).collect())
            }
        }
    )*};
}
blob_number!(u8, u16, u32, u64, f64);

impl Blob for usize {
    fn put(&self, out: &mut Vec<u8>) {
        (*self as u64).put(out);
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        usize::try_from(u64::take(input)?).ok()
    }
}

impl Blob for bool {
    fn put(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        match u8::take(input)? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl Blob for char {
    fn put(&self, out: &mut Vec<u8>) {
        u32::from(*self).put(out);
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        char::from_u32(u32::take(input)?)
    }
}

impl Blob for String {
    fn put(&self, out: &mut Vec<u8>) {
        self.len().put(out);
        out.extend_from_slice(self.as_bytes());
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        let length = usize::take(input)?;
        let text = input.get(..length)?;
        *input = &input[length..];
        String::from_utf8(text.to_vec()).ok()
    }
}

impl Blob for Box<str> {
    fn put(&self, out: &mut Vec<u8>) {
        self.len().put(out);
        out.extend_from_slice(self.as_bytes());
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        String::take(input).map(String::into_boxed_str)
    }
}

impl<T: Blob> Blob for Vec<T> {
    fn put(&self, out: &mut Vec<u8>) {
        self.len().put(out);
        for item in self {
            item.put(out);
        }
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        let length = usize::take(input)?;
        T::take_many(input, length)
    }
}

impl<T: Blob> Blob for Box<[T]> {
    fn put(&self, out: &mut Vec<u8>) {
        self.len().put(out);
        for item in self.iter() {
            item.put(out);
        }
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        Vec::take(input).map(Vec::into_boxed_slice)
    }
}

impl<T: Blob> Blob for Option<T> {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            None => false.put(out),
            Some(value) => {
                true.put(out);
                value.put(out);
            }
        }
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        if bool::take(input)? {
            T::take(input).map(Some)
        } else {
            Some(None)
        }
    }
}

impl<A: Blob, B: Blob> Blob for (A, B) {
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        Some((A::take(input)?, B::take(input)?))
    }
}

impl<A: Blob, B: Blob, C: Blob> Blob for (A, B, C) {
    fn put(&self, out: &mut Vec<u8>) {
        self.0.put(out);
        self.1.put(out);
        self.2.put(out);
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        Some((A::take(input)?, B::take(input)?, C::take(input)?))
    }
}

impl<V: Blob> Blob for IndexMap<String, V> {
    fn put(&self, out: &mut Vec<u8>) {
        self.len().put(out);
        for (key, value) in self {
            key.put(out);
            value.put(out);
        }
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        let length = usize::take(input)?;
        if length > input.len() {
            return None;
        }
        let mut map = IndexMap::with_capacity(length);
        for _ in 0..length {
            let key = String::take(input)?;
            map.insert(key, V::take(input)?);
        }
        Some(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::playbook::{Playbook, PlaybookFiles, BUILTIN_DETECTOR};

    /// The built-in phrase data, as the built-in playbook files hold it.
    fn built_in() -> DetectionConfig {
        let files = PlaybookFiles::builtin();
        DetectionConfig::from_playbook_files(
            files
                .playbook_yaml()
                .map(|file| (file.path.as_str(), file.text.as_str())),
        )
        .expect("the built-in detection sections read")
    }

    /// What build.rs prepared is what compiling at start gives, field for field.
    #[test]
    fn the_prepared_detector_is_the_compiled_one() {
        let config = built_in();
        let prepared = read(BUILTIN_DETECTOR, &config).expect("the built-in data is prepared");
        let compiled = config.compile_here();
        assert!(
            format!("{prepared:?}") == format!("{compiled:?}"),
            "the prepared detector differs from the compiled one"
        );
        // and it finds what the compiled one finds
        let note = "周行长的秘书说行长对外部厂商不太放心，想先看同业案例。Ms. Lin agreed to set up a technical exchange.";
        let names = ["周行长", "Ms. Lin"];
        assert!(!compiled.detect_names(note, &names).is_empty());
        assert_eq!(
            prepared.detect_names(note, &names),
            compiled.detect_names(note, &names)
        );
    }

    /// Loading the built-in playbooks takes the prepared detector.
    #[test]
    fn loading_the_built_in_playbooks_reads_the_prepared_detector() {
        let playbook = Playbook::load(PlaybookFiles::builtin()).expect("built-in playbooks");
        let config = built_in();
        let prepared = read(BUILTIN_DETECTOR, &config).expect("the built-in data is prepared");
        assert!(
            format!("{:?}", playbook.detector) == format!("{prepared:?}"),
            "loading compiled the built-in phrase data instead of reading it"
        );
    }

    /// Other phrase data (a trainer's pattern more) is compiled, not read.
    #[test]
    fn other_phrase_data_is_compiled() {
        let mut config = built_in();
        config
            .concepts
            .get_mut("objection.no_budget")
            .expect("no_budget has patterns")
            .en
            .push("zqxw".to_owned());
        assert!(read(BUILTIN_DETECTOR, &config).is_none());
        let compiled = config.compile();
        assert!(
            format!("{compiled:?}") == format!("{:?}", config.compile_here()),
            "other phrase data is compiled"
        );
        let note = "Ms. Lin said zqxw.";
        let found = compiled.detect_names(note, &["Ms. Lin"]);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].concept, "objection.no_budget");
        assert_eq!(built_in().compile().detect_names(note, &["Ms. Lin"]), []);
    }

    /// Bytes that do not read back are ignored, never trusted.
    #[test]
    fn broken_bytes_are_ignored() {
        let config = built_in();
        assert!(read(&[], &config).is_none());
        assert!(read(&BUILTIN_DETECTOR[..BUILTIN_DETECTOR.len() - 1], &config).is_none());
        let mut longer = BUILTIN_DETECTOR.to_vec();
        longer.push(0);
        assert!(read(&longer, &config).is_none());
        let mut huge_length = BUILTIN_DETECTOR.to_vec();
        huge_length[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(read(&huge_length, &config).is_none());
    }
}
