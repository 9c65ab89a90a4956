//! Fuzz targets: every parser of outside input, each a `fn(&[u8])` that panics when it finds
//! a crash or an accepted forgery. Run two ways (docs/security.md, "Fuzzing"):
//!   - coverage-guided by cargo-fuzz (`fuzz/`, nightly), each target one `fuzz_target!`;
//!   - on stable, by the mutation runner below: `make test` runs a short pass of every
//!     target, `make fuzz` (without nightly) a million inputs per target.
//!
//! A target's properties are what C500 relies on: no panic on any input, and a signature,
//! token or state that was not made with the secret is never accepted (a mutation of a
//! valid one is refused unless it is the same message).

use crate::discord::model::{modal_value, modal_values, Interaction};
use crate::discord::signature::PublicKey;
use crate::domain::browse::Browse;
use crate::domain::custom_id::CustomId;
use crate::domain::listing::{self, DropForm, DropOptions, InventoryEdit};
use crate::domain::money;
use crate::domain::{hex, link_token, oauth_state};
use crate::http;
use crate::stripe::event::{Charge, CheckoutSession, Dispute, Event};
use crate::stripe::signature as stripe_signature;
use crate::twitch::eventsub;
use ed25519_dalek::{Signer, SigningKey};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The fixed clock of every target (seconds), so a valid seed stays fresh.
pub const NOW_SECS: i64 = 1_800_000_000;
const NOW_MS: f64 = NOW_SECS as f64 * 1000.0;
const SECRET: &str = "fuzz-secret";
/// The Discord application's key the targets verify against (a fixed test key).
const DISCORD_SEED: [u8; 32] = [7; 32];

/// Splits an input into `N` fields at `\n` (the last one keeps the rest), as text.
fn fields<const N: usize>(data: &[u8]) -> [String; N] {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(N, '\n');
    std::array::from_fn(|_| parts.next().unwrap_or_default().to_owned())
}

fn opt(s: &str) -> Option<&str> {
    (!s.is_empty()).then_some(s)
}

fn discord_key() -> (SigningKey, PublicKey) {
    let signing = SigningKey::from_bytes(&DISCORD_SEED);
    let public = PublicKey::from_hex(&hex::encode(signing.verifying_key().as_bytes()));
    match public {
        Some(public) => (signing, public),
        None => unreachable_key(),
    }
}

#[allow(clippy::panic)]
fn unreachable_key() -> ! {
    panic!("the fixed test key is a valid point")
}

/// `signature \n timestamp \n body`: the headers' rules and the signature together.
pub fn discord_signature(data: &[u8]) {
    let [signature, timestamp, body] = fields::<3>(data);
    let (signature, timestamp, body) = (signature.as_str(), timestamp.as_str(), body.as_bytes());
    let (signing, key) = discord_key();
    let verdict = key.verify(opt(signature), opt(timestamp), body, NOW_SECS);
    // The Worker's path (the runtime's verdict handed to `check`) agrees with the reference.
    let mut message = timestamp.as_bytes().to_vec();
    message.extend_from_slice(body);
    let genuine = hex::encode(&signing.sign(&message).to_bytes());
    let runtime_says = signature.eq_ignore_ascii_case(&genuine);
    assert_eq!(
        key.check(opt(signature), opt(timestamp), runtime_says, NOW_SECS)
            .is_ok(),
        verdict.is_ok(),
        "check and verify disagree"
    );
    if verdict.is_ok() {
        // Accepted: it is the key's own signature over exactly this timestamp and body.
        assert!(runtime_says, "accepted a signature the key did not make");
    }
    // "not signed" is never accepted, whatever the headers say.
    assert!(key
        .check(opt(signature), opt(timestamp), false, NOW_SECS)
        .is_err());
}

