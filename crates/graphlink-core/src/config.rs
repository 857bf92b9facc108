//! Layered configuration: built-in defaults, the managed file an administrator
//! installs, the user's `config.toml`, then `GRAPHLINK_*` environment variables.
//! Later layers win.
//!
//! Parsing is pure ([`parse_layer`], [`parse_managed`], [`env_layer`]) and
//! loading files is separate ([`load`]), so the error texts can be tested
//! without touching disk.
//!
//! The managed file may lock settings with `locked = ["client_id", …]` (or
//! `locked = true` for every setting it contains). The user file and the
//! environment cannot override a locked setting: their value is ignored, and
//! [`load_detailed`] reports where it was, for `graphlink doctor`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use url::Url;

pub const DEFAULT_AUTHORITY: &str = "https://login.microsoftonline.com/organizations/v2.0";
pub const DEFAULT_GRAPH_URL: &str = "https://graph.microsoft.com/v1.0";
pub const DEFAULT_SCOPES: &[&str] =
    &["openid", "profile", "offline_access", "User.Read", "Mail.Read", "Calendars.Read"];
pub const DEFAULT_CHECK_INTERVAL: Duration = Duration::from_secs(300);

const MIN_CHECK_INTERVAL_SECS: u64 = 30;
const MAX_CHECK_INTERVAL_SECS: u64 = 86_400;

/// The settings Graphlink runs with, after all layers are merged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Application (client) ID of the app registration. Empty when unset.
    pub client_id: String,
    /// OpenID Connect issuer base, e.g. `https://login.microsoftonline.com/organizations/v2.0`.
    pub authority: Url,
    /// Versioned Graph base, e.g. `https://graph.microsoft.com/v1.0`.
    pub graph_url: Url,
    pub scopes: Vec<String>,
    pub check_interval: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            client_id: String::new(),
            authority: parse_default_url(DEFAULT_AUTHORITY),
            graph_url: parse_default_url(DEFAULT_GRAPH_URL),
            scopes: DEFAULT_SCOPES.iter().map(ToString::to_string).collect(),
            check_interval: DEFAULT_CHECK_INTERVAL,
        }
    }
}

#[allow(clippy::expect_used)] // The defaults are constants checked by a unit test.
fn parse_default_url(text: &str) -> Url {
    Url::parse(text).expect("built-in URL is valid")
}

impl Config {
    /// Returns the client ID, or an error telling how to set it.
    ///
    /// # Errors
    ///
    /// Fails when no layer set `client_id`: Graphlink has no app
    /// registration of its own, so each organisation supplies one.
    pub fn require_client_id(&self) -> Result<&str, ConfigError> {
        if self.client_id.is_empty() {
            return Err(ConfigError::new(
                Origin::Defaults,
                "client_id",
                "is not set",
                "set client_id in config.toml or GRAPHLINK_CLIENT_ID to the Application (client) ID of your app registration",
            ));
        }
        Ok(&self.client_id)
    }

    /// Returns the scope list as one space-separated string.
    #[must_use]
    pub fn scope_string(&self) -> String {
        self.scopes.join(" ")
    }
}

/// The source of a setting, for error messages and diagnostics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Defaults,
    File(PathBuf),
    Env(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Defaults => f.write_str("built-in defaults"),
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Env(name) => write!(f, "environment variable {name}"),
        }
    }
}

/// An invalid setting: where it is, which key, what is wrong and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct ConfigError {
    pub origin: Origin,
    pub line: Option<usize>,
    pub key: String,
    pub problem: String,
    pub fix: String,
}

impl ConfigError {
    /// Renders the error: a setting that no layer provides has no file to name.
    fn describe(&self) -> String {
        if self.origin == Origin::Defaults {
            return format!("missing configuration: `{}` {}; {}", self.key, self.problem, self.fix);
        }
        let line = self.line.map(|n| format!(" line {n}")).unwrap_or_default();
        // A problem of the whole file, such as its encoding, names no key.
        let subject = if self.key.is_empty() { "the file".to_owned() } else { format!("`{}`", self.key) };
        format!("invalid configuration in {}{line}: {subject} {}; {}", self.origin, self.problem, self.fix)
    }

