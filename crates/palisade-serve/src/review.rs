//! The AdmissionReview wire format, `admission.k8s.io/v1`.
//!
//! Only what the webhook reads is decoded. The request's `object` and `oldObject` go straight
//! into the loader's tree (see [`crate::json`]). Anything that is not a v1 AdmissionReview
//! with a request and a uid is refused with a message saying what is wrong; the caller turns
//! that into HTTP 400.

use std::collections::BTreeMap;

use palisade_load::Node;
use serde::{Deserialize, Serialize};

use crate::json::AdmittedObject;

pub const API_VERSION: &str = "admission.k8s.io/v1";
pub const KIND: &str = "AdmissionReview";

#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "apiVersion", default, deserialize_with = "null_as_default")]
    api_version: String,
    #[serde(default, deserialize_with = "null_as_default")]
    kind: String,
    request: Option<Request>,
}

/// Group, version and kind of the object, as the webhook rule matched it.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct GroupVersionKind {
    #[serde(default, deserialize_with = "null_as_default")]
    pub group: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub version: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub kind: String,
}

/// Group, version and resource (`pods`, `deployments`).
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct GroupVersionResource {
    #[serde(default, deserialize_with = "null_as_default")]
    pub group: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub version: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub resource: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct UserInfo {
    #[serde(default, deserialize_with = "null_as_default")]
    pub username: String,
}

/// What the API server asks about.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    pub uid: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub kind: GroupVersionKind,
    #[serde(default, deserialize_with = "null_as_default")]
    pub resource: GroupVersionResource,
    #[serde(default, deserialize_with = "null_as_default")]
    pub sub_resource: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub name: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub namespace: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub operation: String,
    #[serde(default, deserialize_with = "null_as_default")]
    pub user_info: UserInfo,
    #[serde(default, deserialize_with = "optional_node")]
    pub object: Option<Node>,
    #[serde(default, deserialize_with = "optional_node")]
    pub old_object: Option<Node>,
    #[serde(default, deserialize_with = "null_as_default")]
    pub dry_run: bool,
}

/// A field the API server leaves out, also when a client writes it as `null` (Go clients
/// with pointer fields do): its default.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

fn optional_node<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Node>, D::Error> {
    let node = AdmittedObject::deserialize(d)?.0;
    Ok((!node.is_null()).then_some(node))
}

/// Why a body is not a review this webhook can answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadReview(pub String);

/// Decodes a request body.
pub fn parse(body: &[u8]) -> Result<Request, BadReview> {
    let envelope: Envelope = serde_json::from_slice(body)
        .map_err(|e| BadReview(format!("the body is not an AdmissionReview: {e}")))?;
    if envelope.kind == KIND && envelope.api_version != API_VERSION {
        let version = match envelope.api_version.as_str() {
            "" => "an AdmissionReview without apiVersion".to_string(),
            other => format!("{other} {KIND}"),
        };
        return Err(BadReview(format!(
            "expected {API_VERSION} {KIND}, got {version}; set `admissionReviewVersions: [v1]` \
             in the webhook configuration"
        )));
    }
    if envelope.kind != KIND {
        let got = match (envelope.api_version.as_str(), envelope.kind.as_str()) {
            ("", "") => "an object without apiVersion and kind".to_string(),
            ("", kind) => format!("an object of kind `{kind}` without apiVersion"),
            (version, "") => format!("an object of apiVersion `{version}` without kind"),
            (version, kind) => format!("a `{kind}` ({version})"),
        };
        return Err(BadReview(format!(
            "expected {API_VERSION} {KIND}, got {got}: this endpoint takes the AdmissionReview \
             the API server sends, not an object on its own"
        )));
    }
    let request = envelope
        .request
        .ok_or_else(|| BadReview("the AdmissionReview has no `request`".into()))?;
    if request.uid.is_empty() {
        return Err(BadReview("the AdmissionReview request has no `uid`".into()));
    }
    Ok(request)
}

/// `status` of a refused request.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Status {
    pub code: u16,
    pub reason: String,
    pub message: String,
}

/// The answer to one request.
#[derive(Debug, Clone, Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Response {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub audit_annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<&'static str>,
    /// Base64 of the JSONPatch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
}

impl Response {
    pub fn allow(uid: &str) -> Response {
        Response {
            uid: uid.to_string(),
            allowed: true,
            ..Response::default()
        }
    }

