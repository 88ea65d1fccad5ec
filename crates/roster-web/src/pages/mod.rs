//! The console's pages, one module per workflow.

mod access_panel;
mod account;
mod audit;
mod customers;
mod factor;
mod group_delete;
mod group_details;
mod group_roles;
mod groups;
mod impersonation;
mod names;
mod panes;
mod projects;
mod recovery;
mod resource_groups;
mod resources;
mod roles;
mod search;
mod settings;
mod signin;
mod user_access;
mod user_details;
mod users;
mod who_has_access;

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
        .route("/account/email/verify", post(account::send_verification))
        .route("/account/email-codes", post(account::email_codes))
        .route("/account/sessions/end", post(account::end_session))
        .route("/account/tokens", post(account::create_token))
        .route("/account/tokens/revoke", post(account::revoke_token))
        .route("/audit", get(audit::page))
        .route("/audit/rows", get(audit::rows))
        .route("/audit/export.csv", get(audit::export_csv))
        .route("/audit/export.json", get(audit::export_json))
        .route("/settings", get(settings::page))
        .route("/settings/smtp/test", post(settings::smtp_test))
        .route("/settings/smtp", post(settings::smtp_save))
        .route("/settings/smtp/clear", post(settings::smtp_clear))
        .route("/settings/policy", post(settings::policy_save))
        .route("/groups", get(groups::page).post(groups::create))
        .route("/groups/rows", get(groups::rows))
        .route("/groups/new", get(groups::new_pane))
        .merge(access_routes())
}

/// The access side of the console: group details and their tabs, projects, customers,
/// roles, resources and resource groups.
fn access_routes() -> Router<WebState> {
    Router::new()
        .route(
            "/groups/{id}",
            get(group_details::show).post(group_details::edit),
        )
        .route("/groups/{id}/members", post(group_details::add_member))
        .route(
            "/groups/{id}/members/remove",
            post(group_details::remove_member),
        )
        .route(
            "/groups/{id}/members/pick",
            post(group_details::pick_members),
        )
        .route(
            "/groups/{id}/candidates",
            get(group_details::candidate_rows),
        )
        .route(
            "/groups/{id}/roles",
            get(group_roles::show).post(group_roles::add),
        )
        .route("/groups/{id}/roles/revoke", post(group_roles::revoke))
        .route(
            "/groups/{id}/access",
            get(access_panel::show).post(access_panel::save),
        )
        .route(
            "/groups/{id}/delete",
            get(group_delete::confirm).post(group_delete::delete),
        )
        .route("/projects", get(projects::page).post(projects::create))
        .route("/projects/rows", get(projects::rows))
        .route("/projects/new", get(projects::new_pane))
        .route("/projects/{id}", get(projects::show).post(projects::edit))
        .route("/projects/{id}/groups", post(projects::create_group))
        .route("/projects/{id}/attach", post(projects::attach))
        .route("/projects/{id}/detach", post(projects::detach))
        .route("/projects/{id}/members", post(projects::add_member))
        .route(
            "/projects/{id}/members/remove",
            post(projects::remove_member),
        )
        .route("/projects/{id}/delete", post(projects::delete))
        .route("/customers", get(customers::page).post(customers::create))
        .route(
            "/customers/{id}",
            get(customers::show).post(customers::rename),
        )
        .route("/customers/{id}/delete", post(customers::delete))
        .route("/roles", get(roles::page).post(roles::create))
        .route("/roles/rows", get(roles::rows))
        .route("/roles/new", get(roles::new_pane))
        .route("/roles/{id}", get(roles::show).post(roles::edit))
        .route("/roles/{id}/delete", post(roles::delete))
        .route("/resources", get(resources::page).post(resources::create))
        .route("/resources/rows", get(resources::rows))
        .route("/resources/new", get(resources::new_pane))
        .route("/resources/{id}", get(resources::show))
        .route("/resources/{id}/access", post(resources::give))
        .route("/resources/{id}/access/revoke", post(resources::revoke))
        .route("/resources/{id}/delete", post(resources::delete))
        .route(
            "/resource-groups",
            get(resource_groups::page).post(resource_groups::create),
        )
        .route("/resource-groups/rows", get(resource_groups::rows))
        .route("/resource-groups/new", get(resource_groups::new_pane))
        .route("/resource-groups/{id}", get(resource_groups::show))
        .route(
            "/resource-groups/{id}/members",
            post(resource_groups::add_member),
        )
        .route(
            "/resource-groups/{id}/members/remove",
            post(resource_groups::remove_member),
        )
        .route("/resource-groups/{id}/access", post(resource_groups::give))
        .route(
            "/resource-groups/{id}/access/revoke",
            post(resource_groups::revoke),
        )
        .route(
            "/resource-groups/{id}/delete",
            post(resource_groups::delete),
        )
}
