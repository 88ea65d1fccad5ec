//! A tenant's rules for passwords and second factors, and the password check that applies
//! them. The install's own policy (under the system root) governs system administrators.

use crate::error::{CoreError, CoreResult};
use serde::{Deserialize, Serialize};

/// The shortest minimum length a policy may set (NIST SP 800-63B's floor).
pub const MIN_PASSWORD_FLOOR: u32 = 8;
/// The longest password accepted, in characters, whatever the policy.
pub const MAX_PASSWORD: usize = 256;
/// The default minimum length.
pub const DEFAULT_MIN_PASSWORD: u32 = 12;
/// How much of a password the guessability estimate reads: beyond this, length alone makes
/// a password strong, and the estimate's cost grows with length.
const ESTIMATE_CHARS: usize = 64;

/// Who must use a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SecondFactorRule {
    /// Nobody is made to (anyone may).
    #[default]
    None,
    /// Users who administer something: hold a change permission on roster's own objects
    /// (users, groups, grants, …) anywhere.
    Administrators,
    /// Every user.
    Everyone,
}

/// A tenant's (or the install's) policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// Passwords have at least this many characters (8 to 256, default 12).
    pub password_min_length: u32,
    /// Of lower-case letters, upper-case letters, digits and other characters, a password
    /// uses at least this many kinds (0 to 4; default 0: no composition rule).
    pub password_character_classes: u8,
    /// Refuse passwords that are common or easy to guess (a shipped list of common
    /// passwords, words and names, keyboard walks, repeats, sequences and dates), or built
    /// from the user's own login, email or name.
    pub password_refuse_common: bool,
    /// Who must sign in with a second factor.
    pub second_factor: SecondFactorRule,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            password_min_length: DEFAULT_MIN_PASSWORD,
            password_character_classes: 0,
            password_refuse_common: true,
            second_factor: SecondFactorRule::None,
        }
    }
}

/// What a password must not be built from: the account's own login, email and names.
#[derive(Debug, Clone, Default)]
pub struct PersonalWords<'a> {
    /// The login.
    pub login: &'a str,
    /// The email address.
    pub email: Option<&'a str>,
    /// First name.
    pub first_name: Option<&'a str>,
    /// Last name.
    pub last_name: Option<&'a str>,
}

impl<'a> From<&'a crate::model::User> for PersonalWords<'a> {
    fn from(u: &'a crate::model::User) -> Self {
        PersonalWords {
            login: &u.login,
            email: u.email.as_deref(),
            first_name: u.first_name.as_deref(),
            last_name: u.last_name.as_deref(),
        }
    }
}

impl PersonalWords<'_> {
    fn all(&self) -> Vec<&str> {
        let local = self.email.and_then(|e| e.split('@').next());
        [
            Some(self.login),
            self.email,
            local,
            self.first_name,
            self.last_name,
        ]
        .into_iter()
        .flatten()
        .filter(|w| !w.is_empty())
        .collect()
    }
}

fn refused(code: &'static str, message: String) -> CoreError {
    CoreError::invalid(code, "password", message)
}

impl Policy {
    /// Checks the policy's own values; a field error names the bad one.
    pub fn validate(&self) -> CoreResult<()> {
        if !(MIN_PASSWORD_FLOOR..=MAX_PASSWORD as u32).contains(&self.password_min_length) {
            return Err(CoreError::invalid(
                "out_of_range",
                "password_min_length",
                format!(
                    "password_min_length must be between {MIN_PASSWORD_FLOOR} and {MAX_PASSWORD}"
                ),
            ));
        }
        if self.password_character_classes > 4 {
            return Err(CoreError::invalid(
                "out_of_range",
                "password_character_classes",
                "password_character_classes must be between 0 and 4",
            ));
        }
        Ok(())
    }

