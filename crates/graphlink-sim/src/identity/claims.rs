//! The `claims` request parameter: a JSON object of requested claims. The simulator
//! reads the client capabilities (`xms_cc`) from it, which make access tokens
//! CAE-capable, and accepts the rest (such as an `nbf` from a claims challenge).

use serde_json::Value;

/// Returns the `access_token.xms_cc.values` of a `claims` parameter, such as `["cp1"]`
/// for `{"access_token":{"xms_cc":{"values":["cp1"]}}}`. Missing members give an empty
/// list.
///
/// # Errors
///
/// Returns `Err` when `claims` is not a JSON object.
pub(crate) fn client_capabilities(claims: &str) -> Result<Vec<String>, ()> {
    let value: Value = serde_json::from_str(claims).map_err(|_| ())?;
    if !value.is_object() {
        return Err(());
    }
    let values = value
        .pointer("/access_token/xms_cc/values")
        .and_then(Value::as_array)
        .map(|values| {
            values
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cp1() {
        let claims = r#"{"access_token":{"nbf":{"essential":true,"value":"1"},"xms_cc":{"values":["cp1"]}}}"#;

        assert_eq!(client_capabilities(claims), Ok(vec!["cp1".to_owned()]));
    }

    #[test]
    fn other_claims_give_no_capability() {
        assert_eq!(
            client_capabilities(r#"{"id_token":{"auth_time":{"essential":true}}}"#),
            Ok(Vec::new())
        );
    }

    #[test]
    fn rejects_non_objects() {
        assert_eq!(client_capabilities("cp1"), Err(()));
        assert_eq!(client_capabilities("[]"), Err(()));
    }
}