    fn new(origin: Origin, key: &str, problem: impl Into<String>, fix: impl Into<String>) -> Self {
        Self { origin, line: None, key: key.to_owned(), problem: problem.into(), fix: fix.into() }
    }

    fn at_line(mut self, line: Option<usize>) -> Self {
        self.line = line;
        self
    }
}

/// One layer's settings; `None` leaves the value of earlier layers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layer {
    pub client_id: Option<String>,
    pub authority: Option<Url>,
    pub graph_url: Option<Url>,
    pub scopes: Option<Vec<String>>,
    pub check_interval: Option<Duration>,
}

impl Layer {
    fn apply(self, config: &mut Config) {
        if let Some(value) = self.client_id {
            config.client_id = value;
        }
        if let Some(value) = self.authority {
            config.authority = value;
        }
        if let Some(value) = self.graph_url {
            config.graph_url = value;
        }
        if let Some(value) = self.scopes {
            config.scopes = value;
        }
        if let Some(value) = self.check_interval {
            config.check_interval = value;
        }
    }
}

const KEYS: &[&str] = &["client_id", "authority", "graph_url", "scopes", "check_interval"];

/// Parses one configuration file's text.
///
/// # Errors
///
/// Returns a [`ConfigError`] naming the file, the line, the key and the fix
/// for a syntax error, an unknown key, a wrong type or an invalid value.
pub fn parse_layer(text: &str, path: &Path) -> Result<Layer, ConfigError> {
    let origin = Origin::File(path.to_path_buf());
    let table: toml::Table = text.parse().map_err(|error: toml::de::Error| syntax_error(text, &origin, &error))?;
    parse_checked_table(table, text, path)
}

/// Checks a user file's parsed table: it may not contain `locked`.
fn parse_checked_table(table: toml::Table, text: &str, path: &Path) -> Result<Layer, ConfigError> {
    let origin = Origin::File(path.to_path_buf());
    if table.contains_key("locked") {
        return Err(ConfigError::new(
            origin,
            "locked",
            "can only be set in the managed file an administrator installs",
            format!("remove it from this file; the managed file is {}", crate::paths::managed_config_file().display()),
        )
        .at_line(line_of_key(text, "locked")));
    }
    parse_table(table, text, &origin)
}

