//! Reads the simulator's own HTML pages: their forms, page kind, error notice and text.
//!
//! A small tag scanner, not a general HTML parser: it understands quoted and unquoted
//! attributes, comments, character references and `<script>`/`<style>` content, which
//! is all the simulator's pages use. `sim-browser` and the tests drive sign-ins with it.

/// One `<form>` with its inputs and submit buttons, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HtmlForm {
    /// The `action` attribute, as written (often a path relative to the page).
    pub action: String,
    /// The `method` attribute in lower case (`get` when absent).
    pub method: String,
    pub inputs: Vec<FormInput>,
    pub buttons: Vec<FormButton>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormInput {
    pub name: String,
    pub value: String,
    /// The `type` attribute in lower case (`text` when absent).
    pub kind: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FormButton {
    pub name: Option<String>,
    pub value: String,
    /// Text content of the button.
    pub label: String,
}

/// Forms, kind, error notice and text found by [`parse_page`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedPage {
    pub forms: Vec<HtmlForm>,
    /// Content of `<meta name="sim-page">`, such as `sign-in` or `error`.
    pub kind: Option<String>,
    /// Text of the element with `id="sim-error"`, if any.
    pub error: Option<String>,
    /// Visible text, whitespace collapsed.
    pub text: String,
}

impl HtmlForm {
    /// Returns the fields a browser would submit: every named input with its value, replaced
    /// by `overrides` where a name matches, plus `name=value` of the chosen button.
    pub fn submission(
        &self,
        overrides: &[(&str, &str)],
        button: Option<&FormButton>,
    ) -> Vec<(String, String)> {
        let mut fields: Vec<(String, String)> = self
            .inputs
            .iter()
            .filter(|input| !input.name.is_empty())
            .map(|input| {
                let value = overrides
                    .iter()
                    .find(|(name, _)| *name == input.name)
                    .map_or_else(|| input.value.clone(), |(_, value)| (*value).to_owned());
                (input.name.clone(), value)
            })
            .collect();
        if let Some(FormButton {
            name: Some(name),
            value,
            ..
        }) = button
        {
            fields.push((name.clone(), value.clone()));
        }
        fields
    }

    /// Returns the first button whose value is in `choices`, else the first button.
    pub fn choose_button(&self, choices: &[&str]) -> Option<&FormButton> {
        self.buttons
            .iter()
            .find(|button| choices.contains(&button.value.as_str()))
            .or_else(|| self.buttons.first())
    }
}

struct Tag {
    name: String,
    closing: bool,
    attributes: Vec<(String, String)>,
}

impl Tag {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(attribute, _)| attribute == name)
            .map(|(_, value)| value.as_str())
    }
}

