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

#[test]
fn every_wrong_block_contributes_its_error_in_file_order() {
    let yaml = "\
defaults:
  ttl: 5 parsecs
mappings:
- match: good.*
  name: good
- match: \"a.b*c.d!\"
  name: x
- match: \"(unclosed\"
  match_type: regex
  name: y
- match: c.*
  name: z
  labels:
    9lives: cat
- match: d.*
  name: d
  action: jump
";
    let err = load_err(yaml);
    // The first error is the one Display and the accessors describe.
    assert_eq!(
        (err.kind(), err.line(), err.column()),
        (ErrorKind::InvalidDuration, 2, 8)
    );
    let all: Vec<(ErrorKind, u64, u64, &str)> = err
        .all()
        .map(|e| (e.kind(), e.line(), e.column(), e.text()))
        .collect();
    assert_eq!(
        all,
        [
            (ErrorKind::InvalidDuration, 2, 8, "5 parsecs"),
            (ErrorKind::InvalidGlob, 6, 10, "a.b*c.d!"),
            (ErrorKind::InvalidRegex, 8, 10, "(unclosed"),
            (ErrorKind::InvalidLabelName, 14, 5, "9lives"),
            (ErrorKind::InvalidAction, 17, 11, "jump"),
        ]
    );
    for e in err.all() {
        assert!(
            e.to_string()
                .starts_with(&format!("conf.yml:{}:{}: ", e.line(), e.column())),
            "{e}"
        );
        assert!(e.to_string().contains(&format!("{:?}", e.text())), "{e}");
    }

    // A single error stands alone; YAML shape errors stop the load.
    assert_eq!(
        load_err("mappings:\n- match: \"a.b*c.d!\"\n  name: x\n")
            .all()
            .len(),
        1
    );
    let err = load_err("mappings:\n- match: \"a.b*c.d!\"\n  name: x\n  bogus: 1\n");
    assert_eq!(err.all().len(), 1);
    assert_eq!(err.kind(), ErrorKind::Yaml);
}
