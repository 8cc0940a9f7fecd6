//! Loading: strictness, locations, deprecated keys, option resolution.

use statsd_mapper::*;

fn load_err(yaml: &str) -> Error {
    MapperConfig::from_yaml_str(yaml, Some("conf.yml".as_ref()))
        .expect_err("config must be rejected")
}

#[test]
fn yaml_shape_errors_name_line_column_and_text() {
    let err = load_err("mappings:\n- match: a.*\n  name: x\n  bogus: 1\n");
    assert_eq!(
        (err.kind(), err.line(), err.column(), err.text()),
        (ErrorKind::Yaml, 4, 3, "bogus")
    );
    assert!(
        err.to_string()
            .starts_with("conf.yml:4:3: invalid YAML \"bogus\": unknown field `bogus`"),
        "{err}"
    );

    let err = load_err("mappings:\n- match: a.*\n  name: x\n  name: y\n");
    assert_eq!(
        (err.kind(), err.line(), err.column(), err.text()),
        (ErrorKind::Yaml, 4, 3, "name")
    );
    assert!(err.detail().contains("duplicate"), "{err}");

    // Unquoted `*` starts a YAML alias.
    let err = load_err("mappings:\n- match: *.test.*\n  name: x\n");
    assert_eq!(
        (err.kind(), err.line(), err.column()),
        (ErrorKind::Yaml, 2, 10)
    );
}