/// Scans `html` for forms, the page kind, the error notice and the visible text.
pub fn parse_page(html: &str) -> ParsedPage {
    let mut page = ParsedPage::default();
    let mut text = String::new();
    let mut current_form: Option<HtmlForm> = None;
    let mut current_button: Option<FormButton> = None;
    let mut error_element: Option<(String, String)> = None;
    let mut raw_text_until: Option<&str> = None;
    let mut rest = html;

    while !rest.is_empty() {
        if let Some(end_tag) = raw_text_until {
            // Skip script and style content up to its end tag.
            let closing = format!("</{end_tag}");
            let end = find_ignore_case(rest, &closing).unwrap_or(rest.len());
            rest = &rest[end..];
            raw_text_until = None;
            continue;
        }
        let Some(open) = rest.find('<') else {
            push_text(&mut text, &mut current_button, &mut error_element, rest);
            break;
        };
        push_text(
            &mut text,
            &mut current_button,
            &mut error_element,
            &rest[..open],
        );
        rest = &rest[open..];

        if rest.starts_with("<!--") {
            rest = rest.find("-->").map_or("", |end| &rest[end + 3..]);
            continue;
        }
        let (tag, after) = read_tag(rest);
        rest = after;
        let Some(tag) = tag else {
            continue;
        };

        if tag.closing {
            match tag.name.as_str() {
                "form" => page.forms.extend(current_form.take()),
                "button" => {
                    if let (Some(form), Some(mut button)) =
                        (current_form.as_mut(), current_button.take())
                    {
                        button.label = collapse_whitespace(&button.label);
                        form.buttons.push(button);
                    }
                }
                name => {
                    if error_element
                        .as_ref()
                        .is_some_and(|(element, _)| element == name)
                        && let Some((_, error)) = error_element.take()
                    {
                        page.error = Some(collapse_whitespace(&error));
                    }
                }
            }
            text.push(' ');
            continue;
        }

        if tag.attribute("id") == Some("sim-error") {
            error_element = Some((tag.name.clone(), String::new()));
        }
        match tag.name.as_str() {
            "script" | "style" => {
                raw_text_until = Some(if tag.name == "script" {
                    "script"
                } else {
                    "style"
                });
            }
            "meta" if tag.attribute("name") == Some("sim-page") => {
                page.kind = tag.attribute("content").map(str::to_owned);
            }
            "form" => {
                page.forms.extend(current_form.take());
                current_form = Some(HtmlForm {
                    action: tag.attribute("action").unwrap_or_default().to_owned(),
                    method: tag
                        .attribute("method")
                        .unwrap_or("get")
                        .to_ascii_lowercase(),
                    ..HtmlForm::default()
                });
            }
            "input" => {
                if let Some(form) = current_form.as_mut() {
                    form.inputs.push(FormInput {
                        name: tag.attribute("name").unwrap_or_default().to_owned(),
                        value: tag.attribute("value").unwrap_or_default().to_owned(),
                        kind: tag.attribute("type").unwrap_or("text").to_ascii_lowercase(),
                    });
                }
            }
            "button" => {
                let kind = tag.attribute("type").unwrap_or("submit");
                if kind.eq_ignore_ascii_case("submit") {
                    current_button = Some(FormButton {
                        name: tag.attribute("name").map(str::to_owned),
                        value: tag.attribute("value").unwrap_or_default().to_owned(),
                        label: String::new(),
                    });
                }
            }
            _ => {}
        }
        text.push(' ');
    }

    page.forms.extend(current_form);
    page.text = collapse_whitespace(&text);
    page
}

fn push_text(
    text: &mut String,
    button: &mut Option<FormButton>,
    error_element: &mut Option<(String, String)>,
    raw: &str,
) {
    let decoded = decode_entities(raw);
    text.push_str(&decoded);
    if let Some(button) = button.as_mut() {
        button.label.push_str(&decoded);
    }
    if let Some((_, error)) = error_element.as_mut() {
        error.push_str(&decoded);
    }
}

/// Reads one tag starting at `<`. Returns `None` for declarations such as `<!DOCTYPE>`
/// and for a `<` that starts no tag.
fn read_tag(input: &str) -> (Option<Tag>, &str) {
    let bytes = input.as_bytes();
    let mut index = 1;
    let closing = bytes.get(index) == Some(&b'/');
    if closing {
        index += 1;
    }
    let name_start = index;
    while index < bytes.len() && (bytes[index].is_ascii_alphanumeric() || bytes[index] == b'-') {
        index += 1;
    }
    if index == name_start {
        let end = input.find('>').map_or(input.len(), |end| end + 1);
        return (None, &input[end..]);
    }
    let name = input[name_start..index].to_ascii_lowercase();

    let mut attributes = Vec::new();
    loop {
        while index < bytes.len() && (bytes[index].is_ascii_whitespace() || bytes[index] == b'/') {
            index += 1;
        }
        if index >= bytes.len() {
            break;
        }
        if bytes[index] == b'>' {
            index += 1;
            break;
        }
        let attribute_start = index;
        while index < bytes.len()
            && !matches!(bytes[index], b'=' | b'>' | b'/')
            && !bytes[index].is_ascii_whitespace()
        {
            index += 1;
        }
        let attribute = input[attribute_start..index].to_ascii_lowercase();
        while index < bytes.len() && bytes[index].is_ascii_whitespace() {
            index += 1;
        }
        let mut value = String::new();
        if bytes.get(index) == Some(&b'=') {
            index += 1;
            while index < bytes.len() && bytes[index].is_ascii_whitespace() {
                index += 1;
            }
            match bytes.get(index) {
                Some(&quote @ (b'"' | b'\'')) => {
                    let value_start = index + 1;
                    let value_end = input[value_start..]
                        .find(char::from(quote))
                        .map_or(input.len(), |offset| value_start + offset);
                    value = decode_entities(&input[value_start..value_end]);
                    index = (value_end + 1).min(input.len());
                }
                _ => {
                    let value_start = index;
                    while index < bytes.len()
                        && bytes[index] != b'>'
                        && !bytes[index].is_ascii_whitespace()
                    {
                        index += 1;
                    }
                    value = decode_entities(&input[value_start..index]);
                }
            }
        }
        if !attribute.is_empty() {
            attributes.push((attribute, value));
        }
    }

    (
        Some(Tag {
            name,
            closing,
            attributes,
        }),
        &input[index.min(input.len())..],
    )
}

