//! Writes the binary's own metric families in either text format, so they can follow the
//! pipeline's exposition in the same response.
//!
//! In OpenMetrics a counter family is named without `_total` and its sample carries it;
//! the 0.0.4 text format names both with `_total`. Every counter here ends in `_total`.

use std::fmt::Write as _;

/// Appends families to a response body.
pub struct Families<'a> {
    out: &'a mut String,
    openmetrics: bool,
}

impl<'a> Families<'a> {
    /// A writer for the given format.
    pub fn new(out: &'a mut String, openmetrics: bool) -> Families<'a> {
        Families { out, openmetrics }
    }

    /// A counter family; `samples` are (label text such as `{a="b"}` or empty, value).
    pub fn counter(&mut self, name: &str, help: &str, samples: &[(&str, f64)]) {
        let family = if self.openmetrics {
            name.strip_suffix("_total").unwrap_or(name)
        } else {
            name
        };
        let _ = writeln!(self.out, "# HELP {family} {help}\n# TYPE {family} counter");
        for (labels, value) in samples {
            let _ = writeln!(self.out, "{name}{labels} {}", number(*value));
        }
    }

    /// A gauge family.
    pub fn gauge(&mut self, name: &str, help: &str, samples: &[(&str, f64)]) {
        let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} gauge");
        for (labels, value) in samples {
            let _ = writeln!(self.out, "{name}{labels} {}", number(*value));
        }
    }
}

fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        }
    } else {
        format!("{value}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_are_named_per_format() {
        let mut text = String::new();
        Families::new(&mut text, false).counter("x_total", "Help.", &[("{a=\"b\"}", 2.0)]);
        assert_eq!(
            text,
            "# HELP x_total Help.\n# TYPE x_total counter\nx_total{a=\"b\"} 2\n"
        );
        let mut om = String::new();
        let mut families = Families::new(&mut om, true);
        families.counter("x_total", "Help.", &[("", 1.5)]);
        families.gauge("g", "G.", &[("", f64::NAN)]);
        assert_eq!(
            om,
            "# HELP x Help.\n# TYPE x counter\nx_total 1.5\n# HELP g G.\n# TYPE g gauge\ng NaN\n"
        );
    }
}
