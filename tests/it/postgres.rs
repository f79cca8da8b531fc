//! The `postgres` kind against a real PostgreSQL 15 cluster started by
//! `scripts/services/postgres.sh` (dotmac_prod with extensions and migrations
//! at head, dotmac_bare without and behind), and against init SQL fixtures.

mod common;

use std::time::{Duration, Instant};

use serde_json::Value;

fn run(catalogue: &str) -> (i32, String, Value) {
    let (_dir, path) = common::catalogue(catalogue);
    let out = common::readyctl()
        .args(["check", "--format", "json", "--catalog"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), stdout, report)
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report}"))
}

fn status(report: &Value, id: &str) -> String {
    check(report, id)["status"].as_str().unwrap().to_string()
}

fn message(report: &Value, id: &str) -> String {
    check(report, id)["message"].as_str().unwrap().to_string()
}

fn finding_messages(report: &Value, id: &str) -> Vec<String> {
    check(report, id)["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

/// `host:port` of a service URL.
fn port_of(url: &str) -> String {
    url.rsplit(':')
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string()
}

const EXPECT: &str = "    version: \">=15\"
    extensions: [uuid-ossp, pg_trgm, btree_gin]
    settings:
      max_connections: 200
      work_mem: 16MB
    migrations: fixtures/dotmac/fixed/alembic/versions
";

#[test]
fn production_database_passes_every_expectation_without_printing_the_password() {
    let Some(url) = common::service("READYCTL_TEST_PG_URL") else {
        return;
    };
    let password = common::service("READYCTL_TEST_PG_PASSWORD").unwrap();
    let ca = common::service("READYCTL_TEST_PG_CA").unwrap();
    let cat = format!(
        "version: 1\nchecks:\n  - id: pg.prod\n    kind: postgres\n    url: {url}\n    ca_file: {ca}\n{EXPECT}    query:\n      sql: SELECT count(*) FROM tenants\n      expect: \">= 3\"\n      rows: 1\n"
    );
    let (code, stdout, report) = run(&cat);
    assert_eq!(status(&report, "pg.prod"), "pass", "{stdout}");
    assert_eq!(code, 0);
    let m = message(&report, "pg.prod");
    assert!(m.contains("(PostgreSQL 15."), "{m}");
    assert!(m.contains("all 9 expectations hold"), "{m}");
    assert!(!stdout.contains(&password), "password leaked: {stdout}");
}

#[test]
fn bare_database_names_missing_extensions_settings_and_revisions() {
    let (Some(url), Some(ca)) = (
        common::service("READYCTL_TEST_PG_BARE_URL"),
        common::service("READYCTL_TEST_PG_CA"),
    ) else {
        return;
    };
    let cat = format!(
        "version: 1\nchecks:\n  - id: pg.bare\n    kind: postgres\n    url: {url}\n    ca_file: {ca}\n{EXPECT}    query:\n      sql: SELECT 1 WHERE false\n      rows: \">= 1\"\n"
    );
    let (code, _, report) = run(&cat);
    assert_eq!(code, 1);
    assert_eq!(status(&report, "pg.bare"), "fail");
    let msgs = finding_messages(&report, "pg.bare");
    let has = |s: &str| msgs.iter().any(|m| m.contains(s));
    assert!(
        has("/dotmac_bare lacks extensions uuid-ossp, pg_trgm, btree_gin (installed: plpgsql)"),
        "{msgs:?}"
    );
    assert!(
        has("work_mem is 4194304 bytes (4MB) on 127.0.0.1:"),
        "{msgs:?}"
    );
    assert!(has("expected 16777216 bytes (16MB)"), "{msgs:?}");
    assert!(
        has(
            "is behind head: at c91f0e6a3b57, head is 9a8b7c6d5e4f; missing revisions e5a7b9c1d3f2, f0d2e4a6c8b1, 9a8b7c6d5e4f"
        ),
        "{msgs:?}"
    );
    assert!(has("the query returned 0 rows, expected >= 1"), "{msgs:?}");
    // max_connections is server-wide: 200 on both databases.
    assert!(!has("max_connections"), "{msgs:?}");
    assert_eq!(msgs.len(), 4, "{msgs:?}");
}

#[test]
fn conflicting_heads_fail_before_the_database_is_compared() {
    let Some(url) = common::service("READYCTL_TEST_PG_URL") else {
        return;
    };
    let cat = format!(
        "version: 1\nchecks:\n  - id: pg.conflict\n    kind: postgres\n    url: {url}\n    migrations: fixtures/dotmac/broken/alembic/versions\n"
    );
    let (_, _, report) = run(&cat);
    assert_eq!(status(&report, "pg.conflict"), "fail");
    assert!(
        message(&report, "pg.conflict")
            .starts_with("conflicting heads: e5a7b9c1d3f2, f0d2e4a6c8b1")
    );
    let f = &check(&report, "pg.conflict")["findings"][0];
    assert_eq!(
        f["file"],
        "fixtures/dotmac/broken/alembic/versions/20250104_0004_add_search_indexes.py"
    );
    assert_eq!(f["line"], 13);
}

#[test]
fn tls_modes_follow_libpq() {
    let (Some(url), Some(ca)) = (
        common::service("READYCTL_TEST_PG_URL"),
        common::service("READYCTL_TEST_PG_CA"),
    ) else {
        return;
    };
    let cat = format!(
        "version: 1
checks:
  - id: tls.verify-full
    kind: postgres
    url: {url}?sslmode=verify-full&sslrootcert={ca}
  - id: tls.verify-full-untrusted
    kind: postgres
    url: {url}
    tls: verify-full
  - id: tls.verify-ca
    kind: postgres
    url: {url}
    tls: verify-ca
    ca_file: {ca}
  - id: tls.require
    kind: postgres
    url: {url}?sslmode=require
  - id: tls.disable
    kind: postgres
    url: {url}
    tls: disable
"
    );
    let (_, _, report) = run(&cat);
    for id in ["tls.verify-full", "tls.verify-ca", "tls.disable"] {
        assert_eq!(status(&report, id), "pass", "{id}: {report}");
    }
    // `require` connects (libpq semantics) but the unverified certificate is
    // reported as a warning.
    assert_eq!(status(&report, "tls.require"), "warn", "{report}");
    assert_eq!(
        check(&report, "tls.require")["findings"][0]["code"],
        "postgres/tls-unverified"
    );
    assert!(
        message(&report, "tls.require").contains("not signed by a trusted CA"),
        "{report}"
    );
    assert_eq!(status(&report, "tls.verify-full-untrusted"), "fail");
    let m = message(&report, "tls.verify-full-untrusted");
    assert!(
        m.contains("TLS with 127.0.0.1:") && m.contains("not signed by a trusted CA"),
        "{m}"
    );
    assert_eq!(
        check(&report, "tls.verify-full-untrusted")["findings"][0]["code"],
        "postgres/tls"
    );
}

#[test]
fn refused_hanging_wrong_password_and_missing_database_have_distinct_reasons() {
    let (Some(url), Some(password)) = (
        common::service("READYCTL_TEST_PG_URL"),
        common::service("READYCTL_TEST_PG_PASSWORD"),
    ) else {
        return;
    };
    let port = port_of(&url);
    let hang = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hang_port = hang.local_addr().unwrap().port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in hang.incoming() {
            held.push(s);
        }
    });
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let wrong = "Wrong-Passw0rd-That-Must-Not-Leak";
    let cat = format!(
        "version: 1
defaults:
  timeout: 3s
checks:
  - id: pg.refused
    kind: postgres
    url: postgres://dotmac:{wrong}@127.0.0.1:{closed_port}/dotmac_prod
  - id: pg.hang
    kind: postgres
    url: postgres://dotmac:{wrong}@127.0.0.1:{hang_port}/dotmac_prod
    tls: disable
  - id: pg.hang-tls
    kind: postgres
    url: postgres://dotmac:{wrong}@127.0.0.1:{hang_port}/dotmac_prod
  - id: pg.wrongpass
    kind: postgres
    url: postgres://dotmac:{wrong}@127.0.0.1:{port}/dotmac_prod
  - id: pg.nodb
    kind: postgres
    url: postgres://dotmac:{password}@127.0.0.1:{port}/no_such_db
"
    );
    let started = Instant::now();
    let (code, stdout, report) = run(&cat);
    let took = started.elapsed();
    assert_eq!(code, 1);
    assert!(took < Duration::from_secs(6), "took {took:?}");
    for id in [
        "pg.refused",
        "pg.hang",
        "pg.hang-tls",
        "pg.wrongpass",
        "pg.nodb",
    ] {
        assert_eq!(status(&report, id), "fail", "{id}: {report}");
    }
    assert!(message(&report, "pg.refused").contains("connection refused"));
    for id in ["pg.hang", "pg.hang-tls"] {
        let m = message(&report, id);
        assert!(
            m.contains(
                "accepted the connection but did not complete the PostgreSQL handshake within"
            ),
            "{id}: {m}"
        );
        let ms = check(&report, id)["duration_ms"].as_f64().unwrap();
        assert!(ms < 3100.0, "{id} took {ms} ms");
    }
    assert_eq!(
        message(&report, "pg.wrongpass"),
        format!("password authentication failed for user `dotmac` at 127.0.0.1:{port}")
    );
    assert_eq!(
        message(&report, "pg.nodb"),
        format!("database `no_such_db` does not exist on 127.0.0.1:{port}")
    );
    assert!(!stdout.contains(wrong), "password leaked: {stdout}");
    assert!(!stdout.contains(&password), "password leaked: {stdout}");
}

