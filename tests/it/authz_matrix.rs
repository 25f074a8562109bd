//! The authorization matrix, generated from the route registry: every route × every role
//! (and no sign-in) × own / other platform. What each persona may do is written out here by
//! hand from PRODUCT.md, independently of the code under test.

use crate::common::{Client, TestApp};
use axum::http::{Method, StatusCode};
use kechuang::domain::role::Role;
use kechuang::web::routes::registry;
use kechuang::web::{Guard, Scope};

/// A signed-in persona and which of the two fixture platforms it may see.
struct Persona {
    username: &'static str,
    role: Role,
    sees_own: bool,
    sees_other: bool,
    city_staff: bool,
}

const PERSONAS: &[Persona] = &[
    Persona {
        username: "operator-a",
        role: Role::Operator,
        sees_own: true,
        sees_other: false,
        city_staff: false,
    },
    Persona {
        username: "city-staff",
        role: Role::Staff,
        sees_own: true,
        sees_other: true,
        city_staff: true,
    },
    Persona {
        username: "county-staff",
        role: Role::Staff,
        sees_own: true,
        sees_other: false,
        city_staff: false,
    },
    Persona {
        username: "advisor-a",
        role: Role::Advisor,
        sees_own: true,
        sees_other: false,
        city_staff: false,
    },
    Persona {
        username: "expert",
        role: Role::Expert,
        sees_own: false,
        sees_other: false,
        city_staff: false,
    },
    Persona {
        username: "leader",
        role: Role::Leader,
        sees_own: true,
        sees_other: true,
        city_staff: false,
    },
    Persona {
        username: "sysadmin",
        role: Role::Sysadmin,
        sees_own: false,
        sees_other: false,
        city_staff: false,
    },
    Persona {
        username: "secadmin",
        role: Role::Secadmin,
        sees_own: false,
        sees_other: false,
        city_staff: false,
    },
    Persona {
        username: "auditor",
        role: Role::Auditor,
        sees_own: false,
        sees_other: false,
        city_staff: false,
    },
];

struct Fixture {
    own: i64,
    other: i64,
    target_user: i64,
    /// API tokens: of the county of "own" (崇川区), and city-wide.
    county_token: String,
    city_token: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    // "own" is in 崇川区 (the county staff's county), "other" in 海门区.
    let own = app.platform("OWN-001", "320613").await;
    let other = app.platform("OTHER-001", "320614").await;
    for p in PERSONAS {
        let (platform, jurisdiction) = match p.username {
            "operator-a" => (Some(own), None),
            "city-staff" => (None, Some("320600")),
            "county-staff" => (None, Some("320613")),
            _ => (None, None),
        };
        app.user(p.username, Some(p.role), platform, jurisdiction)
            .await;
    }
    app.exec(
        "UPDATE platforms SET advisor_id = (SELECT id FROM users WHERE username = 'advisor-a') WHERE id = $1",
        own,
    )
    .await;
    // The account the {uid} routes act on: nobody's persona.
    let target_user = app.user("target-user", None, None, None).await;
    let county_token = app.api_token("崇川区数据平台", "320613", 30).await;
    let city_token = app.api_token("市数据局", "320600", 30).await;
    Fixture {
        own,
        other,
        target_user,
        county_token,
        city_token,
    }
}

/// The cells of an `/api/v1` data route: no token and every persona's session (no token)
/// → 401; a county token sees its county's platform and gets 404 for another county's; a
/// city-wide token sees both.
async fn api_cells(
    app: &TestApp,
    fx: &Fixture,
    pattern: &str,
    path: &str,
    which: &str,
    cells: &mut usize,
    failures: &mut Vec<String>,
) {
    let mut anonymous = app.client();
    let resp = anonymous.get(path).await;
    *cells += 1;
    if resp.status != StatusCode::UNAUTHORIZED {
        failures.push(format!("anonymous GET {path}: {}", resp.status));
    }
    for p in PERSONAS {
        let mut client = app.session_of(p.username).await;
        let resp = client.get(path).await;
        *cells += 1;
        if resp.status != StatusCode::UNAUTHORIZED {
            failures.push(format!(
                "{} GET {path} with a session and no token: {}, expected 401",
                p.username, resp.status
            ));
        }
    }
    let scoped = pattern.contains("{id}");
    for (holder, token, sees) in [
        ("county token", &fx.county_token, !scoped || which == "own"),
        ("city token", &fx.city_token, true),
    ] {
        let resp = app.client().get_with_token(path, token).await;
        *cells += 1;
        let expected = if sees {
            StatusCode::OK
        } else {
            StatusCode::NOT_FOUND
        };
        if resp.status != expected {
            failures.push(format!(
                "{holder} GET {path} ({which}): {}, expected {expected}",
                resp.status
            ));
        }
    }
}