/// An interaction body, as Discord would POST it.
pub fn interaction_json(data: &[u8]) {
    let Ok(interaction) = serde_json::from_slice::<Interaction>(data) else {
        return;
    };
    let _ = interaction.invoker();
    if let Some(d) = &interaction.data {
        let (path, _options) = d.subcommand_path();
        assert!(path.len() <= 8);
        let _ = modal_values(&d.components, "guild");
        let _ = modal_value(&d.components, "price");
        if let Some(id) = &d.custom_id {
            custom_id(id.as_bytes());
        }
    }
}

/// A component's custom_id: parses, or is refused; what parses encodes back to itself.
pub fn custom_id(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    if let Ok(parsed) = CustomId::parse(&s) {
        let encoded = parsed.encode();
        assert!(encoded.len() <= 100, "a custom_id Discord would refuse");
        assert_eq!(
            CustomId::parse(&encoded).ok(),
            Some(parsed),
            "no round trip"
        );
    }
}

/// What builders type: prices, shipping, the drop form, the inventory form, release times,
/// image links, photo types.
pub fn prices_and_forms(data: &[u8]) {
    let [a, b, c, d, e, g] = fields::<6>(data);
    for parsed in [
        money::parse_price(&a),
        money::parse_shipping(&a),
        money::parse_amount(&a),
    ]
    .into_iter()
    .flatten()
    {
        assert!(parsed.get() >= 0, "a negative amount parsed");
        // What C500 shows reads back as the same amount.
        assert_eq!(money::parse_amount(&parsed.to_string()), Ok(parsed));
    }
    if let Ok(form) = DropForm::parse(&a, &b, &c, &d, &e) {
        assert!(!form.title.trim().is_empty());
        assert!(form.price.get() > 0);
    }
    let _ = InventoryEdit::parse(&a, &b, opt(&c));
    let number = |s: &str| s.trim().parse::<i64>().ok();
    let _ = DropOptions::parse(
        opt(&a),
        number(&b),
        opt(&c),
        number(&d),
        opt(&e),
        opt(&g),
        NOW_MS as u64,
    );
    let _ = listing::parse_utc(&g);
    if let Ok(Some(url)) = listing::parse_image_url(&d, "Image") {
        assert!(url.starts_with("https://"), "a non-https image: {url}");
    }
    let _ = listing::check_photo(opt(&b), c.len() as u64);
    let _ = listing::on_discord_cdn(&d, opt(&e));
}

/// `Stripe-Signature \n body`: only Stripe's own HMAC of this body at its timestamp passes.
pub fn stripe_webhook(data: &[u8]) {
    let [header, body] = fields::<2>(data);
    let (header, body) = (header.as_str(), body.as_bytes());
    if stripe_signature::verify_any(SECRET, opt(header), body, NOW_SECS).is_ok() {
        let genuine = header.split(',').any(|item| {
            let Some(("t", t)) = item.trim().split_once('=') else {
                return false;
            };
            let Ok(t) = t.parse::<i64>() else {
                return false;
            };
            let signed = stripe_signature::sign(SECRET, body, t);
            let expected = signed.rsplit("v1=").next().unwrap_or_default();
            header.split(',').any(|v| {
                v.trim()
                    .strip_prefix("v1=")
                    .is_some_and(|v| v.eq_ignore_ascii_case(expected))
            })
        });
        assert!(
            genuine,
            "accepted a Stripe-Signature not made with the secret"
        );
    }
    stripe_event(body);
}

/// An event body (after its signature): the envelope and the objects C500 reads.
pub fn stripe_event(data: &[u8]) {
    let Some(event) = Event::parse(data) else {
        return;
    };
    let _ = event.foreign(false);
    let object = &event.data.object;
    if let Ok(session) = serde_json::from_value::<CheckoutSession>(object.clone()) {
        let _ = session.shipping_address();
        let charged = money::charged(
            session.amount_total.unwrap_or(0),
            session.currency.as_deref().unwrap_or_default(),
        );
        assert!(!charged.is_empty());
    }
    let _ = serde_json::from_value::<Charge>(object.clone());
    let _ = serde_json::from_value::<Dispute>(object.clone());
}

