"""Signal processing for display: filters, min/max decimation, envelope pyramid, pages."""
