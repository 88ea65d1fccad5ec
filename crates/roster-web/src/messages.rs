//! What the console tells people when a service call fails: the API's error codes in plain
//! words, placed next to the form field at fault when there is one.

use roster_core::CoreError;

/// Errors to show on a form: one message per field, and one for the form as a whole.
#[derive(Debug, Default)]
pub struct FormErrors {
    fields: Vec<(String, String)>,
    /// A message about the whole form (or a field the form does not show).
    pub general: Option<String>,
}

impl FormErrors {
    /// No errors.
    pub fn none() -> FormErrors {
        FormErrors::default()
    }

    /// A form-wide message.
    pub fn general(message: impl Into<String>) -> FormErrors {
        FormErrors {
            fields: Vec::new(),
            general: Some(message.into()),
        }
    }

    /// The message for `field`, if it has one.
    pub fn field(&self, field: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }

    /// Puts a message next to `field`.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.fields.push((field.to_string(), message.into()));
    }

    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty() && self.general.is_none()
    }

    /// A service error placed on the form: next to the field it names when the form has
    /// that field (`shown` lists them), otherwise above the form.
    pub fn from_core(e: &CoreError, shown: &[&str]) -> FormErrors {
        FormErrors::from_core_renamed(e, shown, &[])
    }

    /// As [`FormErrors::from_core`], where the form names some of the service's fields
    /// differently: `renames` holds (service field, form field) pairs.
    pub fn from_core_renamed(
        e: &CoreError,
        shown: &[&str],
        renames: &[(&str, &str)],
    ) -> FormErrors {
        let message = plain(e);
        let field = field_of(e).map(|f| {
            renames
                .iter()
                .find(|(from, _)| *from == f)
                .map_or(f.clone(), |(_, to)| to.to_string())
        });
        match field {
            Some(f) if shown.contains(&f.as_str()) => {
                let mut errors = FormErrors::none();
                errors.add(&f, message);
                errors
            }
            _ => FormErrors::general(message),
        }
    }
}

/// The field a service error is about, if any.
fn field_of(e: &CoreError) -> Option<String> {
    match e {
        CoreError::Invalid { field, .. } => field.clone(),
        CoreError::Conflict { details, .. } => details
            .as_ref()
            .and_then(|d| d.get("field"))
            .and_then(|f| f.as_str())
            .map(str::to_string),
        _ => None,
    }
}

/// A service error in words a person understands.
pub fn plain(e: &CoreError) -> String {
    let code = match e {
        CoreError::Invalid { code, .. }
        | CoreError::Conflict { code, .. }
        | CoreError::Unauthenticated { code, .. } => *code,
        CoreError::NotFound { kind } => {
            return format!("This {kind} does not exist any more, or you may not see it.")
        }
        CoreError::Forbidden { message } => {
            return format!("You are not allowed to do this: {}", sentence_end(message))
        }
        CoreError::PreconditionFailed => {
            return "Someone else changed this in the meantime. Reload to see their change, \
                    then try again."
                .into()
        }
        CoreError::Unavailable | CoreError::Transient => {
            return "The database is busy or out of reach. Try again in a moment.".into()
        }
        CoreError::MailFailed(_) => {
            return "The email could not be sent: the mail server refused it or could not \
                    be reached."
                .into()
        }
        CoreError::Internal(_) => {
            return "Something went wrong on the server. Try again, or ask an administrator \
                    to look at the log."
                .into()
        }
    };
    match code {
        "required" => "Fill this in.".to_string(),
        "invalid_login" => "A username cannot contain spaces.".into(),
        "invalid_email" => "This is not an email address (like name@example.com).".into(),
        "invalid_phone" => "A phone number holds only digits, spaces and + - ( ) .".into(),
        "password_too_short" | "password_needs_character_classes" => sentence(&e.to_string()),
        "password_is_login" => "The password must not be the username.".into(),
        "password_is_personal" => "The password must not be your email address or name.".into(),
        "password_too_common" => "This password is too easy to guess: it is a common \
                                  password, or built from common words, names, dates or \
                                  keyboard patterns. Choose a longer, less predictable one."
            .into(),
        "password_unchanged" => "Choose a password different from the current one.".into(),
        "wrong_password" => "The current password is wrong.".into(),
        "login_taken" => "This username is taken. Choose another one.".into(),
        "name_taken" => "This name is taken here. Choose another one.".into(),
        "unknown_owner" => "Choose an owner from the list.".into(),
        "unknown_group" => "One of the chosen groups does not exist any more.".into(),
        "unknown_user" => "There is no such user.".into(),
        "invalid_credentials" => "The username or the password is wrong.".into(),
        "invalid_token" => "This link was used already or has expired. Ask your \
                            administrator for a new one."
            .into(),
        "not_pending" => "This account is already activated.".into(),
        "group_predefined" => "Predefined groups keep their names and cannot be deleted.".into(),
        "group_membership_fixed" => {
            "Every user of the tenant is in All: its members cannot be changed.".into()
        }
        "member_outside_group_owner" => {
            "This group only holds users of its owner or below it.".into()
        }
        "smtp_not_configured" => "Outgoing email is not set up, so nothing can be emailed. \
                                  Show the activation link instead."
            .into(),
        "no_email" => "The user has no email address to send the link to.".into(),
        _ => access_words(e)
            .or_else(|| account_words(code))
            .unwrap_or_else(|| sentence(&e.to_string())),
    }
}