/// A setting dropped from a file because it is locked, with its line.
type Dropped = (&'static str, Option<usize>);

/// Parses the user file like [`parse_layer`], first dropping the `locked`
/// keys, and returns the dropped keys with their lines.
fn parse_user_layer(text: &str, path: &Path, locked: &[&'static str]) -> Result<(Layer, Vec<Dropped>), ConfigError> {
    let mut table: toml::Table = text.parse().map_err(|error: toml::de::Error| syntax_error(text, &Origin::File(path.to_path_buf()), &error))?;
    let dropped = locked
        .iter()
        .filter(|key| table.remove(**key).is_some())
        .map(|key| (*key, line_of_key(text, key)))
        .collect();
    let layer = parse_checked_table(table, text, path)?;
    Ok((layer, dropped))
}

fn syntax_error(text: &str, origin: &Origin, error: &toml::de::Error) -> ConfigError {
    let line = error.span().map(|span| line_of_offset(text, span.start));
    let problem = error.message().trim().to_owned();
    // Naming the setting on that line helps more than the word "syntax".
    let key = line.and_then(|line| text.lines().nth(line - 1)).and_then(key_of_line).unwrap_or("(syntax)");
    ConfigError::new(origin.clone(), key, problem, "correct the TOML syntax at that line").at_line(line)
}

/// Returns the bare key a `key = value` line sets.
fn key_of_line(line: &str) -> Option<&str> {
    let (key, _) = line.split_once('=')?;
    let key = key.trim();
    let bare = !key.is_empty() && key.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
    bare.then_some(key)
}

fn parse_table(table: toml::Table, text: &str, origin: &Origin) -> Result<Layer, ConfigError> {
    let origin = origin.clone();
    let mut layer = Layer::default();
    for (key, value) in table {
        let line = line_of_key(text, &key);
        let fail = |problem: String, fix: String| {
            Err(ConfigError::new(origin.clone(), &key, problem, fix).at_line(line))
        };
        match key.as_str() {
            "client_id" => match value.as_str() {
                Some(text) => layer.client_id = Some(check_client_id(text, &origin, &key).map_err(|e| e.at_line(line))?),
                None => return fail(wrong_type(&value, "a string"), "write it in quotes, e.g. client_id = \"00000000-0000-0000-0000-000000000000\"".into()),
            },
            "authority" | "graph_url" => {
                let Some(text) = value.as_str() else {
                    return fail(wrong_type(&value, "a URL string"), format!("write it in quotes, e.g. {key} = \"https://…\""));
                };
                let url = check_url(text, &origin, &key).map_err(|e| e.at_line(line))?;
                if key == "authority" {
                    layer.authority = Some(url);
                } else {
                    layer.graph_url = Some(url);
                }
            }
            "scopes" => {
                let scopes = match &value {
                    toml::Value::String(text) => split_scopes(text),
                    toml::Value::Array(items) => {
                        let mut scopes = Vec::with_capacity(items.len());
                        for item in items {
                            let Some(scope) = item.as_str() else {
                                return fail(wrong_type(item, "a string in the list"), "quote every scope, e.g. scopes = [\"User.Read\", \"Mail.Read\"]".into());
                            };
                            scopes.push(scope.to_owned());
                        }
                        scopes
                    }
                    other => return fail(wrong_type(other, "a list of strings"), "e.g. scopes = [\"User.Read\", \"Mail.Read\"]".into()),
                };
                layer.scopes = Some(check_scopes(scopes, &origin).map_err(|e| e.at_line(line))?);
            }
            "check_interval" => {
                let Some(seconds) = value.as_integer() else {
                    return fail(wrong_type(&value, "a whole number of seconds"), "e.g. check_interval = 300".into());
                };
                layer.check_interval = Some(check_interval(seconds, &origin, &key).map_err(|e| e.at_line(line))?);
            }
            _ => {
                return fail(
                    "is not a known setting".into(),
                    format!("remove it or use one of: {}", KEYS.join(", ")),
                );
            }
        }
    }
    Ok(layer)
}

/// Reads `GRAPHLINK_*` variables through `lookup` (usually `std::env::var`).
///
/// # Errors
///
/// Returns a [`ConfigError`] naming the variable when its value is invalid.
pub fn env_layer(lookup: impl Fn(&str) -> Option<String>) -> Result<Layer, ConfigError> {
    let mut layer = Layer::default();
    if let Some(value) = lookup("GRAPHLINK_CLIENT_ID") {
        layer.client_id = Some(check_client_id(&value, &Origin::Env("GRAPHLINK_CLIENT_ID"), "client_id")?);
    }
    if let Some(value) = lookup("GRAPHLINK_AUTHORITY") {
        layer.authority = Some(check_url(&value, &Origin::Env("GRAPHLINK_AUTHORITY"), "authority")?);
    }
    if let Some(value) = lookup("GRAPHLINK_GRAPH_URL") {
        layer.graph_url = Some(check_url(&value, &Origin::Env("GRAPHLINK_GRAPH_URL"), "graph_url")?);
    }
    if let Some(value) = lookup("GRAPHLINK_SCOPES") {
        layer.scopes = Some(check_scopes(split_scopes(&value), &Origin::Env("GRAPHLINK_SCOPES"))?);
    }
    if let Some(value) = lookup("GRAPHLINK_CHECK_INTERVAL") {
        let origin = Origin::Env("GRAPHLINK_CHECK_INTERVAL");
        let seconds = value.trim().parse::<i64>().map_err(|_| {
            ConfigError::new(origin.clone(), "check_interval", format!("is {value:?}, not a whole number of seconds"), "e.g. GRAPHLINK_CHECK_INTERVAL=300")
        })?;
        layer.check_interval = Some(check_interval(seconds, &origin, "check_interval")?);
    }
    Ok(layer)
}

impl Layer {
    /// Returns the keys this layer sets, in [`KEYS`] order.
    #[must_use]
    pub fn keys(&self) -> Vec<&'static str> {
        let set = [
            self.client_id.is_some(),
            self.authority.is_some(),
            self.graph_url.is_some(),
            self.scopes.is_some(),
            self.check_interval.is_some(),
        ];
        KEYS.iter().zip(set).filter_map(|(key, is_set)| is_set.then_some(*key)).collect()
    }
}

/// The managed file's settings and the keys it locks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ManagedLayer {
    pub layer: Layer,
    /// Keys that the user file and the environment cannot override.
    pub locked: Vec<&'static str>,
}

