use crate::declare_rule;
use crate::rule::{Applies, Cx};

/// How many key names a message lists before summarising the rest.
const LISTED_KEYS: usize = 5;

declare_rule! {
    /// ## What it checks
    /// No core `v1` `Secret` carries values in its `data` or `stringData`. One finding per
    /// Secret, at `data` (or at `stringData` when `data` holds nothing), naming the keys
    /// that have values. Keys whose value is empty hold nothing and are not counted, so a
    /// Secret skeleton that a controller fills in later passes. Values are never shown.
    ///
    /// `SealedSecret`, `ExternalSecret` and other kinds are not `Secret`s and are not
    /// checked: they are the fix.
    ///
    /// ## Why it matters
    /// `data` is base64, which is an encoding, not encryption: anyone with the repository
    /// has the credentials, in every clone, fork and CI cache, and in the history after
    /// they are deleted. A leaked repository becomes a leaked production.
    ///
    /// If the manifests are rendered from a Helm chart that generates the Secret at install
    /// time, the values in the rendered output are not committed anywhere; suppress the rule
    /// for those Secrets with that reason.
    ///
    /// ## Example
    /// ```yaml
    /// apiVersion: v1
    /// kind: Secret
    /// metadata: {name: db}
    /// stringData:
    ///   password: hunter2
    /// ```
    ///
    /// ## Fix
    /// Rotate the credentials, since they have been exposed. Then commit an encrypted or
    /// indirect form instead and let a controller create the Secret in the cluster: a
    /// `SealedSecret` (Bitnami Sealed Secrets), an `ExternalSecret` (External Secrets
    /// Operator, reading from Vault or a cloud secret manager), or a SOPS-encrypted file
    /// decrypted by Flux or Argo CD.
    /// ```yaml
    /// apiVersion: external-secrets.io/v1
    /// kind: ExternalSecret
    /// metadata: {name: db}
    /// spec:
    ///   secretStoreRef: {name: vault, kind: ClusterSecretStore}
    ///   target: {name: db}
    ///   data:
    ///   - secretKey: password
    ///     remoteRef: {key: prod/db, property: password}
    /// ```
    ///
    /// ## References
    /// - https://kubernetes.io/docs/concepts/configuration/secret/
    /// - https://kubernetes.io/docs/concepts/security/secrets-good-practices/
    pub static SECRET_DATA_IN_MANIFEST = {
        id: "SEC002",
        name: "secret-data-in-manifest",
        category: Secrets,
        severity: Medium,
        default_enabled: true,
        applies: Applies::Kinds(&["Secret"]),
        pss_level: None,
        summary: "Secret values should not be committed in manifests",
        check: check,
    }
}

fn check(cx: &mut Cx<'_>) {
    if !cx.obj.id.group().is_empty() {
        return;
    }

    let mut keys: Vec<&str> = Vec::new();
    let mut at = None;
    for field in ["data", "stringData"] {
        let Some(map) = cx.obj.root.get(field) else {
            continue;
        };
        let before = keys.len();
        for entry in map.entries() {
            let empty = entry.value.is_null() || entry.value.as_str() == Some("");
            if !empty && !keys.contains(&entry.key.as_str()) {
                keys.push(&entry.key);
            }
        }
        if keys.len() > before && at.is_none() {
            at = Some(field);
        }
    }
    let Some(field) = at else { return };

    let shown: Vec<String> = keys
        .iter()
        .take(LISTED_KEYS)
        .map(|k| format!("`{k}`"))
        .collect();
    let more = match keys.len().saturating_sub(LISTED_KEYS) {
        0 => String::new(),
        n => format!(" and {n} more"),
    };
    let name = cx.obj.id.name.as_deref().unwrap_or("<unnamed>");
    cx.report(
        palisade_load::FieldPath::root().key(field),
        format!(
            "Secret `{name}` commits values for {}{more}",
            shown.join(", ")
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{paths, run};

    #[test]
    fn flags_secrets_with_values_naming_keys_only() {
        let v = run(
            &SECRET_DATA_IN_MANIFEST,
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata:\n  password: aHVudGVyMg==\n  user: YXBw\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: api}\ndata: {}\nstringData:\n  token: hunter2\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: many}\nstringData: {a: '1', b: '2', c: '3', d: '4', e: '5', f: '6', g: '7'}\n",
        );
        assert_eq!(paths(&v), ["data", "stringData", "stringData"]);
        assert_eq!(
            v[0].message,
            "Secret `db` commits values for `password`, `user`"
        );
        assert_eq!(v[1].message, "Secret `api` commits values for `token`");
        assert_eq!(
            v[2].message,
            "Secret `many` commits values for `a`, `b`, `c`, `d`, `e` and 2 more"
        );
        for value in ["aHVudGVyMg==", "hunter2"] {
            assert!(v.iter().all(|v| !v.message.contains(value)));
        }
    }

    #[test]
    fn passes_empty_secrets_and_other_kinds() {
        let v = run(
            &SECRET_DATA_IN_MANIFEST,
            "apiVersion: v1\nkind: Secret\nmetadata: {name: filled-later}\ntype: kubernetes.io/service-account-token\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: skeleton}\nstringData: {password: ''}\n---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: db}\nspec:\n  encryptedData: {password: AgBy8hCi}\n---\napiVersion: example.com/v1\nkind: Secret\nmetadata: {name: crd}\ndata: {password: aHVudGVyMg==}\n",
        );
        assert!(v.is_empty(), "{v:?}");
    }
}