/// The access model's error codes in words: roles, grants, projects, customers, resources.
fn access_words(e: &CoreError) -> Option<String> {
    let (code, details) = match e {
        CoreError::Invalid { code, .. } => (*code, None),
        CoreError::Conflict { code, details, .. } => (*code, details.as_ref()),
        _ => return None,
    };
    let text = |key: &str| {
        details
            .and_then(|d| d.get(key))
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    Some(match code {
        "exclusive_group_conflict" => format!(
            "This user is already in the group {} of this exclusive project: a user is in \
             one of its groups at most. Remove them from that group first.",
            text("group_name")
        ),
        "role_in_use" => "Grants still use this role: revoke them first, then delete it.".into(),
        "builtin_role" => "Built-in roles cannot change or be deleted.".into(),
        "builtin_grant" => "These are the rights that make a predefined group what it is; \
                            they cannot be revoked."
            .into(),
        "level_fixed" => "A group's level (project or system) is fixed when it is created.".into(),
        "not_attachable" => "Only a custom group of a tenant or customer can be added to a \
                             project as a system-level group."
            .into(),
        "unknown_role" => "Choose a role from the list.".into(),
        "unknown_scope" => "Choose where the role holds from the list.".into(),
        "unknown_subject" | "unknown_group_name" => "No user or group has this name.".into(),
        "unknown_resource" => "No resource has this name.".into(),
        "ambiguous_resource" => {
            "Several resources have this name: rename one of them first.".into()
        }
        "unknown_parent" => {
            "The tenant or customer to add it under does not exist any more.".into()
        }
        "unknown_type" | "unknown_action" | "malformed_permission" => {
            format!(
                "{} Permissions are spelled type:action.",
                sentence(&e.to_string())
            )
        }
        "invalid_permissions" => "Tick at least one permission.".into(),
        "allow_and_deny" => "A permission is either allowed or denied, not both.".into(),
        "invalid_validity" => "The last day must not come before the first.".into(),
        "invalid_date" => "Type a date like 2025-03-01.".into(),
        "member_outside_project_owner" => "A project holds users of its owner or below it.".into(),
        "cannot_remove_own_admin" => {
            "You cannot take yourself out of an Administrators group.".into()
        }
        _ => return None,
    })
}

/// The codes of the account pages (user details, My account, audit, settings) in words.
fn account_words(code: &str) -> Option<String> {
    let words = match code {
        "reason_required" => "Say why, in a few words: the reason goes into the audit log.",
        "not_active" => "Only an active user can be logged in as.",
        "cannot_disable_self" => "You cannot disable your own account.",
        "cannot_delete_self" => "You cannot delete your own account.",
        "invalid_code" => "That code is wrong or was used already.",
        "totp_enrolled" => "An authenticator is set up already; remove it first.",
        "totp_not_enrolling" => "Start setting up the authenticator again.",
        "invalid_expiry" => "Choose a day after today and at most two years away.",
        "external_user" => "This user's password is held by the directory.",
        "invalid_action" => "Type an action filter like user.create, or a family like user.",
        _ => return None,
    };
    Some(words.to_string())
}

/// A service message as the end of a sentence: final full stop.
fn sentence_end(message: &str) -> String {
    if message.ends_with('.') {
        message.to_string()
    } else {
        format!("{message}.")
    }
}

/// A service message as a sentence: capital first letter, final full stop.
fn sentence(message: &str) -> String {
    let mut chars = message.chars();
    let mut out: String = match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => return "Something went wrong.".into(),
    };
    if !out.ends_with('.') {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_land_next_to_their_field_in_plain_words() {
        let e = CoreError::invalid("invalid_email", "email", "'x' is not a valid email address");
        let f = FormErrors::from_core(&e, &["login", "email"]);
        assert_eq!(
            f.field("email"),
            Some("This is not an email address (like name@example.com).")
        );
        assert!(f.general.is_none());
        let hidden = FormErrors::from_core(&e, &["login"]);
        assert!(hidden.field("email").is_none() && hidden.general.is_some());
        let other = CoreError::conflict("something_new", "the thing clashes");
        assert_eq!(plain(&other), "The thing clashes.");
    }

    #[test]
    fn an_exclusive_conflict_names_the_group_the_user_is_in() {
        let e = CoreError::Conflict {
            code: "exclusive_group_conflict",
            message: "project 'Tunnel' is exclusive".into(),
            details: Some(serde_json::json!({"group_name": "Diggers"})),
        };
        assert!(
            plain(&e).contains("already in the group Diggers"),
            "{}",
            plain(&e)
        );
    }
}
