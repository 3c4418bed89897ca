//! The configuration's layers, redaction and refusals.

use super::*;
use std::collections::HashMap;

#[test]
fn slow_client_and_cors_settings() {
    let c = ServerConfig::default();
    assert_eq!(c.limits.body_min_bytes_per_sec, 256);
    assert_eq!(c.limits.connections_per_client, 256);
    assert_eq!(c.cors.read_origins, vec!["*".to_owned()]);
    assert!(c.cors.write_origins.is_empty());
    let mut c = ServerConfig::from_toml(
        "[limits]\nconnections_per_client = 0\nbody_min_bytes_per_sec = 0\n\
         [cors]\nread_origins = []\nwrite_origins = [\"https://portal.example\"]\n",
    )
    .unwrap();
    assert_eq!(c.limits.connections_per_client, 0);
    assert!(c.cors.read_origins.is_empty());
    let env: HashMap<&str, &str> = [
        ("TALLYSEAL_CONNECTIONS_PER_CLIENT", "8"),
        (
            "TALLYSEAL_CORS_WRITE_ORIGINS",
            "https://a.example, https://b.example",
        ),
    ]
    .into();
    c.apply_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
    assert_eq!(c.limits.connections_per_client, 8);
    assert_eq!(
        c.cors.write_origins,
        ["https://a.example", "https://b.example"]
    );
    let c = ServerConfig::from_toml("[limits]\nbody_rate_window_secs = 0\n").unwrap();
    assert!(c.validate().is_err());
}

#[test]
fn zero_config_is_the_embedded_default() {
    let c = ServerConfig::default();
    assert_eq!(c.bind, "127.0.0.1:8080");
    assert_eq!(c.object_store, ObjectStoreConfig::Local { path: None });
    assert!(
        c.effective_database_url()
            .starts_with("sqlite://./tallyseal-data/tallyseal.db")
    );
}

#[test]
fn toml_then_env_override() {
    let mut c = ServerConfig::from_toml(
        r#"
        bind = "0.0.0.0:9000"
        database_url = "postgres://u@localhost/db"
        [object_store]
        kind = "s3"
        endpoint = "http://127.0.0.1:3900"
        bucket = "b"
        access_key_id = "k"
        secret_access_key = "s"
        [limits]
        max_image_bytes = 1000
        "#,
    )
    .unwrap();
    assert_eq!(c.limits.max_image_bytes, 1000);
    assert_eq!(c.limits.max_json_bytes, Limits::default().max_json_bytes);
    let ObjectStoreConfig::S3(s3) = &c.object_store else {
        panic!("s3 expected")
    };
    assert!(s3.path_style);
    assert_eq!(s3.region, "garage");
    let env: HashMap<&str, &str> = [
        ("TALLYSEAL_BIND", "127.0.0.1:0"),
        ("TALLYSEAL_OBJECT_STORE", "local"),
        ("TALLYSEAL_PART_FILE_IDLE_SECS", "600"),
    ]
    .into();
    c.apply_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
    assert_eq!(c.bind, "127.0.0.1:0");
    assert_eq!(c.limits.part_file_idle_secs, 600);
    assert_eq!(
        c.limits.upload_sweep_secs,
        Limits::default().upload_sweep_secs
    );
    assert_eq!(c.object_store, ObjectStoreConfig::Local { path: None });
    assert!(!format!("{:?}", ServerConfig::from_toml("[object_store]\nkind=\"s3\"\nbucket=\"b\"\naccess_key_id=\"k\"\nsecret_access_key=\"TOPSECRET\"").unwrap()).contains("TOPSECRET"));
}

#[test]
fn analysis_settings_from_toml_and_env() {
    let mut c = ServerConfig::from_toml("[analysis]\nenabled = false\nidle_ms = 10\n").unwrap();
    assert!(!c.analysis.enabled);
    assert_eq!(c.analysis.idle_ms, 10);
    assert_eq!(
        c.analysis.max_lag_secs,
        AnalysisConfig::default().max_lag_secs
    );
    let env: HashMap<&str, &str> = [
        ("TALLYSEAL_ANALYSIS", "on"),
        ("TALLYSEAL_ANALYSIS_MAX_LAG_SECS", "5"),
    ]
    .into();
    c.apply_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
    assert!(c.analysis.enabled);
    assert_eq!(c.analysis.max_lag_secs, 5);
    let bad: HashMap<&str, &str> = [("TALLYSEAL_ANALYSIS", "maybe")].into();
    assert!(c.apply_env(|k| bad.get(k).map(|v| v.to_string())).is_err());
    assert!(ServerConfig::from_toml("[analysis]\nidle = 1\n").is_err());
}

