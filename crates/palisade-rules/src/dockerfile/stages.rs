//! Facts about stages that several rules need.

use palisade_dockerfile::{Base, Body, Dockerfile, Instruction, Stage, Word};
use palisade_model::ImageRef;

/// The `FROM` of each stage with its image word and the parsed reference, for stages built
/// from an image whose reference is fully known (not `scratch`, not an earlier stage).
pub(crate) fn image_bases(df: &Dockerfile) -> Vec<(&Stage, &Instruction, &Word, &ImageRef)> {
    df.stages
        .iter()
        .filter_map(|stage| {
            let Base::Image(image) = &stage.base else {
                return None;
            };
            let from = df.from_of(stage)?;
            let Body::From { image: word, .. } = &from.body else {
                return None;
            };
            Some((stage, from, word, image))
        })
        .collect()
}

/// The stages whose settings the final image inherits: the final stage, then the stage it is
/// built from, and so on.
pub(crate) fn final_lineage(df: &Dockerfile) -> Vec<&Stage> {
    df.shipped_stages()
        .into_iter()
        .filter_map(|i| df.stages.get(i))
        .collect()
}

/// The last instruction of `keyword`-like kind in the final image's lineage that runs in this
/// build, searching the final stage first.
pub(crate) fn last_in_lineage(
    df: &Dockerfile,
    wanted: impl Fn(&Instruction) -> bool,
) -> Option<&Instruction> {
    final_lineage(df).into_iter().find_map(|stage| {
        df.stage_instructions(stage)
            .iter()
            .rev()
            .find(|i| i.runs_here() && wanted(i))
    })
}
