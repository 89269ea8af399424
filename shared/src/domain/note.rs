//! What an inviter may add to one invitation: a short personal note, and how
//! many days it stays open.

use chrono::TimeDelta;

/// A personal note from the inviter: plain text, shown in the email (escaped)
/// and on the invitation page. Trimmed; at most `Note::MAX_CHARS` characters;
/// line breaks kept (as `\n`), no other control character.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidNote {
    #[error("note must be at most {} characters", Note::MAX_CHARS)]
    TooLong,
    #[error("note must be plain text: no control characters but line breaks")]
    ControlCharacter,
}

impl Note {
    pub const MAX_CHARS: usize = 500;

    /// The note, or None when there is nothing but whitespace.
    pub fn parse(raw: &str) -> Result<Option<Self>, InvalidNote> {
        let text = raw.replace("\r\n", "\n");
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        if text.chars().count() > Self::MAX_CHARS {
            return Err(InvalidNote::TooLong);
        }
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(InvalidNote::ControlCharacter);
        }
        Ok(Some(Self(text.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How many days an invitation stays open, where its inviter chose (else the
/// deployment's validity applies); a resend renews it for as long again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValidDays(u8);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("expiresInDays must be from 1 to {}", ValidDays::MAX)]
pub struct InvalidValidDays;

impl ValidDays {
    pub const MAX: i64 = 30;

    pub fn parse(days: i64) -> Result<Self, InvalidValidDays> {
        match days {
            1..=Self::MAX => Ok(Self(days as u8)),
            _ => Err(InvalidValidDays),
        }
    }

    pub fn days(self) -> u8 {
        self.0
    }

    pub fn duration(self) -> TimeDelta {
        TimeDelta::days(self.0.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_note_is_trimmed_plain_text_of_bounded_length() {
        assert_eq!(
            Note::parse("  Welcome aboard!\r\nSee you Monday. ").unwrap().unwrap().as_str(),
            "Welcome aboard!\nSee you Monday."
        );
        assert_eq!(Note::parse(" \n\t "), Ok(None), "nothing to say: no note");
        assert!(Note::parse(&"é".repeat(Note::MAX_CHARS)).unwrap().is_some(), "characters, not bytes");
        assert_eq!(Note::parse(&"a".repeat(Note::MAX_CHARS + 1)), Err(InvalidNote::TooLong));
        assert_eq!(Note::parse("a\u{7}b"), Err(InvalidNote::ControlCharacter));
        assert_eq!(Note::parse("tab\there"), Err(InvalidNote::ControlCharacter));
        assert_eq!(
            Note::parse("<b>bold</b> & co").unwrap().unwrap().as_str(),
            "<b>bold</b> & co",
            "kept as typed; escaped where shown"
        );
    }

    #[test]
    fn an_invitation_lasts_one_to_thirty_days() {
        assert_eq!(ValidDays::parse(1).map(ValidDays::duration), Ok(TimeDelta::days(1)));
        assert_eq!(ValidDays::parse(30).map(ValidDays::days), Ok(30));
        for bad in [0, 31, -1, i64::MAX] {
            assert_eq!(ValidDays::parse(bad), Err(InvalidValidDays), "{bad}");
        }
    }
}
