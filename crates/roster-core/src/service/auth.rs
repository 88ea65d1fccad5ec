//! Who a caller is: password login, sessions, API tokens, activation links, logout.

use super::password_links::claim_link;
use super::second_factor::second_factor_methods;
use super::settings::POLICY;
use super::{audit, audit_event, Ctx, Service};
use crate::authz::Actor;
use crate::error::{CoreError, CoreResult};
use crate::ids::{new_id, now, Id, Timestamp, SYSTEM_NODE_ID};
use crate::model::{
    AccessChange, AccessKind, SignInState, TokenKind, TokenRecord, User, UserKind, UserStatus,
};
use crate::store::{BatchWrite, SignInAttempt, SignInCount, StoreError, StoreTx, TenantScope};
use crate::{password, secret, validate};
use chrono::Duration;
use serde_json::json;

/// What a login still needs before it is a full session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginNext {
    /// The password must be changed; the token may only do that.
    ChangePassword,
    /// A second factor is needed: the token is the `mfa_token` for `POST /auth/mfa`.
    Mfa,
    /// The policy requires a second factor and the user has none: the token may only set
    /// one up (`POST /auth/mfa/enrol…`).
    MfaEnrolment,
}

impl LoginNext {
    /// The stable name clients see in `next`.
    pub fn as_str(self) -> &'static str {
        match self {
            LoginNext::ChangePassword => "change_password",
            LoginNext::Mfa => "mfa",
            LoginNext::MfaEnrolment => "mfa_enrolment",
        }
    }
}

/// A successful login: the session secret (shown once) and who logged in.
#[derive(Debug, Clone)]
pub struct LoginOutcome {
    /// What is still needed, if anything; then `token` is not a full session.
    pub next: Option<LoginNext>,
    /// The session secret: the bearer token and the cookie's value.
    pub token: String,
    /// The session as stored.
    pub session: TokenRecord,
    /// The user.
    pub user: User,
    /// With `next: Mfa`, the second factors the user may answer with (`totp`,
    /// `recovery_code`, `email`); with `next: MfaEnrolment`, those they may set up.
    pub methods: Vec<&'static str>,
}

/// A freshly made API token: the secret (shown once) and its record.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    /// The secret.
    pub token: String,
    /// The stored record.
    pub record: TokenRecord,
}

/// Touch a session at most this often, so reads do not turn into writes.
const TOUCH_EVERY_SECONDS: i64 = 60;
/// Failed attempts an account may have within the window; more lock it until the window
/// has passed without attempts (each refused attempt restarts it).
const ACCOUNT_ATTEMPTS: i64 = 5;
/// Failed logins one client address may have within the window, over all accounts.
const ADDRESS_FAILURES: i64 = 50;
/// The throttling window, in minutes.
const THROTTLE_WINDOW_MINUTES: i64 = 15;
/// Failures of one account answered at once; later ones wait, longer each time.
const FREE_FAILURES: i64 = 2;
/// The wait before answering the first delayed failure, doubling with each further one.
const FIRST_DELAY_MS: u64 = 250;
/// The longest wait before a failure is answered.
const MAX_DELAY_MS: u64 = 2_000;
/// How long the second-factor step of a login may take.
const MFA_MINUTES: i64 = 5;
/// How long a login that must change its password has to do it.
const PASSWORD_CHANGE_MINUTES: i64 = 10;
/// The longest an API token may live.
const MAX_API_TOKEN_DAYS: i64 = 2 * 365;
/// An API token's lifetime when none is asked for.
const DEFAULT_API_TOKEN_DAYS: i64 = 90;

/// The access change that makes every node forget the caller's cached tokens.
pub(super) fn token_ended(ctx: &Ctx) -> Vec<AccessChange> {
    ctx.actor
        .user
        .map(|u| AccessChange::new(AccessKind::User, u))
        .into_iter()
        .collect()
}

/// The throttling key of a client address.
fn address_key(address: &str) -> String {
    format!("address:{address}")
}

/// Where the throttling window that ends at `at` starts: attempts before it are forgotten.
pub(super) fn throttle_window_start(at: Timestamp) -> Timestamp {
    at - Duration::minutes(THROTTLE_WINDOW_MINUTES)
}

