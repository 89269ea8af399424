//! Invitation link tokens.
//!
//! The token is HMAC-SHA256(secret, invitation id and link generation). That
//! makes it unguessable (256 bits), means nothing secret is stored in DynamoDB (a
//! table dump reveals no working link), and lets managers copy the link again at
//! any time: it is recomputed, not looked up.
//!
//! The generation starts at 0 and a resend raises it, so the new link differs
//! and the old one stops working: the invitation stores only the number, and a
//! link is valid only for the generation the invitation holds. A token names its
//! generation (`{mac}` for 0, `{mac}.{n}` after), so it is checked, and its
//! generation known, without reading the invitation (which a new instance reads
//! meanwhile, while it reads the keys).
//!
//! The secret rotates (Secrets Manager's AWSCURRENT and AWSPREVIOUS versions):
//! links are signed with the current key and accepted under either, so a
//! rotation does not cut off the links already sent.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

use super::{InvitationId, InviteLinkId};

type HmacSha256 = Hmac<Sha256>;

/// Domain separation: the same secret can never sign something else that would
/// then pass as a link token.
const CONTEXT: &[u8] = b"invitation-link/v1:";
/// An invite link's token (`domain::invite_link`): never an invitation's.
const INVITE_LINK_CONTEXT: &[u8] = b"invite-link/v1:";

/// The minimum secret length; 32 bytes of a random secret keeps the full strength
/// of HMAC-SHA256.
pub const MIN_SECRET_LEN: usize = 32;

#[derive(Clone)]
pub struct LinkSigner {
    key: Vec<u8>,
}

impl fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkSigner(<redacted>)")
    }
}

/// A link token as sent in URLs (base64url, no padding, 43 characters).
#[derive(Clone, PartialEq, Eq)]
pub struct LinkToken(String);

impl LinkToken {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for LinkToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LinkToken(<redacted>)")
    }
}

impl LinkSigner {
    /// `None` when the secret is too short to be trusted.
    pub fn new(secret: &[u8]) -> Option<Self> {
        (secret.len() >= MIN_SECRET_LEN).then(|| Self { key: secret.to_vec() })
    }

    fn mac(&self, id: InvitationId, generation: u32) -> HmacSha256 {
        let mut mac = self.keyed(CONTEXT);
        // Ids have one length, so "id" and "id/n" can never be the same message.
        mac.update(id.to_string().as_bytes());
        if generation > 0 {
            mac.update(format!("/{generation}").as_bytes());
        }
        mac
    }

    fn keyed(&self, context: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(context);
        mac
    }

    fn link_mac(&self, id: InviteLinkId) -> HmacSha256 {
        let mut mac = self.keyed(INVITE_LINK_CONTEXT);
        mac.update(id.to_string().as_bytes());
        mac
    }

    /// An invite link's token: shown once, to its creator; recomputed to
    /// check a join, never stored.
    pub fn sign_invite_link(&self, id: InviteLinkId) -> LinkToken {
        LinkToken(URL_SAFE_NO_PAD.encode(self.link_mac(id).finalize().into_bytes()))
    }

    /// Constant-time check of a token presented for invite link `id`.
    pub fn verify_invite_link(&self, id: InviteLinkId, presented: &str) -> bool {
        presented.len() == 43
            && URL_SAFE_NO_PAD
                .decode(presented)
                .is_ok_and(|bytes| self.link_mac(id).verify_slice(&bytes).is_ok())
    }

    pub fn sign(&self, id: InvitationId, generation: u32) -> LinkToken {
        let mac = URL_SAFE_NO_PAD.encode(self.mac(id, generation).finalize().into_bytes());
        LinkToken(match generation {
            0 => mac,
            n => format!("{mac}.{n}"),
        })
    }

    /// Constant-time check of a token presented for `id`: the generation it was
    /// signed for, if it is genuine.
    pub fn verify(&self, id: InvitationId, presented: &str) -> Option<u32> {
        let (mac, generation) = split(presented)?;
        let bytes = URL_SAFE_NO_PAD.decode(mac).ok()?;
        self.mac(id, generation).verify_slice(&bytes).is_ok().then_some(generation)
    }
}

/// A token's MAC and the generation it names, when it has the one shape `sign`
/// produces (43 characters, then `.n` for n > 0 written without leading zeros);
/// refusing anything else early reveals only what the format already does.
fn split(presented: &str) -> Option<(&str, u32)> {
    let (mac, generation) = match presented.split_once('.') {
        None => (presented, 0),
        Some((mac, n)) => {
            let generation: u32 = n.parse().ok()?;
            (generation > 0 && generation.to_string() == n).then_some((mac, generation))?
        }
    };
    (mac.len() == 43).then_some((mac, generation))
}

/// The keys of the link secret: the current one signs, and during a rotation
/// the previous one still verifies.
#[derive(Clone, Debug)]
pub struct LinkKeys {
    current: LinkSigner,
    previous: Option<LinkSigner>,
}

impl LinkKeys {
    pub fn new(current: LinkSigner, previous: Option<LinkSigner>) -> Self {
        Self { current, previous }
    }

    pub fn sign(&self, id: InvitationId, generation: u32) -> LinkToken {
        self.current.sign(id, generation)
    }

    pub fn sign_invite_link(&self, id: InviteLinkId) -> LinkToken {
        self.current.sign_invite_link(id)
    }

    /// Whether a token for invite link `id` was signed under the current or
    /// the previous key (both checked, as for invitations).
    pub fn verify_invite_link(&self, id: InviteLinkId, presented: &str) -> bool {
        let current = self.current.verify_invite_link(id, presented);
        let previous = self.previous.as_ref().is_some_and(|p| p.verify_invite_link(id, presented));
        current | previous
    }