#[test]
fn init_sql_fixture_answers_the_same_expectations_with_lines() {
    let cat = "version: 1
checks:
  - id: sql.fixed
    kind: postgres
    source: file
    path: fixtures/dotmac/fixed/database/init/01-init.sql
    extensions: [uuid-ossp, pg_trgm, btree_gin]
    settings:
      max_connections: 200
      shared_buffers: \">= 256MB\"
    migrations: fixtures/dotmac/fixed/alembic/versions
  - id: sql.strict
    kind: postgres
    source: file
    path: fixtures/dotmac/fixed/database/init
    extensions: [postgis]
    settings:
      max_connections: 500
";
    let (_, _, report) = run(cat);
    assert_eq!(status(&report, "sql.fixed"), "pass", "{report}");
    assert!(message(&report, "sql.fixed").contains("one head (9a8b7c6d5e4f)"));
    let msgs = finding_messages(&report, "sql.strict");
    assert!(
        msgs[0].contains("does not create extension postgis"),
        "{msgs:?}"
    );
    assert_eq!(
        msgs[1],
        "max_connections is set to 200 in fixtures/dotmac/fixed/database/init/01-init.sql, expected 500"
    );
    assert_eq!(check(&report, "sql.strict")["findings"][1]["line"], 10);
}

/// Runs the bundled `checks/` on a fixture with extra environment.
fn run_bundled(root: &str, only_kinds: &[&str], env: &[(&str, String)]) -> Value {
    let mut cmd = common::readyctl();
    cmd.args(["check", "--format", "json", "--catalog", "checks", "--root"])
        .arg(common::fixture(root));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut report = report;
    let checks: Vec<Value> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| only_kinds.contains(&c["kind"].as_str().unwrap()))
        .cloned()
        .collect();
    report["checks"] = Value::Array(checks);
    report
}

