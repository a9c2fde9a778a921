//! Korean civil-registry credential types (placeholder, being written).
