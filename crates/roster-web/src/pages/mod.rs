//! The console's pages, one module per workflow.

mod factor;
mod groups;
mod recovery;
mod signin;
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
        .route(
            "/change-password/start",
            post(signin::change_password_start),
        )
        .route("/second-factor", post(factor::second_factor))
        .route("/second-factor/email", post(factor::email_code))
        .route("/second-factor/enrol", post(factor::enrol))
        .route("/second-factor/enrol-email", post(factor::enrol_email))
        .route(
            "/forgot-password",
            get(recovery::forgot_page).post(recovery::forgot),
        )
        .route(
            "/reset-password",
            get(recovery::reset_page).post(recovery::reset),
        )
        .route(
            "/verify-email",
            get(recovery::verify_page).post(recovery::verify),
        )
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
        .route("/groups", get(groups::page).post(groups::create))
        .route("/groups/rows", get(groups::rows))
        .route("/groups/new", get(groups::new_pane))
        .route("/groups/{id}", get(groups::show))
        .route("/groups/{id}/members", post(groups::add_member))
        .route("/groups/{id}/members/remove", post(groups::remove_member))
}
