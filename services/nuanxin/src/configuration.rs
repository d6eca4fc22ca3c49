//! Layered settings: the compiled-in base file, the environment's file, an optional file, then variables.

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub application: ApplicationSettings,
    pub database: DatabaseSettings,
    pub redis: RedisSettings,
    pub mail: MailSettings,
    pub security: SecuritySettings,
    #[serde(default)]
    pub environment: Environment,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApplicationSettings {
    pub host: String,
    pub port: u16,
    pub tenants_dir: PathBuf,
    pub demo_password: SecretString,
    /// HTTP worker threads; 0 means one per core.
    pub workers: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    pub url: SecretString,
    pub app_user: String,
    pub app_password: SecretString,
    pub pool_size: usize,
    /// Families each node keeps in memory after reading them (`registry::near`); 0 keeps none.
    pub near_families: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    pub url: SecretString,
    pub namespace: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub from: String,
    pub smtp_url: String,
    pub folder: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    pub field_key: SecretString,
    pub blind_index_key: SecretString,
    pub pseudonym_key: SecretString,
    pub session_ttl_minutes: u64,
    pub login_attempts_per_window: u64,
    /// Addresses of the reverse proxies whose `X-Forwarded-For` is believed, comma-separated; empty: none,
    /// the peer's own address is the client's.
    #[serde(default)]
    pub trusted_proxies: String,
    /// Verification queries (yes/no by resident ID) one account may ask per minute.
    #[serde(default = "default_verifications_per_minute")]
    pub verifications_per_minute: u64,
}

fn default_verifications_per_minute() -> u64 {
    60
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    #[default]
    Local,
    Production,
}

const BASE: &str = include_str!("../configuration/base.yaml");
const LOCAL: &str = include_str!("../configuration/local.yaml");
const PRODUCTION: &str = include_str!("../configuration/production.yaml");
const DEVELOPMENT_KEY_PREFIX: &str = "ZGV2ZWxvcG1lbnQta2V5";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration {source_name}: {message}")]
    Invalid {
        source_name: String,
        message: String,
    },
}

fn invalid(source_name: &str, message: impl ToString) -> ConfigError {
    ConfigError::Invalid {
        source_name: source_name.to_owned(),
        message: message.to_string(),
    }
}

/// Reads the settings from the layers, with `vars` standing for the process environment: the
/// compiled-in base file, the environment's file, `NUANXIN_CONFIG_FILE` if set, then every
/// `NUANXIN__SECTION__KEY` variable (a text that looks like a number stays text where the setting is
/// text: values are read as the setting's own type), then the contract's `DATABASE_URL` and
/// `NUANXIN_DEMO_PASSWORD`.
pub fn settings_from(
    vars: impl Iterator<Item = (String, String)>,
) -> Result<Settings, ConfigError> {
    use config::{Config, File, FileFormat};
    let vars: config::Map<String, String> = vars.collect();
    let environment = match vars.get("NUANXIN_ENVIRONMENT").map(String::as_str) {
        None | Some("local") => Environment::Local,
        Some("production") => Environment::Production,
        Some(other) => {
            return Err(invalid(
                "NUANXIN_ENVIRONMENT",
                format!("'{other}' is neither local nor production"),
            ))
        }
    };
    let env_file = match environment {
        Environment::Local => LOCAL,
        Environment::Production => PRODUCTION,
    };
    let mut layers = Config::builder()
        .add_source(File::from_str(BASE, FileFormat::Yaml))
        .add_source(File::from_str(env_file, FileFormat::Yaml));
    if let Some(path) = vars.get("NUANXIN_CONFIG_FILE") {
        let text = std::fs::read_to_string(path).map_err(|e| invalid(path, e))?;
        layers = layers.add_source(File::from_str(&text, FileFormat::Yaml));
    }
    layers = layers.add_source(
        config::Environment::with_prefix("NUANXIN")
            .prefix_separator("__")
            .separator("__")
            .source(Some(vars.clone())),
    );
    // The contract's own names.
    for (variable, key) in [
        ("DATABASE_URL", "database.url"),
        ("NUANXIN_DEMO_PASSWORD", "application.demo_password"),
    ] {
        if let Some(value) = vars.get(variable) {
            layers = layers
                .set_override(key, value.as_str())
                .map_err(|e| invalid(variable, e))?;
        }
    }
    let mut settings: Settings = layers
        .build()
        .and_then(Config::try_deserialize)
        .map_err(|e| invalid("settings", e))?;
    settings.environment = environment;
    settings.validate()?;
    Ok(settings)
}

/// Reads the settings from the process environment.
pub fn get_settings() -> Result<Settings, ConfigError> {
    settings_from(std::env::vars())
}

impl SecuritySettings {
    /// The trusted proxies' addresses (checked when the settings load).
    pub fn trusted_proxies(&self) -> Vec<std::net::IpAddr> {
        self.parse_proxies().unwrap_or_default()
    }

    fn parse_proxies(&self) -> Result<Vec<std::net::IpAddr>, ConfigError> {
        self.trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| {
                a.parse().map_err(|_| {
                    invalid(
                        "security.trusted_proxies",
                        format!("'{a}' is not an IP address"),
                    )
                })
            })
            .collect()
    }
}

