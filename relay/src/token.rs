//! Short-lived HMAC tokens that let a non-browser client reach one `host:port`.
//!
//! A token is `EXPIRY.MAC`: the Unix time it expires, and the hex HMAC-SHA256 of
//! `streamlab.v1\nHOST\nPORT\nEXPIRY` under the relay's secret. Tokens are never logged.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn mac(secret: &[u8], host: &str, port: u16, expiry: u64) -> HmacSha256 {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(format!("streamlab.v1\n{}\n{port}\n{expiry}", host.to_ascii_lowercase()).as_bytes());
    mac
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// The longest a minted token may live: ten years (a longer `--ttl` is an error, not a
/// token that wraps around to expired).
pub const MAX_TTL: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// Mints a token for `host:port`, valid for `ttl` (at most [`MAX_TTL`]).
///
/// ```
/// use std::time::Duration;
/// use streamlab_relay::token::{mint, verify};
/// let t = mint(b"0123456789abcdef", "example.com", 443, Duration::from_secs(60));
/// assert!(verify(b"0123456789abcdef", &t, "example.com", 443).is_ok());
/// assert!(verify(b"0123456789abcdef", &t, "example.com", 80).is_err());
/// ```
pub fn mint(secret: &[u8], host: &str, port: u16, ttl: Duration) -> String {
    mint_until(secret, host, port, now().saturating_add(ttl.min(MAX_TTL).as_secs().max(1)))
}

/// Mints a token for `host:port` that expires at `expiry` (Unix seconds).
pub fn mint_until(secret: &[u8], host: &str, port: u16, expiry: u64) -> String {
    let tag = mac(secret, host, port, expiry).finalize().into_bytes();
    format!("{expiry}.{}", hex(&tag))
}

/// Checks a token for `host:port`.
///
/// # Errors
/// Malformed, expired, or for another target (the MAC is compared in constant time).
pub fn verify(secret: &[u8], token: &str, host: &str, port: u16) -> Result<(), &'static str> {
    let (expiry, tag) = token.split_once('.').ok_or("token is malformed")?;
    let expiry: u64 = expiry.parse().map_err(|_| "token is malformed")?;
    let tag = unhex(tag).ok_or("token is malformed")?;
    mac(secret, host, port, expiry).verify_slice(&tag).map_err(|_| "token is not valid for this target")?;
    if expiry < now() {
        return Err("token has expired");
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"a test secret of enough length";

    #[test]
    fn valid_expired_and_foreign_tokens() {
        let t = mint(SECRET, "Example.com", 443, Duration::from_secs(30));
        assert_eq!(verify(SECRET, &t, "example.com", 443), Ok(()));
        assert_eq!(verify(SECRET, &t, "example.org", 443), Err("token is not valid for this target"));
        assert_eq!(
            verify(b"another secret, just as long", &t, "example.com", 443),
            Err("token is not valid for this target")
        );
        let past = now() - 10;
        let expired =
            format!("{past}.{}", hex(&mac(SECRET, "example.com", 443, past).finalize().into_bytes()));
        assert_eq!(verify(SECRET, &expired, "example.com", 443), Err("token has expired"));
        for bad in ["", "123", "abc.def", "123.xyz", "123.abc"] {
            assert_eq!(verify(SECRET, bad, "example.com", 443), Err("token is malformed"), "{bad}");
        }
    }
}