/// How long to wait before answering the `count`th failed attempt of an account (or
/// second-factor step) within the window: nothing for the first two, then 250 ms doubling
/// up to 2 s. Known and unknown logins, locked or not, wait alike.
pub(super) async fn failure_delay(count: i64) {
    if count <= FREE_FAILURES {
        return;
    }
    let doublings = (count - FREE_FAILURES - 1).min(8) as u32;
    let ms = (FIRST_DELAY_MS << doublings).min(MAX_DELAY_MS);
    tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
}

fn invalid_credentials() -> CoreError {
    CoreError::Unauthenticated {
        code: "invalid_credentials",
        message: "the login or the password is wrong".into(),
    }
}

/// A second-factor code that is wrong, used before, or throttled.
pub(super) fn invalid_code() -> CoreError {
    CoreError::Unauthenticated {
        code: "invalid_code",
        message: "the code is wrong or was used before".into(),
    }
}

fn unauthenticated() -> CoreError {
    CoreError::Unauthenticated {
        code: "unauthenticated",
        message: "sign in first: the session or token is missing, expired or revoked".into(),
    }
}

impl Service {
    /// Checks a login and password and opens a session. The answer never tells whether the
    /// login exists: unknown logins cost the same hash as known ones.
    pub async fn login(&self, ctx: &Ctx, login: &str, password: &str) -> CoreResult<LoginOutcome> {
        self.retrying(|| self.login_once(ctx, login, password))
            .await
    }

    /// One attempt of [`Service::login`].
    async fn login_once(&self, ctx: &Ctx, login: &str, password: &str) -> CoreResult<LoginOutcome> {
        let oversized = login.is_empty() || login.len() > validate::MAX_LOGIN * 4;
        // Every attempt is counted and committed before its answer is given, so that parallel
        // guesses cannot learn more answers than the limit allows. Unknown logins are
        // counted the same way.
        let account_key = format!(
            "account:{}",
            if oversized { "" } else { login.trim() }.to_lowercase()
        );
        // The hash starts as soon as the account's stored hash is read (one statement, no
        // transaction). The count, its commit and the read of what a session would need run
        // in one write transaction while the hash does, and the answer waits for both, so
        // parallel guesses still learn no more answers than the limit allows.
        let found = if oversized {
            None
        } else {
            self.store.login_record(login.trim()).await?
        };
        let (user, hash) = match found {
            Some((u, h)) => (Some(u), h),
            None => (None, None),
        };
        // A hash made with other parameters (roster's one-lane hashes from before) is made
        // again once the password is known to be right.
        let stale_hash = hash
            .as_deref()
            .filter(|h| !password::is_current(h))
            .map(str::to_owned);
        let address = ctx.address.as_deref().map(address_key);
        let at = now();
        let attempt = SignInAttempt {
            account: &account_key,
            address: address.as_deref(),
            at,
            window_start: throttle_window_start(at),
            state_of: user.as_ref().map(|u| (u.id, u.tenant, POLICY)),
        };
        let (verified, counted) = tokio::join!(
            self.hasher.verify(password, hash),
            self.store.count_sign_in_attempt(&attempt)
        );
        let SignInCount {
            account: attempts,
            address: address_attempts,
            state,
        } = counted?;
        let throttled = attempts > ACCOUNT_ATTEMPTS || address_attempts >= ADDRESS_FAILURES;
        // A throttled attempt costs the same hash and is refused whatever it found.
        let ok = verified? && !throttled;
        // What follows the hash is written as one batch (see `Store::write_batch`).
        let (user, state) = match (user, state) {
            (Some(u), Some(state)) if ok && u.status == UserStatus::Active => (u, state),
            (other, _) => {
                let reason = match &other {
                    _ if throttled => "throttled",
                    None => "unknown login",
                    Some(_) if !ok => "wrong password",
                    Some(u) if u.status == UserStatus::Disabled => "user disabled",
                    Some(_) => "user pending activation",
                };
                return Err(self
                    .refuse_login(ctx, other.as_ref(), reason, attempts)
                    .await);
            }
        };
        let (outcome, token_hash) = self.sign_in_token(user, Some(&state)).await?;
        // The stored hash and its replacement, when it is to be made again.
        let upgrade = match stale_hash {
            Some(from) => self.hasher.hash(password).await.ok().map(|to| (from, to)),
            None => None,
        };
        let mut as_user = ctx.clone();
        as_user.actor.user = Some(outcome.user.id);
        let mut summary = match outcome.next {
            Some(next) => json!({"next": next.as_str()}),
            None => json!({}),
        };
        if upgrade.is_some() {
            summary["password_rehashed"] = json!(true);
        }
        let event = audit_event(
            &as_user,
            outcome.user.tenant,
            "auth.login",
            Some(outcome.user.id),
            summary,
        );
        let mut writes = vec![
            BatchWrite::ClearLoginAttempts(&account_key),
            BatchWrite::InsertSignInToken {
                token: &outcome.session,
                hash: &token_hash,
            },
            BatchWrite::Audit(&event),
        ];
        if let Some((from, to)) = &upgrade {
            writes.push(BatchWrite::UpgradePasswordHash {
                user: outcome.user.id,
                from,
                to,
            });
        }
        let opened = self.store.write_batch(&writes).await;
        match opened {
            Ok(()) => Ok(outcome),
            // Disabled or deleted while the hash ran: a failed login, as it would be now.
            Err(StoreError::UserNotActive) => Err(self
                .refuse_login(
                    ctx,
                    Some(&outcome.user),
                    "user disabled or deleted",
                    attempts,
                )
                .await),
            Err(e) => Err(e.into()),
        }
    }

