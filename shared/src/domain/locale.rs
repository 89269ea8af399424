//! The language an invitation's email and page are written in.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("locale must be a BCP 47 language tag such as en, de or pt-BR")]
pub struct InvalidLocale;

/// A BCP 47 language tag (`en`, `de-CH`, `pt-BR`), in its conventional case:
/// the language lowercase, a script titlecase, a two-letter region uppercase. Only its syntax is
/// checked: which languages the email speaks is the mail module's business,
/// and it falls back to English for the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Locale(String);

impl Locale {
    pub const DEFAULT: &'static str = "en";

    pub fn parse(raw: &str) -> Result<Self, InvalidLocale> {
        let mut parts = raw.split(['-', '_']);
        let language =
            parts.next().filter(|l| (2..=3).contains(&l.len()) && l.bytes().all(|b| b.is_ascii_alphabetic()));
        let language = language.ok_or(InvalidLocale)?.to_ascii_lowercase();
        let mut tag = language;
        for part in parts {
            if !(1..=8).contains(&part.len()) || !part.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(InvalidLocale);
            }
            tag.push('-');
            let alphabetic = part.bytes().all(|b| b.is_ascii_alphabetic());
            match part.len() {
                2 if alphabetic => tag.push_str(&part.to_ascii_uppercase()),
                // A script: titlecase (zh-Hant).
                4 if alphabetic => {
                    tag.push_str(&part[..1].to_ascii_uppercase());
                    tag.push_str(&part[1..].to_ascii_lowercase());
                }
                _ => tag.push_str(&part.to_ascii_lowercase()),
            }
        }
        (tag.len() <= 35).then_some(Self(tag)).ok_or(InvalidLocale)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The primary language subtag: `de` for `de-CH`.
    pub fn language(&self) -> &str {
        self.0.split('-').next().unwrap_or(&self.0)
    }
}

impl Default for Locale {
    fn default() -> Self {
        Self(Self::DEFAULT.to_owned())
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for Locale {
    type Err = InvalidLocale;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_parsed_into_their_conventional_case() {
        for (raw, tag, language) in [
            ("en", "en", "en"),
            ("DE-ch", "de-CH", "de"),
            ("pt_br", "pt-BR", "pt"),
            ("zh-hant-tw", "zh-Hant-TW", "zh"),
        ] {
            let l = Locale::parse(raw).unwrap();
            assert_eq!((l.as_str(), l.language()), (tag, language), "{raw}");
        }
        for bad in ["", "e", "english", "en-", "en--US", "de-CH!", "1a", "en-abcdefghi", &"en-x".repeat(20)] {
            assert_eq!(Locale::parse(bad), Err(InvalidLocale), "{bad:?}");
        }
        assert_eq!(Locale::default().as_str(), "en");
    }
}
