//! The Graph resources the simulator serves, with the permissions each needs.
//!
//! | path | permissions (any one) | capability |
//! |---|---|---|
//! | `/me` | User.Read, User.ReadWrite, User.ReadBasic.All, User.Read.All | profile |
//! | `/me/mailFolders/inbox` | Mail.ReadBasic, Mail.Read, Mail.ReadWrite | mail |
//! | `/me/messages` | Mail.ReadBasic, Mail.Read, Mail.ReadWrite | mail |
//! | `/me/mailboxSettings` | MailboxSettings.Read, MailboxSettings.ReadWrite | mail |
//! | `/me/calendar` | Calendars.ReadBasic, Calendars.Read, Calendars.ReadWrite | calendar |
//! | `/me/calendarView` | Calendars.ReadBasic, Calendars.Read, Calendars.ReadWrite | calendar |

use std::collections::HashMap;

use axum::http::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::App;
use crate::errors::GraphError;
use crate::graph::{Caller, GraphCall, faults};
use crate::ids::b64url;
use crate::model::{Capability, SimUser};

const PROFILE_SCOPES: &[&str] = &[
    "User.Read",
    "User.ReadWrite",
    "User.ReadBasic.All",
    "User.Read.All",
];
const MAIL_SCOPES: &[&str] = &["Mail.ReadBasic", "Mail.Read", "Mail.ReadWrite"];
const MAILBOX_SETTINGS_SCOPES: &[&str] = &["MailboxSettings.Read", "MailboxSettings.ReadWrite"];
const CALENDAR_SCOPES: &[&str] = &[
    "Calendars.ReadBasic",
    "Calendars.Read",
    "Calendars.ReadWrite",
];

/// Messages in every simulated inbox.
const INBOX_TOTAL: usize = 12;
const INBOX_UNREAD: usize = 3;

enum Resource {
    Me,
    Inbox,
    Messages,
    MailboxSettings,
    Calendar,
    CalendarView,
}

impl Resource {
    fn find(path: &str) -> Result<Self, GraphError> {
        let segments: Vec<String> = path
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
        match segments.as_slice() {
            ["me"] => Ok(Self::Me),
            ["me", "mailfolders", "inbox"] => Ok(Self::Inbox),
            ["me", "messages"] => Ok(Self::Messages),
            ["me", "mailboxsettings"] => Ok(Self::MailboxSettings),
            ["me", "calendar"] => Ok(Self::Calendar),
            ["me", "calendarview"] => Ok(Self::CalendarView),
            [] => Err(GraphError::bad_request("Invalid request.")),
            [.., last] => Err(GraphError::bad_request(format!(
                "Resource not found for the segment '{last}'."
            ))),
        }
    }

    fn requirements(&self) -> (Capability, &'static [&'static str]) {
        match self {
            Self::Me => (Capability::Profile, PROFILE_SCOPES),
            Self::Inbox | Self::Messages => (Capability::Mail, MAIL_SCOPES),
            Self::MailboxSettings => (Capability::Mail, MAILBOX_SETTINGS_SCOPES),
            Self::Calendar | Self::CalendarView => (Capability::Calendar, CALENDAR_SCOPES),
        }
    }
}

/// Serves `call` for an authenticated caller.
pub(crate) fn serve(app: &App, caller: &Caller, call: &GraphCall<'_>) -> Result<Value, GraphError> {
    let (path, query) = call.url.split_once('?').unwrap_or((call.url, ""));
    let query: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .map(|(name, value)| (name.to_ascii_lowercase(), value.into_owned()))
        .collect();
    let resource = Resource::find(path)?;

    if !call.method.eq_ignore_ascii_case("GET") {
        return Err(GraphError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Request_BadRequest",
            "Specified HTTP method is not allowed for the request target.",
        ));
    }
    let (capability, accepted) = resource.requirements();
    let has_scope = caller.scopes.iter().any(|scope| {
        accepted
            .iter()
            .any(|accepted| accepted.eq_ignore_ascii_case(scope))
    });
    if !has_scope || caller.forbidden.contains(&capability) {
        return Err(match capability {
            Capability::Profile => GraphError::insufficient_privileges(),
            Capability::Mail | Capability::Calendar => GraphError::access_denied(),
        });
    }
    if let Some(fault) = caller
        .graph_errors
        .iter()
        .find(|fault| fault.capability == capability)
    {
        return Err(faults::injected(fault));
    }

    let user = app
        .state
        .user(&caller.username)
        .ok_or_else(GraphError::token_unparsable)?;
    let context = format!("{}/v1.0/$metadata", app.base_url);
    match resource {
        Resource::Me => Ok(me(&context, &user)),
        Resource::Inbox => Ok(inbox(&context, &user)),
        Resource::Messages => Ok(messages(&context, &user, &query, &app.base_url)),
        Resource::MailboxSettings => Ok(mailbox_settings(&context, &user)),
        Resource::Calendar => Ok(calendar(&context, &user)),
        Resource::CalendarView => calendar_view(&context, &user, &query),
    }
}

