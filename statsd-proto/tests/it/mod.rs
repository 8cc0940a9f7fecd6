mod describe;
mod event_like_names;
mod exporter;
mod line_ends;
mod props;
mod reference;
mod table;