fn concrete(path: &str, platform: i64, uid: i64) -> String {
    path.replace("{id}", &platform.to_string())
        .replace("{uid}", &uid.to_string())
        .replace("{short_id}", "NT10")
        .replace("{rule_id}", "REG-CHARTER")
        .replace("{cid}", "999999")
        .replace("{mid}", "999999")
        // Registration sub-records: an id that exists nowhere (the handler answers 404).
        .replace("{body_id}", "999999")
        .replace("{member_id}", "999999")
        .replace("{company_id}", "999999")
        .replace("{shareholder_id}", "999999")
        // Documents and their versions that do not exist: past the guard, the handler says 404.
        .replace("{did}", "999999")
        .replace("{vid}", "999999")
        .replace("{year}", "2026")
        .replace("{kind}", "revenue")
        .replace("{rid}", "999999")
        .replace("{fid}", "999999")
        .replace("{cid}", "999999")
        .replace("{nid}", "999999")
        .replace("{year}", "2025")
        .replace("{eid}", "999999")
        .replace("{oid}", "999999")
        .replace("{aid}", "999999")
        .replace("{tid}", "999999")
        // A policy pack's code (the handler refuses the empty form).
        .replace("{code}", "NJ")
}

async fn request(client: &mut Client, method: &Method, path: &str) -> (StatusCode, Option<String>) {
    let resp = if method == Method::GET {
        client.get(path).await
    } else {
        client.post(path, &[]).await
    };
    (resp.status, resp.location().map(str::to_string))
}

fn passed_guard(status: StatusCode, location: &Option<String>) -> bool {
    let bounced = location
        .as_deref()
        .is_some_and(|l| l.starts_with("/login?next=") || l == "/password");
    status != StatusCode::FORBIDDEN && status != StatusCode::UNAUTHORIZED && !bounced
}

