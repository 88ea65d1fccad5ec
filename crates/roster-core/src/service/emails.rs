//! The emails roster sends, as plain text.

use crate::ids::Timestamp;
use crate::mail::Email;
use crate::model::User;

/// The greeting name of a user: their first name, or their login.
fn greeting(user: &User) -> &str {
    user.first_name.as_deref().unwrap_or(&user.login)
}

/// An activation link for a new account.
pub(super) fn activation(user: &User, to: &str, url: &str, expires_at: Timestamp) -> Email {
    Email {
        to: to.to_string(),
        subject: "Activate your roster account".into(),
        body: format!(
            "Hello {},\n\nan account with the login '{}' was created for you. Open this link to \
             choose your password:\n\n{url}\n\nThe link works once, until {} (UTC).\n",
            greeting(user),
            user.login,
            expires_at.format("%Y-%m-%d %H:%M")
        ),
    }
}

/// The test email of the outgoing-mail settings.
pub(super) fn test_message(to: &str) -> Email {
    Email {
        to: to.to_string(),
        subject: "roster test email".into(),
        body: "This is a test email from roster: outgoing email works.\n".into(),
    }
}

/// A link to choose a new password ("forgot password").
pub(super) fn password_reset(user: &User, to: &str, url: &str, expires_at: Timestamp) -> Email {
    Email {
        to: to.to_string(),
        subject: "Reset your roster password".into(),
        body: format!(
            "Hello {},\n\nsomeone asked to reset the password of the roster account '{}'. If \
             it was you, open this link to choose a new password:\n\n{url}\n\nThe link works \
             once, until {} (UTC). If it was not you, ignore this email: your password stays \
             as it is.\n",
            greeting(user),
            user.login,
            expires_at.format("%Y-%m-%d %H:%M")
        ),
    }
}

/// A link that confirms the user reads this email address.
pub(super) fn email_verification(user: &User, to: &str, url: &str) -> Email {
    Email {
        to: to.to_string(),
        subject: "Confirm your email address for roster".into(),
        body: format!(
            "Hello {},\n\nopen this link to confirm that {to} is the email address of the \
             roster account '{}':\n\n{url}\n\nIf you did not ask for this, ignore this email.\n",
            greeting(user),
            user.login,
        ),
    }
}

/// A sign-in code, the second factor of one login.
pub(super) fn sign_in_code(user: &User, to: &str, code: &str, minutes: i64) -> Email {
    Email {
        to: to.to_string(),
        subject: format!("Your roster sign-in code: {code}"),
        body: format!(
            "Hello {},\n\nyour code to finish signing in to roster as '{}' is:\n\n    {code}\n\n\
             It works once, for {minutes} minutes. If you are not signing in right now, \
             someone knows your password: change it.\n",
            greeting(user),
            user.login,
        ),
    }
}
