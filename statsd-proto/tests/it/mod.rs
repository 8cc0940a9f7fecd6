mod exporter;
mod table;