/// Derives a stable Exchange-style ID for one of the user's objects.
fn object_id(user: &SimUser, name: &str) -> String {
    let digest = Sha256::digest(format!("{}:{name}", user.oid).as_bytes());
    format!("AAMkA{}AAA=", b64url(&digest))
}

fn me(context: &str, user: &SimUser) -> Value {
    let mut names = user.display_name.splitn(2, ' ');
    let given_name = names.next().unwrap_or_default();
    let surname = names.next().unwrap_or_default();
    json!({
        "@odata.context": format!("{context}#users/$entity"),
        "businessPhones": [],
        "displayName": user.display_name,
        "givenName": given_name,
        "jobTitle": null,
        "mail": user.username,
        "mobilePhone": null,
        "officeLocation": null,
        "preferredLanguage": "en-US",
        "surname": surname,
        "userPrincipalName": user.username,
        "id": user.oid,
    })
}

fn inbox(context: &str, user: &SimUser) -> Value {
    json!({
        "@odata.context": format!("{context}#users('{}')/mailFolders/$entity", user.oid),
        "id": object_id(user, "inbox"),
        "displayName": "Inbox",
        "parentFolderId": object_id(user, "msgfolderroot"),
        "childFolderCount": 0,
        "unreadItemCount": INBOX_UNREAD,
        "totalItemCount": INBOX_TOTAL,
        "sizeInBytes": 48_213,
        "isHidden": false,
    })
}

/// `/me/messages`, honouring `$top` (default 10) and `$select=id`.
fn messages(
    context: &str,
    user: &SimUser,
    query: &HashMap<String, String>,
    base_url: &str,
) -> Value {
    let top = query
        .get("$top")
        .and_then(|top| top.parse::<usize>().ok())
        .unwrap_or(10)
        .clamp(1, 1000);
    let ids_only = query
        .get("$select")
        .is_some_and(|select| select.eq_ignore_ascii_case("id"));

    let value: Vec<Value> = (0..INBOX_TOTAL.min(top))
        .map(|index| {
            let id = object_id(user, &format!("message-{index}"));
            if ids_only {
                json!({ "@odata.etag": format!("W/\"{index}\""), "id": id })
            } else {
                json!({
                    "@odata.etag": format!("W/\"{index}\""),
                    "id": id,
                    "subject": format!("Simulated message {}", index + 1),
                    "isRead": index >= INBOX_UNREAD,
                    "receivedDateTime": format!("2026-11-{:02}T09:00:00Z", 28 - index),
                })
            }
        })
        .collect();

    let mut body = json!({
        "@odata.context": format!("{context}#users('{}')/messages", user.oid),
        "value": value,
    });
    if top < INBOX_TOTAL {
        body["@odata.nextLink"] = json!(format!(
            "{base_url}/v1.0/me/messages?$top={top}&$skip={top}"
        ));
    }
    body
}

fn mailbox_settings(context: &str, user: &SimUser) -> Value {
    json!({
        "@odata.context": format!("{context}#users('{}')/mailboxSettings", user.oid),
        "archiveFolder": object_id(user, "archive"),
        "timeZone": "UTC",
        "dateFormat": "yyyy-MM-dd",
        "timeFormat": "HH:mm",
        "automaticRepliesSetting": {
            "status": "disabled",
            "externalAudience": "all",
            "internalReplyMessage": "",
            "externalReplyMessage": "",
        },
        "language": { "locale": "en-US", "displayName": "English (United States)" },
        "workingHours": {
            "daysOfWeek": ["monday", "tuesday", "wednesday", "thursday", "friday"],
            "startTime": "08:00:00.0000000",
            "endTime": "17:00:00.0000000",
            "timeZone": { "name": "UTC" },
        },
    })
}

fn calendar(context: &str, user: &SimUser) -> Value {
    json!({
        "@odata.context": format!("{context}#users('{}')/calendars/$entity", user.oid),
        "id": object_id(user, "calendar"),
        "name": "Calendar",
        "color": "auto",
        "hexColor": "",
        "isDefaultCalendar": true,
        "changeKey": b64url(&Sha256::digest(user.oid.as_bytes())[..12]),
        "canShare": true,
        "canViewPrivateItems": true,
        "canEdit": true,
        "allowedOnlineMeetingProviders": ["teamsForBusiness"],
        "defaultOnlineMeetingProvider": "teamsForBusiness",
        "isTallyingResponses": true,
        "isRemovable": false,
        "owner": { "name": user.display_name, "address": user.username },
    })
}

/// Serves `/me/calendarView`, which needs both `startDateTime` and `endDateTime`. The
/// simulated calendar is empty.
fn calendar_view(
    context: &str,
    user: &SimUser,
    query: &HashMap<String, String>,
) -> Result<Value, GraphError> {
    if !query.contains_key("startdatetime") || !query.contains_key("enddatetime") {
        return Err(GraphError::new(
            StatusCode::BAD_REQUEST,
            "ErrorInvalidParameter",
            "This request requires a time window specified by the query string parameters StartDateTime and EndDateTime.",
        ));
    }
    Ok(json!({
        "@odata.context": format!("{context}#users('{}')/calendarView", user.oid),
        "value": [],
    }))
}