/// Parses the managed file, which may contain `locked`: a list of setting
/// names, or `true` for every setting the file contains.
///
/// # Errors
///
/// As [`parse_layer`], plus an invalid `locked` value or an unknown name in it.
pub fn parse_managed(text: &str, path: &Path) -> Result<ManagedLayer, ConfigError> {
    let origin = Origin::File(path.to_path_buf());
    let mut table: toml::Table = text.parse().map_err(|error: toml::de::Error| syntax_error(text, &origin, &error))?;
    let line = line_of_key(text, "locked");
    let locked_value = table.remove("locked");
    // The other settings get the same checks and messages as in a user file;
    // line numbers come from the original text.
    let layer = parse_table(table, text, &origin)?;
    let fix = format!("write locked = true, or a list such as locked = [\"client_id\", \"authority\"] using the keys {}", KEYS.join(", "));
    let locked = match locked_value {
        None | Some(toml::Value::Boolean(false)) => Vec::new(),
        Some(toml::Value::Boolean(true)) => layer.keys(),
        Some(toml::Value::Array(items)) => {
            let mut locked = Vec::with_capacity(items.len());
            for item in &items {
                let known = item.as_str().and_then(|name| KEYS.iter().find(|key| **key == name));
                let Some(key) = known else {
                    return Err(ConfigError::new(origin, "locked", format!("contains {item}, which is not a setting"), fix).at_line(line));
                };
                locked.push(*key);
            }
            locked
        }
        Some(other) => return Err(ConfigError::new(origin, "locked", wrong_type(&other, "true or a list of setting names"), fix).at_line(line)),
    };
    Ok(ManagedLayer { layer, locked })
}

/// The source of one setting's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySource {
    pub key: &'static str,
    pub origin: Origin,
    /// Locked by the managed file.
    pub locked: bool,
    /// Values that a lock made Graphlink ignore, with the line for files.
    pub ignored: Vec<(Origin, Option<usize>)>,
}

/// The merged configuration and the source of each setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub config: Config,
    /// One entry per setting, in [`KEYS`] order.
    pub sources: Vec<KeySource>,
}

/// Merges the defaults with the given layers, later ones winning.
#[must_use]
pub fn merge(layers: impl IntoIterator<Item = Layer>) -> Config {
    let mut config = Config::default();
    for layer in layers {
        layer.apply(&mut config);
    }
    config
}

/// Loads the managed file, the user file and the environment, in that order.
/// A missing file is an empty layer.
///
/// # Errors
///
/// Returns the first invalid file or variable. Nothing is written, so a bad
/// setting never loses an account.
pub fn load(managed_file: &Path, user_file: &Path) -> Result<Config, ConfigError> {
    load_detailed(managed_file, user_file, |name| std::env::var(name).ok()).map(|loaded| loaded.config)
}

