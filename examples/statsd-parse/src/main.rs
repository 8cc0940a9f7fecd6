//! Reads StatsD packets from files or stdin and prints what the parser found.
fn main() {
    println!("statsd-parse: arrives with issue 2");
}
