mod describe;
mod exporter;
mod line_ends;
mod props;
mod reference;
mod table;
