//! What the library crates promise as published crates: they build with no default features and
//! with each feature alone, and they package and build from their packaged sources.

use crate::step::Step;

/// The library crates users depend on, with the features each offers.
const LIBRARIES: [(&str, &[&str]); 6] = [
    ("foundry-protocol", &[]),
    ("foundry-transport", &["reqwest", "mock"]),
    ("foundry-resilience", &[]),
    ("foundry-health", &[]),
    ("foundry-emulator", &[]),
    ("foundry-client", &["structured", "mock"]),
];

/// One `cargo check` of each library with no default features, then one per feature alone.
pub fn feature_steps() -> Vec<Step> {
    let mut steps = Vec::new();
    for (library, features) in LIBRARIES {
        let none = [
            "check",
            "--locked",
            "-p",
            library,
            "--lib",
            "--no-default-features",
        ];
        steps.push(Step::cargo(
            &format!("{library} builds with no default features"),
            crate::minutes(10),
            &none,
        ));
        for feature in features {
            let mut args = none.to_vec();
            args.extend(["--features", feature]);
            steps.push(Step::cargo(
                &format!("{library} builds with the feature `{feature}` alone"),
                crate::minutes(10),
                &args,
            ));
        }
    }
    steps
}

/// `cargo package` of every library crate: packaged, then built from the packaged sources (the
/// unpublished ones among their dependencies served from a local registry of the same run).
pub fn package_step() -> Step {
    let mut args = vec!["package", "--locked", "--allow-dirty"];
    for (library, _) in LIBRARIES {
        args.extend(["-p", library]);
    }
    Step::cargo(
        "every library crate packages and builds from its packaged sources",
        crate::minutes(15),
        &args,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_feature_is_checked_alone_and_every_library_packaged() {
        let steps = feature_steps();
        assert_eq!(steps.len(), 6 + 4);
        assert!(steps.iter().any(|step| {
            step.args()
                .windows(2)
                .any(|pair| pair == ["--features", "mock"])
                && step.args().contains(&"foundry-client".to_owned())
        }));
        let package = package_step();
        for (library, _) in LIBRARIES {
            assert!(package.args().contains(&library.to_owned()), "{library}");
        }
    }
}
