//! The tray icon and tooltip for a list of statuses: one icon per state
//! family, chosen by the worst account.

use graphlink_core::state::{AccountStatus, LinkState};

use super::menu::state_words;

/// The icon families drawn in `icons/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Healthy,
    Attention,
    ActionNeeded,
    Offline,
}

impl Family {
    /// Returns the family of a state.
    pub const fn of(state: LinkState) -> Self {
        match state {
            LinkState::Connected | LinkState::Checking => Self::Healthy,
            LinkState::Degraded | LinkState::NotConnected => Self::Attention,
            LinkState::Offline => Self::Offline,
            LinkState::ReconnectNeeded | LinkState::AdminNeeded | LinkState::KeyringUnavailable => Self::ActionNeeded,
        }
    }

    /// Returns the 32-pixel PNG of the family, embedded in the binary.
    pub const fn png(self) -> &'static [u8] {
        match self {
            Self::Healthy => include_bytes!("../../../../icons/png/32/tray-healthy.png"),
            Self::Attention => include_bytes!("../../../../icons/png/32/tray-attention.png"),
            Self::ActionNeeded => include_bytes!("../../../../icons/png/32/tray-action.png"),
            Self::Offline => include_bytes!("../../../../icons/png/32/tray-offline.png"),
        }
    }
}

/// Monochrome glyph for macOS, which tints template images to match a light
/// or dark menu bar.
pub const TEMPLATE_PNG: &[u8] = include_bytes!("../../../../icons/png/32/tray-template.png");

/// Returns the icon for these statuses and whether it is a macOS template
/// image: on macOS the healthy icon follows the menu bar's colours, and the
/// other states keep their colour so they stand out.
pub fn icon_png(statuses: &[AccountStatus]) -> (&'static [u8], bool) {
    match family(statuses) {
        Family::Healthy if cfg!(target_os = "macos") => (TEMPLATE_PNG, true),
        other => (other.png(), false),
    }
}

/// Returns the worst state, which the icon shows, or `None` without accounts.
pub fn worst(statuses: &[AccountStatus]) -> Option<&AccountStatus> {
    statuses.iter().max_by_key(|status| status.state.severity())
}

/// Returns the icon family for these statuses.
pub fn family(statuses: &[AccountStatus]) -> Family {
    worst(statuses).map_or(Family::Attention, |status| Family::of(status.state))
}

/// Returns the tooltip: the state in words.
pub fn tooltip(statuses: &[AccountStatus]) -> String {
    match (statuses, worst(statuses)) {
        (_, None) => "Graphlink: no account linked".into(),
        ([only], _) => format!("Graphlink: {} {}", only.username, state_words(only.state)),
        (all, Some(worst)) if worst.state == LinkState::Connected => format!("Graphlink: {} accounts connected", all.len()),
        (_, Some(worst)) => format!("Graphlink: {} {}", worst.username, state_words(worst.state)),
    }
}

/// Decodes a PNG into RGBA pixels.
///
/// # Errors
///
/// Fails when the PNG is invalid or not 8-bit RGBA.
pub fn decode_rgba(png_bytes: &[u8]) -> anyhow::Result<(Vec<u8>, u32, u32)> {
    let decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    let mut reader = decoder.read_info()?;
    let mut pixels = vec![0; reader.output_buffer_size().unwrap_or_default()];
    let info = reader.next_frame(&mut pixels)?;
    anyhow::ensure!(info.color_type == png::ColorType::Rgba && info.bit_depth == png::BitDepth::Eight, "the tray icon is not 8-bit RGBA");
    pixels.truncate(info.buffer_size());
    Ok((pixels, info.width, info.height))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use graphlink_core::state::{Action, Capabilities};

    use super::*;

    fn status(username: &str, state: LinkState) -> AccountStatus {
        AccountStatus {
            account: username.into(),
            username: username.into(),
            tenant_id: String::new(),
            state,
            capabilities: Capabilities::default(),
            message: String::new(),
            action: Action::None,
            last_checked: None,
            last_connected: None,
            next_check: None,
            error: None,
        }
    }

    #[test]
    fn worst_account_sets_icon() {
        let statuses = [status("a", LinkState::Connected), status("b", LinkState::ReconnectNeeded), status("c", LinkState::Offline)];

        assert_eq!(family(&statuses), Family::ActionNeeded);
        assert_eq!(tooltip(&statuses), "Graphlink: b reconnect needed");
    }

    #[test]
    fn tooltip_names_the_state() {
        assert_eq!(tooltip(&[]), "Graphlink: no account linked");
        assert_eq!(tooltip(&[status("a", LinkState::Offline)]), "Graphlink: a offline");
        assert_eq!(tooltip(&[status("a", LinkState::Connected), status("b", LinkState::Connected)]), "Graphlink: 2 accounts connected");
    }

    #[test]
    fn every_icon_decodes() {
        let families = [Family::Healthy, Family::Attention, Family::ActionNeeded, Family::Offline];
        for png in families.map(Family::png).into_iter().chain([TEMPLATE_PNG]) {
            let (pixels, width, height) = decode_rgba(png).unwrap();
            assert_eq!((width, height), (32, 32));
            assert_eq!(pixels.len(), 32 * 32 * 4);
        }
    }
}