#[test]
fn bundled_catalogue_file_checks_pass_on_fixed_and_fail_on_broken() {
    let env = [
        ("POSTGRES_PORT", "1".to_string()),
        ("REDIS_PORT", "1".to_string()),
    ];
    let fixed = run_bundled("dotmac/fixed", &["postgres", "redis"], &env);
    for id in [
        "database.init-sql.extensions",
        "database.init-sql.max-connections",
        "database.migrations.single-head",
        "redis.conf.persistence",
        "redis.conf.memory",
        "redis.conf.password",
    ] {
        assert_eq!(status(&fixed, id), "pass", "{id}: {fixed}");
    }
    let broken = run_bundled("dotmac/broken", &["postgres", "redis"], &env);
    assert_eq!(
        message(&broken, "database.init-sql.extensions"),
        "database/init/01-init.sql does not exist"
    );
    // The catalogue runs redis.conf checks only once the file exists.
    assert_eq!(
        message(&broken, "redis.conf.password"),
        "skipped: dependency `redis.conf.exists` did not pass (fail)"
    );
    assert!(
        message(&broken, "database.migrations.single-head")
            .starts_with("conflicting heads: e5a7b9c1d3f2, f0d2e4a6c8b1")
    );
    // Live checks against a closed port fail with a plain reason.
    assert!(message(&broken, "database.live.version").contains("127.0.0.1:1: connection refused"));
    assert!(message(&broken, "redis.live.ping").contains("127.0.0.1:1: connection refused"));
}

#[test]
fn bundled_catalogue_live_checks_pass_against_the_test_servers() {
    let (Some(pg), Some(pg_password), Some(redis)) = (
        common::service("READYCTL_TEST_PG_URL"),
        common::service("READYCTL_TEST_PG_PASSWORD"),
        common::service("READYCTL_TEST_REDIS_URL"),
    ) else {
        return;
    };
    // The test cluster's user and database are the catalogue's defaults
    // (dotmac, dotmac_prod); the redis server runs the fixture's redis.conf
    // with the fixture's REDIS_PASSWORD from .env.production.
    let env = [
        ("POSTGRES_PORT", port_of(&pg)),
        ("POSTGRES_PASSWORD", pg_password),
        ("REDIS_PORT", port_of(&redis)),
    ];
    let report = run_bundled("dotmac/fixed", &["postgres", "redis"], &env);
    for c in report["checks"].as_array().unwrap() {
        // The bundled target uses `tls: prefer` without a CA: the test
        // server's certificate does not verify, which is a warning.
        let unverified_only = c["status"] == "warn"
            && c["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["code"] == "postgres/tls-unverified");
        assert!(c["status"] == "pass" || unverified_only, "{c}");
    }
    assert_eq!(report["checks"].as_array().unwrap().len(), 13);
}
