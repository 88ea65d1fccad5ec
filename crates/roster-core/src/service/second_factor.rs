//! Second factors: TOTP enrolment with a QR code, confirmation with a first code, ten
//! single-use recovery codes, the `next: mfa` login step, and resets.

use super::auth::{invalid_code, LoginOutcome};
use super::{audit, Ctx, Service};
use crate::access::builtin::BUILTIN_TYPES;
use crate::access::{micros, Wanted};
use crate::error::{CoreError, CoreResult};
use crate::ids::{now, Id};
use crate::model::{
    AccessChange, AccessKind, Effect, SignInState, TokenKind, TokenRecord, TotpFactor, User,
    UserStatus,
};
use crate::policy::{Policy, SecondFactorRule};
use crate::secret;
use crate::store::{StoreTx, TenantScope};
use rand::RngCore;
use serde_json::json;
use totp_rs::{Algorithm, Secret, TOTP};

/// How many recovery codes a confirmation hands out.
const RECOVERY_CODES: usize = 10;
/// Bytes of a TOTP secret (160 bits, as RFC 4226 recommends).
const SECRET_BYTES: usize = 20;
/// Seconds per TOTP step.
const STEP_SECONDS: u64 = 30;
/// Failed second-factor attempts allowed within the throttling window.
const MFA_ATTEMPTS: i64 = 5;
/// The issuer authenticator apps show.
const ISSUER: &str = "roster";

/// What an authenticator app needs: the secret, as text and as a QR code.
#[derive(Debug, Clone)]
pub struct TotpEnrollment {
    /// The shared secret, base32.
    pub secret: String,
    /// The `otpauth://` URI the QR code holds.
    pub otpauth_uri: String,
    /// The QR code, as an SVG document.
    pub qr_svg: String,
}

fn totp(secret: &str, account: &str) -> CoreResult<TOTP> {
    let bytes = Secret::Encoded(secret.to_string())
        .to_bytes()
        .map_err(|e| CoreError::Internal(format!("stored TOTP secret unreadable: {e:?}")))?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECONDS,
        bytes,
        Some(ISSUER.to_string()),
        account.to_string(),
    )
    .map_err(|e| CoreError::Internal(format!("TOTP parameters refused: {e:?}")))
}

/// What an authenticator app needs to add `secret` for `account`.
fn enrollment(secret: &str, account: &str) -> CoreResult<TotpEnrollment> {
    let uri = totp(secret, account)?.get_url();
    let qr = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|e| CoreError::Internal(format!("QR code: {e}")))?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .build();
    Ok(TotpEnrollment {
        secret: secret.to_string(),
        otpauth_uri: uri,
        qr_svg: qr,
    })
}

/// The step of `code` within one step of now, if it is right.
fn matching_step(t: &TOTP, code: &str) -> Option<i64> {
    let now = now().timestamp().max(0) as u64;
    let current = now / STEP_SECONDS;
    [current, current.saturating_sub(1), current + 1]
        .into_iter()
        .find(|step| {
            secret::constant_time_eq(t.generate(step * STEP_SECONDS).as_bytes(), code.as_bytes())
        })
        .map(|s| s as i64)
}

/// The context of `ctx` acting as `user` (a sign-in step has no user of its own yet).
fn as_user(ctx: &Ctx, user: &User) -> Ctx {
    let mut c = ctx.clone();
    c.actor.user = Some(user.id);
    c
}

/// The token and active user of a sign-in step (`Mfa`, `MfaEnrolment`), if the token is
/// of that kind and unexpired.
pub(super) async fn step_user(
    tx: &mut dyn StoreTx,
    token: &str,
    kind: TokenKind,
) -> CoreResult<(TokenRecord, User)> {
    let expired = || CoreError::Unauthenticated {
        code: "mfa_expired",
        message: "this sign-in step has expired; sign in again".into(),
    };
    if !secret::well_formed(token) {
        return Err(expired());
    }
    let record = tx
        .get_token_by_hash(&secret::hash(token))
        .await?
        .filter(|t| t.kind == kind && t.expires_at > now())
        .ok_or_else(expired)?;
    let user = tx
        .get_user(TenantScope::All, record.user)
        .await?
        .filter(|u| u.status == UserStatus::Active)
        .ok_or_else(expired)?;
    Ok((record, user))
}

