//! The invitation email, rendered as plain text and HTML. Pure, so it can be
//! tested for escaping without sending anything.

use chrono::{DateTime, Utc};

use crate::domain::{Email, Invitation};
use crate::ports::OutgoingEmail;

pub fn invitation_email(invitation: &Invitation, inviter: &Email, link: &str) -> OutgoingEmail {
    let team = invitation.team_name.as_str();
    let role = invitation.role.as_str();
    let expires = human_date(invitation.expires_at);
    let subject = single_line(&format!("{inviter} invited you to join {team}"));
    let text = format!(
        "Hello,\n\n\
         {inviter} invited you ({invitee}) to join the team \"{team}\" as {role}.\n\n\
         To accept or decline, open this link:\n{link}\n\n\
         The invitation expires on {expires}. If you were not expecting it, you can ignore this email.\n",
        invitee = invitation.email,
    );
    let html = format!(
        "<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif;line-height:1.5\">\
         <p>Hello,</p>\
         <p><strong>{inviter}</strong> invited you ({invitee}) to join the team \
         <strong>{team}</strong> as <strong>{role}</strong>.</p>\
         <p><a href=\"{link}\">Accept or decline the invitation</a></p>\
         <p>Or copy this link into your browser:<br>{link}</p>\
         <p>The invitation expires on {expires}. If you were not expecting it, you can ignore this email.</p>\
         </body></html>\n",
        inviter = escape_html(inviter.as_str()),
        invitee = escape_html(invitation.email.as_str()),
        team = escape_html(team),
        role = escape_html(role),
        link = escape_html(link),
        expires = escape_html(&expires),
    );
    OutgoingEmail { to: invitation.email.clone(), subject, text, html }
}

fn human_date(t: DateTime<Utc>) -> String {
    t.format("%A %-d %B %Y, %H:%M UTC").to_string()
}

/// Subjects become a mail header: no line breaks, whatever the input.
fn single_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{RoleName, Team, TeamId, TeamName, UserId};
    use chrono::TimeDelta;

    fn invitation(team_name: &str) -> Invitation {
        let now = DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z").unwrap().with_timezone(&Utc);
        let team = Team {
            id: TeamId::parse("acme").unwrap(),
            name: TeamName::parse(team_name).unwrap(),
            created_at: now,
        };
        Invitation::new(
            &team,
            Email::parse("ada@example.com").unwrap(),
            RoleName::parse("administrator").unwrap(),
            UserId::parse("owner-1").unwrap(),
            now,
            TimeDelta::days(7),
        )
    }

    #[test]
    fn the_email_says_who_invited_whom_to_what_until_when() {
        let inv = invitation("Acme");
        let inviter = Email::parse("grace@example.com").unwrap();
        let mail = invitation_email(&inv, &inviter, "https://app.example.com/invitations/x?token=t");
        assert_eq!(mail.to.as_str(), "ada@example.com");
        assert_eq!(mail.subject, "grace@example.com invited you to join Acme");
        for body in [&mail.text, &mail.html] {
            assert!(body.contains("grace@example.com"));
            assert!(body.contains("ada@example.com"));
            assert!(body.contains("Acme"));
            assert!(body.contains("administrator"));
            assert!(body.contains("https://app.example.com/invitations/x?token=t"));
            assert!(body.contains("Sunday 8 March 2026, 12:00 UTC"), "{body}");
        }
    }

    #[test]
    fn team_names_cannot_inject_html() {
        let inv = invitation("<script>alert('x')</script> & \"Co\"");
        let inviter = Email::parse("grace@example.com").unwrap();
        let mail = invitation_email(&inv, &inviter, "https://app.example.com/i?a=1&b=2");
        assert!(!mail.html.contains("<script>"));
        assert!(mail.html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;Co&quot;"));
        assert!(mail.html.contains("href=\"https://app.example.com/i?a=1&amp;b=2\""));
    }

    #[test]
    fn subjects_stay_on_one_line() {
        assert_eq!(single_line("a\r\nBcc: evil@example.com"), "a  Bcc: evil@example.com");
    }
}