impl Settings {
    fn validate(&self) -> Result<(), ConfigError> {
        self.security.parse_proxies()?;
        for (name, key) in [
            ("security.field_key", &self.security.field_key),
            ("security.blind_index_key", &self.security.blind_index_key),
            ("security.pseudonym_key", &self.security.pseudonym_key),
        ] {
            let bytes =
                base64_decode(key.expose_secret()).ok_or_else(|| invalid(name, "is not base64"))?;
            if bytes.len() != 32 {
                return Err(invalid(name, "must be 32 bytes (44 base64 characters)"));
            }
            if self.environment == Environment::Production
                && key.expose_secret().starts_with(DEVELOPMENT_KEY_PREFIX)
            {
                return Err(invalid(
                    name,
                    "is the development key; set a real one for production",
                ));
            }
        }
        if self.database.pool_size == 0 {
            return Err(invalid("database.pool_size", "must be at least 1"));
        }
        if !self.mail.smtp_url.is_empty()
            && !self.mail.smtp_url.starts_with("smtp://")
            && !self.mail.smtp_url.starts_with("smtps://")
        {
            return Err(invalid(
                "mail.smtp_url",
                "must start with smtp:// or smtps://",
            ));
        }
        Ok(())
    }

    /// The URL the service's own role connects with: the admin URL with the app role's credentials.
    pub fn app_database_url(&self) -> String {
        let admin = self.database.url.expose_secret();
        let (scheme, rest) = admin.split_once("://").unwrap_or(("postgres", admin));
        let host_part = rest.rsplit_once('@').map(|(_, h)| h).unwrap_or(rest);
        let password = self.database.app_password.expose_secret();
        if password.is_empty() {
            format!("{scheme}://{}@{host_part}", self.database.app_user)
        } else {
            format!(
                "{scheme}://{}:{password}@{host_part}",
                self.database.app_user
            )
        }
    }

    pub fn key(&self, which: &SecretString) -> [u8; 32] {
        let mut out = [0u8; 32];
        if let Some(bytes) = base64_decode(which.expose_secret()) {
            out.copy_from_slice(&bytes[..32.min(bytes.len())]);
        }
        out
    }
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Iterator<Item = (String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<Vec<_>>()
            .into_iter()
    }

    #[test]
    fn variables_override_the_files() {
        let s = settings_from(vars(&[
            ("NUANXIN__APPLICATION__PORT", "9000"),
            ("DATABASE_URL", "postgres://postgres@db:5432/x"),
            ("NUANXIN__REDIS__URL", "redis://127.0.0.1:6379"),
            ("NUANXIN__APPLICATION__WORKERS", "3"),
            ("NUANXIN__DATABASE__NEAR_FAMILIES", "0"),
            // A number-looking value of a text setting stays text.
            ("NUANXIN__REDIS__NAMESPACE", "2026"),
        ]))
        .unwrap();
        assert_eq!(s.application.port, 9000);
        assert_eq!(s.application.workers, 3);
        assert_eq!(s.database.near_families, 0);
        assert_eq!(s.redis.namespace, "2026");
        assert_eq!(s.app_database_url(), "postgres://nuanxin_app@db:5432/x");
        assert_eq!(s.redis.url.expose_secret(), "redis://127.0.0.1:6379");
    }

    #[test]
    fn a_settings_file_sits_between_the_environments_file_and_the_variables() {
        let path =
            std::env::temp_dir().join(format!("nuanxin-settings-{}.yaml", std::process::id()));
        std::fs::write(
            &path,
            "application:\n  port: 8100\n  workers: 5\nredis:\n  namespace: from-file\n",
        )
        .unwrap();
        let s = settings_from(vars(&[
            ("NUANXIN_CONFIG_FILE", path.to_str().unwrap()),
            ("NUANXIN__APPLICATION__WORKERS", "7"),
        ]))
        .unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(s.application.port, 8100);
        assert_eq!(s.application.workers, 7, "a variable wins over the file");
        assert_eq!(s.redis.namespace, "from-file");
        assert_eq!(
            s.database.pool_size,
            settings_from(vars(&[])).unwrap().database.pool_size
        );
    }

    #[test]
    fn an_unknown_or_mistyped_setting_is_refused_with_its_name() {
        let err = settings_from(vars(&[("NUANXIN__APPLICATION__PROT", "9000")])).unwrap_err();
        assert!(err.to_string().contains("prot"), "{err}");
        let err = settings_from(vars(&[("NUANXIN__APPLICATION__PORT", "ninety")])).unwrap_err();
        assert!(err.to_string().contains("application.port"), "{err}");
    }

    #[test]
    fn production_refuses_development_keys() {
        let err = settings_from(vars(&[("NUANXIN_ENVIRONMENT", "production")])).unwrap_err();
        assert!(err.to_string().contains("security.field_key"), "{err}");
    }

    #[test]
    fn a_short_key_is_refused_with_its_name() {
        let err =
            settings_from(vars(&[("NUANXIN__SECURITY__BLIND_INDEX_KEY", "c2hvcnQ=")])).unwrap_err();
        assert!(
            err.to_string().contains("security.blind_index_key"),
            "{err}"
        );
    }
}
