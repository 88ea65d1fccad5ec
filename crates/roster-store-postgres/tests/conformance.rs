//! Runs roster-core's store conformance suite against PostgreSQL, one fresh schema per test.
//!
//! Not through `roster_core::conformance_tests!`: its tests cannot skip, and without
//! `ROSTER_TEST_PG_URL` these must (see `common`). The list below is checked against the
//! suite's own, so that a test added to the suite cannot be missed here.

// `TestDb::raw` serves the other test file only.
#[allow(dead_code)]
mod common;

use common::TestDb;

macro_rules! conformance {
    ($($name:ident),+ $(,)?) => {
        /// The names of the tests run here.
        const NAMES: &[&str] = &[$(stringify!($name)),+];
        $(
            #[tokio::test]
            async fn $name() {
                let Some(db) = TestDb::create().await else { return };
                roster_core::conformance::$name(&db.store).await;
                db.finish().await;
            }
        )+
    };
}

conformance!(
    org_nodes_round_trip,
    org_query_filters,
    subtree_and_in_use,
    delete_org_node_removes_predefined_groups,
    users_round_trip,
    unique_login_is_case_insensitive,
    user_query_filters,
    common_prefixes_list_like_rare_ones,
    groups_round_trip,
    group_query_filters,
    memberships_round_trip,
    delete_user_removes_memberships_and_tokens,
    delete_group_removes_memberships,
    tokens_round_trip,
    audit_newest_first_with_filters,
    tenant_scoping,
    lists_page_in_id_order,
    rollback_on_drop,
    read_is_a_snapshot,
    read_rejects_writes,
    writers_take_turns,
    consistency_problems_found,
    bulk_inserts,
    row_counts_cover_every_tenant,
    users_with_hashes_page_across_tenants,
    all_memberships_page_in_key_order,
    all_tokens_page_with_hashes,
    audit_events_insert_in_bulk,
    login_attempts_count_atomically,
    resource_types_round_trip,
    resources_round_trip,
    resource_query_filters,
    resource_groups_round_trip,
    projects_round_trip,
    roles_round_trip,
    grants_round_trip,
    access_tenant_scoping,
    delete_user_removes_grants_and_project_memberships,
    delete_group_removes_grants_and_attachments,
    delete_org_node_removes_grants_on_it,
    access_change_log_versions,
    access_versions_commit_in_order,
    access_snapshot_contents,
    access_consistency_problems_found,
    second_factors_round_trip,
    settings_round_trip,
    email_factors_round_trip,
    sign_in_state_reads_factors_and_policy,
    count_sign_in_attempt_counts_and_reads,
    login_record_beside_a_writer,
    write_batch_is_all_or_nothing,
    write_batch_upgrades_a_hash_only_from_the_one_read,
    sign_in_tokens_need_an_active_user,
    bulk_load_writes_what_rows_would,
    bulk_load_keeps_the_rules,
);

/// The list above names exactly the tests of the suite's `conformance_tests!` macro.
#[test]
fn every_conformance_test_runs() {
    let source = include_str!("../../roster-core/src/conformance.rs");
    let start = source
        .find("(@each $make;")
        .expect("the suite's macro lists its tests");
    let list = &source[start..];
    let list = &list["(@each $make;".len()..list.find(");").expect("end of the list")];
    let suite: Vec<&str> = list
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(NAMES, suite.as_slice());
}
