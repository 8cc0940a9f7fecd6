mod describe;
mod exporter;
mod table;
