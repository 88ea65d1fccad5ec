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