/// `message id \n timestamp \n signature \n body`: Twitch EventSub.
pub fn eventsub(data: &[u8]) {
    let [id, ts, signature, body] = fields::<4>(data);
    let (id, ts, signature, body) = (
        id.as_str(),
        ts.as_str(),
        signature.as_str(),
        body.as_bytes(),
    );
    let _ = eventsub::rfc3339_secs(ts);
    if eventsub::verify(SECRET, opt(id), opt(ts), opt(signature), body, NOW_SECS).is_ok() {
        let genuine = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).map(|mut mac| {
            mac.update(id.as_bytes());
            mac.update(ts.as_bytes());
            mac.update(body);
            format!("sha256={}", hex::encode(&mac.finalize().into_bytes()))
        });
        assert!(
            genuine.is_ok_and(|g| g.eq_ignore_ascii_case(signature)),
            "accepted an EventSub signature not made with the secret"
        );
    }
}

/// The seed every token target mutates: the only payloads the secret ever signed.
fn signed_payload(token: &str) -> Option<&str> {
    token.rsplit_once('.').map(|(payload, _)| payload)
}

/// The onboarding link token: only the one C500 made (claims and expiry) verifies.
pub fn link_token(data: &[u8]) {
    let token = String::from_utf8_lossy(data);
    if let Ok(claims) = link_token::verify(SECRET, &token, NOW_MS) {
        let made = link_token::sign(SECRET, &seed_link_claims(), NOW_MS);
        assert_eq!(claims, seed_link_claims(), "forged claims accepted");
        assert_eq!(
            signed_payload(&token),
            signed_payload(&made),
            "a changed expiry accepted"
        );
    }
}

pub fn seed_link_claims() -> link_token::LinkClaims {
    link_token::LinkClaims {
        discord_id: "1400000000000000001".into(),
        account_id: "acct_1".into(),
    }
}

/// The Twitch OAuth state: only the one C500 made verifies; never as a link token.
pub fn oauth_state(data: &[u8]) {
    let state = String::from_utf8_lossy(data);
    if oauth_state::verify(SECRET, &state, NOW_MS).is_ok() {
        let made = oauth_state::sign(SECRET, "1400000000000000001", "nonce", NOW_MS);
        assert_eq!(
            signed_payload(&state),
            signed_payload(&made),
            "forged state accepted"
        );
    }
    assert!(
        link_token::verify(SECRET, &state, NOW_MS).is_err()
            || signed_payload(&state) == signed_payload(&seed_link_token()),
        "an OAuth state passed for a link token"
    );
}

pub fn seed_link_token() -> String {
    link_token::sign(SECRET, &seed_link_claims(), NOW_MS)
}

/// `url \n name`: query strings of the pages Stripe and Twitch send people back to.
pub fn query_string(data: &[u8]) {
    let [url, name] = fields::<2>(data);
    if let Some(value) = http::query_param(&url, &name) {
        assert!(!value.contains(char::REPLACEMENT_CHARACTER));
    }
    // The shop's search (GET /?type=&guild=&q=&page=) from the same URL.
    let param = |n: &str| http::query_param(&url, n);
    let search = Browse::parse(
        param("type").as_deref(),
        param("guild").as_deref(),
        param("q").as_deref(),
        param("page").as_deref(),
    );
    assert!((1..=Browse::MAX_PAGE).contains(&search.page));
    assert!(search
        .query
        .as_ref()
        .is_none_or(|q| q.chars().count() <= Browse::MAX_QUERY && !q.is_empty()));
    let link = search.link(search.page);
    assert!(link.starts_with('/') && !link.contains(' '));
}