/// Capture leaves are on unless turned off (for the benchmark's comparison only).
#[test]
fn log_captures_on_by_default_and_switchable() {
    let mut c = ServerConfig::default();
    assert!(c.log_captures);
    assert!(ServerConfig::from_toml("").unwrap().log_captures);
    let off: HashMap<&str, &str> = [("TALLYSEAL_LOG_CAPTURES", "off")].into();
    c.apply_env(|k| off.get(k).map(|v| v.to_string())).unwrap();
    assert!(!c.log_captures);
    assert!(
        !ServerConfig::from_toml("log_captures = false\n")
            .unwrap()
            .log_captures
    );
    let bad: HashMap<&str, &str> = [("TALLYSEAL_LOG_CAPTURES", "maybe")].into();
    assert!(c.apply_env(|k| bad.get(k).map(|v| v.to_string())).is_err());
}

/// The environment overrides the file's object store one setting at a time.
#[test]
fn object_store_variables_override_the_file_field_by_field() {
    let toml = r#"
        [object_store]
        kind = "s3"
        endpoint = "http://10.0.0.5:3900"
        bucket = "results"
        prefix = "prod/"
        access_key_id = "k"
        secret_access_key = "old"
        "#;
    let mut c = ServerConfig::from_toml(toml).unwrap();
    let env: HashMap<&str, &str> = [
        ("TALLYSEAL_OBJECT_STORE", "s3"),
        ("TALLYSEAL_S3_SECRET_KEY", "rotated"),
        ("TALLYSEAL_S3_TIMEOUT_SECS", "5"),
    ]
    .into();
    c.apply_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
    let ObjectStoreConfig::S3(s3) = &c.object_store else {
        panic!("s3 expected")
    };
    assert_eq!(
        (
            s3.endpoint.as_deref(),
            s3.bucket.as_str(),
            s3.prefix.as_str(),
            s3.secret_access_key.as_str(),
            s3.timeout_secs
        ),
        (
            Some("http://10.0.0.5:3900"),
            "results",
            "prod/",
            "rotated",
            5
        )
    );
    // S3 variables for a local store are a mistake to report, not to ignore.
    let mut local = ServerConfig::default();
    let err = local
        .apply_env(|k| (k == "TALLYSEAL_S3_BUCKET").then(|| "b".to_owned()))
        .unwrap_err();
    assert!(err.to_string().contains("TALLYSEAL_S3_BUCKET"), "{err}");
    // Switching to s3 from the environment alone needs the credentials.
    let err = ServerConfig::default()
        .apply_env(|k| (k == "TALLYSEAL_OBJECT_STORE").then(|| "s3".to_owned()))
        .unwrap_err();
    assert!(err.to_string().contains("TALLYSEAL_S3_BUCKET"), "{err}");
}

/// Secrets stay out of `Debug` output and of parse errors.
#[test]
fn secrets_are_not_shown() {
    let c = ServerConfig {
        admin_token: Some("ADMIN-TOKEN-VALUE".into()),
        server_key_seed: Some("SEED-VALUE".into()),
        database_url: Some("postgres://app:DBPASSWORD@db.example:5432/tallyseal".into()),
        database_read_url: Some("postgres://app:REPLICAPASSWORD@replica.example/tallyseal".into()),
        ..Default::default()
    };
    let shown = format!("{c:?}");
    for secret in [
        "ADMIN-TOKEN-VALUE",
        "SEED-VALUE",
        "DBPASSWORD",
        "REPLICAPASSWORD",
    ] {
        assert!(!shown.contains(secret), "{shown}");
    }
    assert!(shown.contains("postgres://app:<redacted>@db.example:5432/tallyseal"));
    assert_eq!(
        redact_url_password("postgres://db.example/t?user=app&password=SECRET&sslmode=require"),
        "postgres://db.example/t?user=app&password=<redacted>&sslmode=require"
    );
    let err = ServerConfig::from_toml(
        "[object_store]\nkind = \"s3\"\nbucket = \"b\"\naccess_key_id = \"k\"\nsecret_acess_key = \"TOPSECRET\"\n",
    )
    .unwrap_err();
    assert!(!err.contains("TOPSECRET"), "{err}");
    assert!(err.contains("line"), "{err}");
}

