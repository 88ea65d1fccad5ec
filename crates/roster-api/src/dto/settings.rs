//! The JSON shapes of the settings: outgoing email and password and second-factor policy.

use roster_core::mail::SmtpSecurity;
use roster_core::policy::{Policy, SecondFactorRule};
use roster_core::service::{PolicyChange, SmtpSource, SmtpView, UpdateSmtp};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SecurityDto {
    /// Plain SMTP.
    None,
    /// STARTTLS, required.
    Starttls,
    /// TLS from the start (SMTPS).
    Tls,
}

impl From<SmtpSecurity> for SecurityDto {
    fn from(s: SmtpSecurity) -> Self {
        match s {
            SmtpSecurity::None => SecurityDto::None,
            SmtpSecurity::Starttls => SecurityDto::Starttls,
            SmtpSecurity::Tls => SecurityDto::Tls,
        }
    }
}

impl From<SecurityDto> for SmtpSecurity {
    fn from(s: SecurityDto) -> Self {
        match s {
            SecurityDto::None => SmtpSecurity::None,
            SecurityDto::Starttls => SmtpSecurity::Starttls,
            SecurityDto::Tls => SmtpSecurity::Tls,
        }
    }
}

/// The outgoing-email settings in force. The password is never shown, only whether one is
/// set.
#[derive(Debug, Serialize, ToSchema)]
pub struct SmtpSettingsDto {
    /// Whether roster can send email.
    pub configured: bool,
    /// `settings` (saved by a system administrator, wins) or `configuration` (the server's
    /// `smtp_url`); absent when not configured.
    pub source: Option<String>,
    /// Mail server host.
    pub host: Option<String>,
    /// Its port.
    pub port: Option<u16>,
    /// Connection protection.
    pub security: Option<SecurityDto>,
    /// SMTP login.
    pub username: Option<String>,
    /// Whether a password is set.
    pub password_set: bool,
    /// Sender.
    pub from: Option<String>,
}

impl From<SmtpView> for SmtpSettingsDto {
    fn from(v: SmtpView) -> Self {
        let source = v.source.map(|s| {
            match s {
                SmtpSource::Settings => "settings",
                SmtpSource::Configuration => "configuration",
            }
            .to_string()
        });
        match v.settings {
            Some(s) => SmtpSettingsDto {
                configured: true,
                source,
                host: Some(s.host),
                port: Some(s.port),
                security: Some(s.security.into()),
                username: s.username,
                password_set: s.password.is_some(),
                from: Some(s.from),
            },
            None => SmtpSettingsDto {
                configured: false,
                source,
                host: None,
                port: None,
                security: None,
                username: None,
                password_set: false,
                from: None,
            },
        }
    }
}

/// Body of `PUT /settings/smtp`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSmtpBody {
    /// Mail server host.
    pub host: String,
    /// Its port.
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    pub security: SecurityDto,
    /// SMTP login, if the server wants one.
    #[serde(default)]
    pub username: Option<String>,
    /// Its password; leave it out to keep the saved one (for the same username).
    #[serde(default)]
    pub password: Option<String>,
    /// Sender: `address` or `Name <address>`.
    pub from: String,
}

impl From<UpdateSmtpBody> for UpdateSmtp {
    fn from(b: UpdateSmtpBody) -> Self {
        UpdateSmtp {
            host: b.host,
            port: b.port,
            security: b.security.into(),
            username: b.username,
            password: b.password,
            from: b.from,
        }
    }
}

/// Who must sign in with a second factor.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactorRuleDto {
    /// Nobody is made to.
    None,
    /// Users who administer something (hold a change permission on roster's own objects).
    Administrators,
    /// Everyone.
    Everyone,
}

impl From<SecondFactorRule> for SecondFactorRuleDto {
    fn from(r: SecondFactorRule) -> Self {
        match r {
            SecondFactorRule::None => SecondFactorRuleDto::None,
            SecondFactorRule::Administrators => SecondFactorRuleDto::Administrators,
            SecondFactorRule::Everyone => SecondFactorRuleDto::Everyone,
        }
    }
}

impl From<SecondFactorRuleDto> for SecondFactorRule {
    fn from(r: SecondFactorRuleDto) -> Self {
        match r {
            SecondFactorRuleDto::None => SecondFactorRule::None,
            SecondFactorRuleDto::Administrators => SecondFactorRule::Administrators,
            SecondFactorRuleDto::Everyone => SecondFactorRule::Everyone,
        }
    }
}

/// A tenant's (or the install's) password and second-factor policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyDto {
    /// Passwords have at least this many characters (8 to 256; default 12).
    pub password_min_length: u32,
    /// Kinds of characters a password must use (0 to 4 of lower, upper, digit, other;
    /// default 0).
    pub password_character_classes: u8,
    /// Whether common and easily guessed passwords, or ones built from the user's login,
    /// email or name, are refused (default true).
    pub password_refuse_common: bool,
    /// Who must sign in with a second factor (default `none`).
    pub second_factor: SecondFactorRuleDto,
}

impl From<Policy> for PolicyDto {
    fn from(p: Policy) -> Self {
        PolicyDto {
            password_min_length: p.password_min_length,
            password_character_classes: p.password_character_classes,
            password_refuse_common: p.password_refuse_common,
            second_factor: p.second_factor.into(),
        }
    }
}

/// Body of `PATCH …/policy`: the values to change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyPatchBody {
    /// Minimum password length.
    #[serde(default)]
    pub password_min_length: Option<u32>,
    /// Character kinds a password must use.
    #[serde(default)]
    pub password_character_classes: Option<u8>,
    /// Refuse common passwords.
    #[serde(default)]
    pub password_refuse_common: Option<bool>,
    /// Who must use a second factor.
    #[serde(default)]
    pub second_factor: Option<SecondFactorRuleDto>,
}

impl From<PolicyPatchBody> for PolicyChange {
    fn from(b: PolicyPatchBody) -> Self {
        PolicyChange {
            password_min_length: b.password_min_length,
            password_character_classes: b.password_character_classes,
            password_refuse_common: b.password_refuse_common,
            second_factor: b.second_factor.map(Into::into),
        }
    }
}