/// Decodes the named references `&amp; &lt; &gt; &quot; &apos; &nbsp;` and numeric ones.
fn decode_entities(raw: &str) -> String {
    if !raw.contains('&') {
        return raw.to_owned();
    }
    let mut decoded = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(start) = rest.find('&') {
        decoded.push_str(&rest[..start]);
        rest = &rest[start..];
        let Some(end) = rest.find(';').filter(|end| *end <= 10) else {
            decoded.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..end];
        let replacement = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            "nbsp" => Some(' '),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|dec| dec.parse().ok()))
                .and_then(char::from_u32),
        };
        match replacement {
            Some(c) => {
                decoded.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                decoded.push('&');
                rest = &rest[1..];
            }
        }
    }
    decoded.push_str(rest);
    decoded
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn find_ignore_case(haystack: &str, needle: &str) -> Option<usize> {
    haystack
        .to_ascii_lowercase()
        .find(&needle.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<!DOCTYPE html><html><head><meta name="sim-page" content="consent">
<script>if (a < b) { document.write("<form>"); }</script></head><body>
<!-- <form action="/ignored"> -->
<div id="sim-error" role="alert">Wrong &amp; <b>bad</b></div>
<form method="POST" action='/t/login?x=1&amp;y=2'>
<input type="hidden" name="flow" value="abc&quot;def">
<input type=email name=loginfmt value="">
<button type="submit" name="action" value="accept">Accept
 now</button><button type="submit" name="action" value="cancel">Cancel</button>
</form></body></html>"#;

    #[test]
    fn parse_page_reads_the_form() {
        let page = parse_page(PAGE);

        assert_eq!(page.forms.len(), 1);
        let form = &page.forms[0];
        assert_eq!(form.action, "/t/login?x=1&y=2");
        assert_eq!(form.method, "post");
        assert_eq!(form.inputs.len(), 2);
        assert_eq!(form.inputs[0].value, "abc\"def");
        assert_eq!(form.inputs[1].name, "loginfmt");
        assert_eq!(form.inputs[1].kind, "email");
        assert_eq!(form.buttons[0].label, "Accept now");
        assert_eq!(form.buttons[1].value, "cancel");
    }

    #[test]
    fn parse_page_reads_kind_error_and_text() {
        let page = parse_page(PAGE);

        assert_eq!(page.kind.as_deref(), Some("consent"));
        assert_eq!(page.error.as_deref(), Some("Wrong & bad"));
        assert!(page.text.contains("Accept now Cancel"));
        assert!(!page.text.contains("document.write"));
    }

    #[test]
    fn submission_applies_overrides_and_button() {
        let form = &parse_page(PAGE).forms[0];
        let button = form.choose_button(&["signin", "cancel"]);

        let fields = form.submission(&[("loginfmt", "a@b.example")], button);

        assert_eq!(
            fields,
            vec![
                ("flow".to_owned(), "abc\"def".to_owned()),
                ("loginfmt".to_owned(), "a@b.example".to_owned()),
                ("action".to_owned(), "cancel".to_owned()),
            ]
        );
    }

    #[test]
    fn choose_button_falls_back_to_first() {
        let form = &parse_page(PAGE).forms[0];

        assert_eq!(
            form.choose_button(&["nothing"]).map(|b| b.value.as_str()),
            Some("accept")
        );
    }

    #[test]
    fn decode_entities_handles_numeric_and_stray_ampersands() {
        assert_eq!(
            decode_entities("a&#39;b&#x41;c & d &unknown; e"),
            "a'bAc & d &unknown; e"
        );
    }
}
