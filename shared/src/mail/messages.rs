//! What the invitation email says, in each language it speaks. A message is a
//! sentence with named `{placeholders}`, so a translation may order them as its
//! language needs; the templates (`shared/templates/invitation.*`) lay them out
//! and escape every value. Adding a language is one more `Messages`; the compiler
//! holds it to every message, and a test to the same placeholders.

pub struct Messages {
    /// The language subtag it speaks; also the HTML's `lang`.
    pub language: &'static str,
    pub subject: &'static str,
    pub heading: &'static str,
    /// The reminder before expiry's subject and heading; the rest is the
    /// invitation's own.
    pub reminder_subject: &'static str,
    pub reminder_heading: &'static str,
    pub invited: &'static str,
    pub button: &'static str,
    pub copy_link: &'static str,
    pub expires: &'static str,
    /// Introduces the inviter's personal note, when there is one.
    pub note: &'static str,
    pub why: &'static str,
    /// `{weekday}`, `{day}`, `{month}`, `{year}`, `{time}`: the expiry in words.
    pub date: &'static str,
    pub weekdays: [&'static str; 7],
    pub months: [&'static str; 12],
    /// Display names of the built-in roles; another role shows its name.
    pub roles: [(&'static str, &'static str); 3],
}

pub const EN: Messages = Messages {
    language: "en",
    subject: "{inviter} invited you to join {team} on {product}",
    heading: "Join {team} on {product}",
    reminder_subject: "Reminder: {inviter} invited you to join {team} on {product}",
    reminder_heading: "Your invitation to {team} expires soon",
    invited: "{inviter} invited you ({invitee}) to join the team {team} as {role}.",
    button: "Accept or decline",
    copy_link: "Or copy this link into your browser:",
    expires: "The invitation expires on {date} ({utc}).",
    note: "{inviter} added a note:",
    why: "You received this email because {inviter} invited {invitee} to a team on {product}. \
          If you were not expecting it, you can ignore it: nothing happens unless you accept.",
    date: "{weekday} {day} {month} {year}, {time} UTC",
    weekdays: ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    months: [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    roles: [("owner", "owner"), ("administrator", "administrator"), ("member", "member")],
};

pub const DE: Messages = Messages {
    language: "de",
    subject: "{inviter} hat Sie eingeladen, {team} auf {product} beizutreten",
    heading: "Treten Sie {team} auf {product} bei",
    reminder_subject: "Erinnerung: {inviter} hat Sie eingeladen, {team} auf {product} beizutreten",
    reminder_heading: "Ihre Einladung zu {team} läuft bald ab",
    invited: "{inviter} hat Sie ({invitee}) eingeladen, dem Team {team} als {role} beizutreten.",
    button: "Annehmen oder ablehnen",
    copy_link: "Oder kopieren Sie diesen Link in Ihren Browser:",
    expires: "Die Einladung läuft am {date} ab ({utc}).",
    note: "{inviter} schreibt dazu:",
    why: "Sie erhalten diese E-Mail, weil {inviter} {invitee} in ein Team auf {product} eingeladen hat. \
          Wenn Sie sie nicht erwartet haben, können Sie sie ignorieren: Ohne Ihre Zustimmung geschieht nichts.",
    date: "{weekday}, {day}. {month} {year}, {time} UTC",
    weekdays: ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"],
    months: [
        "Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
        "November", "Dezember",
    ],
    roles: [("owner", "Inhaber"), ("administrator", "Administrator"), ("member", "Mitglied")],
};

/// Every language the email speaks.
pub const ALL: [&Messages; 2] = [&EN, &DE];

/// The messages for a language subtag; English for any other.
pub fn for_language(language: &str) -> &'static Messages {
    ALL.into_iter().find(|m| m.language == language).unwrap_or(&EN)
}

/// One piece of a message: its own words, or a value put in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment<'a> {
    Text(&'a str),
    Value(&'a str),
}

/// `message` with each `{name}` replaced by its value from `values`, as segments
/// for a template to escape and style. A name without a value is a bug in a
/// translation, which the tests catch for every message of every language.
pub fn fill<'a>(message: &'a str, values: &[(&str, &'a str)]) -> Vec<Segment<'a>> {
    let mut out = Vec::new();
    let mut rest = message;
    while let Some(open) = rest.find('{') {
        let close = open + rest[open..].find('}').expect("a placeholder is closed");
        if open > 0 {
            out.push(Segment::Text(&rest[..open]));
        }
        let name = &rest[open + 1..close];
        let value = values.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
        out.push(Segment::Value(value.unwrap_or_else(|| panic!("no value for {{{name}}}"))));
        rest = &rest[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Segment::Text(rest));
    }
    out
}

/// The message as plain text.
pub fn plain(segments: &[Segment<'_>]) -> String {
    segments
        .iter()
        .map(|s| match s {
            Segment::Text(t) | Segment::Value(t) => *t,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn placeholders(message: &str) -> BTreeSet<&str> {
        message.split('{').skip(1).map(|p| p.split('}').next().unwrap()).collect()
    }

    fn messages(m: &Messages) -> [(&'static str, &'static str); 10] {
        [
            ("subject", m.subject),
            ("heading", m.heading),
            ("reminder_subject", m.reminder_subject),
            ("reminder_heading", m.reminder_heading),
            ("invited", m.invited),
            ("button", m.button),
            ("copy_link", m.copy_link),
            ("expires", m.expires),
            ("why", m.why),
            ("date", m.date),
        ]
    }

    #[test]
    fn every_message_exists_in_every_language_with_the_same_placeholders() {
        for m in ALL {
            for ((name, en), (_, translated)) in messages(&EN).into_iter().zip(messages(m)) {
                assert!(!translated.trim().is_empty(), "{}: {name} is empty", m.language);
                assert_eq!(placeholders(translated), placeholders(en), "{}: {name}", m.language);
            }
            let roles: Vec<&str> = m.roles.iter().map(|(r, _)| *r).collect();
            assert_eq!(roles, ["owner", "administrator", "member"], "{}", m.language);
            assert!(m.weekdays.iter().chain(&m.months).all(|w| !w.is_empty()));
        }
        assert_ne!(DE.invited, EN.invited, "German is German");
    }

    #[test]
    fn values_fill_their_placeholders_in_the_translations_order() {
        let segments = fill("{a} and {b}.", &[("b", "B"), ("a", "A")]);
        assert_eq!(
            segments,
            [Segment::Value("A"), Segment::Text(" and "), Segment::Value("B"), Segment::Text(".")]
        );
        assert_eq!(plain(&segments), "A and B.");
        assert_eq!(for_language("de").language, "de");
        assert_eq!(for_language("fr").language, "en", "English for languages it does not speak");
    }
}