    /// The generation of a token signed under the current or the previous key.
    pub fn verify(&self, id: InvitationId, presented: &str) -> Option<u32> {
        // Both are checked, whichever matches, so timing tells nothing of which.
        let current = self.current.verify(id, presented);
        let previous = self.previous.as_ref().and_then(|p| p.verify(id, presented));
        current.or(previous)
    }
}

impl From<LinkSigner> for LinkKeys {
    fn from(current: LinkSigner) -> Self {
        Self::new(current, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn after_a_rotation_old_links_still_open_new_ones_are_signed_with_the_new_key() {
        let (old, new) =
            (signer("the secret before the rotation, 32+"), signer("the secret after the rotation, 32++"));
        let id = InvitationId::new_random();
        let sent_before = old.sign(id, 2);
        let keys = LinkKeys::new(new.clone(), Some(old.clone()));
        assert_eq!(keys.verify(id, sent_before.as_str()), Some(2), "a link sent before the rotation");
        assert_eq!(keys.sign(id, 2), new.sign(id, 2), "new links use the current key");
        let next = LinkKeys::new(signer("a third secret, after another turn"), Some(new));
        assert_eq!(next.verify(id, sent_before.as_str()), None, "two rotations later the oldest key is gone");
    }

    fn signer(secret: &str) -> LinkSigner {
        LinkSigner::new(secret.as_bytes()).unwrap()
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(LinkSigner::new(b"too short").is_none());
        assert!(LinkSigner::new(&[7u8; MIN_SECRET_LEN]).is_some());
    }

    #[test]
    fn a_token_opens_its_own_invitation_only() {
        let s = signer("0123456789abcdef0123456789abcdef");
        let a = InvitationId::new_random();
        let b = InvitationId::new_random();
        let token = s.sign(a, 0);
        assert_eq!(token.as_str().len(), 43);
        assert_eq!(s.verify(a, token.as_str()), Some(0));
        assert_eq!(s.verify(b, token.as_str()), None, "swapped between invitations");
    }

    #[test]
    fn each_generation_has_its_own_token_naming_it() {
        let s = signer("0123456789abcdef0123456789abcdef");
        let id = InvitationId::new_random();
        let tokens: Vec<String> = (0..3).map(|g| s.sign(id, g).as_str().to_owned()).collect();
        assert_eq!(tokens[1][43..], *".1");
        for (g, token) in tokens.iter().enumerate() {
            assert_eq!(s.verify(id, token), Some(g as u32));
        }
        let mac_of = |t: &str| t[..43].to_owned();
        assert_ne!(mac_of(&tokens[0]), mac_of(&tokens[1]), "a new generation is a new MAC, not a new suffix");
        // A suffix cannot be moved to another generation, nor written another way.
        for forged in [
            format!("{}.2", mac_of(&tokens[1])),
            format!("{}.1", mac_of(&tokens[0])),
            format!("{}.01", mac_of(&tokens[1])),
            format!("{}.0", mac_of(&tokens[0])),
            format!("{}.+1", mac_of(&tokens[1])),
            format!("{}.", mac_of(&tokens[0])),
        ] {
            assert_eq!(s.verify(id, &forged), None, "{forged}");
        }
    }

    #[test]
    fn an_invite_links_token_opens_that_link_only_and_never_an_invitation() {
        let s = signer("0123456789abcdef0123456789abcdef");
        let (link, other) = (InviteLinkId::new_random(), InviteLinkId::new_random());
        let token = s.sign_invite_link(link);
        assert_eq!(token.as_str().len(), 43);
        assert!(s.verify_invite_link(link, token.as_str()));
        assert!(!s.verify_invite_link(other, token.as_str()), "swapped between links");
        // The same UUID as an invitation's id: the contexts keep the two apart.
        let as_invitation = InvitationId::parse(&link.to_string()).unwrap();
        assert_eq!(s.verify(as_invitation, token.as_str()), None);
        assert!(!s.verify_invite_link(link, s.sign(as_invitation, 0).as_str()));
        let mut tampered = token.as_str().to_owned().into_bytes();
        tampered[7] = if tampered[7] == b'A' { b'B' } else { b'A' };
        assert!(!s.verify_invite_link(link, std::str::from_utf8(&tampered).unwrap()));
        assert!(!s.verify_invite_link(link, &token.as_str()[..42]));
        // A rotation: links shared before it still work.
        let keys = LinkKeys::new(signer("the secret after the rotation, 32++"), Some(s));
        assert!(keys.verify_invite_link(link, token.as_str()));
        assert_ne!(keys.sign_invite_link(link), token, "new tokens use the current key");
    }

    #[test]
    fn tampered_truncated_or_foreign_tokens_fail() {
        let s = signer("0123456789abcdef0123456789abcdef");
        let id = InvitationId::new_random();
        let token = s.sign(id, 0).as_str().to_owned();

        let mut tampered = token.clone().into_bytes();
        tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
        assert_eq!(s.verify(id, std::str::from_utf8(&tampered).unwrap()), None);
        assert_eq!(s.verify(id, &token[..42]), None);
        assert_eq!(s.verify(id, ""), None);
        assert_eq!(s.verify(id, &format!("{token}=")), None);
        let other = signer("another secret, also 32 bytes long!");
        assert_eq!(other.verify(id, &token), None, "signed under another secret");
    }

    #[test]
    fn tokens_never_appear_in_debug_output() {
        let s = signer("0123456789abcdef0123456789abcdef");
        let token = s.sign(InvitationId::new_random(), 1);
        assert!(!format!("{token:?}").contains(token.as_str()));
        assert!(!format!("{s:?}").contains("0123456789"));
    }
}
