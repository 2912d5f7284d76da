use crate::rule::Rule;

pub static RULES: &[&Rule] = &[];