/// A target: its name, the function, and its seeds (valid inputs to mutate from).
pub type Target = (&'static str, fn(&[u8]), Vec<Vec<u8>>);

/// Every target, with its seeds.
pub fn targets() -> Vec<Target> {
    let (signing, _) = discord_key();
    let body = br#"{"type":1,"id":"1","application_id":"1","token":"t","version":1}"#;
    let ts = NOW_SECS.to_string();
    let mut message = ts.as_bytes().to_vec();
    message.extend_from_slice(body);
    let discord_sig = hex::encode(&signing.sign(&message).to_bytes());
    let discord_seed = [discord_sig.as_bytes(), b"\n", ts.as_bytes(), b"\n", body].concat();
    let interaction = br#"{"type":2,"id":"17","token":"t","guild_id":"15","member":{"user":{"id":"14","username":"a"},"permissions":"8"},"data":{"name":"c500","options":[{"type":2,"name":"config","options":[{"type":1,"name":"set","options":[{"type":7,"name":"shop_channel","value":"16"}]}]}],"custom_id":"c5:v1:buy:D-ABCDEFGH","components":[{"type":1,"components":[{"type":4,"custom_id":"price","value":"450"}]},{"type":18,"component":{"type":3,"custom_id":"guild","values":["artisan"]}}]}}"#;
    let event = br#"{"id":"evt_1","object":"event","type":"checkout.session.completed","livemode":false,"account":null,"data":{"object":{"id":"cs_1","metadata":{"order_id":"C5-ABCDEF","listing_id":"D-ABCDEFGH"},"payment_status":"paid","payment_intent":"pi_1","amount_total":13505,"currency":"usd","collected_information":{"shipping_details":{"name":"A"}}}}}"#;
    let t = NOW_SECS;
    let stripe_seed = [
        stripe_signature::sign(SECRET, event, t).as_bytes(),
        b"\n",
        event,
    ]
    .concat();
    let twitch_body =
        br#"{"subscription":{"type":"stream.online"},"event":{"broadcaster_user_id":"1"}}"#;
    let twitch_ts = "2027-01-15T08:00:00.123456789Z";
    let twitch_sig = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes())
        .map(|mut mac| {
            mac.update(b"m-1");
            mac.update(twitch_ts.as_bytes());
            mac.update(twitch_body);
            format!("sha256={}", hex::encode(&mac.finalize().into_bytes()))
        })
        .unwrap_or_default();
    let twitch_seed = [
        b"m-1\n".as_slice(),
        twitch_ts.as_bytes(),
        b"\n",
        twitch_sig.as_bytes(),
        b"\n",
        twitch_body,
    ]
    .concat();
    vec![
        (
            "discord_signature",
            discord_signature as fn(&[u8]),
            vec![discord_seed],
        ),
        (
            "interaction_json",
            interaction_json,
            vec![interaction.to_vec(), body.to_vec()],
        ),
        (
            "custom_id",
            custom_id,
            vec![
                b"c5:v1:buy:D-ABCDEFGH".to_vec(),
                b"c5:v1:drop:c.3.1500.4.artisan.1800000000000.ab12".to_vec(),
                b"c5:v1:orders:2".to_vec(),
                b"c5:v1:inv-save:D-ABCDEFGH".to_vec(),
            ],
        ),
        (
            "prices_and_forms",
            prices_and_forms,
            vec![
                b"$1,299.99\n12\nA cozy board\nhttps://cdn.discordapp.com/a.png\nartisan\n2026-12-01 18:00".to_vec(),
                b"450.5\n0\n\n\n\n".to_vec(),
            ],
        ),
        ("stripe_webhook", stripe_webhook, vec![stripe_seed]),
        ("stripe_event", stripe_event, vec![event.to_vec()]),
        ("eventsub", eventsub, vec![twitch_seed]),
        (
            "link_token",
            link_token,
            vec![seed_link_token().into_bytes()],
        ),
        (
            "oauth_state",
            oauth_state,
            vec![
                oauth_state::sign(SECRET, "1400000000000000001", "nonce", NOW_MS).into_bytes(),
                seed_link_token().into_bytes(),
            ],
        ),
        (
            "query_string",
            query_string,
            vec![
                b"https://c500.store/oauth/twitch/callback?code=abc&state=1.2.3.ff%20ee+x\nstate"
                    .to_vec(),
                b"https://c500.store/?type=commission&guild=artisan&q=snow+%25+white&page=2\nq".to_vec(),
            ],
        ),
    ]
}

