"""Files with versions on any record, templates, the register."""