    /// Audits a refused login (and counts it against the client's address), waits as long
    /// as the account's `attempts` ask, and answers the one error every refusal gets.
    async fn refuse_login(
        &self,
        ctx: &Ctx,
        user: Option<&User>,
        reason: &str,
        attempts: i64,
    ) -> CoreError {
        let tenant = user.map_or(SYSTEM_NODE_ID, |u| u.tenant);
        let event = audit_event(
            ctx,
            tenant,
            "auth.login_failed",
            user.map(|u| u.id),
            json!({"reason": reason}),
        );
        let at = now();
        let address = ctx.address.as_deref().map(address_key);
        let mut writes = Vec::with_capacity(2);
        if let Some(key) = &address {
            writes.push(BatchWrite::CountLoginAttempt {
                key,
                at,
                window_start: throttle_window_start(at),
            });
        }
        writes.push(BatchWrite::Audit(&event));
        if let Err(e) = self.store.write_batch(&writes).await {
            return e.into();
        }
        failure_delay(attempts).await;
        invalid_credentials()
    }

    /// What a right password opens: the second-factor step (when `ask_factor` and the user
    /// has one), else the set-up of one (when `ask_factor` and the tenant's policy requires
    /// one of this user), else a password-change-only token (when they must change it), else
    /// a session.
    pub(super) async fn open_after_password(
        &self,
        tx: &mut dyn StoreTx,
        user: User,
        ask_factor: bool,
    ) -> CoreResult<LoginOutcome> {
        let state = if ask_factor {
            Some(tx.sign_in_state(user.id, user.tenant, POLICY).await?)
        } else {
            None
        };
        self.open_with_state(tx, user, state.as_ref()).await
    }

    /// [`Service::open_after_password`] with the user's second factors and policy read
    /// already (`None`: ask for no second factor).
    async fn open_with_state(
        &self,
        tx: &mut dyn StoreTx,
        user: User,
        state: Option<&SignInState>,
    ) -> CoreResult<LoginOutcome> {
        let (outcome, hash) = self.sign_in_token(user, state).await?;
        tx.insert_sign_in_token(&outcome.session, &hash).await?;
        Ok(outcome)
    }

    /// The token a right password opens (see [`Service::next_step`]), not stored yet, with
    /// the hash of its secret to store it under.
    async fn sign_in_token(
        &self,
        user: User,
        state: Option<&SignInState>,
    ) -> CoreResult<(LoginOutcome, [u8; 32])> {
        let (kind, methods) = self.next_step(&user, state).await?;
        let (mut outcome, hash) = self.new_token(user, kind);
        outcome.methods = methods;
        Ok((outcome, hash))
    }

