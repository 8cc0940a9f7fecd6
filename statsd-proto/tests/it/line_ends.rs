//! The trailing-`\r` rule (crate docs, "Line ends"): exactly one `\r` is the line end's,
//! alone and inside a packet, and the encoders keep content that ends in `\r`.
//! Pins the fixes for fuzz/regressions/{parse_line,parse_event,parse_service_check}.

use bytes::Bytes;
use statsd_proto::{ErrorKind, Item, OwnedItem, Parser};

fn encode(item: &Item<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    item.encode(&mut out);
    out
}

#[test]
fn a_line_parses_the_same_alone_and_in_a_packet() {
    for parser in [Parser::new(), Parser::dogstatsd()] {
        for line in [
            &b"a:1|c\r"[..],
            b"a:1|c\r\r",
            b"i\x02s\x1a;|s\r\r",
            b"_sc|db|1|m:x\r\r",
            b"_e{1,1}:a|\r\r",
        ] {
            let alone = parser.parse_line(line);
            let inside = parser.packet(line).next().expect("one line");
            assert_eq!(
                alone
                    .as_ref()
                    .map(Item::line)
                    .map_err(|e| (e.kind(), e.offset())),
                inside
                    .as_ref()
                    .map(Item::line)
                    .map_err(|e| (e.kind(), e.offset())),
                "{line:?}"
            );
        }
        // The type is `c\r`: `illegal_event` (for the sample; for the line in strict
        // DogStatsD mode).
        let errors: Vec<_> = match parser.parse_line(b"a:1|c\r\r") {
            Ok(Item::Metric(m)) => m
                .samples()
                .map(|s| s.map(drop).map_err(|e| e.kind()))
                .collect(),
            Err(e) => vec![Err(e.kind())],
            Ok(other) => panic!("{other:?}"),
        };
        assert_eq!(errors, [Err(ErrorKind::IllegalEvent)]);
    }
}

#[test]
fn event_text_ending_in_cr_round_trips() {
    let parser = Parser::dogstatsd();
    let event = parser.parse_event(b"_e{1,1}:a|\r\r").unwrap();
    assert_eq!(event.text(), b"\r");
    let out = encode(&Item::Event(event));
    assert_eq!(out, b"_e{1,1}:a|\r\r");
    let again = parser.parse_event(&out).unwrap();
    assert_eq!((again.title(), again.text()), (event.title(), event.text()));
}

#[test]
fn service_check_message_ending_in_cr_round_trips() {
    for parser in [Parser::new(), Parser::dogstatsd()] {
        let check = parser.parse_service_check(b"_sc|db|1|m:down\r\r").unwrap();
        assert_eq!(check.message(), Some(&b"down\r"[..]));
        let out = encode(&Item::ServiceCheck(check));
        let again = parser.parse_service_check(&out).unwrap();
        assert_eq!(again.message(), check.message());
        // No `\r` in the content: no extra one written.
        let plain = parser.parse_service_check(b"_sc|db|1|m:down\r").unwrap();
        let out = encode(&Item::ServiceCheck(plain));
        assert_eq!(out, b"_sc|db|1|m:down");
    }
}

#[test]
fn metric_tag_ending_in_cr_round_trips() {
    let parser = Parser::dogstatsd();
    let metric = parser.parse_metric(b"a:1|c|#k:v\r\r").unwrap();
    let tags: Vec<_> = metric
        .tags()
        .map(|t| t.value().map(<[u8]>::to_vec))
        .collect();
    assert_eq!(tags, [Some(b"v\r".to_vec())]);
    let out = encode(&Item::Metric(metric));
    assert_eq!(out, b"a:1|c|#k:v\r\r");
    let again = parser.parse_metric(&out).unwrap();
    let again: Vec<_> = again
        .tags()
        .map(|t| t.value().map(<[u8]>::to_vec))
        .collect();
    assert_eq!(again, tags);
}

#[test]
fn owned_item_keeps_content_ending_in_cr() {
    let parser = Parser::dogstatsd();
    let packet = Bytes::from_static(b"_sc|db|1|m:down\r\r\na:1|c\r\n");
    let kept: Vec<OwnedItem> = parser
        .packet(&packet)
        .map(|item| OwnedItem::from_item(&packet, &item.unwrap(), parser))
        .collect();
    let Item::ServiceCheck(check) = kept[0].get().unwrap() else {
        panic!("a service check");
    };
    assert_eq!(check.message(), Some(&b"down\r"[..]));
    assert_eq!(kept[1].get().unwrap().line(), b"a:1|c");
    // An item parsed elsewhere is copied with its `\r`.
    let line = b"_sc|db|1|m:down\r\r";
    let item = parser.parse_line(line).unwrap();
    let owned = OwnedItem::from_item(&Bytes::new(), &item, parser);
    assert_eq!(owned.line().as_ref(), line);
}
