//! The invitation email, rendered as plain text and HTML. Pure, so it can be
//! tested for escaping without sending anything.

use askama::Template;
use chrono::{DateTime, Datelike, Utc};

use crate::domain::{Email, Invitation};
use crate::ports::OutgoingEmail;

mod messages;
use messages::{fill, plain, Segment};
pub use messages::{Messages, ALL as LANGUAGES};

/// How the emails present the product: its name, and optionally a logo (an
/// https URL) and an accent colour (`#rrggbb`), from configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Branding {
    pub product: String,
    pub logo_url: Option<String>,
    pub accent: String,
}

impl Default for Branding {
    fn default() -> Self {
        Self { product: "Team invitations".into(), logo_url: None, accent: "#2563eb".into() }
    }
}

#[derive(Template)]
#[template(path = "invitation.html")]
struct Html<'a> {
    lang: &'a str,
    subject: &'a str,
    product: &'a str,
    logo_url: Option<&'a str>,
    accent: &'a str,
    heading: Vec<Segment<'a>>,
    invited: Vec<Segment<'a>>,
    note_intro: Vec<Segment<'a>>,
    note: Option<&'a str>,
    button: &'a str,
    copy_link: &'a str,
    link: &'a str,
    expires: Vec<Segment<'a>>,
    why: Vec<Segment<'a>>,
}

#[derive(Template)]
#[template(path = "invitation.txt")]
struct Text<'a> {
    heading: &'a str,
    invited: &'a str,
    note_intro: &'a str,
    /// The note, each line quoted.
    note: Option<String>,
    button: &'a str,
    link: &'a str,
    expires: &'a str,
    why: &'a str,
}

/// The invitation email in the invitation's language: who invites whom, to
/// which team, as what, until when, and why the recipient got it; HTML and the
/// same as plain text.
pub fn invitation_email(
    invitation: &Invitation,
    inviter: &Email,
    link: &str,
    brand: &Branding,
) -> OutgoingEmail {
    compose(invitation, inviter, link, brand, Kind::Invitation)
}

/// The reminder before expiry: the invitation's email, with the current link,
/// under a subject and heading that say it expires soon.
pub fn reminder_email(
    invitation: &Invitation,
    inviter: &Email,
    link: &str,
    brand: &Branding,
) -> OutgoingEmail {
    compose(invitation, inviter, link, brand, Kind::Reminder)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Invitation,
    Reminder,
}

fn compose(
    invitation: &Invitation,
    inviter: &Email,
    link: &str,
    brand: &Branding,
    kind: Kind,
) -> OutgoingEmail {
    let m = messages::for_language(invitation.locale.language());
    let (subject, heading) = match kind {
        Kind::Invitation => (m.subject, m.heading),
        Kind::Reminder => (m.reminder_subject, m.reminder_heading),
    };
    let role = m
        .roles
        .iter()
        .find(|(r, _)| *r == invitation.role.as_str())
        .map_or(invitation.role.as_str(), |(_, d)| d);
    let date = in_words(m, invitation.expires_at);
    let utc = invitation.expires_at.format("%Y-%m-%d %H:%M UTC").to_string();
    let values = [
        ("inviter", inviter.as_str()),
        ("invitee", invitation.email.as_str()),
        ("team", invitation.team_name.as_str()),
        ("role", role),
        ("product", brand.product.as_str()),
        ("date", date.as_str()),
        ("utc", utc.as_str()),
    ];
    let (heading, invited, expires, why) =
        (fill(heading, &values), fill(m.invited, &values), fill(m.expires, &values), fill(m.why, &values));
    let subject = single_line(&plain(&fill(subject, &values)));
    let note_intro = fill(m.note, &values);
    let note = invitation.note.as_ref().map(|n| n.as_str());
    let text = Text {
        heading: &plain(&heading),
        invited: &plain(&invited),
        note_intro: &plain(&note_intro),
        note: note.map(|n| n.lines().map(|l| format!("> {l}")).collect::<Vec<_>>().join("\n")),
        button: m.button,
        link,
        expires: &plain(&expires),
        why: &plain(&why),
    }
    .render()
    .expect("the text template renders");
    let html = Html {
        lang: m.language,
        subject: &subject,
        product: &brand.product,
        logo_url: brand.logo_url.as_deref(),
        accent: &brand.accent,
        heading,
        invited,
        note_intro,
        note,
        button: m.button,
        copy_link: m.copy_link,
        link,
        expires,
        why,
    }
    .render()
    .expect("the HTML template renders");
    let tags = vec![
        (TAG_INVITATION, invitation.id.to_string()),
        (TAG_GENERATION, invitation.link_generation.to_string()),
    ];
    OutgoingEmail { to: invitation.email.clone(), subject, text, html, tags }
}