/// A fresh recovery code: ten characters in two groups, easy to read aloud.
fn recovery_code() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut bytes = [0u8; 10];
    rand::thread_rng().fill_bytes(&mut bytes);
    let chars: String = bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// How a recovery code is stored: normalised, hashed.
fn recovery_hash(code: &str) -> [u8; 32] {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    secret::hash(&normal)
}

impl Service {
    /// Starts TOTP enrolment for the caller: a new secret, its `otpauth://` URI and QR code.
    /// Until a first code confirms it, login does not ask for it. Refused while a confirmed
    /// authenticator exists (remove it first).
    pub async fn enroll_totp(&self, ctx: &Ctx) -> CoreResult<TotpEnrollment> {
        self.retrying(|| self.enroll_totp_once(ctx)).await
    }

    async fn enroll_totp_once(&self, ctx: &Ctx) -> CoreResult<TotpEnrollment> {
        let user = self.own_account(ctx).await?;
        let mut tx = self.write().await?;
        let out = self.enroll_totp_in(tx.as_mut(), ctx, &user).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Starts TOTP enrolment for `user` in `tx`, audited.
    async fn enroll_totp_in(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        user: &User,
    ) -> CoreResult<TotpEnrollment> {
        if tx.get_totp(user.id).await?.is_some_and(|f| f.confirmed) {
            return Err(CoreError::conflict(
                "totp_enrolled",
                "an authenticator is already set up; remove it before setting up another",
            ));
        }
        let mut raw = [0u8; SECRET_BYTES];
        rand::thread_rng().fill_bytes(&mut raw);
        let encoded = Secret::Raw(raw.to_vec()).to_encoded().to_string();
        let enrollment = enrollment(&encoded, &user.login)?;
        tx.put_totp(&TotpFactor {
            user: user.id,
            secret: encoded.clone(),
            confirmed: false,
            last_step: None,
            created_at: now(),
        })
        .await?;
        audit(
            tx,
            &as_user(ctx, user),
            user.tenant,
            "user.totp_enrol",
            Some(user.id),
            json!({}),
        )
        .await?;
        Ok(enrollment)
    }

    /// Confirms enrolment with a first code; answers ten recovery codes, shown this once.
    pub async fn confirm_totp(&self, ctx: &Ctx, code: &str) -> CoreResult<Vec<String>> {
        self.retrying(|| self.confirm_totp_once(ctx, code)).await
    }

    async fn confirm_totp_once(&self, ctx: &Ctx, code: &str) -> CoreResult<Vec<String>> {
        let user = self.own_account(ctx).await?;
        let mut tx = self.write().await?;
        let codes = self.confirm_totp_in(tx.as_mut(), ctx, &user, code).await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// Confirms `user`'s enrolment with a first code in `tx`: their recovery codes.
    async fn confirm_totp_in(
        &self,
        tx: &mut dyn StoreTx,
        ctx: &Ctx,
        user: &User,
        code: &str,
    ) -> CoreResult<Vec<String>> {
        let factor = tx
            .get_totp(user.id)
            .await?
            .filter(|f| !f.confirmed)
            .ok_or_else(|| {
                CoreError::conflict(
                    "totp_not_enrolling",
                    "start setting up an authenticator first (POST /me/totp)",
                )
            })?;
        let t = totp(&factor.secret, &user.login)?;
        let step = matching_step(&t, code.trim()).ok_or_else(|| {
            CoreError::invalid(
                "invalid_code",
                "code",
                "the code is not the authenticator's current one",
            )
        })?;
        tx.use_totp_step(user.id, step).await?;
        tx.confirm_totp(user.id).await?;
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| recovery_code()).collect();
        let hashes: Vec<[u8; 32]> = codes.iter().map(|c| recovery_hash(c)).collect();
        tx.replace_recovery_codes(user.id, &hashes).await?;
        audit(
            tx,
            &as_user(ctx, user),
            user.tenant,
            "user.totp_confirm",
            Some(user.id),
            json!({"recovery_codes": RECOVERY_CODES}),
        )
        .await?;
        Ok(codes)
    }

    /// Starts setting up an authenticator during a login that answered `next:
    /// mfa_enrolment` (the token is that step's). Asked again in the same step, it answers
    /// the same secret, so a page shown again after a mistyped code still matches the app.
    pub async fn enrol_totp_at_login(&self, ctx: &Ctx, token: &str) -> CoreResult<TotpEnrollment> {
        self.retrying(|| async {
            let mut tx = self.write().await?;
            let (record, user) = step_user(tx.as_mut(), token, TokenKind::MfaEnrolment).await?;
            if let Some(f) = tx.get_totp(user.id).await? {
                if !f.confirmed && f.created_at >= record.created_at {
                    return enrollment(&f.secret, &user.login);
                }
            }
            let out = self.enroll_totp_in(tx.as_mut(), ctx, &user).await?;
            tx.commit().await?;
            Ok(out)
        })
        .await
    }

    /// Finishes a login that answered `next: mfa_enrolment` by confirming the new
    /// authenticator with its first code: the recovery codes, and what the login opens now
    /// (a session, or the password change that is also due).
    pub async fn confirm_totp_at_login(
        &self,
        ctx: &Ctx,
        token: &str,
        code: &str,
    ) -> CoreResult<(Vec<String>, LoginOutcome)> {
        self.retrying(|| async {
            let mut tx = self.write().await?;
            let (record, user) = step_user(tx.as_mut(), token, TokenKind::MfaEnrolment).await?;
            let codes = self.confirm_totp_in(tx.as_mut(), ctx, &user, code).await?;
            tx.delete_token(record.id).await?;
            let outcome = self.open_after_password(tx.as_mut(), user, false).await?;
            audit(
                tx.as_mut(),
                &as_user(ctx, &outcome.user),
                outcome.user.tenant,
                "auth.login",
                Some(outcome.user.id),
                json!({"second_factor": "enrolled",
                       "next": outcome.next.map(|n| n.as_str())}),
            )
            .await?;
            tx.commit().await?;
            Ok((codes, outcome))
        })
        .await
    }

    /// Removes the caller's authenticator and recovery codes.
    pub async fn remove_own_totp(&self, ctx: &Ctx) -> CoreResult<()> {
        self.retrying(|| async {
            let user = self.own_account(ctx).await?;
            let mut tx = self.write().await?;
            if !tx.delete_second_factors(user.id).await? {
                return Err(CoreError::not_found("authenticator"));
            }
            audit(
                tx.as_mut(),
                ctx,
                user.tenant,
                "user.totp_remove",
                Some(user.id),
                json!({}),
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// An administrator resets a user's second factors (`user:update`): authenticator,
    /// recovery codes and email codes go, and so do the user's sessions.
    pub async fn reset_second_factors(&self, ctx: &Ctx, user: Id) -> CoreResult<()> {
        self.retrying(|| async {
            let mut tx = self.write().await?;
            let (u, _) = self.visible_user(tx.as_mut(), ctx, user).await?;
            if !self.may(ctx, "user", "update", u.id) || ctx.actor.is(u.id) {
                return Err(CoreError::forbidden(
                    "an administrator of the user resets their second factors",
                ));
            }
            let had = tx.delete_second_factors(u.id).await?;
            let had_email = tx.delete_email_factor(u.id).await?;
            tx.delete_user_tokens(
                u.id,
                &[TokenKind::Session, TokenKind::Mfa, TokenKind::EmailCode],
            )
            .await?;
            audit(
                tx.as_mut(),
                ctx,
                u.tenant,
                "user.second_factors_reset",
                Some(u.id),
                json!({"had_authenticator": had, "had_email_codes": had_email}),
            )
            .await?;
            self.commit_access(tx, &[AccessChange::new(AccessKind::User, u.id)])
                .await
        })
        .await
    }

    /// Finishes a login that answered `next: mfa`, with a TOTP code or a recovery code. A
    /// code is accepted once; failed codes are throttled like passwords.
    pub async fn finish_mfa(
        &self,
        ctx: &Ctx,
        mfa_token: &str,
        code: &str,
    ) -> CoreResult<LoginOutcome> {
        self.retrying(|| self.finish_mfa_once(ctx, mfa_token, code))
            .await
    }

    async fn finish_mfa_once(
        &self,
        ctx: &Ctx,
        mfa_token: &str,
        code: &str,
    ) -> CoreResult<LoginOutcome> {
        let expired = || CoreError::Unauthenticated {
            code: "mfa_expired",
            message: "this sign-in step has expired; sign in again".into(),
        };
        if !secret::well_formed(mfa_token) || code.len() > 64 {
            return Err(expired());
        }
        let at = now();
        let mut tx = self.write().await?;
        let (record, user) = step_user(tx.as_mut(), mfa_token, TokenKind::Mfa)
            .await
            .map_err(|_| expired())?;
        let key = format!("mfa:{}", user.id);
        let window_start = super::auth::throttle_window_start(at);
        let attempts = tx.count_login_attempt(&key, at, window_start).await?;
        let throttled = attempts > MFA_ATTEMPTS;
        let accepted = !throttled
            && self
                .accept_code(tx.as_mut(), &user, record.id, code.trim())
                .await?;
        let mut as_user = ctx.clone();
        as_user.actor.user = Some(user.id);
        if !accepted {
            audit(
                tx.as_mut(),
                &as_user,
                user.tenant,
                "auth.mfa_failed",
                Some(user.id),
                json!({"reason": if throttled { "throttled" } else { "wrong code" }}),
            )
            .await?;
            tx.commit().await?;
            super::auth::failure_delay(attempts).await;
            return Err(invalid_code());
        }
        tx.clear_login_attempts(&key).await?;
        tx.delete_token(record.id).await?;
        tx.delete_user_tokens(user.id, &[TokenKind::EmailCode])
            .await?;
        let outcome = self.open_after_password(tx.as_mut(), user, false).await?;
        audit(
            tx.as_mut(),
            &as_user,
            outcome.user.tenant,
            "auth.login",
            Some(outcome.user.id),
            json!({"second_factor": true, "next": outcome.next.map(|n| n.as_str())}),
        )
        .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Whether `code` is the user's current TOTP code (not used before), the code emailed
    /// for this second-factor step (`step`, used up now) or one of their recovery codes
    /// (used up now).
    async fn accept_code(
        &self,
        tx: &mut dyn StoreTx,
        user: &User,
        step: Id,
        code: &str,
    ) -> CoreResult<bool> {
        let factor = tx.get_totp(user.id).await?.filter(|f| f.confirmed);
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            if let Some(factor) = &factor {
                let t = totp(&factor.secret, &user.login)?;
                if let Some(s) = matching_step(&t, code) {
                    if tx.use_totp_step(user.id, s).await? {
                        return Ok(true);
                    }
                }
            }
            return self.use_email_code(tx, user, step, code).await;
        }
        if factor.is_none() {
            return Ok(false);
        }
        Ok(tx.use_recovery_code(user.id, &recovery_hash(code)).await?)
    }

    /// Whether `policy` (the user's tenant's) requires a second factor of the user.
    pub(super) fn must_enrol(&self, user: &User, policy: &Policy) -> bool {
        match policy.second_factor {
            SecondFactorRule::None => false,
            SecondFactorRule::Everyone => true,
            SecondFactorRule::Administrators => self.administers_something(user.id),
        }
    }

    /// Whether some allow grant reaching the user gives a permission to change one of
    /// roster's own objects (anything beyond `read` on users, groups, grants, settings …).
    fn administers_something(&self, user: Id) -> bool {
        let reaching = self
            .access
            .read(|ix| ix.grants_reaching(user, micros(now())));
        reaching
            .iter()
            .filter(|r| r.effect == Effect::Allow)
            .flat_map(|r| r.permissions.iter())
            .any(|p| {
                BUILTIN_TYPES.iter().any(|(rtype, actions)| {
                    actions
                        .iter()
                        .any(|a| *a != "read" && Wanted::new(rtype, a).covered_by(p))
                })
            })
    }

    /// The caller's own account, for what only its owner does (not from inside a login as
    /// user).
    pub(super) async fn own_account(&self, ctx: &Ctx) -> CoreResult<User> {
        if ctx.actor.impersonator.is_some() {
            return Err(CoreError::forbidden(
                "second factors and email verification are done by the account's owner, not from a login as user",
            ));
        }
        self.me(ctx).await
    }
}

/// The second factors a login may answer with (empty: none is set up).
pub(super) fn second_factor_methods(state: &SignInState) -> Vec<&'static str> {
    let mut methods = Vec::new();
    if state.totp {
        methods.extend(["totp", "recovery_code"]);
    }
    if state.email {
        methods.push("email");
    }
    methods
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_are_matched_however_they_are_typed() {
        let code = recovery_code();
        assert_eq!(code.len(), 11);
        assert_eq!(recovery_hash(&code), recovery_hash(&code.to_uppercase()));
        assert_eq!(recovery_hash(&code), recovery_hash(&code.replace('-', " ")));
        assert_ne!(recovery_hash(&code), recovery_hash(&recovery_code()));
    }
}
