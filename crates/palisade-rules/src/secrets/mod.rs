//! Credentials written into manifests.

mod secret_data_in_manifest;
pub(crate) mod secret_in_env;
pub(crate) mod value_shapes;

use crate::rule::Rule;

pub static RULES: &[&Rule] = &[
    &secret_in_env::SECRET_IN_ENV,
    &secret_data_in_manifest::SECRET_DATA_IN_MANIFEST,
];