    /// What a right password leads to, given the user's second factors and policy (`None`:
    /// ask for no second factor): the kind of token to open, and the second factors the
    /// user may answer with or set up.
    async fn next_step(
        &self,
        user: &User,
        state: Option<&SignInState>,
    ) -> CoreResult<(TokenKind, Vec<&'static str>)> {
        if let Some(state) = state {
            let methods = second_factor_methods(state);
            if !methods.is_empty() {
                return Ok((TokenKind::Mfa, methods));
            }
            let policy = super::settings::parse_policy(state.policy.as_deref())?;
            if self.must_enrol(user, &policy) {
                let mut methods = vec!["totp"];
                if user.email_verified && self.mail_route().await.is_ok() {
                    methods.push("email");
                }
                return Ok((TokenKind::MfaEnrolment, methods));
            }
        }
        let kind = if user.must_change_password {
            TokenKind::PasswordChange
        } else {
            TokenKind::Session
        };
        Ok((kind, Vec::new()))
    }

    /// Opens a full session for `user` in `tx` (only while the user is active there: see
    /// [`StoreTx::insert_sign_in_token`]).
    pub(super) async fn open_session(
        &self,
        tx: &mut dyn StoreTx,
        user: User,
    ) -> CoreResult<LoginOutcome> {
        let (outcome, hash) = self.new_token(user, TokenKind::Session);
        tx.insert_sign_in_token(&outcome.session, &hash).await?;
        Ok(outcome)
    }

    /// A new token of `kind` for `user`, not stored yet: the outcome that names it, and the
    /// hash of its secret to store it under.
    fn new_token(&self, user: User, kind: TokenKind) -> (LoginOutcome, [u8; 32]) {
        let token = secret::generate();
        let at = now();
        let (lifetime, next) = match kind {
            TokenKind::PasswordChange => (
                Duration::minutes(PASSWORD_CHANGE_MINUTES),
                Some(LoginNext::ChangePassword),
            ),
            TokenKind::Mfa => (Duration::minutes(MFA_MINUTES), Some(LoginNext::Mfa)),
            TokenKind::MfaEnrolment => (
                Duration::minutes(PASSWORD_CHANGE_MINUTES),
                Some(LoginNext::MfaEnrolment),
            ),
            _ => (self.settings.session_lifetime, None),
        };
        let session = TokenRecord {
            id: new_id(),
            user: user.id,
            tenant: user.tenant,
            kind,
            name: None,
            created_at: at,
            expires_at: at + lifetime,
            last_used_at: at,
            impersonator: None,
        };
        let hash = secret::hash(&token);
        let outcome = LoginOutcome {
            next,
            token,
            session,
            user,
            methods: Vec::new(),
        };
        (outcome, hash)
    }

    /// The actor behind a session or API token secret.
    pub async fn authenticate(&self, token: &str) -> CoreResult<Actor> {
        const KINDS: &[TokenKind] = &[TokenKind::Session, TokenKind::Api, TokenKind::Impersonation];
        self.retrying(|| self.authenticate_once(token, KINDS)).await
    }

    /// The actor behind a session or a password-change token: the one way in for changing
    /// one's own password, including right after a login that requires it.
    pub async fn authenticate_password_change(&self, token: &str) -> CoreResult<Actor> {
        const KINDS: &[TokenKind] = &[TokenKind::Session, TokenKind::PasswordChange];
        self.retrying(|| self.authenticate_once(token, KINDS)).await
    }

