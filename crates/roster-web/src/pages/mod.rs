//! The console's pages, one module per workflow.

mod account;
mod audit;
mod groups;
mod impersonation;
mod settings;
mod signin;
mod user_access;
mod user_details;
mod users;

use crate::WebState;
use axum::routing::{get, post};
use axum::Router;

/// Every page and form target of the console.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/", get(signin::home))
        .route("/login", get(signin::login_page).post(signin::login))
        .route("/logout", post(signin::logout))
        .route("/change-password", post(signin::change_password))
        .route("/second-factor", post(signin::second_factor))
        .route(
            "/activate",
            get(signin::activate_page).post(signin::activate),
        )
        .route("/users", get(users::page).post(users::create))
        .route("/users/rows", get(users::rows))
        .route("/users/new", get(users::new_pane))
        .route("/users/new/groups", get(users::group_choices))
        .route(
            "/users/{id}",
            get(user_details::show).post(user_details::edit),
        )
        .route("/users/{id}/status", post(user_details::set_status))
        .route("/users/{id}/groups", post(user_details::join_group))
        .route("/users/{id}/groups/remove", post(user_details::leave_group))
        .route(
            "/users/{id}/activation-link",
            post(user_details::activation_link),
        )
        .route(
            "/users/{id}/delete",
            get(user_details::confirm_delete).post(user_details::delete),
        )
        .route("/users/{id}/owner", post(user_details::change_owner))
        .route("/users/{id}/password", post(user_details::set_password))
        .route(
            "/users/{id}/password-change",
            post(user_details::require_password_change),
        )
        .route(
            "/users/{id}/second-factors/reset",
            post(user_details::reset_second_factors),
        )
        .route("/users/{id}/sessions/end", post(user_details::end_sessions))
        .route("/users/{id}/impersonate", post(user_details::impersonate))
        .route("/users/{id}/grants", post(user_access::give_role))
        .route("/users/{id}/grants/revoke", post(user_access::revoke))
        .route("/users/{id}/why", get(user_access::why))
        .route("/impersonation/end", post(impersonation::end))
        .route("/account", get(account::page))
        .route("/account/profile", post(account::profile))
        .route("/account/password", post(account::password))
        .route("/account/totp", post(account::enroll_totp))
        .route("/account/totp/confirm", post(account::confirm_totp))
        .route("/account/totp/remove", post(account::remove_totp))
        .route("/account/sessions/end", post(account::end_session))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/revoke", post(account::revoke_token))
        .route("/audit", get(audit::page))
        .route("/audit/rows", get(audit::rows))
        .route("/audit/export.csv", get(audit::export_csv))
        .route("/audit/export.json", get(audit::export_json))
        .route("/settings", get(settings::page))
        .route("/settings/smtp/test", post(settings::smtp_test))
        .route("/groups", get(groups::page).post(groups::create))
        .route("/groups/rows", get(groups::rows))
        .route("/groups/new", get(groups::new_pane))
        .route("/groups/{id}", get(groups::show))
        .route("/groups/{id}/members", post(groups::add_member))
        .route("/groups/{id}/members/remove", post(groups::remove_member))
}
