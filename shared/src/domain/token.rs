//! Invitation link tokens.
//!
//! The token is HMAC-SHA256(secret, invitation id). That makes it unguessable
//! (256 bits), means nothing secret is stored in DynamoDB (a table dump reveals no
//! working link), and lets managers copy the link again at any time: it is
//! recomputed, not looked up.
//!
//! The secret rotates (Secrets Manager's AWSCURRENT and AWSPREVIOUS versions):
//! links are signed with the current key and accepted under either, so a
//! rotation does not cut off the links already sent.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::fmt;

use super::InvitationId;

type HmacSha256 = Hmac<Sha256>;

/// Domain separation: the same secret can never sign something else that would
/// then pass as a link token.
const CONTEXT: &[u8] = b"invitation-link/v1:";

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

    fn mac(&self, id: InvitationId) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes keys of any length");
        mac.update(CONTEXT);
        mac.update(id.to_string().as_bytes());
        mac
    }

    pub fn sign(&self, id: InvitationId) -> LinkToken {
        LinkToken(URL_SAFE_NO_PAD.encode(self.mac(id).finalize().into_bytes()))
    }

    /// Constant-time check of a token presented for `id`.
    pub fn verify(&self, id: InvitationId, presented: &str) -> bool {
        // 43 characters is the only length `sign` produces; anything else cannot
        // match, and refusing it early reveals only what the format already does.
        if presented.len() != 43 {
            return false;
        }
        match URL_SAFE_NO_PAD.decode(presented) {
            Ok(bytes) => self.mac(id).verify_slice(&bytes).is_ok(),
            Err(_) => false,
        }
    }
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

    pub fn sign(&self, id: InvitationId) -> LinkToken {
        self.current.sign(id)
    }

    /// A token signed under the current or the previous key.
    pub fn verify(&self, id: InvitationId, presented: &str) -> bool {
        // Both are checked, whichever matches, so timing tells nothing of which.
        let current = self.current.verify(id, presented);
        let previous = self.previous.as_ref().is_some_and(|p| p.verify(id, presented));
        current | previous
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
        let sent_before = old.sign(id);
        let keys = LinkKeys::new(new.clone(), Some(old.clone()));
        assert!(keys.verify(id, sent_before.as_str()), "a link sent before the rotation");
        assert_eq!(keys.sign(id), new.sign(id), "new links use the current key");
        let next = LinkKeys::new(signer("a third secret, after another turn"), Some(new));
        assert!(!next.verify(id, sent_before.as_str()), "two rotations later the oldest key is gone");
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
        let token = s.sign(a);
        assert_eq!(token.as_str().len(), 43);
        assert!(s.verify(a, token.as_str()));
        assert!(!s.verify(b, token.as_str()), "swapped between invitations");
    }

    #[test]
    fn tampered_truncated_or_foreign_tokens_fail() {
        let s = signer("0123456789abcdef0123456789abcdef");
        let id = InvitationId::new_random();
        let token = s.sign(id).as_str().to_owned();

        let mut tampered = token.clone().into_bytes();
        tampered[10] = if tampered[10] == b'A' { b'B' } else { b'A' };
        assert!(!s.verify(id, std::str::from_utf8(&tampered).unwrap()));
        assert!(!s.verify(id, &token[..42]));
        assert!(!s.verify(id, ""));
        assert!(!s.verify(id, &format!("{token}=")));
        let other = signer("another secret, also 32 bytes long!");
        assert!(!other.verify(id, &token), "signed under another secret");
    }

    #[test]
    fn tokens_never_appear_in_debug_output() {
        let s = signer("0123456789abcdef0123456789abcdef");
        let token = s.sign(InvitationId::new_random());
        assert!(!format!("{token:?}").contains(token.as_str()));
        assert!(!format!("{s:?}").contains("0123456789"));
    }
}