/// A small deterministic PRNG (xorshift64*): the runner needs no crate and replays exactly.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }
}

/// Bytes that matter to these grammars: separators, escapes, quotes, digits, hex, signs.
const INTERESTING: &[u8] = b".,=:;%+-_#?&/\\\"{}[]0123456789abcdefABCDEF \n\t\0\xff\xc3";

/// One mutation of `input` (or a splice with `other`): what libFuzzer's default mutators do,
/// in miniature.
pub fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(9) {
            7 => {
                // Swap a whole number in the input for another (libFuzzer's
                // ChangeASCIIInteger): timestamps, amounts, ids at their edges.
                let start = (at..out.len())
                    .find(|&i| out.get(i).is_some_and(u8::is_ascii_digit))
                    .unwrap_or(out.len());
                let end = (start..out.len())
                    .find(|&i| !out.get(i).is_some_and(u8::is_ascii_digit))
                    .unwrap_or(out.len());
                let start = if start > 0 && out.get(start - 1) == Some(&b'-') {
                    start - 1
                } else {
                    start
                };
                let n = number(rng);
                out.splice(start..end, n.bytes());
            }
            0 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                if let Some(b) = out.get_mut(i) {
                    *b ^= 1 << rng.below(8);
                }
            }
            1 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                let pick = INTERESTING.get(rng.below(INTERESTING.len())).copied();
                if let (Some(b), Some(p)) = (out.get_mut(i), pick) {
                    *b = p;
                }
            }
            2 => {
                let pick = INTERESTING.get(rng.below(INTERESTING.len())).copied();
                out.insert(at, pick.unwrap_or(b'.'));
            }
            3 if !out.is_empty() => {
                let end = (at + 1 + rng.below(8)).min(out.len());
                out.drain(at.min(end)..end);
            }
            4 => {
                // Repeat a chunk (long numbers, nested JSON, many separators).
                let end = (at + rng.below(16)).min(out.len());
                let chunk = out.get(at..end).map(<[u8]>::to_vec).unwrap_or_default();
                for _ in 0..=rng.below(3) {
                    out.splice(at..at, chunk.iter().copied());
                }
            }
            5 if !other.is_empty() => {
                // Splice a piece of another seed in.
                let from = rng.below(other.len());
                let to = (from + 1 + rng.below(32)).min(other.len());
                if let Some(piece) = other.get(from..to) {
                    out.splice(at..at, piece.iter().copied());
                }
            }
            6 => out.truncate(at),
            _ => {
                let n = number(rng);
                out.splice(at..at, n.bytes());
            }
        }
    }
    out
}

/// A number: random, or one at the edge of a type (overflow hunting).
fn number(rng: &mut Rng) -> String {
    const EDGES: [&str; 8] = [
        "-9223372036854775808",
        "9223372036854775807",
        "18446744073709551615",
        "-1",
        "0",
        "4294967296",
        "2147483648",
        "99999999999999999999",
    ];
    match EDGES.get(rng.below(EDGES.len() * 2)) {
        Some(edge) => (*edge).to_owned(),
        None => rng.next_u64().to_string(),
    }
}

/// Runs `target` on its seeds and `runs` mutations (each mutating a seed or a recent input),
/// returning how many inputs it ran. A property violation panics, naming the input.
pub fn run(name: &str, target: fn(&[u8]), seeds: &[Vec<u8>], runs: u64) -> u64 {
    let mut rng = Rng::new(name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    }));
    let mut pool: Vec<Vec<u8>> = seeds.to_vec();
    for seed in seeds {
        target(seed);
    }
    for i in 0..runs {
        // Half the time from a seed (valid, so deep in the grammar), half from a kept mutant.
        let from = if rng.below(2) == 0 { seeds } else { &pool };
        let base = from.get(rng.below(from.len())).cloned().unwrap_or_default();
        let other = pool.get(rng.below(pool.len())).cloned().unwrap_or_default();
        let input = mutate(&mut rng, &base, &other);
        if std::panic::catch_unwind(|| target(&input)).is_err() {
            failed(name, i, &input);
        }
        // Keep some mutants as bases, so mutations compound (a poor man's corpus), bounded.
        if rng.below(16) == 0 && input.len() < 4096 {
            if pool.len() < 256 {
                pool.push(input);
            } else if let Some(slot) = pool.get_mut(seeds.len() + rng.below(256 - seeds.len())) {
                *slot = input;
            }
        }
    }
    runs + seeds.len() as u64
}