/// Loads like [`load`], reading variables through `lookup`, and reports
/// where each setting came from and which values a lock overrode.
///
/// # Errors
///
/// Returns the first invalid file or variable.
pub fn load_detailed(managed_file: &Path, user_file: &Path, lookup: impl Fn(&str) -> Option<String>) -> Result<Loaded, ConfigError> {
    let managed = match read_optional(managed_file)? {
        Some(text) => parse_managed(&text, managed_file)?,
        None => ManagedLayer::default(),
    };
    let mut sources: Vec<KeySource> = KEYS
        .iter()
        .map(|key| KeySource { key, origin: Origin::Defaults, locked: managed.locked.contains(key), ignored: Vec::new() })
        .collect();

    // A locked key's value in the user file or the environment is dropped
    // before it is checked, so a stale or invalid override cannot stop Graphlink.
    let user = match read_optional(user_file)? {
        Some(text) => {
            let (user, dropped) = parse_user_layer(&text, user_file, &managed.locked)?;
            for (key, line) in dropped {
                ignore(&mut sources, key, Origin::File(user_file.to_path_buf()), line);
            }
            user
        }
        None => Layer::default(),
    };
    for (key, var) in ENV_VARS {
        if managed.locked.contains(key) && lookup(var).is_some() {
            ignore(&mut sources, key, Origin::Env(var), None);
        }
    }
    let env = env_layer(|name| {
        let locked = ENV_VARS.iter().any(|(key, var)| *var == name && managed.locked.contains(key));
        if locked { None } else { lookup(name) }
    })?;

    let managed_origin = Origin::File(managed_file.to_path_buf());
    let user_origin = Origin::File(user_file.to_path_buf());
    for (layer, origin) in [(&managed.layer, Some(&managed_origin)), (&user, Some(&user_origin)), (&env, None)] {
        for key in layer.keys() {
            let Some(source) = sources.iter_mut().find(|source| source.key == key) else { continue };
            source.origin = origin.cloned().unwrap_or_else(|| env_origin(key));
        }
    }
    let layers = [managed.layer, user, env];
    let config = merge(layers);
    Ok(Loaded { config, sources })
}

/// Records that a lock made Graphlink ignore `key`'s value from `origin`.
fn ignore(sources: &mut [KeySource], key: &str, origin: Origin, line: Option<usize>) {
    tracing::warn!(key, ignored = %origin, "setting is locked by the managed file; ignoring the override");
    if let Some(source) = sources.iter_mut().find(|source| source.key == key) {
        source.ignored.push((origin, line));
    }
}

/// Returns the origin of `key` when the environment sets it.
fn env_origin(key: &str) -> Origin {
    Origin::Env(ENV_VARS.iter().find(|(name, _)| *name == key).map_or("GRAPHLINK_*", |(_, var)| var))
}

/// Environment variable of each setting.
const ENV_VARS: &[(&str, &str)] = &[
    ("client_id", "GRAPHLINK_CLIENT_ID"),
    ("authority", "GRAPHLINK_AUTHORITY"),
    ("graph_url", "GRAPHLINK_GRAPH_URL"),
    ("scopes", "GRAPHLINK_SCOPES"),
    ("check_interval", "GRAPHLINK_CHECK_INTERVAL"),
];

/// The key of an error about the whole file rather than one setting.
const FILE_PROBLEM: &str = "";

/// Reads a file; a missing file is `None`.
///
/// Text that is not UTF-8 gets its own error, because TOML requires UTF-8 and
/// no permission change fixes a file saved in another encoding.
fn read_optional(path: &Path) -> Result<Option<String>, ConfigError> {
    let origin = Origin::File(path.to_path_buf());
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => {
            return Err(ConfigError::new(
                origin,
                FILE_PROBLEM,
                format!("could not be read: {error}"),
                "check that it is a regular file and that its permissions let your user read it",
            ));
        }
    };
    match String::from_utf8(bytes) {
        Ok(text) => Ok(Some(text)),
        Err(error) => {
            let valid = &error.as_bytes()[..error.utf8_error().valid_up_to()];
            let line = valid.iter().filter(|byte| **byte == b'\n').count() + 1;
            Err(ConfigError::new(
                origin,
                FILE_PROBLEM,
                format!("is not valid UTF-8 text (invalid byte at offset {})", valid.len()),
                "save the file as UTF-8 text, which TOML requires; other encodings such as Windows-1252 or UTF-16 are not read",
            )
            .at_line(Some(line)))
        }
    }
}

