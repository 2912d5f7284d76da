//! The Kubernetes view of loaded documents.
//!
//! [`objects_from_document`] turns a loaded document into [`Object`]s — one per document, or one
//! per item of a `List` — each with its identity and, for pod-bearing kinds, a [`PodTemplate`]
//! that lists every container of every sort (init, regular, ephemeral) with its
//! [`EffectiveSecurityContext`] and parsed [`ImageRef`]. These are computed once here so that no
//! rule re-derives pod-level inheritance on its own: re-deriving it per rule is where other
//! scanners' false positives came from.
//!
//! Everything refers back into the spanned tree through [`FieldPath`]s, so any finding can be
//! located at the exact key it is about.

pub mod image;
pub mod object;
pub mod pod;
pub mod security;
pub mod selector;

pub use image::ImageRef;
pub use object::{DocumentObjects, Object, ObjectId, objects_from_document};
pub use palisade_load::{FieldPath, Node, Segment, Span};
pub use pod::{Container, ContainerKind, PodKindTable, PodTemplate};
pub use security::{EffectiveSecurityContext, Level, Setting};
pub use selector::{Labels, Selector};
