mod describe;
mod exporter;
mod props;
mod reference;
mod table;