/// Accepts only a GUID. Microsoft Entra ID rejects a client ID such as `xyz`
/// with AADSTS700016 on its sign-in page, where Graphlink cannot see the
/// error, so `connect` would wait out its whole timeout.
fn check_client_id(value: &str, origin: &Origin, key: &str) -> Result<String, ConfigError> {
    let trimmed = value.trim();
    if !is_guid(trimmed) {
        return Err(ConfigError::new(
            origin.clone(),
            key,
            format!("is {value:?}, which is not a GUID"),
            "use the Application (client) ID from the app registration's Overview page, a GUID such as 00000000-0000-0000-0000-000000000000",
        ));
    }
    Ok(trimmed.to_owned())
}

/// Returns true for the hyphenated 8-4-4-4-12 hexadecimal form in which the
/// app registration's Overview page shows the client ID, in either letter
/// case. The caller keeps the case as written; an account compares the ID it
/// was linked with regardless of case.
fn is_guid(text: &str) -> bool {
    const GROUP_LENGTHS: [usize; 5] = [8, 4, 4, 4, 12];
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == GROUP_LENGTHS.len()
        && groups
            .iter()
            .zip(GROUP_LENGTHS)
            .all(|(group, length)| group.len() == length && group.bytes().all(|byte| byte.is_ascii_hexdigit()))
}

fn check_url(value: &str, origin: &Origin, key: &str) -> Result<Url, ConfigError> {
    let example = if key == "authority" { DEFAULT_AUTHORITY } else { DEFAULT_GRAPH_URL };
    // Messages show the value without a password it may contain.
    let value = &without_userinfo(value);
    let url = Url::parse(value.trim()).map_err(|error| {
        ConfigError::new(origin.clone(), key, format!("is {value:?}, not a URL ({error})"), format!("use a full URL such as {example}"))
    })?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ConfigError::new(origin.clone(), key, "contains a user name or password", format!("remove them; Graphlink signs in through OAuth, e.g. {example}")));
    }
    let loopback = matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(ConfigError::new(
                origin.clone(),
                key,
                format!("is {value:?}, which is not https"),
                format!("use an https URL such as {example} (plain http is allowed only on localhost)"),
            ));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(ConfigError::new(origin.clone(), key, format!("is {value:?}, which has a query or fragment"), format!("remove everything after the path, e.g. {example}")));
    }
    Ok(url)
}

/// Replaces a `user:password@` before the host with `***@`.
fn without_userinfo(value: &str) -> String {
    let Some((scheme, rest)) = value.split_once("://") else { return value.to_owned() };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{scheme}://***{}", &rest[at..]),
        None => value.to_owned(),
    }
}

fn split_scopes(text: &str) -> Vec<String> {
    text.split_whitespace().map(ToOwned::to_owned).collect()
}

/// The OpenID Connect scopes a sign-in needs: an ID token, the username in
/// it, and a refresh token.
const REQUIRED_OIDC_SCOPES: [(&str, &str); 3] = [
    ("openid", "without it Microsoft issues no ID token, so Graphlink cannot tell who signed in"),
    ("profile", "without it the ID token has no username to name the account by"),
    ("offline_access", "without it Microsoft issues no refresh token and the link ends within an hour"),
];

