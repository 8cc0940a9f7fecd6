mod describe;
mod exporter;
mod props;
mod table;