    /// Refuses with 403 Forbidden.
    pub fn forbid(&mut self, message: String) {
        self.allowed = false;
        self.status = Some(Status {
            code: 403,
            reason: "Forbidden".into(),
            message,
        });
    }

    /// Refuses with 422 Invalid (a namespace with bad Pod Security labels).
    pub fn invalid(&mut self, message: String) {
        self.allowed = false;
        self.status = Some(Status {
            code: 422,
            reason: "Invalid".into(),
            message,
        });
    }
}

#[derive(Serialize)]
struct OutEnvelope<'a> {
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    kind: &'static str,
    response: &'a Response,
}

/// The response body.
pub fn render(response: &Response) -> Vec<u8> {
    serde_json::to_vec(&OutEnvelope {
        api_version: API_VERSION,
        kind: KIND,
        response,
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_v1_review() {
        let r = parse(
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u1","kind":{"group":"","version":"v1","kind":"Pod"},"resource":{"group":"","version":"v1","resource":"pods"},"namespace":"shop","operation":"CREATE","userInfo":{"username":"alice","groups":["dev"]},"object":{"kind":"Pod","spec":{}},"oldObject":null,"dryRun":true,"options":{}}}"#,
        )
        .unwrap();
        assert_eq!(r.uid, "u1");
        assert_eq!(r.kind.kind, "Pod");
        assert_eq!(r.user_info.username, "alice");
        assert!(r.object.unwrap().get("spec").is_some());
        assert!(r.old_object.is_none());
        assert!(r.dry_run);
    }

    #[test]
    fn null_in_an_optional_field_reads_as_left_out() {
        let r = parse(
            br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"u2","kind":{"group":null,"version":"v1","kind":"Pod"},"resource":null,"subResource":null,"name":null,"namespace":"shop","operation":"CREATE","userInfo":{"username":null,"groups":null},"object":{"kind":"Pod"},"dryRun":null}}"#,
        )
        .unwrap();
        assert_eq!((r.sub_resource.as_str(), r.name.as_str()), ("", ""));
        assert_eq!(r.kind.group, "");
        assert_eq!(r.resource.resource, "");
        assert_eq!(r.user_info.username, "");
        assert!(!r.dry_run);
        // The review's uid is required: without it no answer can be matched.
        assert!(
            parse(br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":null}}"#)
                .is_err()
        );
    }

    #[test]
    fn refuses_what_is_not_a_v1_review_with_a_reason() {
        let e = parse(br#"{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","request":{"uid":"x"}}"#)
            .unwrap_err();
        assert!(e.0.contains("admissionReviewVersions"), "{}", e.0);
        assert!(
            parse(b"not json")
                .unwrap_err()
                .0
                .contains("not an AdmissionReview")
        );
        assert!(
            parse(br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#)
                .unwrap_err()
                .0
                .contains("no `request`")
        );
        assert!(parse(br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":""}}"#)
            .unwrap_err()
            .0
            .contains("uid"));
        assert!(parse(b"[1,2]").is_err());
    }

    #[test]
    fn the_version_hint_is_given_only_for_an_admission_review_of_another_version() {
        let e = parse(br#"{"kind":"AdmissionReview","request":{"uid":"x"}}"#).unwrap_err();
        assert!(e.0.contains("admissionReviewVersions: [v1]"), "{}", e.0);

        let e = parse(br#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}"#).unwrap_err();
        assert!(e.0.contains("got a `Pod` (v1)"), "{}", e.0);
        assert!(!e.0.contains("admissionReviewVersions"), "{}", e.0);
        let e = parse(br#"{"kind":"Pod"}"#).unwrap_err();
        assert!(e.0.contains("kind `Pod` without apiVersion"), "{}", e.0);
        assert!(!e.0.contains("admissionReviewVersions"), "{}", e.0);
        let e = parse(br#"{"spec":{}}"#).unwrap_err();
        assert!(e.0.contains("without apiVersion and kind"), "{}", e.0);
        assert!(!e.0.contains("admissionReviewVersions"), "{}", e.0);
    }

    #[test]
    fn renders_only_what_is_set() {
        let mut r = Response::allow("u");
        assert_eq!(
            String::from_utf8(render(&r)).unwrap(),
            r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u","allowed":true}}"#
        );
        r.forbid("no".into());
        let text = String::from_utf8(render(&r)).unwrap();
        assert!(
            text.contains(r#""status":{"code":403,"reason":"Forbidden","message":"no"}"#),
            "{text}"
        );
    }
}
