//! The `/api/v1` routes, one module per collection.

mod audit;
mod auth;
mod decisions;
mod groups;
mod me;
mod orgs;
mod projects;
mod resources;
mod roles;
mod sessions;
mod settings;
mod users;

pub(crate) use auth::session_response;

use crate::AppState;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every documented API route.
pub fn api_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(orgs::list_tenants, orgs::create_tenant))
        .routes(routes!(
            orgs::get_tenant,
            orgs::update_tenant,
            orgs::delete_tenant
        ))
        .routes(routes!(orgs::list_customers, orgs::create_customer))
        .routes(routes!(
            orgs::get_customer,
            orgs::update_customer,
            orgs::delete_customer
        ))
        .routes(routes!(users::list_users, users::create_user))
        .routes(routes!(
            users::get_user,
            users::update_user,
            users::delete_user
        ))
        .routes(routes!(users::activation_link))
        .routes(routes!(users::set_password))
        .routes(routes!(users::impersonate))
        .routes(routes!(groups::list_groups, groups::create_group))
        .routes(routes!(
            groups::get_group,
            groups::update_group,
            groups::delete_group
        ))
        .routes(routes!(groups::list_members, groups::add_member))
        .routes(routes!(groups::remove_member))
        .routes(routes!(projects::detach_group_from_projects))
        .routes(routes!(projects::list_projects, projects::create_project))
        .routes(routes!(
            projects::get_project,
            projects::update_project,
            projects::delete_project
        ))
        .routes(routes!(projects::attach_group))
        .routes(routes!(projects::detach_group))
        .routes(routes!(
            projects::list_project_members,
            projects::add_project_member
        ))
        .routes(routes!(projects::remove_project_member))
        .routes(routes!(
            resources::list_resource_types,
            resources::create_resource_type
        ))
        .routes(routes!(
            resources::get_resource_type,
            resources::update_resource_type,
            resources::delete_resource_type
        ))
        .routes(routes!(
            resources::list_resources,
            resources::create_resource
        ))
        .routes(routes!(
            resources::get_resource,
            resources::update_resource,
            resources::delete_resource
        ))
        .routes(routes!(
            resources::list_resource_groups,
            resources::create_resource_group
        ))
        .routes(routes!(
            resources::get_resource_group,
            resources::delete_resource_group
        ))
        .routes(routes!(resources::add_resource_member))
        .routes(routes!(resources::remove_resource_member))
        .routes(routes!(roles::list_roles, roles::create_role))
        .routes(routes!(
            roles::get_role,
            roles::update_role,
            roles::delete_role
        ))
        .routes(routes!(roles::list_grants, roles::create_grant))
        .routes(routes!(
            roles::get_grant,
            roles::update_grant,
            roles::delete_grant
        ))
        .routes(routes!(decisions::check))
        .routes(routes!(decisions::check_batch))
        .routes(routes!(decisions::explain))
        .routes(routes!(decisions::effective_permissions))
        .routes(routes!(auth::login))
        .routes(routes!(auth::mfa))
        .routes(routes!(auth::mfa_email))
        .routes(routes!(auth::mfa_enrol))
        .routes(routes!(auth::mfa_enrol_confirm))
        .routes(routes!(auth::mfa_enrol_email))
        .routes(routes!(auth::password_reset))
        .routes(routes!(auth::password_reset_confirm))
        .routes(routes!(auth::verify_email))
        .routes(routes!(me::send_email_verification))
        .routes(routes!(me::enable_email_codes, me::disable_email_codes))
        .routes(routes!(me::enroll_totp, me::remove_totp))
        .routes(routes!(me::confirm_totp))
        .routes(routes!(me::reset_second_factors))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::activate))
        .routes(routes!(me::me))
        .routes(routes!(me::list_tokens, me::create_token))
        .routes(routes!(me::revoke_token))
        .routes(routes!(me::change_password))
        .routes(routes!(audit::list_audit))
        .routes(routes!(settings::smtp_test))
        .routes(routes!(
            settings::get_smtp,
            settings::put_smtp,
            settings::delete_smtp
        ))
        .routes(routes!(
            settings::get_install_policy,
            settings::patch_install_policy
        ))
        .routes(routes!(
            settings::get_tenant_policy,
            settings::patch_tenant_policy
        ))
        .routes(routes!(sessions::my_sessions))
        .routes(routes!(sessions::end_my_session))
        .routes(routes!(
            sessions::user_sessions,
            sessions::end_user_sessions
        ))
        .routes(routes!(sessions::end_user_session))
}

/// A JSON body with the object's version as a strong ETag.
fn tagged<T: Serialize>(status: StatusCode, version: i64, body: T) -> Response {
    let mut res = (status, Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        res.headers_mut().insert(header::ETAG, v);
    }
    res
}
