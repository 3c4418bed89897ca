//! Settings that would break the server rather than limit it are refused at start-up.

use super::{ConfigError, ServerConfig};

impl ServerConfig {
    /// Refuse settings that would break the server rather than limit it (`Application::build`
    /// calls it, whatever built the configuration): a zero that would
    /// refuse every request (no upload slot, no body, no image) or make analysers take each
    /// other's claims at once, an expired-on-issue enrolment code, a `node_id` that is not a
    /// short identifier, console sessions that end at once or a sign-in lock-out that never locks,
    /// or a read replica that is not PostgreSQL's.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let l = &self.limits;
        if self.log_witness_policy > self.log_witnesses.len() {
            return Err(ConfigError::Invalid {
                name: "log_witness_policy",
                message: format!(
                    "asks for {} cosignatures but only {} witnesses are configured",
                    self.log_witness_policy,
                    self.log_witnesses.len()
                ),
            });
        }
        let positive: [(&'static str, u64); 19] = [
            ("log_sequence_interval_ms", self.log_sequence_interval_ms),
            ("log_witness_timeout_ms", self.log_witness_timeout_ms),
            ("limits.max_json_bytes", l.max_json_bytes as u64),
            ("limits.max_package_bytes", l.max_package_bytes as u64),
            ("limits.max_manifest_bytes", l.max_manifest_bytes as u64),
            ("limits.max_image_bytes", l.max_image_bytes),
            (
                "limits.upload_slots_per_device",
                u64::from(l.upload_slots_per_device),
            ),
            ("limits.upload_slot_idle_secs", l.upload_slot_idle_secs),
            ("limits.upload_sweep_secs", l.upload_sweep_secs),
            ("limits.enrolment_code_ttl_secs", l.enrolment_code_ttl_secs),
            ("limits.body_idle_secs", l.body_idle_secs),
            ("limits.body_rate_window_secs", l.body_rate_window_secs),
            (
                "analysis.claim_timeout_secs",
                self.analysis.claim_timeout_secs,
            ),
            (
                "database_max_connections",
                u64::from(self.database_max_connections),
            ),
            // A zero would end every console session at once, or never lock anyone out.
            ("console.session_idle_secs", self.console.session_idle_secs),
            (
                "console.session_absolute_secs",
                self.console.session_absolute_secs,
            ),
            ("console.lockout_secs", self.console.lockout_secs),
            (
                "console.max_failures_per_account",
                u64::from(self.console.max_failures_per_account),
            ),
            (
                "console.max_failures_per_client",
                u64::from(self.console.max_failures_per_client),
            ),
        ];
        if let Some((name, _)) = positive.into_iter().find(|(_, v)| *v == 0) {
            return Err(ConfigError::Invalid {
                name,
                message: "must be at least 1".into(),
            });
        }
        // The origin every console decision records: a short identifier, never free text.
        let id = &self.node_id;
        if id.is_empty()
            || id.len() > 64
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        {
            return Err(ConfigError::Invalid {
                name: "node_id",
                message: "must be 1 to 64 of A-Z a-z 0-9 - _ .".into(),
            });
        }
        self.validate_read_replica()?;
        Ok(())
    }

    /// A read replica is a PostgreSQL hot standby of a PostgreSQL primary: SQLite has no
    /// replicas, and a replica of another kind than the primary cannot hold its tables.
    fn validate_read_replica(&self) -> Result<(), ConfigError> {
        let Some(read) = &self.database_read_url else {
            return Ok(());
        };
        let postgres = |url: &str| url.starts_with("postgres:") || url.starts_with("postgresql:");
        if !postgres(read) {
            return Err(ConfigError::Invalid {
                name: "database_read_url",
                message: "must start with postgres: (a PostgreSQL read replica)".into(),
            });
        }
        if !postgres(&self.effective_database_url()) {
            return Err(ConfigError::Invalid {
                name: "database_read_url",
                message: "needs database_url to be the PostgreSQL primary it replicates".into(),
            });
        }
        Ok(())
    }
}