#[tokio::test]
async fn every_route_role_and_platform_is_enforced() {
    let app = TestApp::new().await;
    let fx = fixture(&app).await;
    let mut cells = 0;
    let mut failures = Vec::new();

    for route in registry() {
        if route.guard == Guard::Public {
            continue;
        }
        let targets: Vec<(&str, i64)> = if route.path.contains("{id}") {
            vec![("own", fx.own), ("other", fx.other)]
        } else {
            vec![("-", fx.own)]
        };
        for (which, platform) in &targets {
            let path = concrete(route.path, *platform, fx.target_user);

            if let Guard::ApiToken(_) = route.guard {
                api_cells(
                    &app,
                    &fx,
                    route.path,
                    &path,
                    which,
                    &mut cells,
                    &mut failures,
                )
                .await;
                continue;
            }

            // Without a session: a page sends to the login form, a post is refused.
            let mut anonymous = app.client();
            let (status, location) = if route.method == Method::GET {
                request(&mut anonymous, &route.method, &path).await
            } else {
                let resp = anonymous
                    .post_raw(&path, &[], Some("http://localhost"))
                    .await;
                (resp.status, resp.location().map(str::to_string))
            };
            cells += 1;
            let refused = if route.method == Method::GET {
                status == StatusCode::SEE_OTHER
                    && location.as_deref().is_some_and(|l| l.starts_with("/login"))
            } else {
                status == StatusCode::FORBIDDEN
            };
            if !refused {
                failures.push(format!(
                    "anonymous {} {path}: {status} {location:?}",
                    route.method
                ));
            }

            for p in PERSONAS {
                let expected = match route.guard {
                    Guard::Public => true,
                    Guard::ApiToken(_) => unreachable!("API routes are checked by api_cells"),
                    Guard::PasswordPending | Guard::SignedIn => true,
                    Guard::Roles(roles, scope) => {
                        roles.contains(&p.role)
                            && match scope {
                                Scope::Global => true,
                                Scope::City => p.role != Role::Staff || p.city_staff,
                                Scope::Platform => {
                                    if *which == "own" {
                                        p.sees_own
                                    } else {
                                        p.sees_other
                                    }
                                }
                            }
                    }
                };
                // A platform outside the reader's scope answers like a missing one (404, no
                // enumeration); a role that may not use the route at all gets 403.
                let scope_denial = !expected
                    && matches!(route.guard, Guard::Roles(roles, Scope::Platform) if roles.contains(&p.role));
                let denied_status = if scope_denial {
                    StatusCode::NOT_FOUND
                } else {
                    StatusCode::FORBIDDEN
                };
                let mut client = app.session_of(p.username).await;
                let (status, location) = request(&mut client, &route.method, &path).await;
                cells += 1;
                let allowed = passed_guard(status, &location)
                    && !(scope_denial && status == StatusCode::NOT_FOUND);
                if allowed != expected {
                    failures.push(format!(
                        "{} {} {path} ({which}): expected {}, got {status} {location:?}",
                        p.username,
                        route.method,
                        if expected { "allowed" } else { "denied" }
                    ));
                }
                if !expected && status != denied_status {
                    failures.push(format!(
                        "{} {} {path}: denied with {status}, not {denied_status}",
                        p.username, route.method
                    ));
                }
                if allowed && status.is_server_error() {
                    failures.push(format!("{} {} {path}: {status}", p.username, route.method));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cells} cells wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cells > 250, "only {cells} cells tested");
    println!("authorization matrix: {cells} cells, 0 leaks");
}

#[test]
fn the_registry_is_consistent() {
    let routes = registry();
    for r in &routes {
        // A path naming a platform is always scope-checked.
        if r.path.contains("{id}") {
            assert!(
                matches!(
                    r.guard,
                    Guard::Roles(_, Scope::Platform) | Guard::ApiToken(Scope::Platform)
                ),
                "{} {} lacks the platform scope",
                r.method,
                r.path
            );
        }
        // Leaders are read-only; administrators never see business routes.
        if let Guard::Roles(roles, _) = r.guard {
            if r.method != Method::GET {
                assert!(
                    !roles.contains(&Role::Leader),
                    "{} {} lets the leader write",
                    r.method,
                    r.path
                );
            }
            let business = r.path.starts_with("/platforms") || r.path.starts_with("/jurisdictions");
            if business {
                assert!(
                    !roles.iter().any(|r| r.is_admin()),
                    "{} lets an administrator touch business data",
                    r.path
                );
            }
        }
    }
    // The versioned API is read-only and token-only, and all of it is token-guarded except
    // its own description; tokens are scoped by jurisdiction, never by `Scope::City`.
    for r in &routes {
        if let Guard::ApiToken(scope) = r.guard {
            assert_eq!(r.method, Method::GET, "{} writes", r.path);
            assert!(r.path.starts_with("/api/v1/"), "{}", r.path);
            assert_ne!(scope, Scope::City, "{}", r.path);
        } else if r.path.starts_with("/api/v1/") {
            assert_eq!(
                r.path, "/api/v1/openapi.json",
                "{} lacks the token guard",
                r.path
            );
        }
    }
    let mut keys: Vec<_> = routes
        .iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), routes.len(), "a route is registered twice");
}

/// Routes reach the router only through the registry: a `.route(` anywhere else in the
/// source would be a route missing from the registry (and from the matrix above).
#[test]
fn no_route_is_added_outside_the_registry() {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                let count = text.matches(".route(").count()
                    + text.matches(".nest(").count()
                    + text.matches(".route_service(").count();
                // web/mod.rs: the registry loop, and `/healthz` (outside the guard on purpose).
                let allowed = if path.ends_with("web/mod.rs") { 2 } else { 0 };
                if count != allowed {
                    offenders.push(format!("{}: {count}", path.display()));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "routes added outside the registry: {offenders:?}"
    );
}