    /// Whether `password` may be set for the account with these personal words. The
    /// cheap rules come first; the guessability estimate (a few milliseconds, more for long
    /// repetitive input) last, so call this off the async runtime.
    pub fn check_password(&self, password: &str, personal: &PersonalWords<'_>) -> CoreResult<()> {
        let n = password.chars().count();
        if n < self.password_min_length as usize {
            return Err(refused(
                "password_too_short",
                format!(
                    "password must be at least {} characters",
                    self.password_min_length
                ),
            ));
        }
        if n > MAX_PASSWORD {
            return Err(refused(
                "password_too_long",
                format!("password must be at most {MAX_PASSWORD} characters"),
            ));
        }
        if password.contains('\0') {
            return Err(CoreError::invalid(
                "invalid_characters",
                "password",
                "password must not contain NUL characters",
            ));
        }
        let lower = password.to_lowercase();
        if lower == personal.login.to_lowercase() {
            return Err(refused(
                "password_is_login",
                "password must not be the login".into(),
            ));
        }
        let words = personal.all();
        if words.iter().any(|w| lower == w.to_lowercase()) {
            return Err(refused(
                "password_is_personal",
                "password must not be your email address or name".into(),
            ));
        }
        let classes = [
            password.chars().any(char::is_lowercase),
            password.chars().any(char::is_uppercase),
            password.chars().any(|c| c.is_ascii_digit()),
            password.chars().any(|c| !c.is_alphanumeric()),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if classes < usize::from(self.password_character_classes) {
            return Err(refused(
                "password_needs_character_classes",
                format!(
                    "password must use at least {} of: lower-case letters, upper-case letters, digits, other characters",
                    self.password_character_classes
                ),
            ));
        }
        if self.password_refuse_common {
            let head: String = password.chars().take(ESTIMATE_CHARS).collect();
            let estimate = zxcvbn::zxcvbn(&head, &words);
            if u8::from(estimate.score()) < 3 {
                let why = estimate
                    .feedback()
                    .and_then(|f| f.warning())
                    .map(|w| format!(": {w}"))
                    .unwrap_or_default();
                return Err(refused(
                    "password_too_common",
                    format!("password is too easy to guess{why}"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann() -> PersonalWords<'static> {
        PersonalWords {
            login: "ann.smith",
            email: Some("ann.smith@example.com"),
            first_name: Some("Ann"),
            last_name: Some("Smithsonian-Holloway"),
        }
    }

    fn code(r: CoreResult<()>) -> &'static str {
        match r {
            Ok(()) => "ok",
            Err(CoreError::Invalid { code, .. }) => code,
            Err(_) => "other",
        }
    }

    #[test]
    fn the_default_policy_takes_long_uncommon_passwords() {
        let p = Policy::default();
        assert_eq!(
            code(p.check_password("user-password-for-tests", &ann())),
            "ok"
        );
        assert_eq!(code(p.check_password("a brand new password", &ann())), "ok");
        assert_eq!(
            code(p.check_password("short one", &ann())),
            "password_too_short"
        );
        assert_eq!(
            code(p.check_password(&"x".repeat(MAX_PASSWORD + 1), &ann())),
            "password_too_long"
        );
        assert_eq!(
            code(p.check_password("with\0nul character", &ann())),
            "invalid_characters"
        );
    }

    #[test]
    fn common_and_patterned_passwords_are_refused() {
        let p = Policy::default();
        for pw in [
            "password1234",
            "passwordpassword",
            "qwertyuiop123",
            "123456789012",
            "aaaaaaaaaaaa",
            "abcdefghijkl",
            "iloveyou2024!",
        ] {
            assert_eq!(
                code(p.check_password(pw, &ann())),
                "password_too_common",
                "{pw}"
            );
        }
        let off = Policy {
            password_refuse_common: false,
            ..Policy::default()
        };
        assert_eq!(code(off.check_password("password1234", &ann())), "ok");
    }

    #[test]
    fn the_account_own_words_are_refused() {
        let p = Policy::default();
        let long_login = PersonalWords {
            login: "AnnTheLongLogin",
            ..ann()
        };
        assert_eq!(
            code(p.check_password("annthelonglogin", &long_login)),
            "password_is_login"
        );
        assert_eq!(
            code(p.check_password("ANN.SMITH@EXAMPLE.COM", &ann())),
            "password_is_personal"
        );
        assert_eq!(
            code(p.check_password("smithsonian-holloway", &ann())),
            "password_is_personal"
        );
    }

    #[test]
    fn length_and_composition_follow_the_policy() {
        let p = Policy {
            password_min_length: 20,
            password_character_classes: 3,
            ..Policy::default()
        };
        assert_eq!(
            code(p.check_password("a brand new password", &ann())),
            "password_needs_character_classes"
        );
        assert_eq!(
            code(p.check_password("A brand new password 7", &ann())),
            "ok"
        );
        assert_eq!(
            code(p.check_password("Brand new pass 7", &ann())),
            "password_too_short"
        );
    }

    #[test]
    fn policies_refuse_values_out_of_range() {
        for bad in [
            Policy {
                password_min_length: 7,
                ..Policy::default()
            },
            Policy {
                password_min_length: 257,
                ..Policy::default()
            },
            Policy {
                password_character_classes: 5,
                ..Policy::default()
            },
        ] {
            assert!(bad.validate().is_err(), "{bad:?}");
        }
        assert!(Policy::default().validate().is_ok());
        let partial: Policy = serde_json::from_str(r#"{"second_factor":"everyone"}"#).unwrap();
        assert_eq!(partial.password_min_length, DEFAULT_MIN_PASSWORD);
        assert_eq!(partial.second_factor, SecondFactorRule::Everyone);
        assert!(serde_json::from_str::<Policy>(r#"{"nope":1}"#).is_err());
    }
}