    /// One attempt of [`Service::authenticate`] for tokens of `kinds`.
    async fn authenticate_once(&self, token: &str, kinds: &[TokenKind]) -> CoreResult<Actor> {
        if !secret::well_formed(token) {
            return Err(unauthenticated());
        }
        let at = now();
        if !self.access.is_loaded() {
            self.refresh_access().await;
        }
        let hash = secret::hash(token);
        let version = self.access.read(|ix| ix.version());
        if let Some(actor) = self.tokens.get(&hash, kinds, version, at) {
            return Ok(actor);
        }
        let mut tx = self.read().await?;
        let record = tx
            .get_token_by_hash(&hash)
            .await?
            .filter(|t| kinds.contains(&t.kind))
            .filter(|t| t.expires_at > at)
            .filter(|t| {
                t.kind != TokenKind::Session || t.last_used_at + self.settings.session_idle > at
            })
            .ok_or_else(unauthenticated)?;
        let user = tx
            .get_user(TenantScope::All, record.user)
            .await?
            .filter(|u| u.status == UserStatus::Active)
            .ok_or_else(unauthenticated)?;
        drop(tx);
        if at - record.last_used_at > Duration::seconds(TOUCH_EVERY_SECONDS) {
            let mut tx = self.write().await?;
            tx.touch_token(record.id, at).await?;
            tx.commit().await?;
        }
        let system_admin = self
            .access
            .read(|ix| ix.is_system_admin(user.id, crate::access::micros(at)));
        let actor = Actor {
            user: Some(user.id),
            tenant: user.tenant,
            system_admin,
            token: Some(record.id),
            impersonator: record.impersonator,
        };
        let expires = match record.kind {
            TokenKind::Session => record.expires_at.min(at + self.settings.session_idle),
            _ => record.expires_at,
        };
        self.tokens.put(hash, &actor, record.kind, expires, version);
        Ok(actor)
    }

    /// The caller's own account.
    pub async fn me(&self, ctx: &Ctx) -> CoreResult<User> {
        let id = ctx.actor.user.ok_or_else(unauthenticated)?;
        let mut tx = self.read().await?;
        tx.get_user(TenantScope::All, id)
            .await?
            .ok_or_else(unauthenticated)
    }

    /// Ends the caller's session (or revokes the API token they used).
    pub async fn logout(&self, ctx: &Ctx) -> CoreResult<()> {
        self.retrying(|| self.logout_once(ctx)).await
    }

    /// One attempt of [`Service::logout`].
    async fn logout_once(&self, ctx: &Ctx) -> CoreResult<()> {
        let token = ctx.actor.token.ok_or_else(unauthenticated)?;
        let mut tx = self.write().await?;
        if tx.delete_token(token).await? {
            audit(
                tx.as_mut(),
                ctx,
                ctx.actor.tenant,
                "auth.logout",
                ctx.actor.user,
                json!({}),
            )
            .await?;
        }
        self.commit_access(tx, &token_ended(ctx)).await
    }

    /// Makes a named API token for the caller, valid until `expires_at` (default 90 days).
    pub async fn create_api_token(
        &self,
        ctx: &Ctx,
        name: &str,
        expires_at: Option<Timestamp>,
    ) -> CoreResult<NewApiToken> {
        self.retrying(|| self.create_api_token_once(ctx, name, expires_at))
            .await
    }

    /// One attempt of [`Service::create_api_token`].
    async fn create_api_token_once(
        &self,
        ctx: &Ctx,
        name: &str,
        expires_at: Option<Timestamp>,
    ) -> CoreResult<NewApiToken> {
        let user = ctx.actor.user.ok_or_else(unauthenticated)?;
        if ctx.actor.impersonator.is_some() {
            return Err(CoreError::forbidden(
                "API tokens are made by their owner, not from a login as user",
            ));
        }
        let name = validate::name("name", name)?;
        let at = now();
        let expires_at = expires_at.unwrap_or(at + Duration::days(DEFAULT_API_TOKEN_DAYS));
        if expires_at <= at || expires_at > at + Duration::days(MAX_API_TOKEN_DAYS) {
            return Err(CoreError::invalid(
                "invalid_expiry",
                "expires_at",
                format!(
                    "expires_at must be in the future and at most {MAX_API_TOKEN_DAYS} days away"
                ),
            ));
        }
        let token = secret::generate();
        let record = TokenRecord {
            id: new_id(),
            user,
            tenant: ctx.actor.tenant,
            kind: TokenKind::Api,
            name: Some(name),
            created_at: at,
            expires_at,
            last_used_at: at,
            impersonator: None,
        };
        let mut tx = self.write().await?;
        tx.insert_token(&record, &secret::hash(&token)).await?;
        audit(
            tx.as_mut(),
            ctx,
            ctx.actor.tenant,
            "api_token.create",
            Some(record.id),
            json!({"name": record.name, "expires_at": record.expires_at}),
        )
        .await?;
        tx.commit().await?;
        Ok(NewApiToken { token, record })
    }