/// For each capability that every check reads, the usual delegated Graph
/// permission and all that allow reading it.
const CAPABILITY_SCOPES: [(&str, &str, &[&str]); 3] = [
    (
        "profile",
        "User.Read",
        &["User.Read", "User.ReadWrite", "User.ReadBasic.All", "User.Read.All", "User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All", "Directory.AccessAsUser.All"],
    ),
    ("mail", "Mail.Read", &["Mail.ReadBasic", "Mail.Read", "Mail.ReadWrite", "Mail.ReadBasic.Shared", "Mail.Read.Shared", "Mail.ReadWrite.Shared"]),
    ("calendar", "Calendars.Read", &["Calendars.ReadBasic", "Calendars.Read", "Calendars.ReadWrite", "Calendars.Read.Shared", "Calendars.ReadWrite.Shared"]),
];

/// The scope that requests every permission of the app registration.
const DEFAULT_SCOPE: &str = ".default";

fn check_scopes(scopes: Vec<String>, origin: &Origin) -> Result<Vec<String>, ConfigError> {
    let fail = |problem: String, fix: String| Err(ConfigError::new(origin.clone(), "scopes", problem, fix));
    if let Some(bad) = scopes.iter().find(|scope| scope.is_empty() || scope.contains([',', ';']) || scope.contains(char::is_whitespace)) {
        return fail(format!("contains {bad:?}"), "separate scopes with spaces, or list each as its own string, e.g. scopes = [\"openid\", \"User.Read\"]".into());
    }
    // OAuth scopes are case-sensitive, and the OpenID Connect ones have no resource.
    for (scope, reason) in REQUIRED_OIDC_SCOPES {
        if !scopes.iter().any(|configured| configured == scope) {
            return fail(format!("does not include {scope}"), format!("add {scope}: {reason}"));
        }
    }
    // Graph permissions may carry the resource, as in https://graph.microsoft.com/Mail.Read,
    // and Entra matches their names regardless of case.
    let names: Vec<&str> = scopes.iter().map(|scope| scope.rsplit('/').next().unwrap_or(scope)).collect();
    let has = |wanted: &str| names.iter().any(|name| name.eq_ignore_ascii_case(wanted));
    if has(DEFAULT_SCOPE) {
        // The app registration's permissions are not visible here; a check shows what they allow.
        return Ok(scopes);
    }
    for (capability, usual, allowing) in CAPABILITY_SCOPES {
        if !allowing.iter().any(|scope| has(scope)) {
            return fail(
                format!("has no permission to read the {capability}, which every check reads"),
                format!("add {usual}; any of {} also works", allowing.join(", ")),
            );
        }
    }
    Ok(scopes)
}

fn check_interval(seconds: i64, origin: &Origin, key: &str) -> Result<Duration, ConfigError> {
    match u64::try_from(seconds) {
        Ok(seconds) if (MIN_CHECK_INTERVAL_SECS..=MAX_CHECK_INTERVAL_SECS).contains(&seconds) => {
            Ok(Duration::from_secs(seconds))
        }
        _ => Err(ConfigError::new(
            origin.clone(),
            key,
            format!("is {seconds} seconds"),
            format!("use a value from {MIN_CHECK_INTERVAL_SECS} to {MAX_CHECK_INTERVAL_SECS} seconds; the default is {}", DEFAULT_CHECK_INTERVAL.as_secs()),
        )),
    }
}

fn wrong_type(value: &toml::Value, expected: &str) -> String {
    let found = value.type_str();
    let article = if found.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
    format!("is {article} {found}, expected {expected}")
}

fn line_of_offset(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(1, |before| before.matches('\n').count() + 1)
}

/// Returns the line that sets `key`, or opens it as a `[key]` table.
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    text.lines().position(|line| {
        let trimmed = line.trim_start();
        let sets = trimmed.strip_prefix(key).is_some_and(|rest| rest.trim_start().starts_with('='));
        let opens = trimmed
            .strip_prefix('[')
            .map(|rest| rest.trim_start_matches('[').trim_start())
            .and_then(|rest| rest.strip_prefix(key))
            .is_some_and(|rest| rest.trim_start().starts_with([']', '.']));
        sets || opens
    }).map(|index| index + 1)
}

#[cfg(test)]
mod tests;