/// The message tags naming the invitation and its send (its link generation),
/// which SES's delivery reports carry back (`triggers::ses::feedback`).
pub const TAG_INVITATION: &str = "invitationId";
pub const TAG_GENERATION: &str = "linkGeneration";

/// `t` in words, as the language writes a date.
fn in_words(m: &Messages, t: DateTime<Utc>) -> String {
    let weekday = m.weekdays[t.weekday().num_days_from_monday() as usize];
    let month = m.months[t.month0() as usize];
    let (day, year, time) = (t.day().to_string(), t.year().to_string(), t.format("%H:%M").to_string());
    let values = [("weekday", weekday), ("day", &day), ("month", month), ("year", &year), ("time", &time)];
    plain(&fill(m.date, &values))
}

/// Subjects become a mail header: no line breaks, whatever the input.
fn single_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Locale, RoleName, Team, TeamId, TeamName, UserId};
    use chrono::TimeDelta;

    fn invitation(team_name: &str, locale: &str) -> Invitation {
        let now = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z").unwrap().with_timezone(&Utc);
        let team = Team {
            id: TeamId::parse("acme").unwrap(),
            name: TeamName::parse(team_name).unwrap(),
            created_at: now,
        };
        let mut inv = Invitation::new(
            &team,
            Email::parse("ada@example.com").unwrap(),
            RoleName::parse("administrator").unwrap(),
            UserId::parse("owner-1").unwrap(),
            now,
            TimeDelta::days(7),
        );
        inv.locale = Locale::parse(locale).unwrap();
        inv
    }

    fn grace() -> Email {
        Email::parse("grace@example.com").unwrap()
    }

    const LINK: &str = "https://app.example.com/invitations/x#token=t";

    #[test]
    fn the_email_says_who_invited_whom_to_what_until_when_and_why() {
        let mail = invitation_email(&invitation("Acme", "en"), &grace(), LINK, &Branding::default());
        assert_eq!(mail.to.as_str(), "ada@example.com");
        assert_eq!(mail.subject, "grace@example.com invited you to join Acme on Team invitations");
        for body in [&mail.text, &mail.html] {
            for part in [
                "grace@example.com",
                "ada@example.com",
                "Acme",
                "administrator",
                LINK,
                "Sunday 8 March 2026, 12:00 UTC",
                "2026-03-08 12:00 UTC",
                "You received this email because",
                "Accept or decline",
            ] {
                assert!(body.contains(part), "{part:?} missing from {body}");
            }
        }
        assert!(mail.html.contains(r#"<html lang="en">"#));
        assert!(mail.html.contains(&format!(r#"<a href="{LINK}""#)), "the button links to the invitation");
        assert!(!mail.html.contains("<script") && !mail.html.contains("fonts.googleapis"));
    }

    #[test]
    fn the_invitations_language_writes_the_email_and_others_fall_back_to_english() {
        let mail = invitation_email(&invitation("Acme", "de-CH"), &grace(), LINK, &Branding::default());
        assert_eq!(
            mail.subject,
            "grace@example.com hat Sie eingeladen, Acme auf Team invitations beizutreten"
        );
        for body in [&mail.text, &mail.html] {
            assert!(body.contains("Sonntag, 8. März 2026, 12:00 UTC"), "{body}");
            assert!(body.contains("Annehmen oder ablehnen"));
        }
        assert!(mail.text.contains("als Administrator beizutreten"), "the role in German: {}", mail.text);
        assert!(mail.html.contains("als <strong>Administrator</strong> beizutreten"), "{}", mail.html);
        assert!(mail.html.contains(r#"<html lang="de">"#));
        let french = invitation_email(&invitation("Acme", "fr"), &grace(), LINK, &Branding::default());
        assert!(french.subject.contains("invited you"), "{}", french.subject);
    }

    #[test]
    fn the_brand_comes_from_configuration() {
        let brand = Branding {
            product: "Acme Cloud".into(),
            logo_url: Some("https://cdn.example.com/logo.png".into()),
            accent: "#ff6600".into(),
        };
        let mail = invitation_email(&invitation("Acme", "en"), &grace(), LINK, &brand);
        assert!(mail.subject.ends_with("on Acme Cloud"));
        assert!(mail.html.contains(r#"<img src="https://cdn.example.com/logo.png" alt="Acme Cloud""#));
        assert!(mail.html.contains("background-color:#ff6600"));
    }

    #[test]
    fn team_names_and_addresses_cannot_inject_markup() {
        let inv = invitation("<script>alert('x')</script> & \"Co\"", "en");
        let mail =
            invitation_email(&inv, &grace(), "https://app.example.com/i?a=1&b=2", &Branding::default());
        assert!(!mail.html.contains("<script>"), "{}", mail.html);
        assert!(!mail.html.contains("\"Co\""), "quotes are escaped too");
        assert!(!mail.html.contains("?a=1&b=2"), "so is the link's ampersand");
        assert!(mail.text.contains("<script>alert('x')</script>"), "the text part is text");
    }

    #[test]
    fn the_inviters_note_is_quoted_and_escaped_and_absent_without_one() {
        let mut inv = invitation("Acme", "en");
        let plain = invitation_email(&inv, &grace(), LINK, &Branding::default());
        assert!(!plain.text.contains("added a note") && !plain.html.contains("<blockquote"));
        inv.note = crate::domain::Note::parse("Welcome <b>aboard</b>!\nSee you Monday.").unwrap();
        let mail = invitation_email(&inv, &grace(), LINK, &Branding::default());
        assert!(
            mail.text
                .contains("grace@example.com added a note:\n> Welcome <b>aboard</b>!\n> See you Monday.\n"),
            "{}",
            mail.text
        );
        assert!(
            mail.html.contains("Welcome &#60;b&#62;aboard&#60;/b&#62;!")
                || mail.html.contains("Welcome &lt;b&gt;aboard&lt;/b&gt;!"),
            "{}",
            mail.html
        );
        assert!(!mail.html.contains("<b>aboard"), "markup in a note is text");
        inv.locale = crate::domain::Locale::parse("de").unwrap();
        let german = invitation_email(&inv, &grace(), LINK, &Branding::default());
        assert!(german.text.contains("grace@example.com schreibt dazu:"), "{}", german.text);
    }

    #[test]
    fn a_reminder_is_the_invitation_under_a_subject_that_says_it_expires_soon() {
        let inv = invitation("Acme", "en");
        let mail = reminder_email(&inv, &grace(), LINK, &Branding::default());
        assert_eq!(mail.subject, "Reminder: grace@example.com invited you to join Acme on Team invitations");
        assert!(mail.text.starts_with("Your invitation to Acme expires soon\n"), "{}", mail.text);
        for body in [&mail.text, &mail.html] {
            for part in ["expires soon", LINK, "Sunday 8 March 2026, 12:00 UTC"] {
                assert!(body.contains(part), "{part:?} missing from {body}");
            }
        }
        assert_eq!(
            mail.tags,
            invitation_email(&inv, &grace(), LINK, &Branding::default()).tags,
            "SES reports name the invitation's send"
        );
        let german = reminder_email(&invitation("Acme", "de"), &grace(), LINK, &Branding::default());
        assert!(german.subject.starts_with("Erinnerung: "), "{}", german.subject);
        assert!(german.text.contains("Ihre Einladung zu Acme läuft bald ab"), "{}", german.text);
    }

    #[test]
    fn subjects_stay_on_one_line() {
        assert_eq!(single_line("a\r\nBcc: evil@example.com"), "a  Bcc: evil@example.com");
    }
}
