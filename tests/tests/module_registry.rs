//! The files that hold lists of Zoho modules as text are what `tds modules` writes from the
//! module registry (`tds_core::entity`) now: the processors' `entity_types` in spin.toml
//! and spin.http-only.toml, and the module lists of the OpenAPI document. Every lane has a
//! processor in each manifest, and no other enum of the OpenAPI document names a module
//! (the rest of the document refers to the written schemas).

use serde_json::Value;
use tds::modules::{derive_all, MANIFESTS, OPENAPI};
use tds_core::entity::{Lane, ENTITIES};
use tds_manifest::Manifest;
use tds_tests::repo_root;

#[test]
fn the_checked_in_module_lists_are_the_registrys() {
    for (path, derived) in derive_all(&repo_root()).expect("deriving the module lists") {
        let checked_in = std::fs::read_to_string(&path).expect("reading a file with module lists");
        assert!(
            derived == checked_in,
            "{} differs from what `tds modules` writes from the module registry \
             (crates/tds-core/src/entity.rs): run `tds modules` and commit it",
            path.display()
        );
    }
}

#[test]
fn every_lane_has_a_processor_in_each_manifest() {
    for name in MANIFESTS {
        let manifest = Manifest::from_file(repo_root().join(name)).expect("the manifest loads");
        for lane in Lane::ALL {
            let processors = manifest
                .components
                .values()
                .filter(|c| c.variables.get("lane").map(String::as_str) == Some(lane.as_str()))
                .count();
            assert_eq!(processors, 1, "{name}: the processors of lane {lane}");
        }
    }
}

/// The JSON pointers of every `enum` under `value` that names a module or a wrapper key.
fn module_enums(value: &Value, pointer: &str, found: &mut Vec<String>) {
    let named = |v: &Value| {
        ENTITIES.iter().any(|e| {
            v.as_str()
                .is_some_and(|s| s == e.name || e.wrapper_keys.contains(&s))
        })
    };
    match value {
        Value::Object(members) => {
            for (key, member) in members {
                let at = format!("{pointer}/{key}");
                match member {
                    Value::Array(items) if key == "enum" && items.iter().any(named) => {
                        found.push(at)
                    }
                    _ => module_enums(member, &at, found),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                module_enums(item, &format!("{pointer}/{i}"), found);
            }
        }
        _ => {}
    }
}

#[test]
fn only_the_written_schemas_enumerate_modules() {
    let text =
        std::fs::read_to_string(repo_root().join(OPENAPI)).expect("reading the OpenAPI document");
    let document: Value = serde_json::from_str(&text).expect("the OpenAPI document is JSON");
    let mut found = Vec::new();
    module_enums(&document, "", &mut found);
    assert_eq!(
        found,
        [
            "/components/schemas/Module/enum",
            "/components/schemas/ModuleRouteSegment/enum"
        ],
        "a list of modules written by hand goes stale: refer to #/components/schemas/Module \
         (or ModuleRouteSegment) instead"
    );
}