    /// The caller's API tokens (never their secrets).
    pub async fn list_api_tokens(&self, ctx: &Ctx) -> CoreResult<Vec<TokenRecord>> {
        let user = ctx.actor.user.ok_or_else(unauthenticated)?;
        let mut tx = self.read().await?;
        Ok(tx.list_user_tokens(user, TokenKind::Api).await?)
    }

    /// Revokes one of the caller's API tokens.
    pub async fn revoke_api_token(&self, ctx: &Ctx, id: Id) -> CoreResult<()> {
        self.retrying(|| self.revoke_api_token_once(ctx, id)).await
    }

    /// One attempt of [`Service::revoke_api_token`].
    async fn revoke_api_token_once(&self, ctx: &Ctx, id: Id) -> CoreResult<()> {
        let user = ctx.actor.user.ok_or_else(unauthenticated)?;
        let mut tx = self.write().await?;
        let owned = tx
            .list_user_tokens(user, TokenKind::Api)
            .await?
            .iter()
            .any(|t| t.id == id);
        if !owned || !tx.delete_token(id).await? {
            return Err(CoreError::not_found("token"));
        }
        audit(
            tx.as_mut(),
            ctx,
            ctx.actor.tenant,
            "api_token.revoke",
            Some(id),
            json!({}),
        )
        .await?;
        self.commit_access(tx, &token_ended(ctx)).await
    }

    /// Issues a one-time activation link token for a pending user, voiding older ones.
    pub(super) async fn issue_activation_token(
        &self,
        tx: &mut dyn StoreTx,
        user: &User,
    ) -> CoreResult<String> {
        tx.delete_user_tokens(user.id, &[TokenKind::Activation])
            .await?;
        let token = secret::generate();
        let at = now();
        let record = TokenRecord {
            id: new_id(),
            user: user.id,
            tenant: user.tenant,
            kind: TokenKind::Activation,
            name: None,
            created_at: at,
            expires_at: at + self.settings.activation_ttl,
            last_used_at: at,
            impersonator: None,
        };
        tx.insert_token(&record, &secret::hash(&token)).await?;
        Ok(token)
    }

    /// Redeems an activation link: sets the password, activates the user and logs them in.
    /// A link works once; of two parallel redemptions exactly one succeeds.
    pub async fn activate(
        &self,
        ctx: &Ctx,
        token: &str,
        password: &str,
    ) -> CoreResult<LoginOutcome> {
        self.retrying(|| self.activate_once(ctx, token, password))
            .await
    }

    /// One attempt of [`Service::activate`].
    async fn activate_once(
        &self,
        ctx: &Ctx,
        token: &str,
        password: &str,
    ) -> CoreResult<LoginOutcome> {
        let invalid_link = || {
            CoreError::invalid(
                "invalid_token",
                "token",
                "the activation link is invalid, used or expired",
            )
        };
        let holder = self
            .link_holder(token, TokenKind::Activation, password, invalid_link)
            .await?;
        let mut tx = self.write().await?;
        claim_link(
            tx.as_mut(),
            &holder.hash,
            TokenKind::Activation,
            holder.user.id,
            invalid_link,
        )
        .await?;
        let mut user = tx
            .get_user(TenantScope::All, holder.user.id)
            .await?
            .ok_or_else(invalid_link)?;
        if user.status != UserStatus::Pending || user.kind != UserKind::Internal {
            return Err(CoreError::conflict(
                "not_pending",
                "this account is already activated",
            ));
        }
        tx.set_password_hash(user.id, Some(&holder.phc)).await?;
        user.status = UserStatus::Active;
        user.version += 1;
        user.updated_at = now();
        tx.update_user(&user).await?;
        let mut as_user = ctx.clone();
        as_user.actor.user = Some(user.id);
        audit(
            tx.as_mut(),
            &as_user,
            user.tenant,
            "user.activate",
            Some(user.id),
            json!({}),
        )
        .await?;
        let changed = AccessChange::new(AccessKind::User, user.id);
        let outcome = self.open_session(tx.as_mut(), user).await?;
        self.commit_access(tx, &[changed]).await?;
        Ok(outcome)
    }
}
