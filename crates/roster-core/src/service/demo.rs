//! `--demo`: a sample tenant so that a newcomer sees something at once: customers, users,
//! groups, and an access model to ask `check` and `explain` about.

use super::{
    CreateGrant, CreateGroup, CreateProject, CreateResource, CreateResourceGroup, CreateRole,
    CreateUser, Ctx, GroupFilter, OrgFilter, Service,
};
use crate::access::builtin::{READ_ONLY_ROLE, VIEWER_ROLE};
use crate::error::CoreResult;
use crate::ids::Id;
use crate::model::{GroupKind, OrgKind};
use crate::page::PageReq;

/// The password of every demo user.
pub const DEMO_PASSWORD: &str = "demo-password-2024";
/// The demo tenant's name.
const DEMO_TENANT: &str = "Acme Corp";

const PEOPLE: [(&str, &str); 20] = [
    ("Ada", "Lovelace"),
    ("Alan", "Turing"),
    ("Grace", "Hopper"),
    ("Edsger", "Dijkstra"),
    ("Barbara", "Liskov"),
    ("Donald", "Knuth"),
    ("Margaret", "Hamilton"),
    ("Ken", "Thompson"),
    ("Frances", "Allen"),
    ("Dennis", "Ritchie"),
    ("Radia", "Perlman"),
    ("Tony", "Hoare"),
    ("Katherine", "Johnson"),
    ("John", "Backus"),
    ("Hedy", "Lamarr"),
    ("Niklaus", "Wirth"),
    ("Shafi", "Goldwasser"),
    ("Leslie", "Lamport"),
    ("Sophie", "Wilson"),
    ("Linus", "Torvalds"),
];

impl Service {
    /// Loads the demo tenant unless it exists; returns the tenant administrator's login when
    /// it was loaded now.
    pub async fn load_demo(&self) -> CoreResult<Option<String>> {
        let ctx = Ctx::system();
        let one = PageReq {
            after: None,
            limit: 1,
        };
        let existing = self
            .list_org_nodes(
                &ctx,
                OrgKind::Tenant,
                &OrgFilter {
                    parent: None,
                    q: Some(DEMO_TENANT.into()),
                },
                one,
            )
            .await?;
        if !existing.items.is_empty() {
            return Ok(None);
        }
        let tenant = self.create_tenant(&ctx, DEMO_TENANT).await?;
        let globex = self.create_customer(&ctx, "Globex", tenant.id).await?;
        let initech = self.create_customer(&ctx, "Initech", tenant.id).await?;
        let labs = self.create_customer(&ctx, "Globex Labs", globex.id).await?;

        let engineering = self
            .demo_group(&ctx, "Engineering", "Builds the product", tenant.id)
            .await?;
        let support = self
            .demo_group(&ctx, "Support", "Answers customers", tenant.id)
            .await?;
        let operators = self
            .demo_group(&ctx, "Operators", "Run Globex's devices", globex.id)
            .await?;
        let analysts = self
            .demo_group(&ctx, "Analysts", "Read Initech's reports", initech.id)
            .await?;
        let tenant_admins = self
            .predefined(&ctx, tenant.id, GroupKind::Administrators)
            .await?;
        let globex_admins = self
            .predefined(&ctx, globex.id, GroupKind::Administrators)
            .await?;

        // The access model: devices Globex's operators run, a read-only project for Initech.
        self.put_resource_type(
            &ctx,
            "device",
            &["read".into(), "write".into(), "reboot".into()],
        )
        .await?;
        let mut devices = Vec::new();
        for (name, owner) in [
            ("press-1", globex.id),
            ("press-2", globex.id),
            ("oven-1", labs.id),
        ] {
            let input = CreateResource {
                rtype: "device".into(),
                name: name.into(),
                owner,
            };
            devices.push(self.create_resource(&ctx, input).await?.id);
        }
        let line = self
            .create_resource_group(
                &ctx,
                CreateResourceGroup {
                    name: "Line 1".into(),
                    description: Some("The presses".into()),
                    owner: globex.id,
                },
            )
            .await?;
        for d in &devices[..2] {
            self.add_resource_to_group(&ctx, line.id, *d).await?;
        }
        let operator = self
            .create_role(
                &ctx,
                CreateRole {
                    name: "Device operator".into(),
                    description: Some("Runs devices".into()),
                    owner: tenant.id,
                    permissions: vec!["device:read".into(), "device:write".into()],
                },
            )
            .await?;
        let project = self
            .create_project(
                &ctx,
                CreateProject {
                    name: "Website relaunch".into(),
                    description: Some("Exclusive: one group per person".into()),
                    owner: tenant.id,
                    exclusive: None,
                },
            )
            .await?;
        let reviewers = self
            .demo_group(&ctx, "Reviewers", "Read the drafts", project.id)
            .await?;
        for (subject, role, permissions, scope, deny) in [
            (operators, Some(operator.id), vec![], globex.id, false),
            (
                operators,
                None,
                vec!["device:write".to_string()],
                devices[2],
                true,
            ),
            (support, Some(VIEWER_ROLE), vec![], line.id, false),
            (analysts, Some(READ_ONLY_ROLE), vec![], initech.id, false),
            (reviewers, Some(READ_ONLY_ROLE), vec![], project.id, false),
        ] {
            let grant = CreateGrant {
                subject,
                role,
                permissions,
                scope,
                effect: deny.then_some(crate::model::Effect::Deny),
                valid_from: None,
                valid_until: None,
            };
            self.create_grant(&ctx, grant).await?;
        }

        let mut admin_login = None;
        for (i, (first, last)) in PEOPLE.iter().enumerate() {
            let (owner, groups) = match i {
                0 => (tenant.id, vec![tenant_admins, engineering]),
                1..=4 => (tenant.id, vec![engineering]),
                5..=7 => (tenant.id, vec![support]),
                8 => (globex.id, vec![globex_admins, operators]),
                9..=13 => (globex.id, vec![operators]),
                14..=16 => (labs.id, vec![operators]),
                17 => (initech.id, vec![analysts, reviewers]),
                _ => (initech.id, vec![analysts]),
            };
            let login = format!("{}.{}", first.to_lowercase(), last.to_lowercase());
            let user = self
                .create_user(
                    &ctx,
                    CreateUser {
                        login: Some(login.clone()),
                        email: Some(format!("{login}@acme.example")),
                        first_name: Some((*first).into()),
                        last_name: Some((*last).into()),
                        phone: None,
                        owner,
                        kind: None,
                        password: Some(DEMO_PASSWORD.into()),
                        enabled: true,
                        groups,
                        must_change_password: false,
                    },
                )
                .await?;
            if i == 0 {
                admin_login = Some(user.login);
            }
        }
        Ok(admin_login)
    }

    async fn demo_group(
        &self,
        ctx: &Ctx,
        name: &str,
        description: &str,
        owner: Id,
    ) -> CoreResult<Id> {
        let input = CreateGroup {
            name: name.into(),
            description: Some(description.into()),
            owner,
        };
        Ok(self.create_group(ctx, input).await?.id)
    }

    async fn predefined(&self, ctx: &Ctx, owner: Id, kind: GroupKind) -> CoreResult<Id> {
        let page = PageReq {
            after: None,
            limit: 10,
        };
        let filter = GroupFilter {
            owner: Some(owner),
            ..GroupFilter::default()
        };
        self.list_groups(ctx, &filter, page)
            .await?
            .items
            .into_iter()
            .find(|g| g.kind == kind)
            .map(|g| g.id)
            .ok_or_else(|| {
                crate::CoreError::Internal(format!("predefined {} group missing", kind.as_str()))
            })
    }
}