#[allow(clippy::panic)]
fn failed(name: &str, i: u64, input: &[u8]) -> ! {
    panic!(
        "fuzz target {name} failed on input #{i}: {:?}",
        String::from_utf8_lossy(input)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `make test` runs every target briefly; `make fuzz` (stable) sets C500_FUZZ_RUNS to a
    /// million and reports each target's executions.
    #[test]
    fn every_fuzz_target_holds_its_properties() {
        let runs = std::env::var("C500_FUZZ_RUNS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(5_000);
        for (name, target, seeds) in targets() {
            let started = std::time::Instant::now();
            let ran = run(name, target, &seeds, runs);
            println!(
                "fuzz {name}: {ran} inputs in {:.1} s, no crash, no forgery accepted",
                started.elapsed().as_secs_f64()
            );
        }
    }

    /// `make fuzz` with cargo-fuzz starts each target from these seeds: written to
    /// `$C500_FUZZ_SEEDS_DIR/<target>/` when that is set (scripts/fuzz.sh).
    #[test]
    fn seeds() {
        let Ok(dir) = std::env::var("C500_FUZZ_SEEDS_DIR") else {
            return;
        };
        for (name, _, seeds) in targets() {
            let dir = std::path::Path::new(&dir).join(name);
            std::fs::create_dir_all(&dir).unwrap();
            for (i, seed) in seeds.iter().enumerate() {
                std::fs::write(dir.join(format!("seed-{i}")), seed).unwrap();
            }
        }
    }

    #[test]
    fn the_seeds_are_valid_so_mutations_start_from_accepted_inputs() {
        let f = fields::<3>(&targets()[0].2[0]);
        let (_, key) = discord_key();
        assert!(key
            .verify(Some(&f[0]), Some(&f[1]), f[2].as_bytes(), NOW_SECS)
            .is_ok());
        let stripe = fields::<2>(&targets()[4].2[0]);
        assert!(stripe_signature::verify_any(
            SECRET,
            Some(&stripe[0]),
            stripe[1].as_bytes(),
            NOW_SECS
        )
        .is_ok());
        let twitch = fields::<4>(&targets()[6].2[0]);
        assert!(eventsub::verify(
            SECRET,
            Some(&twitch[0]),
            Some(&twitch[1]),
            Some(&twitch[2]),
            twitch[3].as_bytes(),
            NOW_SECS
        )
        .is_ok());
        assert!(link_token::verify(SECRET, &seed_link_token(), NOW_MS).is_ok());
        assert!(CustomId::parse("c5:v1:buy:D-ABCDEFGH").is_ok());
    }

    /// A target that cannot fail is a defect: each forgery check does catch a forgery.
    #[test]
    fn the_properties_catch_what_they_claim_to() {
        // A token signed with another secret is refused, so the target passes it...
        link_token(link_token::sign("other", &seed_link_claims(), NOW_MS).as_bytes());
        // ...and the assertion behind it fires on a claim the seed never had.
        let forged = link_token::sign(
            SECRET,
            &link_token::LinkClaims {
                discord_id: "9".into(),
                account_id: "acct_1".into(),
            },
            NOW_MS,
        );
        assert!(std::panic::catch_unwind(|| link_token(forged.as_bytes())).is_err());
        let other_state = oauth_state::sign(SECRET, "9", "nonce", NOW_MS);
        assert!(std::panic::catch_unwind(|| oauth_state(other_state.as_bytes())).is_err());
    }
}