#[test]
fn zeros_that_would_break_the_server_are_refused() {
    assert!(ServerConfig::default().validate().is_ok());
    let c = ServerConfig::from_toml("[limits]\nupload_slots_per_device = 0\n").unwrap();
    let err = c.validate().unwrap_err();
    assert!(err.to_string().contains("upload_slots_per_device"), "{err}");
    let c = ServerConfig::from_toml("[analysis]\nclaim_timeout_secs = 0\n").unwrap();
    assert!(c.validate().is_err());
    let c = ServerConfig::from_toml("[console]\nsession_idle_secs = 0\n").unwrap();
    let err = c.validate().unwrap_err();
    assert!(
        err.to_string().contains("console.session_idle_secs"),
        "{err}"
    );
    // The console's section reads from TOML.
    let c = ServerConfig::from_toml(
        "public_url = \"https://results.example\"\n[console]\nmax_failures_per_account = 3\n",
    )
    .unwrap();
    assert_eq!(c.console.max_failures_per_account, 3);
    assert!(
        c.console_secure_cookie(),
        "https public URL: Secure cookies"
    );
    assert!(!ServerConfig::default().console_secure_cookie());
    // 0 is meaningful where documented: part files kept however old.
    let c = ServerConfig::from_toml("[limits]\npart_file_idle_secs = 0\n").unwrap();
    assert!(c.validate().is_ok());
}

/// The log's settings from TOML (witnesses as a list of tables) and the variables; a policy
/// asking for more cosignatures than there are witnesses is refused; the log key stays hidden.
#[test]
fn log_settings() {
    let text = "log_origin = \"results.example/tallyseal-log\"\nlog_witness_policy = 1\n\
                log_sequence_interval_ms = 250\n\
                log_witnesses = [{ url = \"http://w1:8081\", vkey = \"w1+01020304+AAAA\" }]\n";
    let mut c = ServerConfig::from_toml(text).unwrap();
    assert_eq!(c.log_witnesses.len(), 1);
    assert_eq!(c.log_witnesses[0].url, "http://w1:8081");
    assert_eq!(c.log_sequence_interval_ms, 250);
    assert!(c.validate().is_ok());
    c.apply_env(|name| match name {
        "TALLYSEAL_LOG_KEY" => Some("LOG-SEED-VALUE".into()),
        "TALLYSEAL_LOG_ORIGIN" => Some("other.example/log".into()),
        _ => None,
    })
    .unwrap();
    assert_eq!(c.log_origin.as_deref(), Some("other.example/log"));
    assert!(!format!("{c:?}").contains("LOG-SEED-VALUE"));
    c.log_witness_policy = 2;
    let err = c.validate().unwrap_err();
    assert!(err.to_string().contains("log_witness_policy"), "{err}");
    c.log_witness_policy = 1;
    c.log_sequence_interval_ms = 0;
    assert!(c.validate().is_err());
}

#[test]
fn unknown_keys_are_refused() {
    assert!(ServerConfig::from_toml("bnid = \"x\"").is_err());
}

#[test]
fn node_id_is_a_short_identifier() {
    let c = ServerConfig::from_toml("node_id = \"ro-office-na-128\"\n").unwrap();
    assert!(c.validate().is_ok());
    assert_eq!(c.node_id, "ro-office-na-128");
    for bad in ["", "two words", "office\u{202e}", &"x".repeat(65)] {
        let c = ServerConfig {
            node_id: bad.to_owned(),
            ..ServerConfig::default()
        };
        let err = c.validate().unwrap_err();
        assert!(err.to_string().contains("node_id"), "{err}");
    }
    let mut c = ServerConfig::default();
    c.apply_env(|k| (k == "TALLYSEAL_NODE_ID").then(|| "office-2".to_owned()))
        .unwrap();
    assert_eq!(c.node_id, "office-2");
}

/// The read replica: from the file, then `TALLYSEAL_DATABASE_READ_URL`; only a PostgreSQL replica
/// of a PostgreSQL primary is accepted.
#[test]
fn read_replica_setting() {
    assert_eq!(ServerConfig::default().database_read_url, None);
    let mut c = ServerConfig::from_toml(
        "database_url = \"postgres://u@primary/db\"\n\
         database_read_url = \"postgres://u@replica/db\"\n",
    )
    .unwrap();
    assert_eq!(
        c.database_read_url.as_deref(),
        Some("postgres://u@replica/db")
    );
    c.validate().unwrap();
    let env: HashMap<&str, &str> =
        [("TALLYSEAL_DATABASE_READ_URL", "postgresql://u@replica2/db")].into();
    c.apply_env(|k| env.get(k).map(|v| v.to_string())).unwrap();
    assert_eq!(
        c.database_read_url.as_deref(),
        Some("postgresql://u@replica2/db")
    );
    c.validate().unwrap();
    // SQLite has no replicas: neither as the replica nor as the primary.
    c.database_read_url = Some("sqlite://other.db".into());
    assert!(matches!(
        c.validate(),
        Err(ConfigError::Invalid {
            name: "database_read_url",
            ..
        })
    ));
    let c = ServerConfig {
        database_read_url: Some("postgres://u@replica/db".into()),
        ..Default::default()
    };
    assert!(matches!(
        c.validate(),
        Err(ConfigError::Invalid {
            name: "database_read_url",
            ..
        })
    ));
}
